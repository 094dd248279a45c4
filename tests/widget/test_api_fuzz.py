"""No input ends in a 500 on the Widget API: schemathesis fuzzes its operations with a real visitor's
credentials, so generated bodies and parameters reach the handlers."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.server import RunningServer
from tests.test_fuzz import TOOL_CRASH, _entries, _sections
from tests.widget.conftest import Visitor, WidgetInbox


def _widget_document(server: RunningServer, website_token: str) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(f"{server.base_url}/openapi.json").json()
    document["paths"] = {path: item for path, item in document["paths"].items() if path.startswith("/api/v1/widget/")}
    for item in document["paths"].values():
        for operation in item.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                if parameter["name"] == "website_token":
                    parameter["required"] = True
                    parameter["schema"] = {"type": "string", "enum": [website_token]}
            operation["parameters"] = [p for p in operation.get("parameters", []) if p["name"] != "X-Auth-Token"]
    return document


def test_no_widget_operation_answers_500(
    server: RunningServer, widget: WidgetInbox, visitor: Visitor, tmp_path: Path
) -> None:
    visitor.post("/messages", json={"message": {"content": "a conversation to act on"}})
    schema_file = tmp_path / "widget-openapi.json"
    schema_file.write_text(json.dumps(_widget_document(server, widget.website_token)))
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "st"),
            "run",
            str(schema_file),
            "--url",
            server.base_url,
            "--header",
            f"X-Auth-Token:{visitor.token}",
            "--checks",
            "not_a_server_error",
            "--max-examples",
            "15",
            "--seed",
            "20261207",
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
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = result.stdout + result.stderr
    sections = _sections(output)
    assert "FAILURES" not in sections, sections["FAILURES"][:6000]
    errors = [entry for entry in _entries(sections.get("ERRORS", "")) if TOOL_CRASH not in entry]
    assert not errors, "\n".join(errors)[:6000]
    summary = re.search(r"(\d+) passed", output)
    assert summary is not None and int(summary.group(1)) >= 15, output[-3000:]
