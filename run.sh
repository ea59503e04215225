#!/usr/bin/env bash
# One entry point for a fresh machine:
#   bash run.sh demo   -> venv + install + `deskterm demo`
#   bash run.sh test   -> system packages + venv + ruff + mypy + import contracts + pytest
#   bash run.sh bench  -> venv + the benchmarks
set -euo pipefail
cd "$(dirname "$0")"
VENV=${DESKTERM_VENV:-.venv}
PY=${PYTHON:-python3}

need_python() {
  "$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null \
    || { echo "run.sh: Python 3.11 or newer is needed as '$PY' (set PYTHON=...)" >&2; exit 2; }
}

venv() {
  need_python
  if [ ! -x "$VENV/bin/python" ]; then
    "$PY" -m venv "$VENV"
  fi
  local stamp="$VENV/.installed-$1"
  if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    # compat mode: a plain .pth entry; the default import-hook finder adds ~20 ms per start
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -e ".[$1]" \
      --config-settings editable_mode=compat
    touch "$stamp"
  fi
}

system_packages() {
  # The tests talk to real servers: Dovecot (IMAP), PostgreSQL, drive the app in tmux,
  # and the help pages in Debian's Chromium (through Playwright, never its own browser build).
  local missing=()
  command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || missing+=(dovecot-imapd)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
  command -v tmux >/dev/null 2>&1 || missing+=(tmux)
  command -v chromium >/dev/null 2>&1 || missing+=(chromium)
  # Korean, Chinese and Japanese text in the help pages' screenshots (boxes without it).
  [ -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] || missing+=(fonts-noto-cjk)
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    echo "run.sh: install these Debian packages as root first: apt-get install -y ${missing[*]}" >&2
    exit 2
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
}

case "${1:-}" in
  demo)
    shift; venv dev
    exec "$VENV/bin/deskterm" demo "$@"
    ;;
  test)
    shift; system_packages; venv dev
    "$VENV/bin/ruff" format --check deskterm tests bench
    "$VENV/bin/ruff" check deskterm tests bench
    "$VENV/bin/mypy"
    "$VENV/bin/lint-imports"
    exec "$VENV/bin/pytest" -n 2 "$@"
    ;;
  bench)
    shift; venv dev
    exec "$VENV/bin/python" -m bench "$@"
    ;;
  *)
    echo "usage: bash run.sh demo|test|bench [args]" >&2
    exit 2
    ;;
esac
