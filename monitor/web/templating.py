"""The Jinja2 environment of the pages: the web templates first, then the report's (so a
page can import the report's macros), and the report's wording helpers as filters."""
from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, Environment, PackageLoader, StrictUndefined, select_autoescape

from monitor.reports.html import pct
from monitor.reports.timeline import GAP, ORIGINAL, OTHER
from monitor.reports.wording import GROUP_ZH, STATE_ZH, account_platform, fmt_date, fmt_time
from monitor.web.auth import CSRF_FIELD, CSRF_HEADER, csrf_token

NAV = (("/", "总览"), ("/accounts", "账号"), ("/review", "待复核"), ("/orders", "整改"),
       ("/interaction", "互动测试"), ("/runs", "运行记录"),
       ("/registry", "登记表"), ("/discovery", "监管范围"), ("/downloads", "下载"))
ROLE_ZH = {"admin": "管理员", "inspector": "检查人员", "unit": "主办单位用户"}
OUTCOME_ZH = {"ok": "成功", "not_found": "不存在", "blocked": "被拦截", "error": "出错", "fail": "失败",
              "not_listed": "未上架", "unknown": "未知", "running": "运行中", "failed": "失败",
              "partial": "部分完成", "skipped": "跳过", "interrupted": "中断"}
KIND_ZH = {"timeline": "时间线", "feed": "订阅源", "profile": "主页", "article": "文章", "aboutbiz": "认证信息",
           "cycle": "夜间监测", "crawl": "采集", "detect": "检测", "evidence": "证据", "score": "评分",
           "alert": "提醒", "alerts": "提醒", "report": "报告", "discover": "账号发现"}


def make_templates(app) -> Jinja2Templates:
    env = Environment(loader=ChoiceLoader([PackageLoader("monitor.web", "templates"),
                                           PackageLoader("monitor.reports", "templates")]),
                      autoescape=select_autoescape(["html"]), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    tz = app.tz
    env.filters["t"] = lambda v, zone=False: fmt_time(v, tz, with_zone=zone) if v else "—"
    env.filters["d"] = lambda v: fmt_date(v) if v else "—"
    env.filters["pct"] = pct
    env.filters["platform"] = account_platform
    env.filters["outcome"] = lambda v: OUTCOME_ZH.get(v, v)
    env.filters["kind"] = lambda v: KIND_ZH.get(v, v)
    env.globals.update(nav=NAV, role_zh=ROLE_ZH, state_zh=STATE_ZH, group_zh=GROUP_ZH, csrf_field=CSRF_FIELD,
                       csrf_header=CSRF_HEADER, csrf_token=csrf_token, query=_query,
                       colours={"original": ORIGINAL, "other": OTHER, "gap": GAP})
    return Jinja2Templates(env=env)


def _query(request: Request, **changes) -> str:
    """The current query string with some parameters replaced (for sort and page links)."""
    params = dict(request.query_params)
    for k, v in changes.items():
        if v is None or v == "":
            params.pop(k, None)
        else:
            params[k] = v
    return "?" + urlencode(params) if params else "?"
