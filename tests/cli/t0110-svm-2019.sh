#!/bin/sh
# The svm-2019 pack reproduces the 2019 Secure VM thread within 10% (scenarios/svm-2019/).
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
S="$ISM_SRCDIR/scenarios/svm-2019"

setup() { # SCENARIO STRATEGY -> setup seconds
	"$ISM_BIN" run -s "$S/$1.json" -S "$2" --format csv "$TRACES/pseries-ddw.txt.xz" \
		2>"$ERR" > "$OUT" || fail "run $1 $2"
	awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "setup_ns") c = i }
		NR == 2 { printf "%.6f\n", $c / 1e9 }' "$OUT"
}
within() { # VALUE TARGET PERCENT
	awk -v v="$1" -v t="$2" -v p="$3" 'BEGIN {d = (v - t) / t; if (d < 0) d = -d; exit !(d <= p / 100)}'
}
lt() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a < b)}'; }

a=$(setup rfc-30g window32)
within "$a" 13 10 || fail "30 GB guest: clearing the 1 GiB window took $a s, the thread says 13 s"
b=$(setup rfc-2g window32)
c=$(setup rfc-32g window32)
within "$b" 13 10 || fail "2 GB guest: $b s"
within "$c" 13 10 || fail "32 GB guest: $c s"
[ "$b" = "$c" ] || fail "2 GB and 32 GB differ ($b s, $c s): the thread saw the same time"
d=$(setup rfc-32g ddw)
e=$(awk -v d="$d" -v c="$c" 'BEGIN {print d - c}')
lt "$e" 1 || fail "creating and pre-mapping the 32 GB DDW took $e s: not 'a fraction of a second'"
lt 0 "$e" || fail "the DDW cost nothing"
f=$(setup rfc-64m-window window32)
lt "$f" "$(awk -v a="$a" 'BEGIN {print a / 10}')" ||
	fail "64 MiB window: $f s is not 'tremendously' faster than $a s"
g=$(setup merged-5.6 window32)
lt "$g" 0.1 || fail "H_STUFF_TCE clear took $g s: not 'hardly any time'"
pass
