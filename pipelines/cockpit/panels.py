"""The cockpit's panels: each reads the published snapshot (read-only) and returns Altair charts, or says plainly
that the snapshot has no data for it yet (a mart not published yet, or empty)."""

from __future__ import annotations

from dataclasses import dataclass, field

import altair as alt
import duckdb
import pandas as pd

MARTS = "marts"
# CJK-capable fonts first (the browser test uses Debian's fonts-wqy-microhei); the rest are desktop fallbacks.
FONT = "WenQuanYi Micro Hei, Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
WIDTH = 560
HOTSPOT_WEEKS = 8  # "current" hotspots: flagged in the latest weeks of the snapshot


@dataclass
class Panel:
    key: str
    title: str
    charts: list[alt.TopLevelMixin] = field(default_factory=list)
    note: str = ""
    no_data: str = ""  # set when the panel has nothing to show: the reason, shown instead of charts


def _tables(connection: duckdb.DuckDBPyConnection) -> set[str]:
    rows = connection.execute("select table_name from duckdb_tables() where schema_name = ?", [MARTS]).fetchall()
    return {name for (name,) in rows}


def _frame(connection: duckdb.DuckDBPyConnection, sql: str):
    return connection.sql(sql).df()


def _missing(connection, mart: str, panel: Panel) -> bool:
    if mart not in _tables(connection):
        panel.no_data = f"暂无数据 (no data yet): marts.{mart} is not in this snapshot."
        return True
    return False


def _empty(frame, panel: Panel, what: str) -> bool:
    if frame.empty:
        panel.no_data = f"暂无数据 (no data yet): {what}."
        return True
    return False


# Rank movement against the previous month: label and bar colour.
MOVEMENTS = {"上升 up": "#2e9e4f", "持平 same": "#9aa5b1", "下降 down": "#d6453d", "新参评 new": "#3b7dd8"}


def _movement(change) -> str:
    if pd.isna(change):
        return "新参评 new"
    return "上升 up" if change > 0 else ("下降 down" if change < 0 else "持平 same")


def _change_label(change) -> str:
    if pd.isna(change):
        return "新"
    return f"↑{int(change)}" if change > 0 else (f"↓{int(-change)}" if change < 0 else "—")


