"""What customers told and did by themselves, for a report's period: the satisfaction
survey (CSAT, happiness, effort) and the knowledge base (views, links, deflection).

Read straight from `survey_answer` and `kb_event`, each by its time index: a period's
answers and help-page uses are few next to its tickets' changes, so they need no
rollup, and an answer changed later is counted as it stands at the period's end.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from deskterm.reports.calendar_spec import DEFAULT_SPEC, calendar_of
from deskterm.reports.model import Feedback, Period
from deskterm.store.queries.reports import stored_calendar_spec
from deskterm.store.schema.db import Store
from deskterm.store.schema.timefmt import to_db

# The latest answer of each ticket answered in the period, with its ticket's assignee.
_LATEST = (
    "SELECT a.rating, a.effort, coalesce(t.assignee_id, 0) FROM survey_answer a"
    " JOIN ticket t ON t.id = a.ticket_id WHERE a.id IN (SELECT max(id) FROM survey_answer"
    " WHERE answered_at >= ? AND answered_at < ? GROUP BY ticket_id)"
)
_KB = (
    "SELECT kind, count(*), count(article_id) FROM kb_event"
    " WHERE created_at >= ? AND created_at < ? AND kind IN"
    " ('view', 'linked', 'suggestion_opened', 'contacted') GROUP BY kind"
)


def bounds(store: Store, period: Period) -> tuple[str, str]:
    """The period's days in the report calendar's timezone, as stored (UTC) times: from
    its first local midnight to the one after its last day, as the rollups count days."""
    zone = calendar_of(stored_calendar_spec(store) or DEFAULT_SPEC).tz
    start = datetime.combine(period.since, time(0), zone)
    end = datetime.combine(period.until + timedelta(days=1), time(0), zone)
    return to_db(start), to_db(end)


def _share(part: int, whole: int) -> float | None:
    return None if not whole else 100.0 * part / whole


def store_feedback(store: Store, period: Period) -> Feedback:
    """The FEEDBACK figures of `period` (README: Reports), and CSAT good % per assignee
    (0: unassigned): a report's `ReportSettings.feedback`."""
    db = store.read()
    span = bounds(store, period)
    answers = db.execute(_LATEST, span).fetchall()
    ratings = [r[0] for r in answers]
    efforts = [int(r[1]) for r in answers if r[1] is not None]
    uses = {str(kind): (int(n), int(named)) for kind, n, named in db.execute(_KB, span)}
    opened = uses.get("suggestion_opened", (0, 0))[0]
    contacted_after_reading = uses.get("contacted", (0, 0))[1]
    desk: dict[str, float | None] = {
        "csat_answers": len(answers),
        "csat_good_pct": _share(ratings.count("great"), len(ratings)),
        "happiness_score": _share(ratings.count("great") - ratings.count("not_good"), len(ratings)),
        "effort_avg": sum(efforts) / len(efforts) if efforts else None,
        "kb_views": uses.get("view", (0, 0))[0],
        "kb_linked": uses.get("linked", (0, 0))[0],
        "deflection_pct": _share(max(opened - contacted_after_reading, 0), opened),
    }
    by_agent: dict[int, list[int]] = {}
    for rating, _effort, agent in answers:
        great_and_all = by_agent.setdefault(int(agent), [0, 0])
        great_and_all[0] += rating == "great"
        great_and_all[1] += 1
    csat = {agent: _share(great, n) for agent, (great, n) in by_agent.items()}
    return Feedback(desk, csat)
