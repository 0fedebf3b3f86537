"""Per-queue figures a supervisor watches: load, speed, SLA breaches and how drafts are used.

Times are wall-clock medians (half of cases were faster); SLA breaches count open cases past
their due time and cases whose first reply (or resolution) came after it. Draft acceptance
looks at each case's first reply: the AI draft sent unchanged, edited, or not used.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from statistics import mean, median

from sqlalchemy import select
from sqlalchemy.orm import Session

from civicdesk.casework.queues import QueueBook
from civicdesk.casework.reading import as_utc, is_breached
from civicdesk.casework.status import OPEN, CaseStatus
from civicdesk.casework.views import QueueMetrics
from civicdesk.store.cases import CaseReplyRow, CaseRow


def _median(values: list[timedelta]) -> timedelta | None:
    return timedelta(seconds=median(v.total_seconds() for v in values)) if values else None


def queue_metrics(
    session: Session, book: QueueBook, now: datetime, queue: str | None = None
) -> list[QueueMetrics]:
    cases_query = select(CaseRow)
    if queue is not None:
        cases_query = cases_query.where(CaseRow.queue == queue)
    cases = list(session.execute(cases_query).scalars())
    first_replies: dict[int, CaseReplyRow] = {}
    replies = session.execute(
        select(CaseReplyRow)
        .where(CaseReplyRow.case_id.in_([case.id for case in cases]))
        .order_by(CaseReplyRow.id)
    ).scalars()
    for reply in replies:
        first_replies.setdefault(reply.case_id, reply)
    by_queue: dict[str, list[CaseRow]] = defaultdict(list)
    for case in cases:
        by_queue[case.queue].append(case)
    keys = [q.key for q in book.queues if queue is None or q.key == queue]
    keys += sorted(key for key in by_queue if key not in keys)  # queues since removed
    results = []
    for key in keys:
        rows = by_queue.get(key, [])
        opened = [case for case in rows if CaseStatus(case.status) in OPEN]
        first = [first_replies[c.id] for c in rows if c.id in first_replies]
        used = [r.edit_distance for r in first if r.source != "own" and r.edit_distance is not None]
        known = book.get(key)
        results.append(
            QueueMetrics(
                key=key,
                title=known.title if known else key,
                open=len(opened),
                breached=sum(1 for case in rows if is_breached(case, now)),
                cases=len(rows),
                first_response_median=_median(
                    [
                        as_utc(c.first_response_at) - as_utc(c.created_at)
                        for c in rows
                        if c.first_response_at is not None
                    ]
                ),
                resolution_median=_median(
                    [
                        as_utc(c.resolved_at) - as_utc(c.created_at)
                        for c in rows
                        if c.resolved_at is not None
                    ]
                ),
                approved=sum(1 for r in first if r.source == "approved"),
                edited=sum(1 for r in first if r.source == "edited"),
                own=sum(1 for r in first if r.source == "own"),
                discarded=sum(1 for c in rows if c.draft_state == "discarded"),
                mean_edit_distance=round(mean(used), 2) if used else None,
            )
        )
    return results
