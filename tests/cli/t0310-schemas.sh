#!/bin/sh
# Machine output keeps its documented shape: every JSON and CSV output validates against its
# JSON Schema in schemas/ (python3-jsonschema), every CSV reads with pandas.read_csv(f) and no
# options (python3-pandas), and every schema is used. Skips (77) without Debian's python3
# modules.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
PY=${ISM_PYTHON:-/usr/bin/python3}
"$PY" -c 'import jsonschema, pandas' 2>/dev/null ||
	skip "$PY lacks jsonschema or pandas (apt-get install python3-jsonschema python3-pandas)"
SC="$ISM_SRCDIR/scenarios/qemu-pseries.json"
D="$TRACES/pseries-ddw.txt.xz"
N="$TRACES/pseries-noddw.txt.xz"
W="$TRACES/pseries-swiotlb.txt.xz"
set --

run() { # NAME SCHEMA ARGS...: iommusim ARGS > $T/NAME, checked against SCHEMA
	out=$1 schema=$2
	shift 2
	"$ISM_BIN" "$@" >"$T/$out" 2>"$ERR" || [ $? -eq 1 ] || fail "iommusim $*"
	echo "$schema=$T/$out" >>"$T/pairs"
}
: >"$T/pairs"
run stats.json stats.schema.json stats --format json -i "$D" "$W"
run stats-x86.json stats.schema.json stats --json "$TRACES/host-x86-6.18.dat.xz"
run lint.json lint.schema.json lint --format json "$D"
run lint-bt.json lint.schema.json lint --json "$ISM_SRCDIR/tests/data/bt/pseries.txt"
run dump.jsonl dump.schema.json dump --header "$ISM_SRCDIR/tests/data/bt/pseries.txt"
run run.json result.schema.json run -s "$SC" -S svm,ddw,window32 --check-hcalls --json "$N"
run run.csv results.csv.schema.json run -s "$SC" -S svm,ddw,swiotlb --format csv "$W"
run base.json result.schema.json run -s "$SC" -S svm,ddw --json "$D"
run stats-reg.json result.schema.json run -s "$SC" -S template,iommu-dma:lazy --json "$N"
run regress.json regress.schema.json regress --json -v --baseline "$T/base.json" "$T/base.json"

expect_exit 0 "$ISM_BIN" compare -s "$SC" -S window32,ddw,svm -O "$T/rep" "$N"
for f in results.json:result manifest.json:manifest results.csv:results.csv \
	figures.json:figures delta.csv:delta.csv cost.csv:cost.csv hcalls.csv:hcalls.csv \
	tradeoff.csv:tradeoff.csv activity.csv:activity.csv; do
	echo "${f#*:}.schema.json=$T/rep/${f%%:*}" >>"$T/pairs"
done
run hist-a.json result.schema.json run -s "$SC" -S ddw,window32 --json "$D"
run hist-b.json result.schema.json run -s "$SC" -S ddw,svm --json "$D"
expect_exit 0 "$ISM_BIN" plot history "$T/hist-a.json" "$T/hist-b.json" -o "$T/trend.svg"
echo "history.csv.schema.json=$T/trend.csv" >>"$T/pairs"
expect_exit 0 "$ISM_BIN" timeline -s "$SC" -S ddw,svm -o "$T/tl.json" "$ISM_SRCDIR/tests/data/bt/pseries.txt"
echo "timeline.schema.json=$T/tl.json" >>"$T/pairs"
expect_exit 0 "$ISM_BIN" sweep -s "$SC" -S ddw,swiotlb+ddw -p machine.swiotlb_bytes=1MiB,64MiB \
	-p cost.h_put_tce.fixed_ns=1000,20000 -l ddw:setup_share=0.5 -O "$T/sw" "$W"
echo "sweep.schema.json=$T/sw/sweep.json" >>"$T/pairs"
echo "sweep.csv.schema.json=$T/sw/sweep.csv" >>"$T/pairs"
echo "sweep-plot.csv.schema.json=$T/sw/sweep-plot.csv" >>"$T/pairs"
for p in "$T"/sw/points/*.json; do
	echo "sweep-point.schema.json=$p" >>"$T/pairs"
done

# shellcheck disable=SC2046
"$PY" "$ISM_SRCDIR/tests/schemas/check.py" "$ISM_SRCDIR/schemas" $(cat "$T/pairs") \
	>"$T/check.out" 2>&1 || fail "schema check: $(head -20 "$T/check.out")"
# every schema is installed
for f in "$ISM_SRCDIR"/schemas/*.json; do
	grep -q "schemas/${f##*/}" "$ISM_SRCDIR/Makefile.am" || fail "${f##*/} is not installed"
done
pass
