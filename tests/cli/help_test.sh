#!/usr/bin/env bash
# One CLI: every command answers -h/--help with its usage on stdout and exit 0, the top-level
# usage lists every command, -f/--filename is the input flag everywhere, and a bad flag exits 2
# naming it and pointing at --help.
ebb=$1; here=$2
source "$here/lib.sh"
for cmd in run validate convert simulate decide; do
  for h in --help -h; do
    expect_rc 0 "$ebb" "$cmd" "$h"
    grep -q "^usage: ebb $cmd" "$tmp/out" || fail "ebb $cmd $h: no usage on stdout: $(cat "$tmp/out")"
    [ ! -s "$tmp/err" ] || fail "ebb $cmd $h wrote to stderr: $(cat "$tmp/err")"
    grep -q -- "-f, .*--filename" "$tmp/out" || fail "ebb $cmd $h: no -f/--filename: $(cat "$tmp/out")"
    grep -q -- "-h, --help" "$tmp/out" || fail "ebb $cmd $h: --help not listed"
  done
  expect_rc 2 "$ebb" "$cmd" --no-such-flag
  grep -q "ebb $cmd: \"--no-such-flag\": unknown flag" "$tmp/err" || fail "ebb $cmd: bad flag: $(cat "$tmp/err")"
  grep -q "see ebb $cmd --help" "$tmp/err" || fail "ebb $cmd: no pointer to --help"
done
# run --help documents both modes, the environment and the --once exit codes.
expect_rc 0 "$ebb" run --help
for want in "--once" "--kubeconfig" "EBB_CONCURRENCY" "--tolerance" "3 every metric"; do
  grep -q -- "$want" "$tmp/out" || fail "ebb run --help lacks $want"
done
for h in --help -h help; do
  expect_rc 0 "$ebb" "$h"
  for c in "run \[flags\]" "run --once" validate convert simulate decide version; do
    grep -q "^  $c" "$tmp/out" || fail "top-level usage lacks $c: $(cat "$tmp/out")"
  done
done
expect_rc 2 "$ebb"
grep -q "^usage: ebb COMMAND" "$tmp/err" || fail "no usage on stderr without a command"
expect_rc 0 "$ebb" version
grep -qE "^ebb [0-9.]+ \(revision ([0-9a-f]{12}|unknown), " "$tmp/out" || fail "version: $(cat "$tmp/out")"
# -f/--filename/--filename= on every command that reads a file.
ex="$here/../../examples/celery-worker.yaml"
for form in "-f $ex" "--filename $ex" "--filename=$ex"; do
  # shellcheck disable=SC2086
  expect_rc 0 "$ebb" validate $form
  # shellcheck disable=SC2086
  expect_rc 0 "$ebb" convert $form -f "$here/../convert/fixtures/hpa-v1.yaml"
done
echo "cli help: ok"
