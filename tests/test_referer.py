"""The Referer a request carries: its own when the spider names one, Scrapy's policy
otherwise, and on every redirect hop (spiders/middlewares/referer.py)."""
from __future__ import annotations

import scrapy
from scrapy.downloadermiddlewares.redirect import RedirectMiddleware
from scrapy.http import HtmlResponse, Response
from scrapy.utils.test import get_crawler

from spiders import settings as project
from spiders.middlewares.referer import ExplicitRefererMiddleware


def _crawler():
    return get_crawler(scrapy.Spider, {k: getattr(project, k) for k in ("SPIDER_MIDDLEWARES",)})


def test_a_request_keeps_the_referer_its_spider_named():
    mw = ExplicitRefererMiddleware.from_crawler(_crawler())
    page = HtmlResponse("https://m.weibo.cn/u/123", body=b"<html></html>")
    own = scrapy.Request("https://m.weibo.cn/api/container/getIndex?type=uid&value=123",
                         headers={"Referer": "https://m.weibo.cn/u/123?from=profile"})
    assert mw.get_processed_request(own, page).headers["Referer"] == b"https://m.weibo.cn/u/123?from=profile"
    plain = scrapy.Request("https://m.weibo.cn/detail/9")
    assert mw.get_processed_request(plain, page).headers["Referer"] == b"https://m.weibo.cn/u/123"


def test_a_redirect_hop_gets_the_referer_from_scrapys_policy():
    crawler = _crawler()
    mw = ExplicitRefererMiddleware.from_crawler(crawler)
    redirect = RedirectMiddleware.from_crawler(crawler)
    redirect._referer_spider_middleware = mw  # what engine_started finds: ours is a RefererMiddleware
    request = scrapy.Request("https://mp.weixin.qq.com/s/abc", headers={"Referer": "https://mp.weixin.qq.com/"})
    moved = Response("https://mp.weixin.qq.com/s/abc", status=302,
                     headers={"Location": "http://weixin.example.cn/s/abc"}, request=request)
    hop = redirect.process_response(request, moved)
    assert hop.url == "http://weixin.example.cn/s/abc"
    # https → http: the default policy (no-referrer-when-downgrade) sends none, as a browser would.
    assert b"Referer" not in hop.headers
    same = Response("https://mp.weixin.qq.com/s/abc", status=302,
                    headers={"Location": "https://mp.weixin.qq.com/s/def"}, request=request)
    assert redirect.process_response(request, same).headers["Referer"] == b"https://mp.weixin.qq.com/s/abc"


def test_the_project_runs_ours_in_place_of_scrapys():
    from scrapy.spidermiddlewares.referer import RefererMiddleware

    enabled = {k: v for k, v in project.SPIDER_MIDDLEWARES.items() if v is not None}
    assert enabled == {"spiders.middlewares.referer.ExplicitRefererMiddleware": 700}
    assert project.SPIDER_MIDDLEWARES["scrapy.spidermiddlewares.referer.RefererMiddleware"] is None
    assert issubclass(ExplicitRefererMiddleware, RefererMiddleware)
