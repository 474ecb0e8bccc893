"""Files a unit attaches to its reply: photos of the fix, a scanned 整改报告.

Only images (PNG, JPEG, GIF, WebP) and PDF are taken, and the type is read from the bytes,
not the name: a ``.pdf`` that is an HTML page, an executable renamed ``.png``, an image whose
declared size would take gigabytes to decode, or a PDF that carries scripts, launch actions
or embedded files is refused with one message naming the file. A kept file is stored once,
named by its SHA-256 (``attachments_dir/ab/abcdef…``), never under the name it came with.
"""
from __future__ import annotations

import hashlib
import io
import re
import warnings
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath, PureWindowsPath

# Types by their first bytes; the name's extension must agree.
SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png", (".png",)),
    (b"\xff\xd8\xff", "image/jpeg", (".jpg", ".jpeg")),
    (b"GIF87a", "image/gif", (".gif",)),
    (b"GIF89a", "image/gif", (".gif",)),
    (b"%PDF-", "application/pdf", (".pdf",)),
)
MAX_PIXELS = 40_000_000  # a phone photo is ~12 MP; more is a decompression bomb
# PDF features that run or carry something when opened (PDF 1.7 §12.6, §7.11.4).
PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|OpenAction|AA|RichMedia|XFA|SubmitForm|ImportData)\b")
# Stream bodies (compressed images, fonts) are binary: searched, they would match by chance.
PDF_STREAM = re.compile(rb"stream\r?\n.*?endstream", re.S)
OBJSTM_MAX = 16 * 2**20
PDF_HEAD = 1024  # the header may follow a few bytes of junk, as readers allow
PDF_TAIL = 2048  # %%EOF is searched this far from the end


class AttachmentError(ValueError):
    """A file that is refused; the message names it and says why, in Chinese."""


@dataclass(frozen=True)
class Stored:
    name: str
    type: str
    size: int
    sha256: str

    def as_dict(self) -> dict:
        return {"name": self.name, "type": self.type, "size": self.size, "sha256": self.sha256}


def clean_name(name: str) -> str:
    """The file's own name, without any folder part a browser or attacker sent along."""
    base = PureWindowsPath(PurePosixPath(name or "").name).name
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip() or "附件"
    return base[:200]


def sniff(name: str, data: bytes) -> str:
    """The content type of ``data``, checked against the name's extension."""
    ext = Path(name).suffix.lower()
    kind = exts = None
    for magic, t, e in SIGNATURES:
        if data.startswith(magic) or (t == "application/pdf" and magic in data[:PDF_HEAD]):
            kind, exts = t, e
            break
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        kind, exts = "image/webp", (".webp",)
    if kind is None:
        raise AttachmentError(f"附件“{name}”不是图片（PNG、JPEG、GIF、WebP）或PDF文件，已拒收")
    if ext not in exts:
        raise AttachmentError(f"附件“{name}”的扩展名与内容不符（内容为{kind}），已拒收")
    return kind


def _check_image(name: str, data: bytes) -> None:
    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as img:
                w, h = img.size
                if w * h > MAX_PIXELS:
                    raise AttachmentError(f"附件“{name}”的图片尺寸过大（{w}×{h}像素），已拒收")
                img.verify()  # structure and checksums, without decoding every pixel
    except AttachmentError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise AttachmentError(f"附件“{name}”的图片尺寸过大，已拒收") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise AttachmentError(f"附件“{name}”图片文件已损坏或无法识别，已拒收") from exc


def _object_streams(data: bytes) -> list[bytes]:
    """The inflated bodies of object streams (PDF 1.5 /ObjStm), where objects — scripts too —
    may sit compressed; each is inflated to a bounded size."""
    out = []
    for m in re.finditer(rb"/Type\s*/ObjStm[^>]*>>\s*stream\r?\n", data):
        end = data.find(b"endstream", m.end())
        try:
            out.append(zlib.decompressobj().decompress(data[m.end():end], OBJSTM_MAX))
        except zlib.error:
            out.append(b"/ObjStm")  # unreadable: treated as hiding something
    return out


def _check_pdf(name: str, data: bytes) -> None:
    if b"%%EOF" not in data[-PDF_TAIL:]:
        raise AttachmentError(f"附件“{name}”PDF文件不完整，已拒收")
    packed = _object_streams(data)
    hit = next(filter(None, (PDF_ACTIVE.search(p) for p in (PDF_STREAM.sub(b"", data), *packed))), None)
    if hit is None and b"/ObjStm" in packed:
        raise AttachmentError(f"附件“{name}”PDF文件结构无法读取，已拒收")
    if hit:
        raise AttachmentError(f"附件“{name}”PDF文件含有脚本、自动动作或嵌入文件（{hit.group(1).decode()}），已拒收")


def check(name: str, data: bytes, max_bytes: int) -> str:
    """The content type of an acceptable attachment; AttachmentError otherwise."""
    if not data:
        raise AttachmentError(f"附件“{name}”是空文件，已拒收")
    if len(data) > max_bytes:
        raise AttachmentError(f"附件“{name}”超过大小上限（{max_bytes / 2**20:g} MB），已拒收")
    kind = sniff(name, data)
    if kind == "application/pdf":
        _check_pdf(name, data)
    else:
        _check_image(name, data)
    return kind


def store(folder: Path, name: str, data: bytes, max_bytes: int) -> Stored:
    """Check and keep one file; the same bytes sent twice are stored once."""
    name = clean_name(name)
    kind = check(name, data, max_bytes)
    digest = hashlib.sha256(data).hexdigest()
    path = blob_path(folder, digest)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".part")
        tmp.write_bytes(data)
        tmp.replace(path)
    return Stored(name, kind, len(data), digest)


def blob_path(folder: Path, digest: str) -> Path:
    if not re.fullmatch(r"[0-9a-f]{64}", digest):
        raise AttachmentError("附件标识无效")
    return Path(folder) / digest[:2] / digest
