"""Checking registry rows and turning them into Account field values.

Every problem is tied to the spreadsheet row number and the column heading as written in
the file, so the person who filled the sheet can find it. A row's problems are reported
together as one message.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from monitor.registry import cells
from monitor.registry.columns import (
    COLUMNS,
    HEADER_INDEX,
    IGNORED_HEADERS,
    LIFECYCLE_SYNONYMS,
    PLATFORM_LABELS,
    PLATFORM_SYNONYMS,
    WECHAT_KIND_SYNONYMS,
    Column,
    normalise_header,
)
from monitor.registry.reader import RawTable
from monitor.registry.video_ids import VIDEO_PLATFORMS, normalise as normalise_video
from storage.fit import column_length, fit_row
from storage.models import Account

# The Account attributes the registry owns; import sets exactly these.
REGISTRY_ATTRS = tuple(c.attr for c in COLUMNS) + ("wechat_kind",)
_BIZ = re.compile(r"^[A-Za-z0-9+/]{8,}={1,2}$")
# Free text that may be cut to its column (with a warning); ids, URLs and contacts may not.
_CUTTABLE = ("name", "host_unit", "district", "intro", "leader", "department_head", "manager")


@dataclass
class RowProblem:
    row: int
    problems: list[tuple[str, str]]  # (column heading, reason)

    def __str__(self) -> str:
        return f"row {self.row}: " + "; ".join(f"{f}: {r}" for f, r in self.problems)


@dataclass
class AccountRecord:
    row: int
    values: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return self.values["platform"], self.values["platform_id"]


@dataclass
class ParsedRegistry:
    records: list[AccountRecord] = field(default_factory=list)
    invalid: list[RowProblem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.invalid


@dataclass(frozen=True)
class UrlBases:
    weibo: str = "https://m.weibo.cn"
    wechat: str = "https://mp.weixin.qq.com"
    toutiao: str = "https://www.toutiao.com"
    douyin: str = "https://www.douyin.com"
    kuaishou: str = "https://www.kuaishou.com"

    @classmethod
    def from_settings(cls, settings) -> "UrlBases":
        p = settings.platforms
        return cls(*(getattr(p, name).base_url.rstrip("/")
                     for name in ("weibo", "wechat", "toutiao", "douyin", "kuaishou")))


def validate_table(table: RawTable, bases: UrlBases = UrlBases()) -> ParsedRegistry:
    out = ParsedRegistry()
    columns: dict[int, Column] = {}
    heading: dict[str, str] = {c.attr: c.header for c in COLUMNS}
    heading["wechat_kind"] = "类型"
    for i, h in enumerate(table.headers):
        col = HEADER_INDEX.get(normalise_header(h))
        if col is None:
            if h and normalise_header(h) not in IGNORED_HEADERS:
                out.warnings.append(f"column {h!r} is not an Annex 1 heading; ignored")
        elif col.attr in {c.attr for c in columns.values()}:
            out.warnings.append(f"column {h!r} appears twice; the first one is used")
        else:
            columns[i] = col
            heading[col.attr] = h
    for lo, hi, col in table.merged:
        name = table.headers[col] if col < len(table.headers) and table.headers[col] else f"column {col + 1}"
        out.warnings.append(f"rows {max(lo, table.header_row + 1)}–{hi} {name}: merged cell, its value is "
                            "used for every row of the merge")
    seen: dict[tuple[str, str], int] = {}
    for rownum, raw in table.rows:
        total = _summary_row(raw)
        if total:
            out.warnings.append(f"row {rownum}: a {total} row, not an account; ignored")
            continue
        cellmap = {col.attr: (raw[i] if i < len(raw) else None) for i, col in columns.items()}
        values, problems, notes = _row(cellmap, heading, bases)
        values, cut = fit_row(Account.__table__, values)
        for attr, n in cut.items():
            limit = column_length(Account.__table__, attr)
            if attr in _CUTTABLE:
                notes.append(f"{heading[attr]}: {n} characters, cut to the first {limit}")
            else:
                problems.append((heading[attr], f"{n} characters; this field holds at most {limit}"))
        if not problems:
            key = (values["platform"], values["platform_id"])
            if key in seen:
                problems.append((heading["platform_id"], f"duplicate {values['platform_id']!r} "
                                 f"for this platform (row {seen[key]} has it)"))
            else:
                seen[key] = rownum
        if problems:
            out.invalid.append(RowProblem(rownum, problems))
        else:
            out.records.append(AccountRecord(rownum, values))
            out.warnings.extend(f"row {rownum}: {n}" for n in notes)
    return out


_SUMMARY = re.compile(r"^(合计|小计|总计|共计)[:：]?$")


def _summary_row(raw: list[object]) -> str | None:
    """'合计' when the row is a spreadsheet total line (合计 / 小计 / 总计 in one of its cells)."""
    for c in raw:
        text = re.sub(r"\s+", "", str(c)) if c is not None else ""
        if text and _SUMMARY.match(text):
            return text.rstrip(":：")
    return None


def _row(cell: dict[str, object], heading: dict[str, str], bases: UrlBases):
    problems: list[tuple[str, str]] = []
    notes: list[str] = []
    v: dict[str, Any] = {}

    def parse(attr: str, fn, default=None):
        try:
            return fn(cell.get(attr))
        except cells.CellError as exc:
            problems.append((heading[attr], str(exc)))
            return default

    for attr in ("name", "host_unit"):
        v[attr] = cells.text(cell.get(attr))
        if v[attr] is None:
            problems.append((heading[attr], "missing"))
    for attr in ("district", "intro", "registered_verification", "leader", "department_head", "manager",
                 "manager_phone"):
        v[attr] = cells.text(cell.get(attr))
    for attr in ("profile_url", "feed_url", "download_url"):
        v[attr] = parse(attr, cells.parse_url)
    v["opened_on"] = parse("opened_on", cells.parse_date)
    v["stop_notice_on"] = parse("stop_notice_on", cells.parse_date)
    v["registered_verified"] = parse("registered_verified", cells.parse_bool)
    v["store_ids"] = parse("store_ids", cells.parse_stores, {})
    v["manager_email"] = parse("manager_email", cells.parse_email)

    life = cells.text(cell.get("lifecycle")) or ""
    v["lifecycle"] = LIFECYCLE_SYNONYMS.get(life.lower())
    if v["lifecycle"] is None:
        problems.append((heading["lifecycle"], f"unknown 备案状态 {life!r} (use 开设, 变更, 关停 or 注销)"))

    platform, kind = _platform(cell, heading, problems)
    v["platform"], v["wechat_kind"] = platform, kind
    if platform == "app" and v["registered_verified"] is not None:
        notes.append(f"{heading['registered_verified']} does not apply to apps; ignored")
        v["registered_verified"] = None

    if platform in VIDEO_PLATFORMS:
        v["platform_id"], v["profile_url"], found = normalise_video(
            platform, cells.text(cell.get("platform_id")), v["profile_url"], getattr(bases, platform))
        problems.extend((heading[attr], why) for attr, why in found)
        return v, problems, notes
    v["platform_id"] = cells.text(cell.get("platform_id")) or _derive_id(platform, v, notes)
    if v["platform_id"] is None and platform is not None:
        what = {"weibo": "the Weibo uid", "wechat": "the __biz or 微信号",
                "app": "the package name (or a 下载地址)"}.get(platform, "the account id")
        problems.append((heading["platform_id"], f"missing ({what})"))
    if v["profile_url"] is None and v["platform_id"]:
        v["profile_url"] = build_profile_url(platform, v["platform_id"], bases)
    return v, problems, notes


def _platform(cell, heading, problems) -> tuple[str | None, str | None]:
    label = cells.text(cell.get("platform"))
    if label is None:
        problems.append((heading["platform"], "missing"))
        return None, None
    found = PLATFORM_LABELS.get(label) or PLATFORM_SYNONYMS.get(label.lower())
    if found is None:
        problems.append((heading["platform"], f"unknown 平台 {label!r} (use one of {' / '.join(PLATFORM_LABELS)})"))
        return None, None
    platform, kind = found
    given = cells.text(cell.get("wechat_kind"))
    if given is not None:
        given_kind = WECHAT_KIND_SYNONYMS.get(given.lower())
        if given_kind is None:
            problems.append((heading["wechat_kind"], f"unknown WeChat kind {given!r} (use 服务号, 订阅号 or 小程序)"))
        elif platform != "wechat":
            problems.append((heading["wechat_kind"], f"{given_kind} given for a non-WeChat platform {label!r}"))
        elif kind is not None and kind != given_kind:
            problems.append((heading["wechat_kind"], f"{given_kind} conflicts with 平台 {label!r}"))
        else:
            kind = given_kind
    if platform == "wechat" and kind is None and given is None:
        problems.append((heading["platform"], f"{label!r} does not say which WeChat kind: "
                         "use 微信服务号 / 微信订阅号 / 微信小程序 or fill 类型"))
    return platform, kind


def _derive_id(platform: str | None, v: dict[str, Any], notes: list[str]) -> str | None:
    """An empty 账号ID is recovered from the links when they carry it unambiguously."""
    url = v.get("profile_url")
    if platform == "wechat" and url:
        biz = parse_qs(urlsplit(url).query).get("__biz")
        if biz:
            return biz[0]
    if platform == "weibo" and url:
        m = re.search(r"/(?:u/)?(\d{5,})/?$", urlsplit(url).path)
        if m:
            return m[1]
    if platform == "app" and v.get("download_url"):
        # Annex 1 registries often give apps only a download link. The link then identifies
        # the account until the package name is filled in (re-import keys on it).
        notes.append("账号ID empty: the 下载地址 is used as the app's id; fill in the package name")
        return v["download_url"]
    return None


def build_profile_url(platform: str | None, platform_id: str, bases: UrlBases) -> str | None:
    """The public page the product visits when 访问链接 is empty."""
    if platform == "wechat" and _BIZ.match(platform_id):
        return f"{bases.wechat}/mp/aboutbiz?__biz={platform_id}"
    if platform == "weibo" and platform_id.isdigit():
        return f"{bases.weibo}/u/{platform_id}"
    return None
