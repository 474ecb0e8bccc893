"""What one channel check found, and the failure reasons, each its own string."""
from __future__ import annotations

from spiders.items import ChannelCheck

OK, FAIL, NOT_LISTED, UNKNOWN = "ok", "fail", "not_listed", "unknown"

# Failure reasons (AppCheck.reason when outcome is fail), each its own string.
HTTP_4XX, HTTP_5XX = "http_4xx", "http_5xx"
LOGIN_REDIRECT, EXPIRED_LINK = "login_redirect", "expired_link"
HTML_NOT_APK, EMPTY_FILE, TRUNCATED, NOT_APK = "html_not_apk", "empty_file", "truncated", "not_apk"
UNSIGNED, NOT_INSTALLABLE, PACKAGE_MISMATCH, CORRUPT = "unsigned", "not_installable", "package_mismatch", "corrupt"
# Outcome unknown: the file passed a bound of the check (a bomb, or far beyond any real app).
OVER_LIMIT = "over_limit"
# Store outcomes that are failures of a listed app (listed but not downloadable).
STORE_OFFLINE = "store_offline"


class CheckResult(ChannelCheck):
    """A channel check under way; the spider turns it into an AppCheckItem as it is."""

    def fail(self, reason: str, detail: str | None = None) -> "CheckResult":
        self.outcome, self.reason, self.detail = FAIL, reason, detail
        return self

    def unknown(self, reason: str, detail: str | None = None) -> "CheckResult":
        self.outcome, self.reason, self.detail = UNKNOWN, reason, detail
        return self
