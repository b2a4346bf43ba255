#!/bin/sh
# Every man page renders without a groff warning, and `man -l` (the README's way to read
# them from the source tree) shows iommusim(1). Skipped (77) without groff; scripts/setup.sh
# installs groff-base and man-db.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
command -v groff >/dev/null 2>&1 || skip "groff is not installed (apt-get install groff-base)"
n=0
for m in "$ISM_SRCDIR"/man/*.[1-8]; do
	groff -t -man -Tutf8 -ww -z "$m" 2>"$T/groff" || fail "groff failed on $m"
	[ ! -s "$T/groff" ] || { cat "$T/groff" >&2; fail "groff warnings in $m"; }
	n=$((n + 1))
done
[ $n -ge 3 ] || fail "only $n man pages found in $ISM_SRCDIR/man"
command -v man >/dev/null 2>&1 || skip "man is not installed (apt-get install man-db); $n pages render"
MANPAGER=cat MANWIDTH=80 man -l "$ISM_SRCDIR/man/iommusim.1" >"$OUT" 2>"$ERR" || fail "man -l man/iommusim.1 failed"
grep -q 'iommusim' "$OUT" || fail "man -l shows no iommusim page"
pass
