#!/bin/sh
# The man pages keep step with the code: every subcommand, strategy, JSON key and CSV column
# iommusim prints is documented in iommusim(1). (t0113 renders the pages.)
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
M="$ISM_SRCDIR/man/iommusim.1"

doc() { grep -q -- "$1" "$M" || fail "iommusim.1 does not document '$1'"; }

expect_exit 0 "$ISM_BIN" --help
for c in $(awk '/^commands:/{on=1; next} on && /^  [a-z]/ {print $1}' "$OUT"); do
	doc "^\\.B iommusim $c"
	doc "^\\.B $c\$"
done
expect_exit 0 "$ISM_BIN" list strategies
for s in $(awk '/^  [a-z]/ && $2 != "variants:" {print $1}' "$OUT"); do
	doc "^\\.B $s"
done
expect_exit 0 "$ISM_BIN" run -S svm --check-hcalls --format json,csv "$TRACES/pseries-ddw.txt.xz"
for k in $(grep -o '"[a-z_0-9]*":' "$OUT" | tr -d '":' | sort -u); do
	doc "$k"
done
for k in $(grep '^strategy,' "$OUT" | tr ',' ' '); do
	doc "$k"
done
pass
