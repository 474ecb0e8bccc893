"""The sandbox's fault injection: handler faults (status, captcha, stall) and body faults
(a 200 cut short, the same data in a changed layout) on the platform endpoints only."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import httpx
import pytest

from monitor.sandbox import Faults
from monitor.sandbox.registry import demo_registry_text

FEED = "/wewe-rss/main/feeds/MP_WXS_3090000001.atom"  # 南通教育's wewe-rss feed in the demo
ATOM = "{http://www.w3.org/2005/Atom}"


def test_text_form_sets_kinds_rate_and_stall():
    f = Faults.parse("0.3:418,truncated,layout:2.5")
    assert (f.rate, f.kinds, f.timeout_seconds) == (0.3, ("418", "truncated", "layout"), 2.5)
    assert Faults.parse("1:timeout").timeout_seconds == 40.0
    for bad in ("1:teapot", "2:500", "1:timeout:soon"):
        with pytest.raises(ValueError, match="faults"):
            Faults.parse(bad)


def test_truncated_is_a_transfer_cut_halfway(sandbox_factory):
    clean = sandbox_factory()
    cut = sandbox_factory(faults="1:truncated")
    full = len(httpx.get(clean.url + FEED).content.replace(clean.url.encode(), cut.url.encode()))
    got = bytearray()
    with httpx.stream("GET", cut.url + FEED) as r:
        assert r.status_code == 200 and int(r.headers["content-length"]) == full  # announced in full
        with pytest.raises(httpx.RemoteProtocolError):
            for chunk in r.iter_raw():
                got += chunk
    assert len(got) == full // 2  # then the connection drops


def test_layout_renames_structure_but_keeps_the_document(sandbox_factory):
    clean = sandbox_factory()
    moved = sandbox_factory(faults="1:layout")
    entries = ET.fromstring(httpx.get(clean.url + FEED).content).findall(f"{ATOM}entry")
    feed = ET.fromstring(httpx.get(moved.url + FEED).content)  # still well-formed XML
    assert entries and feed.tag == f"{ATOM}feed" and feed.findall(f"{ATOM}entry") == []
    assert len(feed.findall(f"{ATOM}entry_v2")) == len(entries)

    track = json.loads(httpx.get(clean.url + "/stores/apple/lookup", params={"id": _apple_id(clean), "country": "cn"}).text)
    renamed = json.loads(httpx.get(moved.url + "/stores/apple/lookup", params={"id": _apple_id(moved), "country": "cn"}).text)
    # A success by its top-level status, yet none of the keys a reader knows.
    assert track["resultCount"] == renamed["resultCount"] == 1
    assert "results" not in renamed and set(renamed["results_v2"][0]) == {f"{k}_v2" for k in track["results"][0]}


def test_handler_faults_and_the_sandbox_own_pages(sandbox_factory):
    srv = sandbox_factory(faults="1:500,418")
    assert httpx.get(srv.url + FEED).status_code == 500  # feeds answer 500 (they never say 418)
    assert httpx.get(srv.url + "/_sandbox").status_code == 200  # not a platform endpoint
    assert sum(srv.world.faults.served.values()) == 1 and srv.world.faults.served[("wechat", "500")] == 1
    stalled = sandbox_factory(faults="1:timeout:0.05")
    assert httpx.get(stalled.url + FEED, timeout=30).status_code == 504  # the feed proxy gives up


def _apple_id(srv) -> str:
    row = next(line for line in demo_registry_text(srv.url).splitlines() if "apple:" in line)
    return row.split("apple:")[1].split(";")[0].split(",")[0].strip()
