"""The parts of an APK's ZIP structure a check needs, read from byte ranges: the end of
central directory record, the central directory, local headers, and the APK Signing Block
that sits right before the central directory (v2/v3 signatures)."""
from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass

EOCD_SIG = b"PK\x05\x06"
CD_SIG = b"PK\x01\x02"
LOCAL_SIG = b"PK\x03\x04"
EOCD_MIN = 22
EOCD_MAX_SEARCH = EOCD_MIN + 0xFFFF  # the record plus the longest possible comment
SIG_BLOCK_MAGIC = b"APK Sig Block 42"
SIG_BLOCK_IDS = {0x7109871A: "v2", 0xF05368C0: "v3", 0x1B93AD61: "v3.1"}
V1_SIGNATURE_FILE = re.compile(r"^META-INF/[^/]+\.(RSA|DSA|EC)$", re.IGNORECASE)


MIB = 1 << 20


class ZipStructureError(ValueError):
    pass


class OverLimit(Exception):
    """A bound of the check was reached: the file is hostile or far outside what an app
    ships, and it was not judged (outcome unknown, reason ``over_limit``)."""


def mib(n: int) -> str:
    return f"{n / MIB:.0f} MB" if n >= MIB else f"{n} bytes"


@dataclass
class Eocd:
    offset: int  # absolute offset of the record in the file
    entries: int
    cd_size: int
    cd_offset: int


@dataclass
class CdEntry:
    name: str
    method: int  # 0 stored, 8 deflated
    crc: int
    compressed_size: int
    size: int
    local_offset: int


def find_eocd(tail: bytes, tail_start: int) -> Eocd | None:
    """The last end-of-central-directory record in ``tail`` (which starts at file offset
    ``tail_start``), or None when the file has none (truncated or not a ZIP)."""
    pos = tail.rfind(EOCD_SIG)
    while pos >= 0:
        if len(tail) - pos >= EOCD_MIN:
            _, _, _, _, entries, cd_size, cd_offset, comment_len = struct.unpack_from("<4sHHHHIIH", tail, pos)
            # A real record's comment runs exactly to the end of the file.
            if pos + EOCD_MIN + comment_len == len(tail):
                return Eocd(tail_start + pos, entries, cd_size, cd_offset)
        pos = tail.rfind(EOCD_SIG, 0, pos)
    return None


def parse_central_directory(data: bytes) -> list[CdEntry]:
    out, pos = [], 0
    while pos + 46 <= len(data) and data[pos:pos + 4] == CD_SIG:
        (method, crc, csize, usize, nlen, elen, clen, local) = (
            struct.unpack_from("<H", data, pos + 10)[0], *struct.unpack_from("<III", data, pos + 16),
            *struct.unpack_from("<HHH", data, pos + 28), struct.unpack_from("<I", data, pos + 42)[0])
        name = data[pos + 46:pos + 46 + nlen].decode("utf-8", "replace")
        out.append(CdEntry(name, method, crc, csize, usize, local))
        pos += 46 + nlen + elen + clen
    if pos != len(data):
        raise ZipStructureError(f"central directory unreadable at byte {pos} of {len(data)}")
    return out


def local_data_offset(header: bytes, local_offset: int) -> int:
    """Absolute offset of an entry's data, from its local header (whose extra field may
    differ from the central directory's)."""
    if header[:4] != LOCAL_SIG or len(header) < 30:
        raise ZipStructureError(f"no local file header at offset {local_offset}")
    nlen, elen = struct.unpack_from("<HH", header, 26)
    return local_offset + 30 + nlen + elen


def signing_block_size(footer: bytes) -> int | None:
    """``footer`` = the 24 bytes right before the central directory. The block's total size
    (including its leading 8-byte size field), or None when there is no signing block."""
    if len(footer) != 24 or footer[8:] != SIG_BLOCK_MAGIC:
        return None
    return struct.unpack_from("<Q", footer, 0)[0] + 8


def signing_block_schemes(block: bytes) -> list[str]:
    """Scheme names (v2, v3, v3.1) whose ids appear in the signing block's pairs."""
    schemes, pos, end = [], 8, len(block) - 24
    while pos + 12 <= end:
        length, ident = struct.unpack_from("<QI", block, pos)
        if length < 4 or pos + 8 + length > end:
            break
        if ident in SIG_BLOCK_IDS:
            schemes.append(SIG_BLOCK_IDS[ident])
        pos += 8 + length
    return schemes


def v1_signed(entries: list[CdEntry]) -> bool:
    return any(V1_SIGNATURE_FILE.match(e.name) for e in entries)


def inflate_entry(name: str, method: int, data: bytes, limit: int) -> bytes:
    """An entry's bytes, never more than ``limit`` of them: a deflate bomb stops at the bound
    (``OverLimit``) after ``limit`` bytes of work, whatever sizes the headers declare."""
    if method == 0:
        if len(data) > limit:
            raise OverLimit(f"{name} exceeds {mib(limit)} (stored, {mib(len(data))})")
        return data
    if method != 8:
        raise ZipStructureError(f"{name} uses unsupported compression method {method}")
    d = zlib.decompressobj(-15)
    out = d.decompress(data, limit + 1)
    if len(out) > limit:
        raise OverLimit(f"{name} exceeds {mib(limit)} when inflated ({mib(len(data))} compressed): "
                        "a deflate bomb or not a real manifest")
    if not d.eof:
        raise zlib.error(f"{name}: incomplete or truncated deflate stream")
    return out


def crc_test(data: bytes, max_inflated: int) -> str | None:
    """CRC-test every entry of a whole ZIP in memory: the first bad entry's name, or None.
    The entries' declared sizes bound the work (zipfile reads no entry past its declared
    size), so their sum is checked first: ``OverLimit`` instead of inflating gigabytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        infos = z.infolist()
        total = sum(i.file_size for i in infos)
        if total > max_inflated:
            biggest = max(infos, key=lambda i: i.file_size)
            raise OverLimit(f"entries inflate to {mib(total)} in all ({biggest.filename}: {mib(biggest.file_size)} "
                            f"from {mib(biggest.compress_size)}), more than this check's {mib(max_inflated)}")
        return z.testzip()
