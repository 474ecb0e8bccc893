"""The Annex 1 registry columns and the platform names, as data.

One table drives reading, writing, the template and its explanation sheet, so a new column
is one line here.
"""
from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    header: str      # Annex 1 heading, as written in the spreadsheet
    alias: str       # English alias, also the Account attribute it fills (except "stores"/"verified")
    attr: str        # Account attribute
    kind: str        # text, url, date, bool, stores, email, platform, lifecycle
    help: str        # one line for the template's explanation sheet


COLUMNS: tuple[Column, ...] = (
    Column("名称", "name", "name", "text", "账号名称（必填）"),
    Column("平台", "platform", "platform", "platform", "从下拉列表选择：新浪微博 / 微信服务号 / 微信订阅号 / 微信小程序 / 移动客户端APP / 今日头条 / 抖音 / 快手 / 其他（必填）"),
    Column("主办单位", "host_unit", "host_unit", "text", "主办单位全称（必填）"),
    Column("属地", "district", "district", "text", "市级 或 区县名称，如 崇川区"),
    Column("账号ID", "platform_id", "platform_id", "text", "微博 UID；微信 __biz（以 == 结尾）或微信号；APP 填包名，如 cn.gov.nantong.app（APP 未填时以下载地址作为标识）"),
    Column("访问链接", "profile_url", "profile_url", "url", "账号公开主页（http/https）；微博、微信留空时由账号ID自动生成"),
    Column("订阅源", "feed_url", "feed_url", "url", "微信公众号文章订阅源（RSS/Atom/JSON Feed，http/https）"),
    Column("下载地址", "download_url", "download_url", "url", "APP 官方下载地址（http/https）"),
    Column("应用商店", "stores", "store_ids", "stores", "商店:编号，以分号分隔，如 apple:1660000005; yyb:cn.gov.x; huawei:C10012345; vivo:123; xiaomi:cn.gov.x"),
    Column("开设时间", "opened_on", "opened_on", "date", "日期，如 2024-03-01、2024/3/1 或 2024年3月1日"),
    Column("是否认证", "verified", "registered_verified", "bool", "是 / 否（APP 不填）"),
    Column("认证信息", "verification_text", "registered_verification", "text",
           "微信公众号「关于公众号」页所示的认证主体，如 南通市教育局；无法抓取该页（无微信客户端凭据）时据此判定认证信息；可不填"),
    Column("简介", "intro", "intro", "text", "账号简介"),
    Column("备案状态", "lifecycle", "lifecycle", "lifecycle", "开设 / 变更 / 关停 / 注销；留空视为 开设"),
    Column("停更公告日期", "stop_notice_on", "stop_notice_on", "date", "发布停更公告的日期（关停时填写）"),
    Column("分管领导", "leader", "leader", "text", "分管领导姓名"),
    Column("处室负责人", "department_head", "department_head", "text", "处室负责人姓名"),
    Column("管理员", "manager", "manager", "text", "管理员姓名"),
    Column("管理员手机", "manager_phone", "manager_phone", "text", "管理员手机号码"),
    Column("管理员邮箱", "manager_email", "manager_email", "email", "管理员电子邮箱，用于接收提醒"),
)

# An optional column some registries keep beside a generic 平台 value like 微信公众号.
KIND_COLUMN = Column("类型", "wechat_kind", "wechat_kind", "text", "微信账号类型：服务号 / 订阅号 / 小程序（平台已写明时可不填）")
# Columns registries commonly carry that mean nothing to the product: ignored without a warning.
IGNORED_HEADERS = frozenset({"序号", "编号", "no", "no.", "备注", "remark", "remarks"})

REQUIRED_HEADERS = ("名称", "平台", "主办单位")

# 平台 cell → (platform, wechat_kind). The first entry per pair is what export writes.
PLATFORM_LABELS: dict[str, tuple[str, str | None]] = {
    "新浪微博": ("weibo", None),
    "微信服务号": ("wechat", "服务号"),
    "微信订阅号": ("wechat", "订阅号"),
    "微信小程序": ("wechat", "小程序"),
    "移动客户端APP": ("app", None),
    "今日头条": ("toutiao", None),
    "抖音": ("douyin", None),
    "快手": ("kuaishou", None),
    "其他": ("other", None),
}
PLATFORM_SYNONYMS: dict[str, tuple[str, str | None]] = {
    "微博": ("weibo", None), "weibo": ("weibo", None),
    "服务号": ("wechat", "服务号"), "订阅号": ("wechat", "订阅号"), "小程序": ("wechat", "小程序"),
    # Kind then comes from the 类型 column.
    "微信": ("wechat", None), "微信公众号": ("wechat", None), "wechat": ("wechat", None),
    "移动客户端": ("app", None), "app": ("app", None), "客户端": ("app", None),
    "头条": ("toutiao", None), "头条号": ("toutiao", None), "toutiao": ("toutiao", None),
    "douyin": ("douyin", None), "kuaishou": ("kuaishou", None),
    "其它": ("other", None), "other": ("other", None),
}
WECHAT_KIND_SYNONYMS = {"服务号": "服务号", "订阅号": "订阅号", "小程序": "小程序",
                        "service": "服务号", "subscription": "订阅号", "miniprogram": "小程序"}
LIFECYCLE_SYNONYMS = {"开设": "开设", "变更": "变更", "关停": "关停", "注销": "注销", "": "开设",
                      "open": "开设", "changed": "变更", "closing": "关停", "closed": "注销"}
KNOWN_STORES = ("apple", "yyb", "huawei", "vivo", "xiaomi", "oppo", "honor")


def platform_label(platform: str, wechat_kind: str | None) -> str:
    for label, value in PLATFORM_LABELS.items():
        if value == (platform, wechat_kind if platform == "wechat" else None):
            return label
    return "其他"


def normalise_header(text: object) -> str:
    """Headings arrive with stars for required fields, line breaks and full-width brackets."""
    s = str(text or "").replace("（", "(").replace("）", ")")
    s = re.sub(r"\s+|\*|＊", "", s)
    return re.sub(r"\(.*?\)$", "", s).lower()


HEADER_INDEX: dict[str, Column] = {}
for _c in COLUMNS + (KIND_COLUMN,):
    HEADER_INDEX[normalise_header(_c.header)] = _c
    HEADER_INDEX[_c.alias] = _c
    HEADER_INDEX[_c.attr] = _c
