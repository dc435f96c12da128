#!/usr/bin/env bash
# Hostile documents through every command that reads one: a 700-byte "billion laughs" and
# 10,000-level nesting are refused with exit 2 within a second or two, naming the file and the
# limit (on 15046eb each ran until bad_alloc, or said only "bad file").
ebb=$1; here=$2
source "$here/lib.sh"
{
  echo 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'
  prev=a
  for c in b c d e f g h i; do
    printf '%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n' $c $c $prev $prev $prev $prev $prev $prev $prev $prev $prev
    prev=$c
  done
} >"$tmp/laughs.yaml"
[ "$(wc -c <"$tmp/laughs.yaml")" -lt 800 ] || fail "the bomb should be tiny"
/usr/bin/python3 -c 'print("a: " + "[" * 10000 + "]" * 10000)' >"$tmp/deep.yaml"
printf 'kind: Autoscaler\nspec: {}\nkind: Other\n' >"$tmp/dup.yaml"
/usr/bin/python3 -c 'print("#" * (2 * 1024 * 1024))' >"$tmp/big.yaml"

# within_seconds N CMD...: runs CMD (killed after 60 s) and fails when it took N seconds or more.
within_seconds() {
  local limit=$1; shift
  local start end
  start=$(date +%s%N)
  expect_rc 2 timeout 60 "$@"
  end=$(date +%s%N)
  [ $(((end - start) / 1000000000)) -lt "$limit" ] || fail "$* took $(((end - start) / 1000000)) ms"
}
expect_in_err() { grep -qF -- "$1" "$tmp/err" || fail "want \"$1\" in: $(cat "$tmp/err")"; }

laughs="$tmp/laughs.yaml: line 5, column 4: e: anchor: anchors and aliases would copy more than 100000 values (the limit per file)"
within_seconds 3 "$ebb" validate -f "$tmp/laughs.yaml"
expect_in_err "$laughs"
within_seconds 3 "$ebb" validate -f - <"$tmp/laughs.yaml"
expect_in_err "<stdin>: line 5, column 4: e: anchor: anchors and aliases would copy more than"
within_seconds 3 "$ebb" decide --input "$tmp/laughs.yaml"
expect_in_err "$laughs"
within_seconds 3 "$ebb" convert -f "$tmp/laughs.yaml"
expect_in_err "$laughs"
within_seconds 3 "$ebb" simulate -f "$tmp/laughs.yaml" --metrics "$here/../../examples/recordings/celery-arrivals.csv"
expect_in_err "$laughs"

within_seconds 3 "$ebb" validate -f "$tmp/deep.yaml"
expect_in_err "$tmp/deep.yaml: line 1, column 103: a[0][0]"
expect_in_err "nested deeper than 100 levels (the limit)"
within_seconds 3 "$ebb" validate -f "$tmp/dup.yaml"
expect_in_err "$tmp/dup.yaml: line 3, column 1: kind: duplicate key (first at line 1)"
within_seconds 3 "$ebb" validate -f "$tmp/big.yaml"
expect_in_err "$tmp/big.yaml: larger than 1048576 bytes (the limit for a document)"
within_seconds 3 "$ebb" validate -f - <"$tmp/big.yaml"
expect_in_err "<stdin>: larger than 1048576 bytes (the limit for a document)"
# A kind of the wrong type is no convertible kind (on 15046eb: "ebb: fatal: type_error", exit 1).
printf 'kind: [1]\napiVersion: autoscaling/v2\n' >"$tmp/kind.yaml"
within_seconds 3 "$ebb" convert -f "$tmp/kind.yaml"
expect_in_err "note: skipped a ? (not an HPA or ScaledObject)"
echo "cli documents: ok"
