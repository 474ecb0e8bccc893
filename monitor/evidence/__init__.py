"""Evidence for findings: a write-once, verifiable package per veto (on demand for others).

``recheck_and_package(app, at, run_id=None)`` — the evidence stage: re-check each new veto
with a fresh crawl, drop those the fresh capture contradicts, package the rest.
``build_package(app, finding_id)`` → package id (SHA-256 of its manifest).
``verify_package(path)`` → VerifyResult; ``verify_all(app)`` → list of them.
"""
from monitor.evidence.package import EvidenceError, RecheckMark, build_package, public_page_url
from monitor.evidence.recheck import recheck_and_package
from monitor.evidence.screenshot import Capturer
from monitor.evidence.verify import VerifyResult, verify_all, verify_package

__all__ = ["Capturer", "EvidenceError", "RecheckMark", "VerifyResult", "build_package", "public_page_url",
           "recheck_and_package", "verify_all", "verify_package"]
