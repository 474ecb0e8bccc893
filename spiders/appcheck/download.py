"""Check an official download URL without downloading the whole APK.

1. ``Range: bytes=0-4095`` → status, type, total size (``Content-Range``), magic bytes;
   HTTP errors, login redirects, expired signed links, HTML and empty files end here.
2. A suffix range for the end of central directory record (and usually the whole central
   directory), then the central directory if it was not in the tail.
3. The ``AndroidManifest.xml`` entry (local header + compressed data), parsed as binary XML.
4. The 24 bytes before the central directory and, when they say so, the APK Signing Block
   (v2/v3 ids); v1 from ``META-INF/*.RSA|DSA|EC`` in the central directory.
A server that ignores ``Range`` is read as a stream: failures stop it after the first
chunk; an APK is read to the end (bounded by ``max_bytes``) and then checked in memory.
``full=True`` also downloads the whole file for a CRC test of every entry and its sha256.

Everything read is bounded (a hostile file costs its own channel an ``unknown`` with reason
``over_limit``, never the night's memory): the central directory, the manifest before and
after inflating, the sum of inflated entry sizes for the CRC test. Inflating, parsing, CRC
and sha256 run in a worker thread, off the crawl's event loop (zlib and hashlib release the
GIL while they work).
"""
from __future__ import annotations

import asyncio
import hashlib
import re
import zipfile
import zlib

from spiders.appcheck import classify
from spiders.appcheck import result as r
from spiders.appcheck.installability import installability_problems
from spiders.appcheck.manifest import ManifestError, parse_manifest
from spiders.appcheck.result import CheckResult
from spiders.appcheck.transport import Fetched, Transport, TransportError
from spiders.appcheck.zipmeta import (EOCD_MAX_SEARCH, LOCAL_SIG, MIB, CdEntry, OverLimit, ZipStructureError,
                                      crc_test, find_eocd, inflate_entry, local_data_offset, mib,
                                      parse_central_directory, signing_block_schemes, signing_block_size,
                                      v1_signed)

HEAD_BYTES = 4096
DEFAULT_MAX_BYTES = 512 * MIB
# Real apps: manifests well under 1 MB, central directories of a few MB, a few hundred MB
# inflated in all. The bounds leave a wide margin and still stop every bomb early.
MAX_MANIFEST_BYTES = 8 * MIB
MAX_CENTRAL_DIRECTORY_BYTES = 32 * MIB
DEFAULT_MAX_INFLATED_BYTES = 1024 * MIB
_CONTENT_RANGE = re.compile(r"bytes\s+(?:(\d+)-(\d+)|\*)/(\d+|\*)")


class _Stop(Exception):
    """Ends a check early with its (already filled) result."""


class _Source:
    """Bytes of the remote file by absolute offset: ranged requests when the server honours
    them, else the whole body held in memory."""

    def __init__(self, transport: Transport, url: str, total: int, result: CheckResult,
                 whole: bytes | None = None):
        self.transport, self.url, self.total, self.result = transport, url, total, result
        self.whole = whole
        self.segments: list[tuple[int, bytes]] = []

    def add(self, start: int, data: bytes) -> None:
        self.segments.append((start, data))

    async def read(self, start: int, end: int) -> bytes:
        """Bytes [start, end) of the file (end clipped to the file size)."""
        end = min(end, self.total)
        if start < 0 or start >= end:
            return b""
        if self.whole is not None:
            return self.whole[start:end]
        prefix = b""
        for seg_start, data in self.segments:
            if seg_start <= start and end <= seg_start + len(data):
                return data[start - seg_start:end - seg_start]
            if seg_start <= start < seg_start + len(data) and len(data[start - seg_start:]) > len(prefix):
                prefix = data[start - seg_start:]  # fetch only what we do not hold yet
        if prefix:
            return prefix + await self.read(start + len(prefix), end)
        f = await _fetch(self.transport, self.url, self.result, range=f"bytes={start}-{end - 1}")
        if f.status != 206:
            # The server honoured the first range: an error or a 200 now is trouble on its
            # side (or a file replaced mid-check), not a broken APK.
            self.result.mark(*(classify.http_failure(f) or (
                r.UNKNOWN, r.RANGE_INCONSISTENT, f"range {start}-{end - 1} answered HTTP {f.status}")))
            raise _Stop
        got = _content_range(f.header("content-range"))
        if got is not None and got[0] == start and got[2] == self.total and len(f.body) < end - start:
            self.result.unknown(r.SHORT_BODY, f"range {start}-{end - 1} answered {f.header('content-range')!r} "
                                              f"but sent only {len(f.body)} bytes (transfer cut)")
            raise _Stop
        if got is None or got[0] != start or got[2] != self.total or len(f.body) != end - start:
            self.result.unknown(r.RANGE_INCONSISTENT, f"range {start}-{end - 1} answered {f.header('content-range')!r} "
                                                      f"with {len(f.body)} bytes (file changed during the check?)")
            raise _Stop
        self.add(start, f.body)
        return f.body


