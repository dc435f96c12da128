# Shared helpers for the CLI tests: assertions that print what they compared.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
expect_rc() {  # expect_rc WANT CMD...
  local want=$1; shift
  set +e; "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?; set -e
  [ "$rc" = "$want" ] || { cat "$tmp/out" "$tmp/err" >&2; fail "$* exited $rc, want $want"; }
}
# json_get FILE EXPR: evaluates a Python expression over the parsed JSON `j` (Debian's python3).
json_get() { /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1"; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
