"""Pure parsers for m.weibo.cn payloads (no Scrapy, no I/O), tested on real captures.

- ``dates``: ``created_at`` in the real format and the relative forms;
- ``profile``: ``data.userInfo`` / ``data.tabsInfo`` of the profile answer;
- ``cards``: timeline cards → posts (pinned, repost, long text, ad signals);
- ``payload``: classify an HTTP answer into ok / placeholder / blocked / error.
"""
