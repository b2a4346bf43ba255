#!/bin/sh
# ci-reports.sh: the reports CI keeps as artefacts (never committed), from the bundled traces:
#   build/ci-report/pseries-noddw/   compare -o: report.md, report.html, figures, results
#   build/ci-report/sweep-h_put_tce/ sweep of the H_PUT_TCE latency (direct vs share-per-call)
#   build/ci-report/trend.svg        plot history over the results kept in the history folder
#   build/ci-report/regress-*.txt    regress against the previous results of each trace
# The history folder (ISM_CI_HISTORY, default build/ci-history) grows by one result per trace
# and run; a CI that keeps it between runs gets a trend across commits. The regress verdicts
# are printed; they fail this script only with ISM_CI_GATE=1 (a model change is often meant).
# Without gnuplot the data and scripts are still written (iommusim says how to draw them).
# Usage: scripts/ci-reports.sh [BUILD_DIR]   (default build/)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$top/build}
bin="$build/src/iommusim"
out="$build/ci-report"
hist=${ISM_CI_HISTORY:-$build/ci-history}
sc="$top/scenarios/qemu-pseries.json"
export ISM_NO_PROGRESS=1

[ -x "$bin" ] || { echo "ci-reports: no $bin (build first)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out" "$hist"
label=$(cd "$top" && git rev-parse --short HEAD 2>/dev/null || echo local)
stamp=$(date -u +%Y%m%dT%H%M%SZ)
gate=0

echo "== ci-reports: compare -O $out/pseries-noddw"
"$bin" compare -s "$sc" -O "$out/pseries-noddw" "$top/traces/pseries-noddw.txt.xz"

echo "== ci-reports: sweep of cost.h_put_tce.fixed_ns"
"$bin" sweep -s "$sc" -S direct-tce,indirect-tce:share-per-call \
	-p cost.h_put_tce.fixed_ns=100:100000:log:16 -m run_ns -O "$out/sweep-h_put_tce" \
	"$top/traces/pseries-noddw.txt.xz" | sed -n '/^crossovers/,$p'

for t in noddw ddw swiotlb multitce-off; do
	tr="$top/traces/pseries-$t.txt.xz"
	[ -f "$tr" ] || continue
	cur="$hist/$stamp-$label-$t.json"
	prev=$(ls "$hist"/*-"$t".json 2>/dev/null | tail -1 || true)
	"$bin" compare -s "$sc" --json -o "$cur" "$tr"
	if [ -n "$prev" ]; then
		echo "== ci-reports: regress $t against $(basename "$prev")"
		if ! "$bin" regress --baseline "$prev" "$cur" >"$out/regress-$t.txt"; then
			gate=1
		fi
		tail -1 "$out/regress-$t.txt"
	fi
done

# the trend of pseries-noddw over the last 30 results kept, labelled by commit
files=$(ls "$hist"/*-noddw.json | tail -30)
labels=$(for f in $files; do basename "$f" -noddw.json | cut -d- -f2-; done | paste -sd, -)
echo "== ci-reports: plot history ($(echo "$files" | wc -l) results) -> $out/trend.svg"
# shellcheck disable=SC2086
"$bin" plot history $files --label "$labels" --metric boot_ns,run_ns,hcalls \
	--title "pseries-noddw across commits" -o "$out/trend.svg"
echo "== ci-reports: artefacts in $out"
if [ "$gate" = 1 ] && [ "${ISM_CI_GATE:-0}" = 1 ]; then
	echo "ci-reports: regress found regressions (ISM_CI_GATE=1)" >&2
	exit 1
fi
exit 0
