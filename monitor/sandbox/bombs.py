"""Hostile files, made at run time and small on the wire:

* ``manifest_bomb``: a 3 MB APK whose AndroidManifest.xml starts as a real binary manifest
  and then inflates to about 3 GB of zeros (a deflate bomb);
* ``entry_bomb``: a 5 MB APK with a sound manifest and signing block and one asset that
  inflates to about 5 GB (ZIP64 sizes, true CRC-32).

Both declare their true sizes: a checker that trusts nothing but bounds its own work is what
they test. The bomb streams are built from one compressed megabyte of zeros repeated after
``Z_FULL_FLUSH`` (each repetition is byte-identical), so building them costs milliseconds,
and the CRC of gigabytes of zeros comes from zlib's crc32_combine, computed here.
``gzip_bomb`` makes a gzip body the same way (a feed or page served with
``Content-Encoding: gzip``).
"""
from __future__ import annotations

import struct
import zlib
from functools import lru_cache

from monitor.sandbox.apk.axml import empty_resource_table, encode_manifest, stub_dex

MIB = 1 << 20
_V2, _V3 = 0x7109871A, 0xF05368C0


def _zeros_stream(prefix: bytes, zero_mib: int, fill: bytes = b"\x00") -> tuple[bytes, int, int]:
    """Raw deflate of ``prefix`` + ``zero_mib`` MiB of ``fill`` bytes: (stream, crc32, size)."""
    block = fill * MIB
    co = zlib.compressobj(9, zlib.DEFLATED, -15)
    head = co.compress(prefix) + co.flush(zlib.Z_FULL_FLUSH)
    piece = co.compress(block) + co.flush(zlib.Z_FULL_FLUSH)
    stream = head + piece * zero_mib + co.flush()
    crc = _crc32_combine(zlib.crc32(prefix), _repeat_crc(zlib.crc32(block), zero_mib), zero_mib * MIB)
    return stream, crc, len(prefix) + zero_mib * MIB


def gzip_bomb(prefix: bytes, inflated_mib: int, fill: bytes = b" ") -> bytes:
    """A gzip body (Content-Encoding: gzip) that starts with ``prefix`` and inflates to
    ``inflated_mib`` MiB more of ``fill``: about ``inflated_mib`` KB on the wire."""
    stream, crc, size = _zeros_stream(prefix, inflated_mib, fill)
    header = b"\x1f\x8b\x08\x00" + b"\x00" * 4 + b"\x02\xff"
    return header + stream + struct.pack("<II", crc, size & 0xFFFFFFFF)


# ── crc32_combine (zlib's GF(2) matrix method) ─────────────────────────────────────────
def _gf2_times(mat: list[int], vec: int) -> int:
    out, i = 0, 0
    while vec:
        if vec & 1:
            out ^= mat[i]
        vec >>= 1
        i += 1
    return out


def _gf2_square(mat: list[int]) -> list[int]:
    return [_gf2_times(mat, mat[n]) for n in range(32)]


def _crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << n for n in range(31)]  # the operator for one zero bit
    even = _gf2_square(odd)   # two zero bits
    odd = _gf2_square(even)   # four zero bits
    while True:
        even = _gf2_square(odd)  # first pass: one zero byte
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = _gf2_square(even)
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2


def _repeat_crc(block_crc: int, blocks: int) -> int:
    """CRC-32 of one MiB block repeated ``blocks`` times (binary decomposition)."""
    crc, size, remaining = 0, MIB, blocks * MIB
    while remaining:
        if remaining & size:
            crc = _crc32_combine(crc, block_crc, size)
            remaining -= size
        if remaining:
            block_crc, size = _crc32_combine(block_crc, block_crc, size), size * 2
    return crc


