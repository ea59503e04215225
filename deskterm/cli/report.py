"""`deskterm report`: the support KPIs of a period, as text, JSON or CSV."""

from typing import TYPE_CHECKING, Annotated

import typer

from deskterm.cli.common import JsonOpt, ctx_of

if TYPE_CHECKING:
    from deskterm.cli.context import Context
    from deskterm.reports.model import Report

DEFINITIONS = """\
new                 tickets created in the period
solved              changes of a ticket to solved/closed from another status
                    (a ticket closed by merging it into another is not solved)
reopened            changes of a ticket from solved/closed back to another status
first_reply_*       ticket creation to its first agent reply, counted on the day
                    of the reply: _calendar_ and _business_ time, _median_s and
                    _p90_s, and _count
next_reply_*        a customer message after the first reply, to the next agent
                    reply (the oldest waiting message starts the clock)
resolution_*        ticket creation to each solve, counted on the day of the solve
sla_*_met, sla_*_breached, sla_*_met_pct
                    SLA outcomes recorded in the period, per target (first_reply,
                    next_reply, resolution): met, breached, % met of both
backlog             tickets not solved/closed at the end of the last day
backlog_age_*       the same by age (end of day minus creation day, whole days):
                    0_1d, 1_3d, 3_7d, 7_30d, 30d_plus
fcr_pct             first-contact resolution: of the tickets whose current solve
                    falls in the period, those with exactly one agent reply that
                    were never reopened
reopen_rate_pct     reopened / solved, in the period
time_on_tickets_s   time logged or tracked on tickets (entries starting in the
                    period)
utilization_pct     time on tickets / (working time of the calendar x agents)
cost_per_ticket     [report] cost_per_agent_hour x hours on tickets / solved
csat_answers        tickets whose satisfaction survey was answered in the period
                    (a ticket answered again counts once, as its last answer)
csat_good_pct       of those, rated Great
happiness_score     % Great minus % Not good, of the same answers (-100..100)
effort_avg          mean "how easy was it to get help?" (1 very hard..7 very
                    easy) of the answers that gave one
kb_views            public article pages read
kb_linked           articles agents put into replies (link or text)
deflection_pct      of the articles opened from /contact's suggestions, those
                    not followed by a contact form
"""

HELP = (
    """The support KPIs of a period: volume, reply times, SLA, backlog, FCR, time.

\b
The period defaults to the last 30 days, today included. Days are the days of
the report calendar, [report] calendar (default [sla.calendar]): they end at
midnight in its timezone, and business time is measured on its hours. A period
is whole days, both ends included, and is compared with the period of the same
length just before it. Median and p90 are nearest-rank: the value at rank
ceil(p% x n) of the sorted durations.

\b
"""
    + DEFINITIONS
)


def report_calendar(c: "Context") -> str:
    """The spec of the calendar `[report] calendar` names (default `[sla.calendar]`)."""
    from deskterm.errors import ConfigError
    from deskterm.reports.calendar_spec import spec_of

    sla = c.config.sla
    name = c.config.report.calendar or sla.calendar.name
    for cal in (sla.calendar, *sla.calendars):
        if cal.name == name:
            return spec_of(cal)
    raise ConfigError(f"report.calendar: no calendar named {name!r} in [sla.calendar(s)]")


def _rebuild(c: "Context") -> None:
    import sys

    from deskterm.cli.output import progress_bar

    with progress_bar("rebuilding report tables", None) as update:
        done = c.service().rebuild_reports(report_calendar(c), progress=update)
    print(f"rebuilt the report tables from {done:,} tickets", file=sys.stderr)


def report(
    ctx: typer.Context,
    since: Annotated[
        str | None, typer.Option(help="First day: YYYY-MM-DD, 7d, 12w, today or all.")
    ] = None,
    until: Annotated[str | None, typer.Option(help="Last day (default today).")] = None,
    by: Annotated[
        str | None, typer.Option(help="Rows by agent, tag, group, day, week, mailbox or channel.")
    ] = None,
    as_json: JsonOpt = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV (stable field names).")] = False,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Recompute the report tables first (old stores).")
    ] = False,
) -> None:
    import sys
    from datetime import UTC, datetime

    from deskterm.errors import UsageError
    from deskterm.reports.calendar_spec import DEFAULT_SPEC, describe
    from deskterm.reports.model import BY_CHOICES, period_from
    from deskterm.store.queries.report_feedback import store_feedback
    from deskterm.store.queries.reports import (
        ReportSettings,
        build_report,
        first_day,
        report_today,
        stored_calendar_spec,
    )

    if by is not None and by not in BY_CHOICES:
        raise UsageError(f"unknown --by {by!r} (choose from {', '.join(BY_CHOICES)})")
    if as_json and as_csv:
        raise UsageError("give --json or --csv, not both")
    c = ctx_of(ctx)
    if rebuild:
        _rebuild(c)
    c.service().catch_up_reports()
    store = c.store()
    wanted, stored = report_calendar(c), stored_calendar_spec(store) or DEFAULT_SPEC
    if wanted != stored:
        print(
            f"note: business time is on {describe(stored)}; the config names"
            f" {describe(wanted)}: `deskterm report --rebuild` switches",
            file=sys.stderr,
        )
    today = report_today(store, datetime.now(UTC))
    period = period_from(since, until, today, first_day(store))
    cost = c.config.report.cost_per_agent_hour or None
    result = build_report(
        store,
        period,
        by=by,
        settings=ReportSettings(cost, store_feedback),
        compare=(since or "").strip().lower() != "all",
    )
    if as_json:
        from deskterm.cli.output import emit_json

        emit_json(result.to_json())
    elif as_csv:
        _csv(result)
    else:
        _text(result)


report.__doc__ = HELP


def _csv(r: "Report") -> None:
    import csv
    import sys

    out = csv.writer(sys.stdout, lineterminator="\r\n")
    if r.by is None:
        out.writerow(("metric", "value", "previous", "change"))
        for name, value in r.current.fields().items():
            before = None if r.before is None else r.before[name]
            out.writerow((name, _plain(value), _plain(before), _plain(r.change(name))))
        return
    rows = [x.to_json() for x in (r.days if r.by in ("day", "week") else r.rows)]
    if rows:
        out.writerow(list(rows[0]))
        out.writerows([_plain(v) for v in row.values()] for row in rows)


def _plain(value: object) -> object:
    """CSV cells: empty for no data, floats without noise, names never run as formulas."""
    from deskterm.cli.output import spreadsheet_cell

    if value is None:
        return ""
    if isinstance(value, float):
        return round(value, 3)
    return spreadsheet_cell(value)


def _text(r: "Report") -> None:
    from deskterm.cli.output import table
    from deskterm.reports.display import show_value

    p = r.period
    print(f"{p.since} .. {p.until} ({p.days} days); business time on {r.calendar}")
    if r.by is None:
        table(
            ("metric", "value", "previous", "change"),
            (
                (
                    name,
                    show_value(name, value),
                    show_value(name, None if r.before is None else r.before[name]),
                    show_value(name, r.change(name), change=True),
                )
                for name, value in r.current.fields().items()
            ),
            (34, 12, 12, 12),
        )
        return
    rows = [x.to_json() for x in (r.days if r.by in ("day", "week") else r.rows)]
    if not rows:
        print("no data")
        return
    names = list(rows[0])
    table(
        names,
        ([show_value(n, row[n]) for n in names] for row in rows),
        [max(len(n), 10) if i else 22 for i, n in enumerate(names)],
    )
