#!/bin/sh
# Every scenario pack (scenarios/packs/*/): reproduce.sh prints the reproduced value, and it is
# within the README's stated tolerance of the published one ("check: within P%"), or, for a
# bound, at least the published one ("check: at least").
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
n=0
for d in "$ISM_SRCDIR"/scenarios/packs/*/; do
	name=$(basename "$d")
	[ -f "$d/reproduce.sh" ] || fail "$name: no reproduce.sh"
	expect_exit 0 "$ISM_BIN" run -s "$d/scenario.json" -S passthrough "$TRACES/x86/x86-lazy.txt.xz"
	ISM_BIN="$ISM_BIN" TRACES="$TRACES" sh "$d/reproduce.sh" >"$OUT" 2>"$ERR" || fail "$name: reproduce.sh failed"
	got=$(awk '$1 == "reproduced" { print $2; exit }' "$OUT")
	pub=$(awk '$1 == "published:" { print $2; exit }' "$d/README.md")
	chk=$(awk '$1 == "check:" { $1 = ""; sub(/^ /, ""); print; exit }' "$d/README.md")
	[ -n "$got" ] && [ -n "$pub" ] && [ -n "$chk" ] || fail "$name: reproduced '$got', published '$pub', check '$chk'"
	grep -qF "$got" "$d/README.md" || fail "$name: the README does not state the reproduced $got"
	case $chk in
	"at least")
		awk -v g="$got" -v p="$pub" 'BEGIN { exit !(g + 0 >= p + 0) }' ||
			fail "$name: $got below the published $pub" ;;
	within*%)
		tol=${chk#within }
		tol=${tol%\%}
		awk -v g="$got" -v p="$pub" -v t="$tol" 'BEGIN { d = (g - p) / p * 100; if (d < 0) d = -d; exit !(d <= t) }' ||
			fail "$name: $got not within $tol% of $pub" ;;
	*) fail "$name: check '$chk'" ;;
	esac
	n=$((n + 1))
done
[ "$n" -ge 4 ] || fail "only $n packs"
pass
