"""今日头条 accounts: the RSSHub route ``/toutiao/user/token/:token`` or the profile page
``toutiao.com/c/user/token/{token}/`` and the ``list/feed`` JSON it loads (spiders.shortvideo)."""
from spiders.shortvideo.sites import PAGES, POST_PAGES, ROUTES
from spiders.shortvideo.spider import VideoSpider


class ToutiaoSpider(VideoSpider):
    name = "toutiao"
    platform = "toutiao"
    route, page, post_page = ROUTES["toutiao"], PAGES["toutiao"], POST_PAGES["toutiao"]

    def feed_post_kind(self, link: str | None) -> str:
        # Articles (/article/) and videos (/video/) on a profile are the account's own; a
        # 微头条 (/w/) may be a 转发, and RSSHub drops the repost fields: unknown.
        return "unknown" if "/w/" in (link or "") else "original"
