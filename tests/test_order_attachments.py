"""A unit's reply attachments are checked by their bytes: images and PDF only, hostile files
refused with a message naming the file, kept files stored once under their SHA-256."""
from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest
from PIL import Image

from monitor.orders.attachments import AttachmentError, blob_path, clean_name, store

LIMIT = 2 * 2**20


def png(w=40, h=30) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (w, h), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def pdf(body: bytes = b"") -> bytes:
    return (b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R " + body + b">> endobj\n"
            b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")


def bomb_png(w=100_000, h=100_000) -> bytes:
    """A valid PNG header declaring 10 gigapixels (a few hundred bytes on disk)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 100)) + chunk(b"IEND", b""))


def test_images_and_pdf_are_kept_by_hash_once(tmp_path):
    data = png()
    a = store(tmp_path, "整改后首页截图.png", data, LIMIT)
    assert (a.type, a.size, a.sha256) == ("image/png", len(data), hashlib.sha256(data).hexdigest())
    assert blob_path(tmp_path, a.sha256).read_bytes() == data
    assert store(tmp_path, "again.PNG", data, LIMIT).sha256 == a.sha256
    assert len(list(tmp_path.rglob("*"))) == 2  # one folder, one file
    assert store(tmp_path, "整改报告.pdf", pdf(), LIMIT).type == "application/pdf"
    # Names never carry folders into storage.
    assert clean_name("../../etc/passwd.png") == "passwd.png" and clean_name("C:\\x\\报告.pdf") == "报告.pdf"


@pytest.mark.parametrize("name, data, says", [
    ("报告.pdf", b"<html><script>alert(1)</script></html>", "不是图片"),
    ("photo.png", b"MZ\x90\x00" + b"\0" * 200, "不是图片"),
    ("photo.pdf", png(), "扩展名与内容不符"),
    ("bomb.png", bomb_png(), "尺寸过大"),
    ("broken.png", png()[:60], "已损坏"),
    ("js.pdf", pdf(b"/OpenAction << /S /JavaScript /JS (app.alert(1)) >> "), "含有脚本"),
    ("launch.pdf", pdf(b"/AA << /O << /S /Launch /F (cmd.exe) >> >> "), "含有脚本"),
    ("cut.pdf", pdf()[:-10], "不完整"),
    ("empty.png", b"", "空文件"),
    ("big.png", b"\x89PNG\r\n\x1a\n" + b"\0" * LIMIT, "超过大小上限"),
])
def test_hostile_files_are_refused_with_a_clear_message(tmp_path, name, data, says):
    with pytest.raises(AttachmentError, match=says) as exc:
        store(tmp_path, name, data, LIMIT)
    assert name in str(exc.value)
    assert not any(tmp_path.iterdir())


def test_a_script_hidden_in_a_compressed_object_stream_is_found(tmp_path):
    packed = zlib.compress(b"3 0 << /S /JavaScript /JS (app.alert(1)) >>")
    data = pdf() .replace(b"trailer", b"4 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode >> stream\n"
                          + packed + b"\nendstream endobj\ntrailer")
    with pytest.raises(AttachmentError, match="含有脚本"):
        store(tmp_path, "hidden.pdf", data, LIMIT)
