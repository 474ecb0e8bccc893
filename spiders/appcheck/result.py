"""What one channel check found. Field names match spiders.items.AppCheckItem so the spider
copies a result into an item without translation."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Optional

OK, FAIL, NOT_LISTED, UNKNOWN = "ok", "fail", "not_listed", "unknown"

# Failure reasons (AppCheck.reason when outcome is fail), each its own string.
HTTP_4XX, HTTP_5XX = "http_4xx", "http_5xx"
LOGIN_REDIRECT, EXPIRED_LINK = "login_redirect", "expired_link"
HTML_NOT_APK, EMPTY_FILE, TRUNCATED, NOT_APK = "html_not_apk", "empty_file", "truncated", "not_apk"
UNSIGNED, NOT_INSTALLABLE, PACKAGE_MISMATCH, CORRUPT = "unsigned", "not_installable", "package_mismatch", "corrupt"
# Store outcomes that are failures of a listed app (listed but not downloadable).
STORE_OFFLINE = "store_offline"


@dataclass
class CheckResult:
    url: Optional[str]
    outcome: str
    reason: Optional[str] = None
    detail: Optional[str] = None
    final_url: Optional[str] = None
    redirects: list[Any] = field(default_factory=list)
    package: Optional[str] = None
    version_name: Optional[str] = None
    version_code: Optional[int] = None
    min_sdk: Optional[int] = None
    target_sdk: Optional[int] = None
    signature_schemes: list[Any] = field(default_factory=list)
    size: Optional[int] = None
    sha256: Optional[str] = None
    bytes_transferred: Optional[int] = None
    store_version: Optional[str] = None
    store_release_date: Optional[datetime] = None
    ipv6: Optional[str] = None
    capture_ref: Optional[str] = None
    details: dict[str, Any] = field(default_factory=dict)

    def fail(self, reason: str, detail: str | None = None) -> "CheckResult":
        self.outcome, self.reason, self.detail = FAIL, reason, detail
        return self

    def unknown(self, reason: str, detail: str | None = None) -> "CheckResult":
        self.outcome, self.reason, self.detail = UNKNOWN, reason, detail
        return self
