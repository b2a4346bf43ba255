#!/bin/sh
# soak.sh BUILDDIR: the soak runs (`make soak`). Not a test: prints figures only.
#
#  1. `iommusim compare` (every strategy in one pass) over ISM_SOAK_EVENTS (default 1e9)
#     events of bench/gen-trace's ftrace text, generated and piped in as they are made, never
#     stored; the time and the peak RSS at that length and at a tenth of it: the memory must
#     not grow with the trace's length.
#  2. `iommusim run -S ddw` over ISM_SOAK_LIVE (default 1e7) mappings live at once (every map
#     of the trace comes before its unmap) and over a tenth of them: the peak RSS per live
#     mapping, the figure iommusim(1) bounds under MEMORY; and `compare` over a hundredth,
#     where each strategy keeps its own state per mapping.
#
# Peak RSS comes from GNU time (/usr/bin/time), the time from date. Run it at low priority on
# a shared machine: nice -n 19 make soak.
set -eu
b=${1:?usage: soak.sh BUILDDIR}
n=${ISM_SOAK_EVENTS:-1000000000}
live=${ISM_SOAK_LIVE:-10000000}
ism=$b/src/iommusim
gen=$b/bench/gen-trace
command -v /usr/bin/time >/dev/null 2>&1 || { echo "soak: needs GNU time (/usr/bin/time)" >&2; exit 1; }
tmp=$(mktemp -d "$b/soak.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
# one stream into `compare` reading standard input; the recorded strategy is named, as a
# stream cannot be read twice (detection is a pass of its own)
measure() { # LABEL UNITS COUNT GENERATOR...
	label=$1 units=$2 count=$3
	shift 3
	s=$(date +%s.%N)
	# shellcheck disable=SC2086
	"$@" | /usr/bin/time -f '%M %U %S' -o "$tmp/time" \
		"$ism" $cmd --set sim.recorded_with=window32 --format csv - >"$tmp/out" 2>"$tmp/err"
	e=$(date +%s.%N)
	read -r rss user sys <"$tmp/time"
	rows=$(($(wc -l <"$tmp/out") - 1))
	echo "$label $rss" >>"$tmp/rss"
	awk -v l="$label" -v u="$units" -v n="$count" -v s="$s" -v e="$e" -v r="$rss" \
		-v cpu="$user $sys" -v rows="$rows" 'BEGIN {split(cpu, c, " ");
		printf "%-28s %12.0f %s  %8.1f s wall  %8.1f s CPU  %.3f us/%s  peak RSS %.1f MiB  (%d result rows)\n",
		       l, n, u, e - s, c[1] + c[2], (e - s) * 1e6 / n, u, r / 1024, rows}'
}
cmd=compare
echo "== soak: compare over streamed events (bench/gen-trace ftrace, piped, not stored)"
measure "compare, $((n / 10)) events" events "$((n / 10))" "$gen" ftrace /dev/stdout "$((n / 10))"
measure "compare, $n events" events "$n" "$gen" ftrace /dev/stdout "$n"
echo "== soak: live mappings (all maps before their unmaps)"
per_map() { # N1 N2: RSS growth per mapping between the last two runs
	tail -2 "$tmp/rss" | awk -v a="$1" -v b="$2" 'NR == 1 {x = $NF} NR == 2 {y = $NF}
		END {printf "  peak RSS per live mapping: %.0f bytes ((RSS at %d - RSS at %d) / %d)\n",
		     (y - x) * 1024 / (b - a), b, a, b - a}'
}
cmd=compare
measure "compare, $((live / 1000)) live" mappings "$((live / 1000))" "$gen" live /dev/stdout "$((live / 1000))"
measure "compare, $((live / 100)) live" mappings "$((live / 100))" "$gen" live /dev/stdout "$((live / 100))"
per_map "$((live / 1000))" "$((live / 100))"
cmd="run -S ddw"
measure "run -S ddw, $((live / 10)) live" mappings "$((live / 10))" "$gen" live /dev/stdout "$((live / 10))"
measure "run -S ddw, $live live" mappings "$live" "$gen" live /dev/stdout "$live"
per_map "$((live / 10))" "$live"
