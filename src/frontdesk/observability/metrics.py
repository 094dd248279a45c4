"""The process's metrics and their Prometheus text exposition (format 0.0.4).

Writers are one-liners on hot paths: a counter is a dict from a label tuple to a number, a histogram a
dict from a label tuple to its bucket counts. One event loop writes them, so there are no locks; a
scrape renders from a snapshot of the dicts. Gauges that describe state (the outbox, the pools, the
sockets) are read when scraped rather than kept up to date.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, select, text
from sqlalchemy.pool import Pool

from frontdesk.kit.time import utc_now
from frontdesk.models import jobs, webhook_deliveries
from frontdesk.models.base import UTCDateTime
from frontdesk.models.webhooks import UNFINISHED_SQL

# The label of a request that matched no route (its raw path would make the series unbounded).
UNMATCHED_ROUTE = "unmatched"
# The outbox gauges look at no more than this many unfinished rows (the oldest, by the partial index).
OUTBOX_SCAN_LIMIT = 10_000

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
LAG_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def _labels(names: Sequence[str], values: Iterable[object], extra: str = "") -> str:
    pairs = [f'{name}="{_escape(str(value))}"' for name, value in zip(names, values, strict=True)]
    if extra:
        pairs.append(extra)
    return "{" + ",".join(pairs) + "}" if pairs else ""


def _number(value: float) -> str:
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


class Counter:
    __slots__ = ("help", "label_names", "name", "values")

    def __init__(self, name: str, help: str, label_names: Sequence[str]) -> None:
        self.name = name
        self.help = help
        self.label_names = tuple(label_names)
        self.values: dict[tuple[Any, ...], float] = {}

    def inc(self, key: tuple[Any, ...], amount: float = 1) -> None:
        values = self.values
        values[key] = values.get(key, 0) + amount

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        for key, value in sorted(self.values.copy().items(), key=lambda item: str(item[0])):
            lines.append(f"{self.name}{_labels(self.label_names, key)} {_number(value)}")
        return lines


class Histogram:
    """Per label tuple: one count per bucket (the last is +Inf), then the sum of the observations."""

    __slots__ = ("bounds", "help", "label_names", "name", "series")

    def __init__(self, name: str, help: str, label_names: Sequence[str], bounds: Sequence[float]) -> None:
        self.name = name
        self.help = help
        self.label_names = tuple(label_names)
        self.bounds = tuple(bounds)
        self.series: dict[tuple[Any, ...], list[float]] = {}

    def observe(self, key: tuple[Any, ...], value: float) -> None:
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = [0.0] * (len(self.bounds) + 2)
        series[bisect_left(self.bounds, value)] += 1
        series[-1] += value

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        for key, series in sorted(self.series.copy().items(), key=lambda item: str(item[0])):
            counts = list(series)
            cumulative = 0.0
            for bound, count in zip((*self.bounds, float("inf")), counts[:-1], strict=True):
                cumulative += count
                le = "+Inf" if bound == float("inf") else _number(bound)
                labels = _labels(self.label_names, key, f'le="{le}"')
                lines.append(f"{self.name}_bucket{labels} {_number(cumulative)}")
            lines.append(f"{self.name}_sum{_labels(self.label_names, key)} {_number(counts[-1])}")
            lines.append(f"{self.name}_count{_labels(self.label_names, key)} {_number(cumulative)}")
        return lines


def _gauge(name: str, help: str, samples: Iterable[tuple[str, float]]) -> list[str]:
    lines = [f"# HELP {name} {help}", f"# TYPE {name} gauge"]
    lines.extend(f"{name}{labels} {_number(value)}" for labels, value in samples)
    return lines


http_requests = Counter(
    "frontdesk_http_requests_total",
    "HTTP requests answered, by route template, method and status.",
    ("route", "method", "status"),
)
http_latency = Histogram(
    "frontdesk_http_request_duration_seconds",
    "Time from a request's arrival to the end of its response.",
    ("route", "method"),
    LATENCY_BUCKETS,
)
webhook_attempts = Counter(
    "frontdesk_webhook_deliveries_total",
    "Webhook delivery attempts recorded by this process's workers, by outcome "
    "(delivered; retried: failed and due again; dead: given up).",
    ("outcome",),
)
job_outcomes = Counter(
    "frontdesk_jobs_total",
    "Job attempts recorded by this process's runners, by kind and outcome (succeeded; retried: failed and "
    "due again; rescheduled: the handler asked to run later; dead: given up).",
    ("kind", "outcome"),
)
worker_lag = Histogram(
    "frontdesk_webhook_worker_lag_seconds",
    "Seconds between a delivery's due time and its claim by a worker.",
    (),
    LAG_BUCKETS,
)

# The worker's recorded statuses, as the metric names them.
_OUTCOMES = {"succeeded": "delivered", "failed": "retried", "dead": "dead"}


def count_request(route: str, method: str, status: int, seconds: float) -> None:
    http_requests.inc((route, method, status))
    http_latency.observe((route, method), seconds)


def count_deliveries(statuses: Iterable[str]) -> None:
    """Recorded attempts, by the status the worker wrote (succeeded / failed / dead)."""
    for status in statuses:
        webhook_attempts.inc((_OUTCOMES.get(status, status),))


# The runner's recorded statuses, as the metric names them.
_JOB_OUTCOMES = {"succeeded": "succeeded", "failed": "retried", "pending": "rescheduled", "dead": "dead"}


def count_jobs(outcomes: Iterable[tuple[str, str]]) -> None:
    """Recorded attempts, as (kind, the status the runner wrote)."""
    for kind, status in outcomes:
        job_outcomes.inc((kind, _JOB_OUTCOMES.get(status, status)))


def observe_claims(now: datetime, due_times: Iterable[datetime]) -> None:
    for due in due_times:
        worker_lag.observe((), max(0.0, (now - due).total_seconds()))


@dataclass
class OutboxState:
    depth: int
    oldest_due_age: float


async def outbox_state(database: Any) -> OutboxState:
    """One query on the unfinished-rows partial index, bounded to its oldest ``OUTBOX_SCAN_LIMIT`` rows."""
    d = webhook_deliveries
    now = utc_now()
    head = (
        select(d.c.next_attempt_at)
        .where(text(f"webhook_deliveries.{UNFINISHED_SQL}"))
        .order_by(d.c.id)
        .limit(OUTBOX_SCAN_LIMIT)
        .subquery()
    )
    due = case((head.c.next_attempt_at <= now, head.c.next_attempt_at), else_=None)
    statement = select(func.count(), func.min(due, type_=UTCDateTime))
    async with database.read_engine.connect() as conn:
        depth, oldest = (await conn.execute(statement)).one()
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    return OutboxState(int(depth), age)


@dataclass
class JobsState:
    kind: str
    unfinished: int
    oldest_due_age: float


async def jobs_state(database: Any) -> list[JobsState]:
    """Unfinished jobs per kind, from the ``OUTBOX_SCAN_LIMIT`` soonest due (the partial index's order)."""
    now = utc_now()
    head = (
        select(jobs.c.kind, jobs.c.next_attempt_at)
        .where(text("jobs.status IN ('pending', 'failed')"))
        .order_by(jobs.c.next_attempt_at)
        .limit(OUTBOX_SCAN_LIMIT)
        .subquery()
    )
    due = case((head.c.next_attempt_at <= now, head.c.next_attempt_at), else_=None)
    statement = select(head.c.kind, func.count(), func.min(due, type_=UTCDateTime)).group_by(head.c.kind)
    async with database.read_engine.connect() as conn:
        rows = list(await conn.execute(statement))
    return [
        JobsState(kind, int(count), max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)
        for kind, count, oldest in sorted(rows)
    ]


def _pool_samples(database: Any) -> tuple[list[tuple[str, float]], list[tuple[str, float]]]:
    pools: list[tuple[str, Pool]] = [("write", database.write_engine.pool)]
    if database.read_engine is not database.write_engine:
        pools.append(("read", database.read_engine.pool))
    checked_out: list[tuple[str, float]] = []
    size: list[tuple[str, float]] = []
    for name, pool in pools:
        checked = getattr(pool, "checkedout", None)
        capacity = getattr(pool, "size", None)
        if callable(checked):
            checked_out.append((f'{{pool="{name}"}}', float(checked())))
        if callable(capacity):
            size.append((f'{{pool="{name}"}}', float(capacity())))
    return checked_out, size


async def render(database: Any, realtime: Any) -> str:
    """The whole exposition: the counters and histograms, then the gauges read now."""
    lines: list[str] = []
    for metric in (http_requests, http_latency, webhook_attempts, worker_lag, job_outcomes):
        lines.extend(metric.render())
    if database is not None:
        state = await outbox_state(database)
        lines.extend(
            _gauge(
                "frontdesk_webhook_outbox_pending",
                f"Unfinished webhook deliveries (pending or failed and due again), counted up to {OUTBOX_SCAN_LIMIT}.",
                [("", state.depth)],
            )
        )
        lines.extend(
            _gauge(
                "frontdesk_webhook_outbox_oldest_due_seconds",
                "Age of the oldest unfinished delivery whose attempt is due (0 when none is due).",
                [("", state.oldest_due_age)],
            )
        )
        kinds = await jobs_state(database)
        lines.extend(
            _gauge(
                "frontdesk_jobs_unfinished",
                f"Unfinished jobs (pending, or failed and due again) per kind, of the {OUTBOX_SCAN_LIMIT} soonest due.",
                [(_labels(("kind",), (item.kind,)), item.unfinished) for item in kinds],
            )
        )
        lines.extend(
            _gauge(
                "frontdesk_jobs_oldest_due_seconds",
                "Per kind, how long the longest-waiting due job has been due (0 when none is due).",
                [(_labels(("kind",), (item.kind,)), item.oldest_due_age) for item in kinds],
            )
        )
        checked_out, size = _pool_samples(database)
        lines.extend(_gauge("frontdesk_db_pool_checked_out", "Database connections in use, per pool.", checked_out))
        lines.extend(_gauge("frontdesk_db_pool_size", "Database connections a pool keeps, per pool.", size))
    if realtime is not None:
        sockets = len(getattr(realtime, "connections", ()))
        lines.extend(_gauge("frontdesk_realtime_sockets_open", "Realtime (/cable) sockets open.", [("", sockets)]))
    return "\n".join(lines) + "\n"
