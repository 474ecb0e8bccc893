"""The workspace in a real browser (Debian's Chromium via Playwright) against the real
server: an inspector logs in, reviews a finding and sees the score change; a unit user
cannot open another unit's account; a POST without the CSRF token is refused; the pages
render Chinese text (checked on a screenshot)."""
from __future__ import annotations

import pytest
from PIL import Image

from monitor.evidence.screenshot import CHROMIUM_ARGS
from tests.fixtures.web import PASSWORDS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield b
        b.close()


def _login(page, base, name):
    page.goto(f"{base}/")
    assert page.url.startswith(f"{base}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORDS[name])
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_inspector_reviews_a_finding_and_sees_the_score_change(browser, live_workspace, tmp_path):
    base, ws = live_workspace
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    _login(page, base, "inspector")
    assert "合格率趋势" in page.inner_text("main")
    shot = tmp_path / "overview.png"
    page.screenshot(path=str(shot), full_page=True)

    # The filters swap the table in place (htmx) and keep the address shareable.
    page.goto(f"{base}/accounts")
    assert "共 2 个账号" in page.inner_text("#accounts-table")
    page.select_option("select[name=verdict]", "不合格")
    page.wait_for_function("document.querySelector('#accounts-table').innerText.includes('共 1 个账号')")
    assert "南通发布" in page.inner_text("table.accounts") and "verdict=" in page.url

    page.goto(f"{base}/accounts/{ws.ads}")
    assert "100分" in page.inner_text("section.account header")
    page.click("nav >> text=待复核")
    page.click(f"a[href='/findings/{ws.ad_finding}']")
    assert page.inner_text("#finding-state") == "待复核"
    page.fill("textarea[name=note]", "确为商业推广，予以确认")
    page.click("button[value=confirm]")
    page.wait_for_url(f"{base}/findings/{ws.ad_finding}")
    assert page.inner_text("#finding-state") == "已确认"
    assert "90分" in page.inner_text("#card")
    assert "inspector" in page.inner_text("main").split("操作记录", 1)[1]
    page.click("text=南通商务")
    assert "90分" in page.inner_text("section.account header")

    # The browser's own session, but no token: refused, and nothing changes.
    r = context.request.post(f"{base}/findings/{ws.ad_finding}/review",
                             form={"decision": "dismiss", "note": "伪造的请求"})
    assert r.status == 403
    page.goto(f"{base}/findings/{ws.ad_finding}")
    assert page.inner_text("#finding-state") == "已确认"
    context.close()

    with Image.open(shot) as im:
        rgb = im.convert("RGB")
        colours = rgb.getcolors(maxcolors=1 << 20)
        # Not blank: many colours (anti-aliased CJK glyphs, the chart), and dark text pixels.
        assert colours and len(colours) > 50
        assert sum(n for n, (r, g, b) in colours if r + g + b < 200) > 2000


def test_unit_user_cannot_open_another_units_account(browser, live_workspace):
    base, ws = live_workspace
    context = browser.new_context(locale="zh-CN")
    page = context.new_page()
    _login(page, base, "shangwu")
    page.goto(f"{base}/accounts")
    listing = page.inner_text("table.accounts")
    assert "南通商务" in listing and "南通发布" not in listing
    response = page.goto(f"{base}/accounts/{ws.silent}")
    assert response.status == 404 and "没有这个账号" in page.inner_text("main")
    response = page.goto(f"{base}/findings/{ws.veto_finding}")
    assert response.status == 404
    assert page.goto(f"{base}/accounts/{ws.ads}").status == 200
    context.close()
