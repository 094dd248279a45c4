"""The built widget (``static/``, built from ``frontend/sdk`` and ``frontend/widget``): the host-page SDK
at Chatwoot's snippet path ``/packs/js/sdk.js`` and the widget app's files under ``/packs/widget/``.

Layout (plan contract 1): ``static/sdk.js``; the Vite build of the widget app (``base: '/packs/widget/'``,
``build.manifest: true``) either in ``static/widget/`` or directly in ``static/`` — its
``.vite/manifest.json`` names the entry ``widget/main.ts`` with its ``file`` and ``css``. Files under
``assets/`` carry a content hash and are cached for a year.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

PACKAGE_STATIC_DIR = Path(__file__).parent / "static"
ENTRY = "widget/main.ts"
BASE = "/packs/widget/"
NOT_BUILT = "The widget is not built"
SDK_CACHE = "public, max-age=300"
IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=300"


@dataclass(frozen=True)
class WidgetEntry:
    """What the widget page loads: the entry script and its style sheets (paths under ``/packs/widget/``)."""

    script: str
    styles: tuple[str, ...]


def static_dir(settings: Any) -> Path:
    configured: Path | None = getattr(settings, "widget_static_dir", None)
    return configured if configured is not None else PACKAGE_STATIC_DIR


def app_root(root: Path) -> Path:
    """Where the widget app's build lives: ``static/widget/`` when it has a manifest, else ``static/``."""
    nested = root / "widget"
    if (nested / ".vite" / "manifest.json").is_file():
        return nested
    return root


def _read_manifest(root: Path) -> dict[str, Any] | None:
    path = app_root(root) / ".vite" / "manifest.json"
    try:
        decoded = msgspec.json.decode(path.read_bytes())
    except (OSError, msgspec.DecodeError):
        return None
    return decoded if isinstance(decoded, dict) else None


def _entry_key(manifest: dict[str, Any]) -> str | None:
    if isinstance(manifest.get(ENTRY), dict):
        return ENTRY
    entries = [key for key, chunk in manifest.items() if isinstance(chunk, dict) and chunk.get("isEntry")]
    preferred = [key for key in entries if key.endswith("main.ts") or key.endswith("main.js")]
    candidates = preferred or entries
    return candidates[0] if candidates else None


def _styles(manifest: dict[str, Any], key: str) -> list[str]:
    """The entry's css and that of the chunks it imports (Vite puts shared css on imported chunks)."""
    found: list[str] = []
    seen: set[str] = set()
    pending = [key]
    while pending:
        current = pending.pop(0)
        if current in seen:
            continue
        seen.add(current)
        chunk = manifest.get(current)
        if not isinstance(chunk, dict):
            continue
        for css in chunk.get("css") or []:
            if isinstance(css, str) and css not in found:
                found.append(css)
        pending.extend(item for item in chunk.get("imports") or [] if isinstance(item, str))
    return found


_entry_cache: dict[tuple[Path, float], WidgetEntry | None] = {}


def widget_entry(root: Path) -> WidgetEntry | None:
    """The entry of the widget build in ``root``, or None when there is no build (re-read when the
    manifest changes, so a rebuild needs no restart)."""
    path = app_root(root) / ".vite" / "manifest.json"
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return None
    cache_key = (path, stamp)
    if cache_key in _entry_cache:
        return _entry_cache[cache_key]
    manifest = _read_manifest(root)
    entry: WidgetEntry | None = None
    if manifest is not None:
        key = _entry_key(manifest)
        chunk = manifest.get(key) if key else None
        if isinstance(chunk, dict) and isinstance(chunk.get("file"), str):
            entry = WidgetEntry(chunk["file"], tuple(_styles(manifest, key or "")))
    if len(_entry_cache) > 16:
        _entry_cache.clear()
    _entry_cache[cache_key] = entry
    return entry


def read_static(base: Path, relative: str) -> bytes | None:
    """The bytes of ``base/relative`` if it is a file inside ``base`` (no escaping it, no dot files)."""
    if not relative or any(part.startswith(".") for part in relative.split("/")):
        return None
    resolved_base = base.resolve()
    path = (resolved_base / relative).resolve()
    if resolved_base not in path.parents or not path.is_file():
        return None
    try:
        return path.read_bytes()
    except OSError:
        return None


def media_type(relative: str) -> str:
    if relative.endswith((".js", ".mjs")):
        return "text/javascript"
    if relative.endswith(".css"):
        return "text/css"
    guessed, _ = mimetypes.guess_type(relative)
    return guessed or "application/octet-stream"
