"""Running the Scrapy spiders for one monitoring time point, in a child process."""
from monitor.crawl.runner import CrawlResult, run_crawl
from monitor.crawl.settings import scrapy_settings

__all__ = ["CrawlResult", "run_crawl", "scrapy_settings"]
