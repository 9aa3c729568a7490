#!/usr/bin/env bash
# Runs the vitest suite with the gateway's clock moved, to find tests that break with the date
# (on 2026-12-01 a renewal in config/contracts.json started and a phone test on the real clock
# failed). Usage: bash test/dated/run.sh +30d [vitest args]   (needs Debian's `faketime`).
#
# Node and its tests run under libfaketime; redis-server, Dovecot and Chromium keep the real
# clock (libfaketime breaks redis-server's jemalloc and Dovecot's IDLE), through the shims below.
# So from +7d on, the two backlog tests whose mail gets Dovecot's INTERNALDATE see it as a week
# old and fail ("drains the backlog on start…", "…dies mid-drain…"): that is the clocks
# disagreeing, not the date. Tests use the demo registry with its current contracts made
# open-ended (test/support/registry.ts), so at +9500d (2052) those two are still the only failures.
# The fault suite (add --config vitest.faults.config.ts) fails its mail deadline checks for the
# same reason: a mail's sentAt comes from Dovecot's clock. Its portal and phone checks pass.
set -euo pipefail
cd "$(dirname "$0")/../.."
offset="${1:?usage: bash test/dated/run.sh +30d [vitest args]}"
shift
command -v faketime >/dev/null 2>&1 || { echo "needs faketime: apt-get install -y faketime" >&2; exit 2; }
shims="$(mktemp -d)"
trap 'rm -rf "$shims"' EXIT
for program in redis-server dovecot chromium; do
  real="$(command -v "$program")" || { echo "needs $program" >&2; exit 2; }
  printf '#!/bin/sh\nunset LD_PRELOAD FAKETIME\nexec %s "$@"\n' "$real" > "$shims/$program"
  chmod +x "$shims/$program"
done
echo "running vitest at $(faketime -f "$offset" date -u '+%Y-%m-%d %H:%M UTC')"
PATH="$shims:$PATH" CHROMIUM_PATH="$shims/chromium" FAKETIME_DONT_FAKE_MONOTONIC=1 \
  faketime -f "$offset" npx vitest run "$@"
