"""Who gets what: recipients per role, from config ``[alerts]`` and the Annex 1 registry.

A recipient without a configured channel (no inspector URL for a 属地, no manager e-mail
template, no registry e-mail) is still a recipient: its messages go to the outbox only, so an
operator sees what would have been sent and to whom before wiring any channel.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass

from monitor.config import Settings
from storage.models import Account

ALL_DISTRICTS = "*"


@dataclass(frozen=True)
class Recipient:
    role: str  # manager, inspector, operator
    label: str  # who, in words: 管理员 张三 <a@b.gov.cn> / 崇川区检查人员
    url: str | None  # apprise URL; None = outbox only

    @property
    def key(self) -> str:
        """Stable short id used in dedupe keys (never the URL itself: it may hold secrets)."""
        return hashlib.sha256((self.url or f"{self.role}:{self.label}").encode()).hexdigest()[:16]

    @property
    def shown(self) -> str:
        """The target as stored and logged: tokens and passwords masked by apprise."""
        return f"{self.label} {masked_url(self.url)}" if self.url else f"{self.label}（未配置发送渠道，仅写入发件箱）"


def masked_url(url: str) -> str:
    from monitor.secrets import mask_alert_url

    return mask_alert_url(url)


def manager(settings: Settings, account: Account) -> list[Recipient]:
    who = f"管理员 {account.manager or '（未登记）'}"
    template = settings.alerts.manager_email_url
    if account.manager_email:
        who += f" <{account.manager_email}>"
    if account.manager_email and template is not None and template.get_secret_value():
        return [Recipient("manager", who, template.get_secret_value().replace("{email}", account.manager_email))]
    return [Recipient("manager", who, None)]


def inspectors(settings: Settings, district: str | None) -> list[Recipient]:
    """Inspectors of one 属地 plus those who watch every 属地 ("*")."""
    table = settings.alerts.inspectors
    place = district or "（属地未登记）"
    urls = list(dict.fromkeys([*table.get(district or "", []), *table.get(ALL_DISTRICTS, [])]))
    if not urls:
        return [Recipient("inspector", f"{place}检查人员", None)]
    return [Recipient("inspector", _inspector_label(settings, url, place), url) for url in urls]


def _inspector_label(settings: Settings, url: str, place: str) -> str:
    scopes = [d for d, urls in settings.alerts.inspectors.items() if url in urls]
    return "全市检查人员" if ALL_DISTRICTS in scopes else f"{place}检查人员"


def inspector_scopes(settings: Settings) -> dict[Recipient, set[str] | None]:
    """Every inspector recipient and the 属地 it covers (None = all), for the daily digest."""
    out: dict[str, set[str] | None] = {}
    for district, urls in settings.alerts.inspectors.items():
        for url in urls:
            if district == ALL_DISTRICTS or out.get(url, set()) is None:
                out[url] = None
            else:
                out.setdefault(url, set()).add(district)
    if not out:
        return {Recipient("inspector", "检查人员", None): None}
    return {Recipient("inspector", "全市检查人员" if scope is None else "、".join(sorted(scope)) + "检查人员", url): scope
            for url, scope in out.items()}


def operator(settings: Settings) -> list[Recipient]:
    urls = list(dict.fromkeys(settings.alerts.operator))
    if not urls:
        return [Recipient("operator", "运维人员", None)]
    return [Recipient("operator", "运维人员", url) for url in urls]
