"""Every benchmark in quick mode on the test database kind, so none of them rots.

Asserts only that each ran to the end and printed its figures (the ``BENCH {...}`` lines), never a time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.server import database_kind

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    prefix = f"fd_bench_smoke_{uuid.uuid4().hex[:8]}_"
    env = {key: value for key, value in os.environ.items() if not key.startswith("FRONTDESK_")}
    for key in ("FRONTDESK_TEST_POSTGRES_URL", "FRONTDESK_TEST_DATABASE"):
        if key in os.environ:
            env[key] = os.environ[key]
    env["FRONTDESK_BENCH_DATA"] = str(tmp_path_factory.mktemp("bench-data"))
    env["FRONTDESK_BENCH_PG_PREFIX"] = prefix
    yield env
    if database_kind() == "postgres":
        from bench.common import drop_postgres_databases

        drop_postgres_databases(prefix)


def run_bench(env: dict[str, str], module: str, *extra: str) -> list[dict[str, Any]]:
    completed = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", "--db", database_kind(), "--quick", *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    return [json.loads(line[len("BENCH ") :]) for line in completed.stdout.splitlines() if line.startswith("BENCH ")]


def metrics(figures: list[dict[str, Any]]) -> set[str]:
    return {figure["metric"] for figure in figures}


def test_generate_fills_an_account(bench_env: dict[str, str]) -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "bench.generate", "--db", database_kind(), "--quick", "--name", "smoke"],
        cwd=ROOT,
        env=bench_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    record = json.loads(completed.stdout.splitlines()[-1])
    assert record["counts"] == {"conversations": 300, "messages": 3000, "contacts": 300}
    assert len(record["access_token"]) == 24
    assert "generated" in completed.stderr


def test_message_create_prints_app_baseline_and_ratio(bench_env: dict[str, str]) -> None:
    figures = run_bench(bench_env, "message_create", "--duration", "1")
    assert {
        "baseline: raw-driver insert tx/s",
        "app: POST message req/s",
        "ratio app/baseline (req/s)",
    } <= metrics(figures)
    app = next(f for f in figures if f["metric"] == "app: POST message req/s")
    assert app["n"] > 0
    assert app["errors"] == 0


def test_lists_prints_both_sizes_and_ratios(bench_env: dict[str, str]) -> None:
    figures = run_bench(bench_env, "lists", "--samples", "5")
    names = metrics(figures)
    for endpoint in ("conversation list (admin)", "conversation list (agent)", "contact search", "message thread"):
        assert f"{endpoint} ratio p95 larger/smaller" in names
        assert sum(1 for name in names if name.startswith(f"{endpoint} p95 @")) == 2
    assert all(figure.get("errors", 0) == 0 for figure in figures)


def test_footprint_prints_startup_and_rss(bench_env: dict[str, str]) -> None:
    figures = run_bench(bench_env, "footprint", "--duration", "1")
    assert {
        "start-up: frontdesk serve to /health",
        "start-up baseline: uvicorn hello",
        "RSS idle: frontdesk serve",
        "RSS under message-create load: peak",
        "RSS under load baseline: uvicorn hello",
    } <= metrics(figures)
    load = next(f for f in figures if f["metric"] == "RSS under message-create load: peak")
    assert load["req"] > 0
    assert load["errors"] == 0


def test_scale_out_compares_one_and_two_processes(bench_env: dict[str, str]) -> None:
    import asyncio

    from frontdesk.realtime.bus import redis_reachable

    if database_kind() != "postgres":
        pytest.skip("several server processes need PostgreSQL (FRONTDESK_TEST_DATABASE=postgres)")
    redis_url = os.environ.get("FRONTDESK_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
    if not asyncio.run(redis_reachable(redis_url)):
        pytest.skip(f"several server processes need Redis, not reachable at {redis_url}")
    figures = run_bench(bench_env, "scale_out")
    assert {
        "1 process: POST message req/s",
        "2 processes: POST message req/s",
        "1 process: CPU ms per request",
        "ratio 2 processes / 1 (req/s)",
    } <= metrics(figures)


def test_widget_fanout_prints_both_sides_and_ratios(bench_env: dict[str, str]) -> None:
    # Visitors made through the widget API (config, first message, conversation), as the widget does.
    figures = run_bench(
        bench_env, "widget_fanout", "--visitors", "50", "--replies", "30", "--rounds", "2", "--no-bundles"
    )
    names = metrics(figures)
    assert {
        "frontdesk: reply→frame p99 from created_at",
        "frontdesk: reply→frame p99 from answer",
        "bare: reply→frame p99 from created_at",
        "ratio p99 frontdesk/bare from created_at",
        "ratio p99 frontdesk/bare from request",
    } <= names
    for side in ("frontdesk", "bare"):
        delivered = next(f for f in figures if f["metric"] == f"{side}: replies delivered")
        assert delivered["value"] == 60  # 2 rounds of 30
        assert delivered["missing"] == delivered["misdelivered"] == delivered["errors"] == 0


def test_widget_bundle_sizes_follow_the_manifest(tmp_path: Path) -> None:
    import gzip

    from bench.widget_fanout import bundle_sizes, first_load

    assets = tmp_path / "assets"
    (tmp_path / ".vite").mkdir()
    assets.mkdir()
    files = {
        "sdk.js": "(function(){window.chatwootSDK={run(){}}})();" * 20,
        "assets/main-1.js": "import './vendor-2.js';" + "console.log('widget');" * 50,
        "assets/main-1.css": ".woot{color:red}" * 40,
        "assets/vendor-2.js": "export const v = 1;" * 30,
        "assets/vendor-2.css": ".v{}" * 10,
        "assets/lazy-3.js": "export const lazy = 1;" * 1000,
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    manifest = {
        "widget/main.ts": {
            "file": "assets/main-1.js",
            "isEntry": True,
            "css": ["assets/main-1.css"],
            "imports": ["_vendor"],
            "dynamicImports": ["lazy.ts"],
        },
        "_vendor": {"file": "assets/vendor-2.js", "css": ["assets/vendor-2.css"], "imports": ["widget/main.ts"]},
        "lazy.ts": {"file": "assets/lazy-3.js", "isDynamicEntry": True},
    }
    (tmp_path / ".vite" / "manifest.json").write_text(json.dumps(manifest))

    loaded = [path.relative_to(tmp_path).as_posix() for path in first_load(tmp_path, manifest)]
    assert loaded == ["assets/main-1.js", "assets/main-1.css", "assets/vendor-2.js", "assets/vendor-2.css"]

    found = bundle_sizes(tmp_path, "none")
    gz = lambda name: len(gzip.compress(files[name].encode(), compresslevel=9, mtime=0))  # noqa: E731
    assert found["sdk.js"].gzip == gz("sdk.js")
    assert found["widget first load"].raw == sum(len(files[name]) for name in loaded)
    assert found["widget first load"].gzip == sum(gz(name) for name in loaded)
    assert found["widget first load JS"].gzip == gz("assets/main-1.js") + gz("assets/vendor-2.js")
    assert found["widget first load CSS"].files == ["assets/main-1.css", "assets/vendor-2.css"]
