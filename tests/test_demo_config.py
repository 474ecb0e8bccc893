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


def test_demo_tongbao_line_is_in_chinese_with_a_chinese_date(sqlite_url, tmp_path):
    # Was "通报 1（2026年11月）: 1 整改单, due 2026-12-05".
    from datetime import timedelta

    from rich.console import Console

    from monitor.demo.run import _tongbao
    from monitor.detectors import run_detection
    from monitor.scoring import score_all
    from tests.fixtures.core import T, make_app
    from tests.fixtures.histories import History

    app = make_app(sqlite_url, tmp_path)
    h = History(app)
    h.post(h.account(name="南通发布", host_unit="中共南通市委宣传部"), T - timedelta(days=20))
    run_detection(app, T)
    score_all(app, T)
    console = Console(record=True, width=300)
    _tongbao(app, T, console)
    line = console.export_text()
    assert "通报 1（2026年11月）：整改单1份，整改期限2026年12月5日" in line and "due" not in line
