"""The 通报 button, the unit's reply with attachments, the inspector's 复核 and 关闭, through
the web workspace (TestClient, real SQLite), with the unit scoping of the rest of the site."""
from __future__ import annotations

import re
from datetime import timedelta

from storage.models import Account, Finding
from tests.fixtures.cli_env import wait_for
from tests.fixtures.core import T
from tests.fixtures.web import Clock, csrf_of
from tests.test_order_attachments import png


def _order_ids(html: str) -> list[int]:
    return [int(x) for x in re.findall(r'href="/orders/(\d+)"', html)]


def test_issue_reply_recheck_close_in_the_workspace(web_client, workspace):
    app = workspace.app
    with app.session() as s:  # the inspector confirmed the suspected ad: it is cited too
        s.get(Finding, workspace.ad_finding).state = "confirmed"
    clock = Clock()
    clock.now = T + timedelta(days=1)
    insp = web_client("inspector", clock=clock)
    page = insp.get("/orders").text
    assert "下发通报" in page and "暂无整改单" in page
    token = csrf_of(page)
    r = insp.post("/tongbao/issue", data={"period": "2026-13", "issued_on": "", "csrf_token": token})
    assert r.status_code == 400 and "统计期无法识别" in r.text and "month 13" in r.text
    r = insp.post("/tongbao/issue", data={"period": "2026-11", "issued_on": "2026-11-26", "csrf_token": token},
                  follow_redirects=False)
    assert r.status_code == 303
    page = insp.get("/orders").text
    assert "2026年11月" in page and "〔2026〕第　　号" in page and "2026年12月6日" in page
    assert page.count("待整改") == 2 and "南通商务" in page and "南通发布" in page
    r = insp.post("/tongbao/issue", data={"period": "2026-11", "issued_on": "", "csrf_token": token})
    assert r.status_code == 400 and "already issued" in r.text
    doc_link = re.search(r'href="(/tongbao/\d+\.docx)"', page)[1]
    got = insp.get(doc_link)
    assert got.status_code == 200 and got.content[:2] == b"PK"
    from docx import Document
    import io
    text = "\n".join(p.text for p in Document(io.BytesIO(got.content)).paragraphs)
    assert "关于2026年11月全市政务新媒体检查情况的通报" in text and "2026年12月6日" in text

    unit = web_client("shangwu", clock=clock)
    [mine] = _order_ids(unit.get("/orders").text)  # only the 商务局's account
    others = set(_order_ids(page)) - {mine}
    assert all(unit.get(f"/orders/{i}").status_code == 404 for i in others)
    order_page = unit.get(f"/orders/{mine}").text
    assert "商业广告" in order_page and "提交整改回复" in order_page and "立即复核" not in order_page
    token = csrf_of(order_page)
    evil = ("整改报告.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")
    r = unit.post(f"/orders/{mine}/reply", data={"text": "已删除广告", "csrf_token": token}, files=[("files", evil)])
    assert r.status_code == 400 and "“整改报告.pdf”不是图片" in r.text and "待整改" in r.text
    shot = png()
    r = unit.post(f"/orders/{mine}/reply", data={"text": "已删除该条广告微博", "csrf_token": token},
                  files=[("files", ("删除后截图.png", shot, "image/png"))], follow_redirects=False)
    assert r.status_code == 303
    order_page = unit.get(f"/orders/{mine}").text
    assert "已回复" in order_page and "已删除该条广告微博" in order_page
    link = re.search(rf'href="(/orders/{mine}/attachments/[0-9a-f]{{64}})">删除后截图.png', order_page)[1]
    got = unit.get(link)
    assert got.content == shot and got.headers["content-type"] == "image/png"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert insp.post(f"/orders/{mine}/reply", data={"text": "x", "csrf_token": csrf_of(page)}).status_code == 403
    assert unit.post(f"/orders/{mine}/close", data={"csrf_token": token}).status_code == 403
    assert unit.get(doc_link).status_code == 403  # the 通报 is the inspectors' document
    [api] = unit.get("/api/orders").json()
    assert api["account"]["name"] == "南通商务" and api["state"] == "replied"

    # A re-check whose fetch gives nothing decides nothing: 未能核验, the order stays 已回复.
    with app.session() as s:
        s.get(Account, workspace.ads).platform = "other"  # 其他: no spider reads it
    token = csrf_of(insp.get(f"/orders/{mine}").text)
    # It runs in the background: the request returns at once and the order page follows it.
    r = insp.post(f"/orders/{mine}/recheck", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == f"/orders/{mine}"
    done = wait_for(lambda: (lambda p: None if 'id="recheck-running"' in p else p)(insp.get(f"/orders/{mine}").text),
                    120, "the re-check to finish")
    assert "未能核验" in done and "暂不支持自动采集" in done and 'http-equiv="refresh"' not in done
    assert re.search(r'id="order-state"[^>]*>已回复<', done)
    r = insp.post(f"/orders/{mine}/close", data={"note": "人工核实广告已删除", "csrf_token": token},
                  follow_redirects=False)
    assert r.status_code == 303
    closed = insp.get(f"/orders/{mine}").text
    assert re.search(r'id="order-state"[^>]*>已复核通过<', closed) and "人工核实广告已删除" in closed
    assert "提交整改回复" not in unit.get(f"/orders/{mine}").text


def test_orders_need_a_login(web_client):
    c = web_client()
    for path in ("/orders", "/orders/1", "/orders/1/attachments/" + "0" * 64):
        r = c.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    assert c.get("/api/orders").status_code == 401


def test_a_recheck_runs_beside_the_server_one_at_a_time_per_account(web_client, workspace, monkeypatch):
    """The re-check's crawl can take minutes: the click returns at once, the page says the
    re-check is running (and refreshes itself), a second click is refused until it is done."""
    import threading

    from monitor.web.routes import orders as order_routes

    app = workspace.app
    with app.session() as s:
        s.get(Finding, workspace.ad_finding).state = "confirmed"
    clock = Clock()
    clock.now = T + timedelta(days=1)
    insp = web_client("inspector", clock=clock)
    token = csrf_of(insp.get("/orders").text)
    insp.post("/tongbao/issue", data={"period": "2026-11", "issued_on": "2026-11-26", "csrf_token": token})
    order_id = _order_ids(insp.get("/orders").text)[0]
    release, started = threading.Event(), threading.Event()
    real = order_routes.recheck_account

    def slow_recheck(*args):
        started.set()
        release.wait(120)
        return real(*args)

    monkeypatch.setattr(order_routes, "recheck_account", slow_recheck)
    token = csrf_of(insp.get(f"/orders/{order_id}").text)
    r = insp.post(f"/orders/{order_id}/recheck", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert started.wait(60)
    page = insp.get(f"/orders/{order_id}").text
    assert 'id="recheck-running"' in page and "复核进行中" in page and 'http-equiv="refresh"' in page
    assert re.search(r"<button type=\"submit\" disabled>立即复核", page)
    again = insp.post(f"/orders/{order_id}/recheck", data={"csrf_token": token}, follow_redirects=False)
    assert again.status_code == 409 and "复核正在进行中" in again.text
    release.set()
    done = wait_for(lambda: (lambda p: None if 'id="recheck-running"' in p else p)(insp.get(f"/orders/{order_id}").text),
                    120, "the re-check to finish")
    assert "最近复核" in done and 'http-equiv="refresh"' not in done
