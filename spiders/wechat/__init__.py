"""Pure parsers for WeChat official accounts (公众号): feed reading, article page
classification and extraction, the ``mp/aboutbiz`` verification page, article URL
normalisation, and the rule that decides which publish time can be trusted.

No network and no Scrapy here: the spider (spiders/spiders/wechat.py) fetches, these read.
Shapes follow shared/research/weibo_wechat.md §2 and the real pages in
shared/fixtures/real/wechat/.
"""
