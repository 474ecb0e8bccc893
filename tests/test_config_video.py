"""Choosing how 头条/抖音/快手 are observed: [platforms.<name>] way, rsshub_url, canary."""
from __future__ import annotations

import pytest

from monitor.config import ConfigError, load_settings
from monitor.crawl.settings import scrapy_settings
from tests.fixtures.core import T


def test_the_way_in_is_read_from_file_and_environment_and_reaches_the_spiders(tmp_path, monkeypatch):
    conf = tmp_path / "monitor.toml"
    conf.write_text('[platforms.douyin]\nway = "browser"\n[platforms.toutiao]\nrsshub_url = "http://10.0.0.5:1200/"\n'
                    'canary = "http://10.0.0.5:1200/toutiao/user/token/MS4wLjABAAAAx"\nmax_age = "12h"\n',
                    encoding="utf-8")
    monkeypatch.setenv("MONITOR_PLATFORMS__KUAISHOU__WAY", "none")
    s = load_settings(conf)
    video = scrapy_settings(s, T)["VIDEO_PLATFORMS"]
    assert (video["douyin"]["way"], video["kuaishou"]["way"], video["toutiao"]["way"]) == ("browser", "none", "feed")
    assert video["toutiao"]["rsshub_url"] == "http://10.0.0.5:1200" and video["toutiao"]["max_age_hours"] == 12
    assert video["douyin"]["base_url"] == "https://www.douyin.com"


@pytest.mark.parametrize("text, expected", [
    ('[platforms.douyin]\nway = "api"\n', "platforms.douyin.way"),
    ('[platforms.kuaishou]\nmax_age = "soon"\n', "platforms.kuaishou.max_age"),
    ('[platforms.toutiao]\nrss = "x"\n', "platforms.toutiao.rss"),
])
def test_a_bad_way_in_is_one_clear_message(tmp_path, text, expected):
    conf = tmp_path / "monitor.toml"
    conf.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=expected.replace(".", r"\.")):
        load_settings(conf)