def ranking(connection) -> Panel:
    """District and street ranking of the latest assessed month, with the change against the month before."""
    panel = Panel("ranking", "区县、街道考核排名 · Ranking")
    if _missing(connection, "mart_assessment_scorecard", panel):
        return panel
    frame = _frame(connection, f"""
        select distinct level, area_name, month_start, composite_score, area_rank, areas_ranked, rank_change
        from {MARTS}.mart_assessment_scorecard
        where composite_score is not null
          and month_start = (select max(month_start) from {MARTS}.mart_assessment_scorecard
                             where composite_score is not null)
        order by level, area_rank""")
    if _empty(frame, panel, "no area has an assessed indicator"):
        return panel
    frame["change"] = frame["rank_change"].map(_change_label)
    frame["movement"] = frame["rank_change"].map(_movement)
    panel.note = f"Month {frame['month_start'].max():%Y-%m}; composite score 0–100 (docs/assessment.md)."
    for level, title in (("district", "区县排名"), ("street", "街道排名")):
        rows = frame[frame["level"] == level]
        if rows.empty:
            continue
        base = alt.Chart(rows, title=title).encode(
            y=alt.Y("area_name:N", sort=list(rows.sort_values(["area_rank", "area_name"])["area_name"]), title=None),
        )
        bars = base.mark_bar().encode(
            x=alt.X("composite_score:Q", title="综合得分", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color("movement:N", title="排名变化",
                            scale=alt.Scale(domain=list(MOVEMENTS), range=list(MOVEMENTS.values()))),
            tooltip=["area_name", "area_rank", "areas_ranked", "composite_score", "change"],
        )
        labels = base.mark_text(align="left", dx=3).encode(x="composite_score:Q", text="change:N")
        panel.charts.append((bars + labels).properties(width=WIDTH, height=alt.Step(14 if level == "street" else 22)))
    return panel


def trends(connection) -> Panel:
    """Monthly trends of each district's indicators and composite score."""
    panel = Panel("trends", "关键指标趋势 · Indicator trends")
    if _missing(connection, "mart_assessment_scorecard", panel):
        return panel
    frame = _frame(connection, f"""
        select area_name, month_start, indicator_name, indicator_value
        from {MARTS}.mart_assessment_scorecard
        where level = 'district' and indicator_value is not null
        union all
        select distinct area_name, month_start, '综合得分' as indicator_name, composite_score
        from {MARTS}.mart_assessment_scorecard
        where level = 'district' and composite_score is not null""")
    if _empty(frame, panel, "no district has an indicator value"):
        return panel
    chart = alt.Chart(frame).mark_line(point=True).encode(
        x=alt.X("yearmonth(month_start):T", title="月份"),
        y=alt.Y("indicator_value:Q", title=None),
        color=alt.Color("area_name:N", title="区县"),
        tooltip=["area_name", "indicator_name", alt.Tooltip("month_start:T", format="%Y-%m"), "indicator_value"],
    ).properties(width=250, height=140).facet(facet=alt.Facet("indicator_name:N", title=None), columns=3)
    panel.charts.append(chart.resolve_scale(y="independent"))
    return panel


def hotspots(connection) -> Panel:
    """The risk hotspots (street × week × category group) flagged in the latest weeks, by severity."""
    panel = Panel("hotspots", "风险热点预警 · Risk hotspots")
    if _missing(connection, "mart_risk_hotspot", panel):
        return panel
    frame = _frame(connection, f"""
        select hotspot.week_start, hotspot.case_count, hotspot.expected_count, hotspot.severity_code,
               coalesce(street.division_name, hotspot.street_code) as street_name,
               coalesce(category.category_name, hotspot.category_group_code) as category_group_name
        from {MARTS}.mart_risk_hotspot as hotspot
        left join {MARTS}.dim_admin_division as street on street.division_code = hotspot.street_code
        left join {MARTS}.dim_category as category on category.category_code = hotspot.category_group_code
        where hotspot.is_flagged
          and hotspot.week_start > (select max(week_start) from {MARTS}.mart_risk_hotspot) - interval {HOTSPOT_WEEKS} week""")
    if _empty(frame, panel, f"no hotspot is flagged in the latest {HOTSPOT_WEEKS} weeks"):
        return panel
    panel.note = f"Flagged in the {HOTSPOT_WEEKS} weeks up to {frame['week_start'].max():%Y-%m-%d} (docs/governance.md)."
    panel.charts.append(alt.Chart(frame).mark_circle(opacity=0.8).encode(
        x=alt.X("week_start:T", title="周", axis=alt.Axis(format="%m-%d")),
        y=alt.Y("street_name:N", title=None),
        size=alt.Size("case_count:Q", title="案件数"),
        color=alt.Color("severity_code:O", title="预警等级", scale=alt.Scale(scheme="orangered")),
        tooltip=["street_name", "category_group_name", alt.Tooltip("week_start:T", format="%Y-%m-%d"),
                 "case_count", alt.Tooltip("expected_count:Q", format=".1f"), "severity_code"],
    ).properties(width=WIDTH))
    return panel


def cases(connection) -> Panel:
    """Multi-channel governance cases (一件事): cases by number of channels and status, per month."""
    panel = Panel("cases", "多渠道一件事 · Multi-channel cases")
    if _missing(connection, "fct_governance_case", panel):
        return panel
    frame = _frame(connection, f"""
        select cast(date_trunc('month', first_reported_at) as date) as month_start, channel_count,
               case when is_closed then '已办结' else '未办结' end as status, count(*) as cases
        from {MARTS}.fct_governance_case
        where channel_count > 1
        group by all""")
    if _empty(frame, panel, "no case was reported through more than one channel"):
        return panel
    panel.charts.append(alt.Chart(frame).mark_bar().encode(
        x=alt.X("yearmonth(month_start):O", title="月份"),
        y=alt.Y("sum(cases):Q", title="案件数"),
        color=alt.Color("status:N", title="状态"),
        column=alt.Column("channel_count:O", title="渠道数"),
        tooltip=["month_start", "channel_count", "status", "cases"],
    ).properties(width=180))
    return panel


def data_quality(connection) -> Panel:
    """The data-quality scorecard: each source's dimension scores and composite over the months."""
    panel = Panel("data_quality", "数据质量考核 · Data quality")
    if _missing(connection, "mart_data_quality_scorecard", panel):
        return panel
    frame = _frame(connection, f"""
        unpivot (
            select source, department_name, month_start, timeliness_score as 及时性, completeness_score as 完整性,
                   validity_score as 规范性, uniqueness_score as 唯一性, consistency_score as 一致性,
                   quarantine_score as 隔离率得分, composite_score as 综合得分
            from {MARTS}.mart_data_quality_scorecard
            qualify month_start = max(month_start) over (partition by source)
        ) on 及时性, 完整性, 规范性, 唯一性, 一致性, 隔离率得分, 综合得分 into name dimension value score""")
    if _empty(frame, panel, "no source has a data-quality score"):
        return panel
    panel.note = "Each source's latest month; scores 0–1 (docs/data_quality.md)."
    base = alt.Chart(frame).encode(
        x=alt.X("dimension:N", title=None, sort=None, axis=alt.Axis(labelAngle=0, orient="top")),
        y=alt.Y("department_name:N", title=None),
    )
    heat = base.mark_rect().encode(
        color=alt.Color("score:Q", title="得分", scale=alt.Scale(scheme="redyellowgreen", domain=[0, 1])),
        tooltip=["source", "department_name", alt.Tooltip("month_start:T", format="%Y-%m"), "dimension",
                 alt.Tooltip("score:Q", format=".3f")],
    )
    text = base.mark_text().encode(text=alt.Text("score:Q", format=".2f"))
    panel.charts.append((heat + text).properties(width=WIDTH, height=alt.Step(28)))
    return panel


PANELS = (ranking, trends, hotspots, cases, data_quality)


def build_panels(connection: duckdb.DuckDBPyConnection) -> list[Panel]:
    return [panel(connection) for panel in PANELS]