# ── a minimal ZIP writer (ZIP64 sizes where needed) ────────────────────────────────────
def _zip(entries: list[tuple[str, int, bytes, int, int]], signing_block: bytes = b"") -> bytes:
    """entries: (name, method, data as stored, crc32, uncompressed size)."""
    out, central = bytearray(), bytearray()
    for name, method, data, crc, size in entries:
        raw = name.encode()
        big = size >= 0xFFFFFFFF or len(data) >= 0xFFFFFFFF
        extra = struct.pack("<HHQQ", 1, 16, size, len(data)) if big else b""
        sizes = (0xFFFFFFFF, 0xFFFFFFFF) if big else (len(data), size)
        version = 45 if big else 20
        # Align stored entries' data to 4 bytes, as zipalign does.
        pad = b""
        if method == 0:
            pad = b"\x00" * (-(len(out) + 30 + len(raw) + len(extra)) % 4)
        offset = len(out)
        out += struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", version, 0, method, 0, 0x5C21, crc,
                           sizes[0], sizes[1], len(raw), len(extra) + len(pad)) + raw + extra + pad + data
        central += struct.pack("<4sHHHHHHIIIHHHHHII", b"PK\x01\x02", version, version, 0, method, 0, 0x5C21,
                               crc, sizes[0], sizes[1], len(raw), len(extra), 0, 0, 0, 0, offset) + raw + extra
    out += signing_block
    cd_offset = len(out)
    out += central
    out += struct.pack("<4sHHHHIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central), cd_offset, 0)
    return bytes(out)


def _signing_block(schemes: tuple[int, ...] = (_V2, _V3)) -> bytes:
    """An APK Signing Block carrying the scheme ids (placeholder values: the monitor reads
    which schemes are present, as the ids say; it does not verify signatures)."""
    pairs = b"".join(struct.pack("<QI", 4 + 16, ident) + b"\x00" * 16 for ident in schemes)
    size = len(pairs) + 8 + 16
    return struct.pack("<Q", size) + pairs + struct.pack("<Q", size) + b"APK Sig Block 42"


def _sound_entries(package: str) -> list[tuple[str, int, bytes, int, int]]:
    manifest = encode_manifest(package, 900, "9.0.0", 24, 34, "政务客户端")
    dex, arsc = stub_dex(), empty_resource_table()
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    return [("AndroidManifest.xml", 8, deflate.compress(manifest) + deflate.flush(), zlib.crc32(manifest), len(manifest)),
            ("classes.dex", 0, dex, zlib.crc32(dex), len(dex)),
            ("resources.arsc", 0, arsc, zlib.crc32(arsc), len(arsc))]


@lru_cache(maxsize=4)
def manifest_bomb(inflated_mib: int = 3000, package: str = "cn.gov.sandbox.bomb") -> bytes:
    """An APK (≈ inflated_mib KB on the wire) whose manifest inflates to ``inflated_mib`` MiB."""
    real = encode_manifest(package, 901, "9.0.1", 24, 34, "政务客户端")
    stream, crc, size = _zeros_stream(real, inflated_mib)
    rest = _sound_entries(package)[1:]
    return _zip([("AndroidManifest.xml", 8, stream, crc, size), *rest], _signing_block())


@lru_cache(maxsize=4)
def entry_bomb(inflated_mib: int = 5000, package: str = "cn.gov.sandbox.bigasset") -> bytes:
    """A well-formed APK (≈ inflated_mib KB on the wire) with an asset of ``inflated_mib`` MiB."""
    stream, crc, size = _zeros_stream(b"", inflated_mib)
    return _zip([*_sound_entries(package), ("assets/data.bin", 8, stream, crc, size)], _signing_block())


# ── hostile registry spreadsheets ──────────────────────────────────────────────────────
REGISTRY_HEAD = ["名称", "平台", "账号ID", "主办单位"]
REGISTRY_ROW = ["南通发布", "微博", "1234567890", "南通市人民政府办公室"]


def far_cell_xlsx(path, ref: str = "XFD1048576"):
    """A ~5 KB registry workbook with one more cell at ``ref`` (the last cell Excel has):
    its dimension claims 17 billion cells."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(REGISTRY_HEAD)
    ws.append(REGISTRY_ROW)
    ws[ref] = "x"
    wb.save(path)
    return path


def huge_cell_xlsx(path, mib: int = 50):
    """A registry workbook (~50 KB) whose cell E2 holds ``mib`` MiB of text. openpyxl cuts
    what it writes at Excel's 32,767 characters, so the sheet is rewritten here."""
    import zipfile

    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append([*REGISTRY_HEAD, "账号简介"])
    ws.append([*REGISTRY_ROW, "HUGE-CELL"])
    wb.save(path)
    with zipfile.ZipFile(path) as z:
        parts = {i.filename: z.read(i) for i in z.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    parts[sheet] = parts[sheet].replace(b"HUGE-CELL", "政".encode() * (mib * MIB // 3))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return path


def huge_cell_csv(path, kib: int = 200):
    """A registry CSV whose row 2 ends in a ``kib`` KiB cell."""
    import csv

    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow([*REGISTRY_HEAD, "账号简介"])
        w.writerow([*REGISTRY_ROW, "a" * (kib * 1024)])
    return path