def _content_range(value: str) -> tuple[int | None, int | None, int | None] | None:
    m = _CONTENT_RANGE.search(value or "")
    if not m:
        return None
    start = int(m.group(1)) if m.group(1) else None
    end = int(m.group(2)) if m.group(2) else None
    total = int(m.group(3)) if m.group(3) != "*" else None
    return start, end, total


async def _fetch(transport: Transport, url: str, result: CheckResult, **kw) -> Fetched:
    f = await transport.get(url, **kw)
    result.bytes_transferred = (result.bytes_transferred or 0) + len(f.body)
    result.details.setdefault("requests", []).append(
        {"range": kw.get("range"), "status": f.status, "bytes": len(f.body), "content_range": f.header("content-range") or None})
    if f.capture_ref and not result.capture_ref:
        result.capture_ref = f.capture_ref
    return f


async def check_download(transport: Transport, url: str, expected_package: str | None = None, *,
                         full: bool = False, max_bytes: int = DEFAULT_MAX_BYTES) -> CheckResult:
    """Check one download URL; never raises for what the server answered. A transport
    failure (timeout, DNS, refused) gives outcome ``unknown``."""
    result = CheckResult(url=url, outcome=r.OK, bytes_transferred=0)
    try:
        await _check(transport, url, expected_package, full, max_bytes, result)
    except _Stop:
        pass
    except TransportError as exc:
        result.unknown(exc.kind, exc.detail)
    return result


async def _check(transport, url, expected, full, max_bytes, result: CheckResult) -> None:
    first = await _fetch(transport, url, result, range=f"bytes=0-{HEAD_BYTES - 1}", limit=HEAD_BYTES)
    result.final_url, result.redirects = first.url, first.redirects
    result.details["first"] = {"status": first.status, "content_type": first.header("content-type"),
                               "content_length": first.header("content-length") or None,
                               "accept_ranges": first.header("accept-ranges") or None,
                               "content_disposition": first.header("content-disposition") or None,
                               "first_bytes": classify.first_bytes_text(first.body)}
    login = classify.login_redirect(first)
    if login:
        result.fail(r.LOGIN_REDIRECT, f"redirected to a login page: {login}")
        raise _Stop
    cr = _content_range(first.header("content-range"))
    if first.status == 416:
        if cr and cr[2] == 0:
            result.size = 0
            result.fail(r.EMPTY_FILE, "the file is 0 bytes (HTTP 416 for bytes=0-…, Content-Range */0)")
        else:
            result.unknown(r.HTTP_4XX, f"HTTP 416 at {first.url}")
        raise _Stop
    failure = classify.http_failure(first)
    if failure:
        result.mark(*failure)
        raise _Stop
    ranged = first.status == 206 and cr is not None and cr[2] is not None
    total = cr[2] if ranged else _int(first.header("content-length"))
    result.size = total
    body = first.body
    if not body:
        if total == 0:
            result.fail(r.EMPTY_FILE, f"HTTP {first.status} with Content-Length 0")
        else:
            result.unknown(r.SHORT_BODY, f"HTTP {first.status} with an empty body "
                                         f"(announced {first.header('content-length') or 'no length'})")
        raise _Stop
    announced = min(HEAD_BYTES, total) if total is not None else None
    if ranged and cr[0] == 0 and cr[1] is not None:
        announced = min(cr[1] + 1, HEAD_BYTES, total)
    if announced is not None and len(body) < announced and not first.stopped_early:
        result.unknown(r.SHORT_BODY, f"HTTP {first.status} announced {announced} bytes for the first range "
                                     f"and sent {len(body)} (transfer cut)")
        raise _Stop
    if not body.startswith(LOCAL_SIG):
        expired = classify.expired_link(first)
        if expired:
            result.fail(r.EXPIRED_LINK, expired)
        elif classify.looks_like_html(body, first.header("content-type")):
            if classify.looks_like_captcha(body):
                result.unknown(r.CAPTCHA, f"a verification page instead of the file: "
                                          f"{classify.first_bytes_text(body, 120)!r}")
            else:
                result.fail(r.HTML_NOT_APK, f"an HTML page ({first.header('content-type') or 'no Content-Type'}), "
                                            f"not an APK: {classify.first_bytes_text(body, 120)!r}")
        else:
            result.fail(r.NOT_APK, f"not a ZIP file (first bytes {body[:8]!r})")
        raise _Stop
    result.details["range_support"] = ranged
    if ranged:
        source = _Source(transport, first.url, total, result)
        source.add(0, body)
    else:
        whole = body if not first.stopped_early else None
        if whole is None or (total is not None and len(whole) < total):
            # No Range support: stream it (bounded); failures above already stopped early.
            f = await _fetch(transport, first.url, result, limit=max_bytes)
            whole = f.body
            if f.stopped_early:
                result.unknown(r.TOO_LARGE, f"no Range support and larger than the {max_bytes} bytes "
                                            f"this check reads (max_download_bytes)")
                raise _Stop
            failure = classify.http_failure(f)
            if failure or f.status != 200:
                result.mark(*(failure or (r.UNKNOWN, r.RANGE_INCONSISTENT,
                                          f"the second request answered HTTP {f.status}")))
                raise _Stop
        if total is not None and len(whole) < total:
            result.unknown(r.SHORT_BODY, f"received {len(whole)} of the {total} bytes announced (transfer cut)")
            raise _Stop
        total = result.size = len(whole)
        source = _Source(transport, first.url, total, result, whole=whole)
        full = True  # we hold the whole file anyway: CRC and sha256 cost nothing more
    await _inspect_structure(source, expected, result)
    if full and result.outcome == r.OK:
        await _full_check(transport, source, max_bytes, result)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


