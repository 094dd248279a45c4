"""The dashboard's reads at two data sizes: is their cost flat in the size of the account?

    .venv/bin/python -m bench.lists --db postgres
    .venv/bin/python -m bench.lists --db sqlite --quick

Two generated databases (``bench.generate``; reused when already generated with the same sizes): the
smaller holds 10 k conversations / 100 k messages / 10 k contacts, the larger 100 k / 1 M / 100 k.
A ``frontdesk serve`` runs on each (two subprocesses at once); this process sends one request at a
time over loopback, alternating between the two servers so both see the same machine noise, and
reads every full response body:

- conversation list: ``GET /api/v1/accounts/{id}/conversations`` — the dashboard's default query
  (open, all assignees, page 1: 25 rows) with its counts (mine/unassigned/assigned/all), as the
  administrator and as an agent (who sees only the inboxes they are a member of);
- contact search: ``GET …/contacts/search?q=`` with last names (many matches, counted) and exact
  e-mail addresses (one match);
- message thread: ``GET …/conversations/{display_id}/messages`` of random conversations.

The baseline of each endpoint is the smaller size in the same run; the ratio is p95 larger/smaller.
Targets: ratio ≤ 1.3 and p95 < 30 ms at the larger size.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.common import BenchDatabase, LoadResult, emit, expect_ok, frontdesk, http_session, ratio
from bench.generate import FIRST, LAST, QUICK, Sizes, ensure, sizes_name

BENCHMARK = "lists"
SMALL = Sizes(contacts=10_000, conversations=10_000, messages=100_000)
LARGE = Sizes(contacts=100_000, conversations=100_000, messages=1_000_000)
QUICK_SMALL = QUICK
QUICK_LARGE = Sizes(
    agents=QUICK.agents,
    inboxes=QUICK.inboxes,
    teams=QUICK.teams,
    contacts=3_000,
    conversations=3_000,
    messages=30_000,
    members_per_inbox=QUICK.members_per_inbox,
)

Request = Callable[[Any, str, dict[str, Any], int], Awaitable[None]]


def _paths(record: dict[str, Any], number: int, rng: random.Random) -> dict[str, tuple[str, str]]:
    """For request ``number``: endpoint name → (path, which token)."""
    account = record["account_id"]
    conversations = record["counts"]["conversations"]
    if number % 3 == 0:
        i = rng.randrange(min(conversations, record["counts"]["contacts"]))
        first, last = FIRST[i % len(FIRST)], LAST[(i // len(FIRST) + i * 31) % len(LAST)]
        q = f"{first}.{last}.{i + 1}@example.com".lower()
    else:
        q = LAST[rng.randrange(len(LAST))]
    return {
        "conversation list (admin)": (f"/api/v1/accounts/{account}/conversations", "access_token"),
        "conversation list (agent)": (f"/api/v1/accounts/{account}/conversations", "agent_access_token"),
        "contact search": (f"/api/v1/accounts/{account}/contacts/search?q={q}", "access_token"),
        "message thread": (
            f"/api/v1/accounts/{account}/conversations/{rng.randrange(1, conversations + 1)}/messages",
            "access_token",
        ),
    }


async def measure(
    targets: list[tuple[str, dict[str, Any]]], samples: int, warmup: int
) -> dict[str, dict[str, LoadResult]]:
    """Alternate one request to each target, endpoint by endpoint; latencies per endpoint per target."""
    import time

    results: dict[str, dict[str, LoadResult]] = {}
    rngs = {label: random.Random(11) for label, _ in targets}
    async with http_session(4) as session:
        for number in range(warmup + samples):
            for label, record in targets:
                for endpoint, (path, token_key) in _paths(record, number, rngs[label]).items():
                    began = time.perf_counter()
                    try:
                        async with session.get(
                            record["base_url"] + path, headers={"api_access_token": record[token_key]}
                        ) as response:
                            await expect_ok(response)
                    except Exception as error:
                        result = results.setdefault(endpoint, {}).setdefault(label, LoadResult())
                        result.errors += 1
                        result.first_error = result.first_error or str(error)[:300]
                        continue
                    elapsed = time.perf_counter() - began
                    if number >= warmup:
                        results.setdefault(endpoint, {}).setdefault(label, LoadResult()).latencies.append(elapsed)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.lists", description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--samples", type=int, default=None, help="requests per endpoint per size (default 200)")
    parser.add_argument("--fresh", action="store_true", help="generate the databases again even if present")
    args = parser.parse_args(argv)
    samples = args.samples or (20 if args.quick else 200)
    warmup = 3 if args.quick else 20
    small, large = (QUICK_SMALL, QUICK_LARGE) if args.quick else (SMALL, LARGE)
    targets: list[tuple[str, dict[str, Any]]] = []
    for label, sizes in (("smaller", small), ("larger", large)):
        db = BenchDatabase(args.db, sizes_name(sizes))
        targets.append((label, {**ensure(db, sizes, fresh=args.fresh), "db": db}))

    with ExitStack() as stack:
        for label, record in targets:
            data_dir = Path(tempfile.mkdtemp(prefix="frontdesk-bench-lists-"))
            server = stack.enter_context(
                frontdesk(
                    record["db"].url, data_dir, log_name=f"lists-{args.db}-{label}", FRONTDESK_EMBEDDED_WORKER="0"
                )
            )
            record["base_url"] = server.base_url
        results = asyncio.run(measure(targets, samples, warmup))

    failed = False
    sizes_label = {label: f"{r['counts']['conversations']:,}/{r['counts']['messages']:,}" for label, r in targets}
    for endpoint, by_size in results.items():
        smaller, larger = by_size.get("smaller", LoadResult()), by_size.get("larger", LoadResult())
        for label, result in (("smaller", smaller), ("larger", larger)):
            emit(
                BENCHMARK,
                args.db,
                f"{endpoint} p95 @{sizes_label[label]}",
                result.ms(0.95),
                "ms",
                p50=result.ms(0.5),
                n=result.count,
                errors=result.errors,
            )
            if result.errors:
                failed = True
                print(f"{endpoint} ({label}) first error: {result.first_error}", file=sys.stderr)
        emit(
            BENCHMARK,
            args.db,
            f"{endpoint} ratio p95 larger/smaller",
            ratio(larger.ms(0.95), smaller.ms(0.95)),
            "x",
            target="<=1.3 and p95<30ms",
        )
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
