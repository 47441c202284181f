#!/usr/bin/env bash
# Property-based conformance run of the API against its own OpenAPI document.
#
# Starts the debug `fidelis serve --demo` binary on free loopback ports over a temporary
# SQLite file, then runs schemathesis (pinned below) against /openapi.json as the demo
# till, bounded in examples and time. Fails on any 5xx and on any status code, content
# type or response body that the document does not declare.
#
# Locally: cargo build -p fidelis && bash .ci/schemathesis.sh
# Knobs: FIDELIS_ST_EXAMPLES (examples per operation, default 25), FIDELIS_ST_MAX_TIME
# (seconds for the whole run, default 150), FIDELIS_ST_SEED, FIDELIS_ST_VENV (where
# schemathesis is installed, default ~/.cache/fidelis/schemathesis-<version>).
set -euo pipefail
cd "$(dirname "$0")/.."

ST_VERSION=4.32.5
EXAMPLES="${FIDELIS_ST_EXAMPLES:-25}"
MAX_TIME="${FIDELIS_ST_MAX_TIME:-150}"
SEED="${FIDELIS_ST_SEED:-20261130}"
VENV="${FIDELIS_ST_VENV:-$HOME/.cache/fidelis/schemathesis-$ST_VERSION}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
BIN="${FIDELIS_BIN:-$TARGET_DIR/debug/fidelis}"

# schemathesis, from PyPI, in its own virtual environment.
if ! "$VENV/bin/schemathesis" --version 2>/dev/null | grep -q "$ST_VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

if [ ! -x "$BIN" ]; then
  cargo build -p fidelis --locked
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
API_PORT="$(free_port)"
METRICS_PORT="$(free_port)"
WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

FIDELIS_LOG=warn "$BIN" --database "sqlite://$WORK/fidelis.db" serve --demo \
  --listen "127.0.0.1:$API_PORT" --metrics-listen "127.0.0.1:$METRICS_PORT" \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
BASE="http://127.0.0.1:$API_PORT"
for _ in $(seq 1 60); do
  if curl -fsS "$BASE/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then cat "$WORK/server.log"; exit 1; fi
  sleep 0.5
done
curl -fsS "$BASE/health" >/dev/null

# The demo till: Basic base64("demo.till:" + md5hex("demo123")).
PASSWORD_MD5="$(printf '%s' demo123 | md5sum | cut -d' ' -f1)"
AUTH="Basic $(printf 'demo.till:%s' "$PASSWORD_MD5" | base64 -w0)"

status=0
"$VENV/bin/schemathesis" run "$BASE/openapi.json" \
  --header "Authorization: $AUTH" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "$EXAMPLES" \
  --max-time "$MAX_TIME" \
  --seed "$SEED" \
  --workers 2 \
  --request-timeout 10 \
  --suppress-health-check all \
  --report junit --report-dir "$WORK/report" \
  || status=$?
if [ "$status" -ne 0 ]; then
  echo "schemathesis found failures; server log:" >&2
  tail -n 50 "$WORK/server.log" >&2
fi
exit "$status"
