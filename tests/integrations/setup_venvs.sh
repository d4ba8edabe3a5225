#!/usr/bin/env bash
# One virtual environment per third-party SDK (they conflict: python-amazon-paapi ships its own copy of
# creatorsapi_python_sdk), each with the pinned SDK and this checkout of amzauth (editable).
# Idempotent: a venv whose stamp matches its spec is left alone. Usage: setup_venvs.sh [SDK...]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BASE="${AMZAUTH_INTEGRATION_VENVS:-$ROOT/.venv-integrations}"
PY="${PYTHON:-python3}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

# Keep in step with amzauth.integrations' SUPPORTED ranges and pyproject's test-integrations extra.
declare -A SPEC=(
  [creators_sdk]="amazon-creatorsapi-python-sdk==1.2.0"
  [paapi]="python-amazon-paapi==7.1.0"
  [python_sp_api]="python-amazon-sp-api==2.1.35"
  [amzn_sp_api]="amzn-sp-api==1.13.0"
)
names=("$@")
[ ${#names[@]} -gt 0 ] || names=(creators_sdk paapi python_sp_api amzn_sp_api)

make_one() {
  local name="$1" spec="${SPEC[$1]}" dir="$BASE/$1"
  local stamp="$spec requests $(cd "$ROOT" && git hash-object pyproject.toml 2>/dev/null || echo nogit)"
  if [ -x "$dir/bin/python" ] && [ "$(cat "$dir/.stamp" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  rm -rf "$dir"
  "$PY" -m venv "$dir"
  "$dir/bin/pip" install -q "$spec" requests -e "$ROOT" >"$dir.log" 2>&1 || { cat "$dir.log" >&2; return 1; }
  echo "$stamp" >"$dir/.stamp"
  echo "venv $name: $spec"
}

mkdir -p "$BASE"
pids=()
for n in "${names[@]}"; do
  [ -n "${SPEC[$n]:-}" ] || { echo "unknown SDK $n (one of: ${!SPEC[*]})" >&2; exit 2; }
  make_one "$n" & pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
exit $rc
