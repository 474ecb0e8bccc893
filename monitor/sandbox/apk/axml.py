"""Encode a small AndroidManifest.xml as Android binary XML (AXML).

Debian has aapt but no android.jar to link against, so the sandbox APKs carry a manifest
encoded here instead: the same chunk layout aapt writes (string pool, resource-id map,
namespace and element chunks), which pyaxmlparser/androguard and Android itself read.
"""
from __future__ import annotations

import struct

ANDROID_NS = "http://schemas.android.com/apk/res/android"
# android:* attribute resource ids (frameworks/base/core/res/res/values/public.xml).
ATTR_IDS = {
    "label": 0x01010001, "name": 0x01010003, "minSdkVersion": 0x0101020C,
    "versionCode": 0x0101021B, "versionName": 0x0101021C, "targetSdkVersion": 0x01010270,
}
_STRING, _INT_DEC = 0x03, 0x10
_NONE = 0xFFFFFFFF


def _chunk(kind: int, header_size: int, header_rest: bytes, body: bytes) -> bytes:
    return struct.pack("<HHI", kind, header_size, 8 + len(header_rest) + len(body)) + header_rest + body


def _string_pool(strings: list[str]) -> bytes:
    data, offsets = b"", []
    for s in strings:
        raw = s.encode("utf-8")
        if len(s) > 0x7F or len(raw) > 0x7F:
            raise ValueError(f"manifest string too long for this encoder: {s!r}")
        offsets.append(len(data))
        data += bytes([len(s), len(raw)]) + raw + b"\x00"
    data += b"\x00" * (-len(data) % 4)
    header_size = 28
    strings_start = header_size + 4 * len(strings)
    rest = struct.pack("<IIIII", len(strings), 0, 0x100, strings_start, 0)  # UTF-8 pool
    return _chunk(0x0001, header_size, rest, b"".join(struct.pack("<I", o) for o in offsets) + data)


def encode_manifest(package: str, version_code: int, version_name: str, min_sdk: int,
                    target_sdk: int, label: str = "App") -> bytes:
    """The binary manifest of an app with the given identity and SDK levels."""
    # Attribute names that carry a resource id come first: the id map is indexed by them.
    attr_names = ["versionCode", "versionName", "minSdkVersion", "targetSdkVersion", "label"]
    strings = attr_names + ["android", ANDROID_NS, "manifest", "package", package, version_name,
                            "uses-sdk", "application", label]
    idx = {s: i for i, s in enumerate(strings)}
    res_map = _chunk(0x0180, 8, b"", b"".join(struct.pack("<I", ATTR_IDS[n]) for n in attr_names))

    def attr(name: str, value, android: bool = True) -> bytes:
        ns = idx[ANDROID_NS] if android else _NONE
        if isinstance(value, int):
            return struct.pack("<IIIHBBI", ns, idx[name], _NONE, 8, 0, _INT_DEC, value)
        return struct.pack("<IIIHBBI", ns, idx[name], idx[value], 8, 0, _STRING, idx[value])

    def start(name: str, attrs: list[bytes], line: int) -> bytes:
        rest = struct.pack("<II", line, _NONE)
        body = struct.pack("<IIHHHHHH", _NONE, idx[name], 20, 20, len(attrs), 0, 0, 0) + b"".join(attrs)
        return _chunk(0x0102, 16, rest, body)

    def end(name: str, line: int) -> bytes:
        return _chunk(0x0103, 16, struct.pack("<II", line, _NONE), struct.pack("<II", _NONE, idx[name]))

    ns_body = struct.pack("<II", idx["android"], idx[ANDROID_NS])
    nodes = [
        _chunk(0x0100, 16, struct.pack("<II", 1, _NONE), ns_body),
        start("manifest", [attr("versionCode", version_code), attr("versionName", version_name),
                           attr("package", package, android=False)], 1),
        start("uses-sdk", [attr("minSdkVersion", min_sdk), attr("targetSdkVersion", target_sdk)], 2),
        end("uses-sdk", 2),
        start("application", [attr("label", label)], 3),
        end("application", 3),
        end("manifest", 4),
        _chunk(0x0101, 16, struct.pack("<II", 4, _NONE), ns_body),
    ]
    return _chunk(0x0003, 8, b"", _string_pool(strings) + res_map + b"".join(nodes))


def empty_resource_table() -> bytes:
    """A resources.arsc with a global string pool and no packages: enough for the
    'stored and 4-byte aligned' rule to be checked against a real table header."""
    return _chunk(0x0002, 12, struct.pack("<I", 0), _string_pool([]))


def stub_dex() -> bytes:
    """A header-only classes.dex with a correct checksum and signature."""
    import hashlib
    import zlib

    body = bytearray(0x70)
    body[0:8] = b"dex\n035\x00"
    struct.pack_into("<III", body, 32, 0x70, 0x70, 0x12345678)  # file_size, header_size, endian
    body[12:32] = hashlib.sha1(bytes(body[32:])).digest()
    struct.pack_into("<I", body, 8, zlib.adler32(bytes(body[12:])))
    return bytes(body)
