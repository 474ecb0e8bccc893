"""The Scrapy project: one spider per platform, items, the storage pipeline, and transport
middlewares. Spiders only produce observations; they never judge an account."""
