"""A spider loader that imports only the spiders a crawl runs (Scrapy's SPIDER_LOADER_CLASS).

Scrapy's own loader imports every module under SPIDER_MODULES when the crawler process
starts: a crawl child running the WeChat spider alone paid for the app checks, the short-video
spiders and Playwright too (issue 24: about half a second of CPU per child, every night and
every re-check). A spider named ``x`` is looked for in ``<module>.x`` first; any other name,
and ``list``/``find_by_request``, fall back to Scrapy's loader.
"""
from __future__ import annotations

from importlib import import_module

from scrapy import Spider
from scrapy.spiderloader import SpiderLoader
from scrapy.utils.spider import iter_spider_classes


class NamedModuleSpiderLoader:
    def __init__(self, settings):
        self.settings = settings
        self._full: SpiderLoader | None = None

    @classmethod
    def from_settings(cls, settings) -> "NamedModuleSpiderLoader":
        return cls(settings)

    def load(self, spider_name: str) -> type[Spider]:
        for package in self.settings.getlist("SPIDER_MODULES"):
            path = f"{package}.{spider_name}"
            try:
                module = import_module(path)
            except ModuleNotFoundError as exc:
                if exc.name in (path, package):  # no such module: look elsewhere
                    continue
                raise  # the spider's module exists and fails: say so, do not hide it
            for cls in iter_spider_classes(module):
                if cls.name == spider_name:
                    return cls
        return self._all().load(spider_name)

    def list(self) -> list[str]:
        return self._all().list()

    def find_by_request(self, request) -> list[str]:
        return self._all().find_by_request(request)

    def _all(self) -> SpiderLoader:
        if self._full is None:
            self._full = SpiderLoader.from_settings(self.settings)
        return self._full
