#!/usr/bin/env bash
# The dashboard and the website widget (frontend/): install from the lockfile, build into
# src/frontdesk/dashboard/static and src/frontdesk/widget/static (the widget app and sdk.js),
# fail if either build differs from what is committed, run the Vitest suites.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/frontend"

if ! command -v npm >/dev/null 2>&1; then
  if [ "${CI:-}" = "true" ]; then
    echo "npm is required in CI to check the dashboard build" >&2
    exit 1
  fi
  echo "== npm is not available here: the dashboard build check and its unit tests were skipped"
  exit 0
fi

echo "== dashboard: npm ci"
npm ci --no-audit --no-fund --loglevel=error

echo "== dashboard: build"
npm run build --silent

cd "$ROOT"
for STATIC in src/frontdesk/dashboard/static src/frontdesk/widget/static; do
  echo "== built assets match the committed ones: $STATIC"
  if ! git diff --exit-code --stat -- "$STATIC" || [ -n "$(git status --porcelain --untracked-files=all -- "$STATIC")" ]; then
    git status --short -- "$STATIC" >&2
    echo "The build in $STATIC differs from the committed one: run scripts/ci_dashboard.sh and commit it" >&2
    exit 1
  fi
done

echo "== dashboard: unit tests"
cd "$ROOT/frontend"
npx vitest run

echo "== widget and sdk: unit tests"
npx vitest run -c vite.widget.config.ts
