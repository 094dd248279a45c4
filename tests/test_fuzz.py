"""No input ends in a 500: schemathesis fuzzes every operation of /openapi.json against the real server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.api import Admin
from tests.fixtures.server import RunningServer


def _document_for_account(server: RunningServer, account_id: int) -> dict[str, Any]:
    """The served document with ``{account_id}`` fixed to the fuzzing admin's account, so requests get past
    authorization and reach the handlers instead of stopping at 401."""
    document: dict[str, Any] = httpx.get(f"{server.base_url}/openapi.json").json()
    paths: dict[str, Any] = {}
    for path, item in document["paths"].items():
        fixed = path.replace("{account_id}", str(account_id))
        for operation in item.values():
            if isinstance(operation, dict) and "parameters" in operation:
                operation["parameters"] = [p for p in operation["parameters"] if p.get("name") != "account_id"]
        paths[fixed] = item
    document["paths"] = paths
    return document


# CPython 3.11's ast module (gh-106905) can raise this inside Hypothesis while it describes a strategy: a crash
# of the fuzzer itself, before any request of that example is sent, not an answer of Frontdesk's.
TOOL_CRASH = "AST constructor recursion depth mismatch"
_HEADER = re.compile(r"^=+ ([A-Z]+) =+$", re.MULTILINE)
_ENTRY = re.compile(r"^_+ .+ _+$", re.MULTILINE)


def _sections(output: str) -> dict[str, str]:
    """schemathesis' report by its ``==== NAME ====`` sections."""
    headers = list(_HEADER.finditer(output))
    ends = [header.start() for header in headers[1:]] + [len(output)]
    return {header.group(1): output[header.end() : end] for header, end in zip(headers, ends, strict=False)}


def _entries(section: str) -> list[str]:
    """A section's ``____ METHOD path ____`` entries."""
    starts = [match.start() for match in _ENTRY.finditer(section)]
    return [section[start:end] for start, end in zip(starts, [*starts[1:], len(section)], strict=False)]


def test_no_operation_answers_500_to_generated_input(server: RunningServer, admin: Admin, tmp_path: Path) -> None:
    schema_file = tmp_path / "openapi.json"
    schema_file.write_text(json.dumps(_document_for_account(server, admin.account_id)))
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "run",
            str(schema_file),
            "--url",
            server.base_url,
            "--header",
            f"api_access_token:{admin.token}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "6",
            "--seed",
            "20261125",
            "--no-shrink",
            "--generation-database",
            "none",
            "--workers",
            "2",
            "--max-time",
            "90",
            "--request-timeout",
            "20",
            "--no-color",
            # The profile's own token and password would be rotated by the fuzzer mid-run.
            "--exclude-path",
            "/api/v1/profile/reset_access_token",
            "--exclude-path-regex",
            "^/api/v1/profile$",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    sections = _sections(output)
    # A failed check (a 500) fails the test; so does any error of the run except the tool's own crash below.
    assert "FAILURES" not in sections, sections["FAILURES"][:6000]
    errors = [entry for entry in _entries(sections.get("ERRORS", "")) if TOOL_CRASH not in entry]
    assert not errors, "\n".join(errors)[:6000]
    assert result.returncode == 0 or "ERRORS" in sections, output[-6000:]
    summary = re.search(r"(\d+) passed", output)
    # The run is bounded in time; under load it may not reach every operation, but it must reach many.
    assert summary is not None and int(summary.group(1)) >= 40, output[-3000:]
