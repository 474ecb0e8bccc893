"""The periodic report's tables, defined once: the HTML, the xlsx and the .docx print the
same columns with the same headings. A column keeps its typed value (counts as numbers,
rates as fractions) so the workbook stores numbers; ``cell_text`` words it for the pages."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from monitor.reports.periodic import Figures, PeriodicData
from monitor.reports.wording import GROUP_ZH, platform_zh

INT, PCT, TEXT = "int", "pct", "text"


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[Any], Any]
    kind: str = INT
    width: int = 10  # xlsx column width (characters)


@dataclass
class Table:
    title: str
    columns: list[Column]
    rows: list[Any]
    total: Any = None  # a 合计 row object, printed last

    def cells(self, row) -> list[Any]:
        return [c.value(row) for c in self.columns]

    def text_rows(self) -> list[list[str]]:
        rows = self.rows + ([self.total] if self.total is not None else [])
        return [[cell_text(c.value(r), c.kind) for c in self.columns] for r in rows]


def cell_text(value: Any, kind: str) -> str:
    if value is None:
        return "—"
    if kind == PCT:
        return f"{value * 100:.1f}%"
    return str(value)


def month_label(data: PeriodicData, ym: tuple[int, int]) -> str:
    one_year = len({y for y, _ in data.months}) == 1
    return f"{ym[1]}月" if one_year else f"{ym[0]}年{ym[1]}月"


def figures_table(data: PeriodicData, label: str, rows: list[Figures], title: str) -> Table:
    """账号数, account-nights, 合格率 per month and over the period, problems found and rectified."""
    cols = [Column(label, lambda f: f.key, TEXT, 26), Column("账号数", lambda f: f.accounts),
            Column("监测账号·夜次", lambda f: f.account_nights, width=12),
            Column("已核验账号·夜次", lambda f: f.checked_nights, width=12)]
    cols += [Column(f"{month_label(data, ym)}合格率", lambda f, ym=ym: f.month_rate(ym), PCT, 12)
             for ym in data.months]
    cols += [Column("期间合格率", lambda f: f.pass_rate, PCT, 12),
             Column("单项否决（发现）", lambda f: f.vetoes, width=12),
             Column("单项否决（已整改）", lambda f: f.vetoes_rectified, width=12),
             Column("扣分情形（发现）", lambda f: f.deductions, width=12),
             Column("扣分情形（已整改）", lambda f: f.deductions_rectified, width=12),
             Column("始终未能核验账号", lambda f: f.never_verifiable, width=12)]
    return Table(title, cols, rows, data.total)


@dataclass
class Annex3Row:
    figures: Figures
    orders: dict  # monitor.orders.figures tallies, or {} when no 通报 was issued


def order_tallies(orders: dict | None, by: str) -> dict[str, dict]:
    """monitor.orders.figures.order_figures() keyed by 属地 (by="district") or 主办单位
    (by="host_unit"), its total under "合计"; empty without orders."""
    if not orders:
        return {}
    keyed = {row[by] or "": row for row in orders.get(f"by_{by}", [])}
    keyed["合计"] = orders.get("total", {})
    return keyed


def annex3_table(data: PeriodicData, label: str, rows: list[Figures], orders: dict[str, dict], title: str) -> Table:
    """The figures Annex 3 (年度考核指标) rests on, per 属地 or 主办单位. ``orders``: see
    ``order_tallies``."""
    objs = [Annex3Row(f, orders.get(f.key, {})) for f in rows]
    total = Annex3Row(data.total, orders.get("合计", {}))
    cols = [Column(label, lambda r: r.figures.key, TEXT, 26),
            Column("账号数", lambda r: r.figures.accounts),
            Column("已核验账号", lambda r: r.figures.checked_accounts),
            Column("检查比例", lambda r: r.figures.check_ratio, PCT, 12),
            Column("检查比例加分（参考）", lambda r: r.figures.check_bonus, width=14),
            Column("合格率", lambda r: r.figures.pass_rate, PCT, 12),
            Column("出现单项否决账号", lambda r: r.figures.veto_accounts, width=12),
            Column("通报整改单", lambda r: r.orders.get("orders", 0), width=10),
            Column("按期整改", lambda r: r.orders.get("rectified_in_time", 0)),
            Column("逾期未整改", lambda r: r.orders.get("overdue", 0)),
            Column("通报整改扣分", lambda r: r.orders.get("deduction", 0), width=12),
            Column("已报关停未发布停更公告", lambda r: r.figures.closed_without_notice, width=14)]
    return Table(title, cols, objs, total)


def rules_table(data: PeriodicData) -> Table:
    cols = [Column("类别", lambda r: GROUP_ZH.get(r.group, r.group), TEXT, 10),
            Column("检查指标", lambda r: r.name, TEXT, 18),
            Column("评分细则", lambda r: r.detail, TEXT, 48),
            Column("发现账号数", lambda r: r.found), Column("已整改", lambda r: r.rectified)]
    return Table("问题类型统计", cols, list(data.by_rule))


def unverified_table(data: PeriodicData) -> Table:
    """Rows are (序号, Unverified)."""
    cols = [Column("序号", lambda r: r[0], INT, 6),
            Column("属地", lambda r: r[1].district, TEXT, 10), Column("主办单位", lambda r: r[1].host_unit, TEXT, 24),
            Column("账号名称", lambda r: r[1].name, TEXT, 20),
            Column("平台", lambda r: platform_zh(r[1].platform, r[1].wechat_kind), TEXT, 12),
            Column("账号ID", lambda r: r[1].platform_id, TEXT, 20),
            Column("监测夜数", lambda r: r[1].nights),
            Column("最近一次未能核验的原因", lambda r: r[1].reason, TEXT, 50)]
    return Table("检查期内始终未能核验的账号", cols, list(enumerate(data.never_verifiable, 1)))
