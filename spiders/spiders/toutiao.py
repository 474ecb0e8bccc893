"""今日头条 accounts: the RSSHub route ``/toutiao/user/token/:token`` or the profile page
``toutiao.com/c/user/token/{token}/`` and the ``list/feed`` JSON it loads (spiders.shortvideo)."""
from spiders.shortvideo.spider import VideoSpider


class ToutiaoSpider(VideoSpider):
    name = "toutiao"
    platform = "toutiao"
    route = "/toutiao/user/token/{id}"
    page = "/c/user/token/{id}/"
    post_page = "https://www.toutiao.com/article/{id}/"
    feed_post_kind = "unknown"
