"""抖音 accounts: the RSSHub route ``/douyin/user/:sec_uid`` or the profile page
``douyin.com/user/{sec_uid}`` and the ``aweme/post`` JSON it loads (spiders.shortvideo)."""
from spiders.shortvideo.sites import PAGES, POST_PAGES, ROUTES
from spiders.shortvideo.spider import VideoSpider


class DouyinSpider(VideoSpider):
    name = "douyin"
    platform = "douyin"
    route, page, post_page = ROUTES["douyin"], PAGES["douyin"], POST_PAGES["douyin"]
