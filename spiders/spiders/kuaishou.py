"""快手 accounts: the RSSHub route ``/kuaishou/profile/:principalId`` (items without publish
times: they show activity, never silence) or the profile page ``kuaishou.com/profile/{id}``
and the ``visionProfilePhotoList`` GraphQL answer it loads (spiders.shortvideo)."""
from spiders.shortvideo.sites import PAGES, POST_PAGES, ROUTES
from spiders.shortvideo.spider import VideoSpider


class KuaishouSpider(VideoSpider):
    name = "kuaishou"
    platform = "kuaishou"
    route, page, post_page = ROUTES["kuaishou"], PAGES["kuaishou"], POST_PAGES["kuaishou"]
