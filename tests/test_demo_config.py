"""The monitor.toml `monitor demo` leaves behind for the workspace."""
from monitor.config import load_settings
from monitor.demo.run import demo_config_text, demo_settings


def test_demo_config_points_every_platform_at_the_demo_sandbox(tmp_path):
    # Without the platform targets, 立即复核 on the demo workspace went to the real sites and
    # 抖音/快手 answered 未配置该平台的采集方式.
    base = "http://127.0.0.1:18765"
    made = demo_settings(tmp_path, base)
    path = tmp_path / "monitor.toml"
    path.write_text(demo_config_text(made, base, "k" * 43), encoding="utf-8")
    s = load_settings(path)
    assert s.database_url == made.database_url and s.evidence_dir == made.evidence_dir
    assert s.platforms.weibo.base_url == f"{base}/weibo"
    assert s.platforms.douyin.base_url == f"{base}/douyin" and s.platforms.douyin.way == "browser"
    assert s.platforms.kuaishou.base_url == f"{base}/kuaishou"
    assert s.platforms.toutiao.rsshub_url == f"{base}/rsshub"
    assert s.platforms.apple.lookup_url == f"{base}/stores/apple/lookup"
    assert "127.0.0.0/8" in s.crawl.allow_networks
