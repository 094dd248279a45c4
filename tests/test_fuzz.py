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
    # The errors and failures sections name the operation and the request; the summary after them is long.
    found = [at for at in (output.find("ERRORS"), output.find("FAILURES")) if at >= 0]
    assert result.returncode == 0, output[min(found) : min(found) + 6000] if found else output[-6000:]
    summary = re.search(r"(\d+) passed", output)
    # The run is bounded in time; under load it may not reach every operation, but it must reach many.
    assert summary is not None and int(summary.group(1)) >= 40, output[-3000:]
