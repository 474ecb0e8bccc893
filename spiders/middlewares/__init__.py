"""Scrapy downloader middlewares of the monitor project."""
