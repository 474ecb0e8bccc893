"""Scrapy settings. ``monitor`` fills the MONITOR_* / platform keys from monitor.toml when it
starts a crawl (see monitor/crawl/settings.py); the defaults here are the real sites."""
BOT_NAME = "govmedia-monitor"
SPIDER_MODULES = ["spiders.spiders"]
SPIDER_LOADER_CLASS = "spiders.spider_loader.NamedModuleSpiderLoader"  # imports only the spiders run
NEWSPIDER_MODULE = "spiders.spiders"

# Transport politeness; overridden from [crawl] in monitor.toml.
ROBOTSTXT_OBEY = False
DOWNLOAD_DELAY = 1.0
CONCURRENT_REQUESTS = 8
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
DOWNLOAD_TIMEOUT = 30
# Every feed, page and API answer is bounded, after decompression too (Scrapy stops a gzip
# bomb at this size): one hostile answer fails its own request, never the night's memory.
# Real ones are far smaller (an article page ~2 MB, a feed well under 1 MB). The apps spider
# sets its own bound per request (APP_MAX_DOWNLOAD_BYTES).
DOWNLOAD_MAXSIZE = 16 * 1024 * 1024
DOWNLOAD_WARNSIZE = 4 * 1024 * 1024
RETRY_ENABLED = True
RETRY_TIMES = 2
# 418 is Weibo's "slow down"; 432 is handled by the visitor-cookie middleware, not retried blindly.
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 418, 429]
# Scrapy starts this many tasks for every response's output; our callbacks yield one or
# two objects (the next request, or the account's one item), so 100 tasks were pure overhead.
CONCURRENT_ITEMS = 4
HTTPERROR_ALLOW_ALL = True  # spiders classify every status into a typed outcome themselves
COOKIES_ENABLED = True
TELNETCONSOLE_ENABLED = False
# Per-request machinery nothing here reads (issue 24: it cost ~0.8 ms of CPU a request).
# Scrapy's stats are never read by the product and its log only narrates them below WARNING
# (monitor/crawl/logs.py); its generator-return check re-parses the callback's source for
# every response (the cache is keyed by the request's own bound method); the depth counter
# only feeds stats (no DEPTH_LIMIT). Each spider middleware that passes a callback's output
# through wraps it in one more async generator for every response: the meta-copy detector
# (a development aid that warns once) and the URL-length filter (it would silently drop an
# article whose link is long: better fetched than a blind spot) go too. The Referer
# middleware stays, as a subclass that skips its policy for requests that name their own
# Referer: the redirect middlewares rely on it to re-set the Referer on every hop.
STATS_CLASS = "spiders.nostats.NoStats"
DOWNLOADER_STATS = False
LOGSTATS_INTERVAL = 0
MEMUSAGE_ENABLED = False  # the parent watches the child's RSS (monitor/crawl/runner.py)
WARN_ON_GENERATOR_RETURN_VALUE = False
SPIDER_MIDDLEWARES = {"scrapy.spidermiddlewares.depth.DepthMiddleware": None,
                      "scrapy.spidermiddlewares.metacopy.MetaCopyDetectionMiddleware": None,
                      "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": None,
                      "scrapy.spidermiddlewares.referer.RefererMiddleware": None,
                      "spiders.middlewares.referer.ExplicitRefererMiddleware": 700}
EXTENSIONS = {"scrapy.extensions.corestats.CoreStats": None}
LOG_LEVEL = "INFO"
# Connect only to addresses the outbound policy allows (checked again at connect time).
TWISTED_DNS_RESOLVER = "spiders.middlewares.outbound.PolicyResolver"
OUTBOUND_ALLOW_NETWORKS: list[str] = []  # [crawl] allow_networks; empty: public addresses only
REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
FEED_EXPORT_ENCODING = "utf-8"

ITEM_PIPELINES = {
    "spiders.pipelines.StoragePipeline": 500,
}
DOWNLOADER_MIDDLEWARES: dict[str, int] = {}
DOWNLOADER_MIDDLEWARES["spiders.middlewares.outbound.OutboundPolicyMiddleware"] = 50  # public addresses only, every hop
DOWNLOADER_MIDDLEWARES["spiders.middlewares.warc.WarcWriterMiddleware"] = 950  # every exchange as WARC records (evidence)
DOWNLOADER_MIDDLEWARES["spiders.middlewares.visitor_cookies.WeiboVisitorCookies"] = 560  # Weibo visitor cookies, 432/418

# Product keys (set by monitor at crawl time).
MONITOR_DATABASE_URL = "sqlite:///var/monitor.db"
MONITOR_RUN_ID = None
MONITOR_AT = None  # ISO time point T; spiders interpret relative dates against observation time
MONITOR_TIMEZONE = "Asia/Shanghai"
MONITOR_CHECK_WEEKS = 5
MONITOR_WARC_DIR = "var/warc"
WEIBO_BASE_URL = "https://m.weibo.cn"
WEIBO_COOKIES = ""
WEIBO_COOKIE_COOLDOWN = 300.0
WEIBO_PROFILE_REFRESH_DAYS = 7
WEIBO_418_BACKOFF = 2.5  # seconds before the first retry after HTTP 418, doubled per retry
WEIBO_MAX_PAGES = 30  # safety stop for one account's timeline paging
WEIBO_LONG_TEXTS_PER_NIGHT = 50  # /statuses/extend requests per account and night (newest first)
WECHAT_BASE_URL = "https://mp.weixin.qq.com"
WECHAT_TRUSTED_FEED_KINDS = ["wewe-rss", "we-mp-rss"]
APPLE_LOOKUP_URL = "https://itunes.apple.com/lookup"
STORE_URLS: dict[str, str] = {}
STORE_FALLBACK_URLS: dict[str, str] = {}
CHROMIUM_PATH = "/usr/bin/chromium"
