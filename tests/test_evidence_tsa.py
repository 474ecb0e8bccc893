"""Trusted timestamps: a package stamped by a local RFC 3161 TSA (openssl ts on loopback)
verifies against the TSA's CA, fails against another CA, and a TSA failure is recorded."""
from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from monitor.evidence import build_package, verify_package
from monitor.evidence.tsa import TimestampError, request_timestamp, verify_timestamp
from storage.models import EvidencePackage
from tests.fixtures.core import make_app
from tests.fixtures.tsa import make_tsa_pki
from tests.test_evidence_support import dormant as _dormant, page_server  # noqa: F401

pytestmark = pytest.mark.browser


def test_stamped_package_verifies_against_the_tsa(sqlite_url, tmp_path, at, page_server, local_tsa):
    app = make_app(sqlite_url, tmp_path, evidence={"tsa_url": local_tsa.url, "tsa_ca_file": str(local_tsa.ca_file)})
    fid, _, _ = _dormant(app, at, page_server)
    pid = build_package(app, fid)
    folder = Path(app.settings.evidence_dir) / pid
    assert local_tsa.requests == 1
    assert (folder / "manifest.tsr").is_file() and (folder / "tsa-ca.pem").is_file()
    # The token is over the manifest digest, i.e. the package name, and is kept out of the hashed set.
    ok, msg = verify_timestamp(folder / "manifest.tsr", pid, local_tsa.ca_file)
    assert ok, msg
    res = verify_package(folder)  # with the CA stored in the package
    assert res.ok and res.timestamp.startswith("timestamp OK"), res.problems

    other_ca = make_tsa_pki(tmp_path / "other", cn="Other TSA")
    res = verify_package(folder, ca_file=other_ca)
    assert not res.ok and "timestamp verification FAILED" in res.describe()

    # A token over another digest does not verify for this manifest.
    wrong = request_timestamp(local_tsa.url, hashlib.sha256(b"another manifest").hexdigest())
    (folder / "manifest.tsr").chmod(0o644)
    (folder / "manifest.tsr").write_bytes(wrong)
    res = verify_package(folder)
    assert not res.ok and "imprint mismatch" in res.describe()


def test_tsa_failure_is_recorded_not_silent(sqlite_url, tmp_path, at, page_server, local_tsa):
    local_tsa.fail_with = 503
    app = make_app(sqlite_url, tmp_path, evidence={"tsa_url": local_tsa.url})
    fid, _, _ = _dormant(app, at, page_server)
    pid = build_package(app, fid)
    assert not (Path(app.settings.evidence_dir) / pid / "manifest.tsr").exists()
    with app.session() as s:
        assert "时间戳申请失败" in s.get(EvidencePackage, pid).note and "503" in s.get(EvidencePackage, pid).note
    with pytest.raises(TimestampError, match="503"):
        request_timestamp(local_tsa.url, pid)