async def _inspect_structure(source: _Source, expected: str | None, result: CheckResult) -> None:
    total = source.total
    if total is None:
        result.unknown(r.NO_SIZE, "the server gives no file size (no Content-Range/Content-Length)")
        raise _Stop
    tail_start = max(0, total - EOCD_MAX_SEARCH)
    tail = await source.read(tail_start, total)
    eocd = find_eocd(tail, tail_start)
    if eocd is None:
        result.fail(r.TRUNCATED, f"no ZIP end record in the last {len(tail)} bytes of {total}: the file is cut short")
        raise _Stop
    if eocd.cd_size > MAX_CENTRAL_DIRECTORY_BYTES:
        result.unknown(r.OVER_LIMIT, f"central directory exceeds {mib(MAX_CENTRAL_DIRECTORY_BYTES)} "
                                     f"({mib(eocd.cd_size)}, {eocd.entries} entries)")
        raise _Stop
    if eocd.cd_offset + eocd.cd_size > eocd.offset:
        result.fail(r.TRUNCATED, f"central directory ({eocd.cd_offset}+{eocd.cd_size}) runs past its end record at {eocd.offset}")
        raise _Stop
    source.add(tail_start, tail)
    try:
        cd = await source.read(eocd.cd_offset, eocd.cd_offset + eocd.cd_size)
        entries = await asyncio.to_thread(parse_central_directory, cd)
    except ZipStructureError as exc:
        result.fail(r.TRUNCATED, str(exc))
        raise _Stop
    by_name = {e.name: e for e in entries}
    result.details["entries"] = len(entries)
    manifest = by_name.get("AndroidManifest.xml")
    if manifest is None:
        apks = [e.name for e in entries if e.name.endswith(".apk")]
        hint = f" (a bundle of {len(apks)} APKs: xapk/apks)" if apks else ""
        result.fail(r.NOT_APK, f"ZIP without AndroidManifest.xml{hint}")
        raise _Stop
    try:
        data = await _entry_data(source, manifest, MAX_MANIFEST_BYTES)
        facts = await asyncio.to_thread(_read_manifest, manifest, data)
    except OverLimit as exc:
        result.unknown(r.OVER_LIMIT, str(exc))
        raise _Stop
    except (ManifestError, ZipStructureError, zlib.error) as exc:
        result.fail(r.NOT_APK, str(exc))
        raise _Stop
    result.package, result.version_code, result.version_name = facts.package, facts.version_code, facts.version_name
    result.min_sdk, result.target_sdk = facts.min_sdk, facts.target_sdk
    schemes = (["v1"] if v1_signed(entries) else []) + await _block_schemes(source, eocd.cd_offset)
    result.signature_schemes = schemes
    arsc = by_name.get("resources.arsc")
    arsc_state = await _arsc_state(source, arsc) if arsc is not None and (facts.target_sdk or 0) >= 30 else None
    problems: list[tuple[str, str]] = []
    if not schemes:
        problems.append((r.UNSIGNED, "no v1 (META-INF/*.RSA|DSA|EC) and no APK Signing Block"))
    if expected and facts.package != expected:
        problems.append((r.PACKAGE_MISMATCH, f"package {facts.package!r}, registered {expected!r}"))
    not_inst = installability_problems(facts.target_sdk, schemes, arsc_state)
    if not_inst:
        problems.append((r.NOT_INSTALLABLE, "; ".join(not_inst)))
    if problems:
        result.details["problems"] = [{"reason": a, "detail": b} for a, b in problems]
        result.fail(*problems[0])


