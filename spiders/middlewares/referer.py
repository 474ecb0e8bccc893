"""Scrapy's Referer middleware, skipping its policy when the request already names one.

Every request of the listing spiders sets its own Referer (the profile page it would be
loaded from, as the site's own pages do), and Scrapy's middleware only ever *sets a default*
(``setdefault``): working out the policy's answer for them was wasted work on every request
(~2 % of the Weibo crawl child's CPU, issue 24). Requests without one, and every redirect
hop (RedirectMiddleware asks this middleware, found as a RefererMiddleware, for the hop's
Referer), get Scrapy's policy unchanged.
"""
from __future__ import annotations

from scrapy.spidermiddlewares.referer import RefererMiddleware


class ExplicitRefererMiddleware(RefererMiddleware):
    def get_processed_request(self, request, response):
        if b"Referer" in request.headers:
            return request
        return super().get_processed_request(request, response)
