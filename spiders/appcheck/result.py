"""What one channel check found, and the reason codes, each its own string.

A check is ``fail`` only on a positive observation that the channel is broken: the file is
not there (404/410), the server answers a page where the APK should be, a complete file
that is not a valid APK, a store that says "not listed" (``not_listed``) in its known
format. Everything that only shows we could not look — rate limits, captchas, other 4xx,
5xx, timeouts, refused connections, bodies shorter than announced, layouts we do not know —
is ``unknown`` with its reason: never evidence, re-checked the next night.
"""
from __future__ import annotations

from spiders.items import ChannelCheck

OK, FAIL, NOT_LISTED, UNKNOWN = "ok", "fail", "not_listed", "unknown"

# ``fail`` reasons: positive observations of a broken channel.
NOT_FOUND = "not_found"  # HTTP 404 / 410
LOGIN_REDIRECT, EXPIRED_LINK = "login_redirect", "expired_link"
HTML_NOT_APK, EMPTY_FILE, TRUNCATED, NOT_APK = "html_not_apk", "empty_file", "truncated", "not_apk"
UNSIGNED, NOT_INSTALLABLE, PACKAGE_MISMATCH, CORRUPT = "unsigned", "not_installable", "package_mismatch", "corrupt"
STORE_OFFLINE = "store_offline"  # listed but not downloadable
# ``not_listed`` reasons.
NOT_IN_STORE, NOT_IN_CN_STORE = "not_in_store", "not_in_cn_store"

# ``unknown`` reasons: we could not look.
RATE_LIMITED = "rate_limited"  # 418 / 429 / 432: slow down
CAPTCHA = "captcha"  # a verification / WAF page instead of the answer
HTTP_4XX = "http_4xx"  # another 4xx (401, 403 without an expiry, 405 …): refused us, says nothing of the file
HTTP_5XX = "http_5xx"
SHORT_BODY = "short_body"  # fewer bytes than the server announced: the transfer was cut
RANGE_INCONSISTENT = "range_inconsistent"  # a later range did not fit the first answer
TOO_LARGE = "too_large"  # no Range support and larger than max_download_bytes
NO_SIZE = "no_size"  # neither Content-Range nor Content-Length
OVER_LIMIT = "over_limit"  # the file passed a bound of the check (a bomb, or far beyond any real app)
TIMEOUT, CONNECTION_REFUSED, DNS, NETWORK = "timeout", "connection_refused", "dns", "network"
STORE_HTTP_ERROR, STORE_NOT_JSON, STORE_UNEXPECTED, STORE_ERROR = (
    "store_http_error", "store_not_json", "store_unexpected", "store_error")
BROWSER_ERROR, NO_ADAPTER, CHECK_ERROR = "browser_error", "no_adapter", "check_error"
# The download page only links to store listings (HarmonyOS NEXT, iOS only): those listings
# are the app's channels; this one is not judged (like a store without an adapter).
STORE_LINKS_ONLY = "store_links_only"
NOT_JUDGED = frozenset({NO_ADAPTER, STORE_LINKS_ONLY})

# The ``unknown`` reasons that say the download host itself may be down (not that we were
# turned away): they count toward a veto only on a night our own network was healthy and
# only across confirmations ``app_confirm_interval`` apart (monitor/detectors/app_channels.py).
HOST_DOWN = frozenset({HTTP_5XX, TIMEOUT, CONNECTION_REFUSED, DNS})


class CheckResult(ChannelCheck):
    """A channel check under way; the spider turns it into an AppCheckItem as it is."""

    def mark(self, outcome: str, reason: str, detail: str | None = None) -> "CheckResult":
        self.outcome, self.reason, self.detail = outcome, reason, detail
        return self

    def fail(self, reason: str, detail: str | None = None) -> "CheckResult":
        return self.mark(FAIL, reason, detail)

    def unknown(self, reason: str, detail: str | None = None) -> "CheckResult":
        return self.mark(UNKNOWN, reason, detail)

    def not_listed(self, reason: str, detail: str | None = None) -> "CheckResult":
        return self.mark(NOT_LISTED, reason, detail)
