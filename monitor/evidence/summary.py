"""summary.html: a human-readable record of the capture in Chinese, in the manner of an
电子数据提取笔录 — who captured what, when, where from, how, and the files with their
SHA-256 values, so an inspector can check the package without reading JSON."""
from __future__ import annotations

from html import escape


def _row(label: str, value) -> str:
    return f"<tr><th>{escape(label)}</th><td>{escape(str(value if value not in (None, '') else '—'))}</td></tr>"


def render_summary(manifest: dict, files: dict[str, dict]) -> str:
    """``manifest`` without its file list (summary.html is itself listed there); ``files``
    are the evidence files the summary vouches for."""
    f = manifest["finding"]
    acc = manifest["account"]
    env = manifest["environment"]
    shot = manifest.get("screenshot") or {}
    head = [
        _row("案由（检查指标）", f"{f.get('rule_name') or ''}（{f['rule']}）"),
        _row("检查结论", f.get("summary_zh")),
        _row("监测时间点", f["at"]),
        _row("检查时段", " 至 ".join(f.get("window") or []) if f.get("window") else None),
        _row("提取对象", f"{acc['name']}（{acc['platform_zh']}，账号ID {acc['platform_id']}）"),
        _row("主办单位 / 属地", f"{acc.get('host_unit') or '—'} / {acc.get('district') or '—'}"),
        _row("访问地址", shot.get("url")),
        _row("最新发布时间", f.get("latest_post_at")),
        _row("最新发布链接", f.get("latest_post_url")),
        _row("提取时间", f"{manifest['started_at']} 至 {manifest['finished_at']}"),
        _row("提取方式", "系统自动提取：Scrapy 抓取原始 HTTP 交互并以 WARC 格式固定；"
                        "复核时重新抓取；Chromium 无头浏览器整页截图并保存渲染后网页；"
                        "逐一计算 SHA-256 完整性校验值"),
        _row("提取人", manifest.get("operator")),
        _row("提取环境", f"{env['tools'].get('product')}；Python {env['tools'].get('python')}；"
                        f"Playwright {env['tools'].get('playwright')}；Chromium {env['tools'].get('chromium')}；"
                        f"warcio {env['tools'].get('warcio')}；{env['tools'].get('platform')}；主机 {env.get('host')}"),
        _row("浏览器标识（User-Agent）", env.get("user_agent")),
        _row("视口", f"{env['viewport']['width']}×{env['viewport']['height']}，缩放 {env.get('device_scale_factor')}"),
    ]
    checks = "".join(
        f"<tr><td>{escape(str(c.get('role_zh', '')))}</td><td>{escape(str(c.get('observed_at')))}</td>"
        f"<td>{escape(str(c.get('kind')))}</td><td>{escape(str(c.get('outcome')))}</td>"
        f"<td>{escape(str(c.get('http_status') or ''))}</td><td class=u>{escape(str(c.get('url') or ''))}</td></tr>"
        for c in manifest.get("checks", []))
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{escape(_describe(name))}</td><td>{meta['bytes']}</td>"
        f"<td class=h>{meta['sha256']}</td></tr>" for name, meta in sorted(files.items()))
    notes = "".join(f"<li>{escape(n)}</li>" for n in manifest.get("notes", [])) or "<li>无</li>"
    return f"""<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>电子数据提取笔录 — {escape(acc['name'])}</title>
<style>body{{font-family:"Noto Sans CJK SC",sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}}
table{{border-collapse:collapse;width:100%;margin:1em 0}}th,td{{border:1px solid #999;padding:.35em .5em;text-align:left;vertical-align:top}}
th{{background:#f2f2f2;width:12em}}td.h,td.u{{font-family:monospace;word-break:break-all;font-size:.85em}}</style></head>
<body>
<h1>电子数据提取笔录</h1>
<table>{''.join(head)}</table>
<h2>检查记录</h2>
<table><tr><th>类别</th><th>时间</th><th>类型</th><th>结果</th><th>HTTP</th><th>地址</th></tr>{checks}</table>
<h2>提取文件及完整性校验值（SHA-256）</h2>
<table><tr><th>文件</th><th>内容</th><th>字节</th><th>SHA-256</th></tr>{rows}</table>
<h2>说明</h2>
<ul>{notes}</ul>
<p>本证据包目录名为 manifest.json 的 SHA-256 值；manifest.json 列出包内每个文件的 SHA-256 值
（包括本页）。可信时间戳（如有）保存为 manifest.tsr，覆盖 manifest.json 的摘要。
核验方法：<code>monitor evidence verify 目录</code>，或用 <code>sha256sum</code> 逐一比对。</p>
</body></html>
"""


_DESCRIBE = {
    "captures.warc.gz": "原始 HTTP 请求与响应（WARC，抓取时及复核时）",
    "screenshot.png": "账号公开页面整页截图",
    "page.html": "截图时浏览器渲染后的网页源码",
    "facts.json": "检查事实（账号、规则、时间点、最新发布、各次检查结果）",
    "summary.html": "本提取笔录",
    "tsa-ca.pem": "时间戳服务机构证书链",
}


def _describe(name: str) -> str:
    return _DESCRIBE.get(name, "")