async def _entry_data(source: _Source, e: CdEntry, limit: int) -> bytes:
    """The entry's stored bytes, fetched only when they can inflate within ``limit``
    (deflate never shrinks real data by less than a few bytes per 16 KB block)."""
    if e.compressed_size > limit + limit // 64 + 1024:
        raise OverLimit(f"{e.name} exceeds {mib(limit)} ({mib(e.compressed_size)} compressed)")
    header = await source.read(e.local_offset, e.local_offset + 30 + len(e.name.encode()) + 64)
    start = local_data_offset(header, e.local_offset)
    data = await source.read(start, start + e.compressed_size)
    if len(data) != e.compressed_size:
        raise ZipStructureError(f"{e.name} is cut short")
    return data


def _read_manifest(e: CdEntry, data: bytes):
    return parse_manifest(inflate_entry(e.name, e.method, data, MAX_MANIFEST_BYTES))


async def _block_schemes(source: _Source, cd_offset: int) -> list[str]:
    if cd_offset < 24:
        return []
    size = signing_block_size(await source.read(cd_offset - 24, cd_offset))
    if size is None or size > cd_offset:
        return []
    return signing_block_schemes(await source.read(cd_offset - size, cd_offset))


async def _arsc_state(source: _Source, e: CdEntry) -> dict:
    header = await source.read(e.local_offset, e.local_offset + 30 + len(e.name.encode()) + 64)
    data_offset = local_data_offset(header, e.local_offset)
    return {"stored": e.method == 0, "aligned": data_offset % 4 == 0, "offset": data_offset}


async def _full_check(transport: Transport, source: _Source, max_bytes: int, result: CheckResult,
                      max_inflated: int = DEFAULT_MAX_INFLATED_BYTES) -> None:
    data = source.whole
    if data is None:
        f = await _fetch(transport, source.url, result, limit=max_bytes)
        data = f.body
        if f.status not in (200, 206) or len(data) != source.total:
            # The range check stood; a full download cut short is our transfer's problem.
            result.details["full_download_error"] = f"got {len(data)} of {source.total} bytes (HTTP {f.status})"
            return
    result.sha256 = await asyncio.to_thread(lambda: hashlib.sha256(data).hexdigest())
    try:
        bad = await asyncio.to_thread(crc_test, data, max_inflated)
    except OverLimit as exc:
        # The range check stands: the file is an APK; only its CRC test was not made.
        result.details["crc_checked"] = False
        result.details["crc_skipped"] = {"reason": r.OVER_LIMIT, "detail": str(exc)}
        return
    except (zipfile.BadZipFile, zlib.error, EOFError, ValueError) as exc:
        result.fail(r.CORRUPT, f"full download is not a readable ZIP: {exc}")
        return
    result.details["crc_checked"] = True
    if bad is not None:
        result.fail(r.CORRUPT, f"CRC error in entry {bad}")


async def verify_full(transport: Transport, result: CheckResult, max_bytes: int = DEFAULT_MAX_BYTES,
                      max_inflated: int = DEFAULT_MAX_INFLATED_BYTES) -> CheckResult:
    """Download the whole file a successful range check looked at: sha256 and a CRC test of
    every entry (run when the version changed, see the spider's APP_FULL_DOWNLOAD)."""
    if result.outcome != r.OK or result.sha256 or not result.final_url:
        return result
    source = _Source(transport, result.final_url, result.size, result)
    try:
        await _full_check(transport, source, max_bytes, result, max_inflated)
    except TransportError as exc:
        result.details["full_download_error"] = f"{exc.kind}: {exc.detail}"  # the range check stands
    return result
