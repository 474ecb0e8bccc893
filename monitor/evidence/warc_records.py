"""Find and copy the WARC records a finding rests on.

A capture reference is ``"relative/file.warc.gz#offset"`` (relative to the WARC folder),
written by ``spiders.middlewares.warc``: it points at a response record, followed by its
request record. Records are copied byte for byte (each is its own gzip member), so their
WARC digests and the bytes in the package are exactly those written at crawl time.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator


class CaptureRefError(ValueError):
    """A capture reference that does not lead to a WARC record; the message names it."""


@dataclass
class WarcRecord:
    ref: str
    rec_type: str
    target_uri: str
    record_id: str
    date: str
    http_status: int | None
    payload: bytes  # as on the wire (content-encoding kept)
    raw: bytes  # the record's gzip member(s), verbatim


def locate(warc_dir: str | Path, ref: str) -> tuple[Path, int]:
    rel, sep, offset = (ref or "").rpartition("#")
    if not sep or not rel or not offset.isdigit():
        raise CaptureRefError(f"capture_ref {ref!r} is not 'file.warc.gz#offset'")
    root = Path(warc_dir).resolve()
    path = (root / rel).resolve()
    if root not in path.parents:
        raise CaptureRefError(f"capture_ref {ref!r} points outside the WARC folder {root}")
    if not path.is_file():
        raise CaptureRefError(f"capture_ref {ref!r}: WARC file {path} does not exist")
    return path, int(offset)


def _read(fh, ref: str, with_request: bool) -> list[WarcRecord]:
    out: list[WarcRecord] = []
    it = ArchiveIterator(fh)
    first_id = None
    for rec in it:
        payload = rec.raw_stream.read()
        start, length = it.get_record_offset(), it.get_record_length()
        rid = rec.rec_headers.get_header("WARC-Record-ID")
        if out:
            # Only the request record written with this response belongs to it.
            if rec.rec_type != "request" or rec.rec_headers.get_header("WARC-Concurrent-To") != first_id:
                break
        status = rec.http_headers.get_statuscode() if rec.http_headers and rec.rec_type == "response" else None
        pos = fh.tell()
        fh.seek(start)
        raw = fh.read(length)
        fh.seek(pos)
        out.append(WarcRecord(ref, rec.rec_type, rec.rec_headers.get_header("WARC-Target-URI") or "",
                              rid, rec.rec_headers.get_header("WARC-Date") or "",
                              int(status) if status and str(status).isdigit() else None, payload, raw))
        first_id = first_id or rid
        if not with_request or len(out) == 2:
            break
    return out


def read_records(warc_dir: str | Path, ref: str, with_request: bool = True) -> list[WarcRecord]:
    """The record at ``ref`` and (optionally) its request record."""
    path, offset = locate(warc_dir, ref)
    with path.open("rb") as fh:
        fh.seek(offset)
        try:
            recs = _read(fh, ref, with_request)
        except Exception as exc:  # warcio raises several types for a bad offset
            raise CaptureRefError(f"capture_ref {ref!r}: no WARC record at offset {offset} of {path}: {exc}") from None
    if not recs:
        raise CaptureRefError(f"capture_ref {ref!r}: no WARC record at offset {offset} of {path}")
    return recs


def read_ref(warc_dir: str | Path, ref: str) -> WarcRecord:
    return read_records(warc_dir, ref, with_request=False)[0]


def copy_records(warc_dir: str | Path, refs: list[str], out_path: Path) -> list[dict]:
    """Append the records each ref cites (response + request) to ``out_path``; return one
    entry per ref for the manifest. Unreadable refs are reported, never fatal: the rest of
    the evidence still stands."""
    entries: list[dict] = []
    with out_path.open("ab") as out:
        for ref in dict.fromkeys(r for r in refs if r):
            try:
                recs = read_records(warc_dir, ref)
            except CaptureRefError as exc:
                entries.append({"capture_ref": ref, "error": str(exc)})
                continue
            offset = out.tell()
            for r in recs:
                out.write(r.raw)
            head = recs[0]
            entries.append({"capture_ref": ref, "offset": offset, "target_uri": head.target_uri,
                            "warc_date": head.date, "record_id": head.record_id,
                            "http_status": head.http_status, "records": len(recs)})
    return entries
