#!/bin/sh
# seeds.sh SRCDIR BUILDDIR [OUTDIR]: makes the fuzzers' seed corpora, OUTDIR/corpus-NAME/
# (default SRCDIR/fuzz/, where they are committed; `make fuzz-seeds` runs this), from the
# shipped traces, scenarios and test data. Small on purpose (about 200 KB in all): the start
# of each trace, a few events of each kind. Uses BUILDDIR's iommusim (native files, results)
# and bench/gen-tracedat (trace.dat files), and trace-cmd for version 7 copies when present.
# Deterministic except where a tool stamps its output (results carry the input's path).
set -eu
src=$(cd "${1:?usage: seeds.sh SRCDIR BUILDDIR [OUTDIR]}" && pwd)
b=$(cd "${2:?usage: seeds.sh SRCDIR BUILDDIR [OUTDIR]}" && pwd)
out=${3:-$src/fuzz}
ism=$b/src/iommusim
[ -x "$ism" ] || { echo "seeds: $ism not built" >&2; exit 1; }
[ -x "$b/bench/gen-tracedat" ] || make -C "$b" bench/gen-tracedat >/dev/null
work=$b/fuzz/seeds.tmp
rm -rf "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

# decompressed text of a file (xz, gz, zstd or plain)
text() {
	case $1 in
	*.xz) xz -dc "$1" ;;
	*.gz) gzip -dc "$1" ;;
	*.zst) zstd -dcq "$1" ;;
	*) cat "$1" ;;
	esac
}
# corpus NAME: a fresh, empty OUTDIR/corpus-NAME; prints its path
corpus() {
	rm -rf "$out/corpus-$1"
	mkdir -p "$out/corpus-$1"
	echo "$out/corpus-$1"
}
# the base name of a trace without its compression and format suffixes
stem() {
	n=${1##*/}
	n=${n%.xz}
	n=${n%.gz}
	n=${n%.zst}
	echo "${n%.*}"
}

# ---- ftrace text: the start of every shipped text trace (comments and the first events) ----
c=$(corpus ftrace)
for f in "$src"/traces/*.txt.xz "$src"/traces/arm64/*.txt.xz "$src"/traces/x86/*.txt.xz; do
	case $f in *-r[0-9].txt.xz) continue ;; esac # repeats: the same format again
	[ -f "$f" ] || continue
	text "$f" | head -n 60 >"$c/$(stem "$f").txt" || true
done
# a line of each event kind found in the first 20000 lines of each pseries trace
{
	echo "# tracer: nop"
	for f in "$src"/traces/pseries-*.txt.xz; do
		text "$f" | head -n 20000 || true
	done | awk '!/^#/ { k = $5; if (!(k in seen)) { seen[k] = 1; print } }'
} >"$c/kinds.txt"

# ---- perf script text -----------------------------------------------------------------------
c=$(corpus perf)
for f in "$src"/tests/data/perf/*.perf-script.txt.*; do
	text "$f" | head -n 80 >"$c/$(stem "$f").txt" || true
done

# ---- perf JSON: the headers and the first samples, the array closed ---------------------------
c=$(corpus perfjson)
for f in "$src"/tests/data/perf/*.json.*; do
	text "$f" | awk '{ print } /^\t\t}/ { if (++n == 16) exit }' | sed '$ s/},$/}/' \
		>"$c/$(stem "$f").json" || true
	printf '\t]\n}\n' >>"$c/$(stem "$f").json"
done

# ---- bpftrace ---------------------------------------------------------------------------------
c=$(corpus bpftrace)
for f in "$src"/tests/data/bt/*.txt; do
	head -n 80 "$f" >"$c/$(stem "$f").bt"
done

# (tests/data/bad/ is not copied: fuzz/check.sh replays it for every reader)

# ---- native: the text seeds converted ----------------------------------------------------------
c=$(corpus native)
for f in "$out"/corpus-ftrace/pseries-*.txt "$out"/corpus-ftrace/kinds.txt "$out"/corpus-bpftrace/dma.bt; do
	[ -f "$f" ] || continue
	"$ism" convert "$f" -o "$c/$(stem "$f").ist" 2>/dev/null || rm -f "$c/$(stem "$f").ist"
done
cp "$src"/tests/data/native-v1.ist "$work/v1.ist"
head -c 8192 "$work/v1.ist" >"$c/v1-start.ist"

# ---- trace.dat: small generated files, version 6 and (trace-cmd convert) 7, plain and zstd ------
c=$(corpus tracedat)
"$b/bench/gen-tracedat" "$c/gen-60-v6.dat" 60 >/dev/null
if command -v trace-cmd >/dev/null 2>&1; then
	trace-cmd convert -i "$c/gen-60-v6.dat" -o "$c/gen-60-v7.dat" --file-version 7 \
		--compression none >/dev/null 2>&1 || rm -f "$c/gen-60-v7.dat"
	trace-cmd convert -i "$c/gen-60-v6.dat" -o "$c/gen-60-v7-zstd.dat" --file-version 7 \
		--compression zstd >/dev/null 2>&1 || rm -f "$c/gen-60-v7-zstd.dat"
fi

# ---- any format: one of each ------------------------------------------------------------------
c=$(corpus any)
for d in ftrace perf perfjson bpftrace native tracedat; do
	f=$(ls "$out/corpus-$d" | head -n 1)
	cp "$out/corpus-$d/$f" "$c/$d-$f"
done

# ---- scenarios ----------------------------------------------------------------------------------
c=$(corpus scenario)
for f in "$src"/scenarios/*.json "$src"/scenarios/svm-2019/*.json; do
	cp "$f" "$c/"
done

# ---- parameters: the first byte picks the parser (fuzz-param.c) --------------------------------
c=$(corpus param)
i=0
seed() { # MODE TEXT
	i=$((i + 1))
	printf "\\$(printf %03o "$1")%s" "$2" >"$c/$(printf %02d $i)"
}
seed 0 'machine.ram_bytes=8GiB'
seed 0 'cost.h_put_tce.fixed_ns=2000'
seed 0 'machine.ddw_window_base=0x0800000000000000'
seed 0 'machine.ddw_enabled=false'
seed 0 'sim.recorded_with=ddw'
seed 1 'swiotlb+ddw'
seed 1 'indirect-tce:share-per-call'
seed 1 'iommu-dma:lazy'
seed 1 'svm'
seed 2 'cost.h_put_tce.fixed_ns=100:100000:log:16'
seed 2 'machine.ram_bytes=2GiB,8GiB'
seed 2 'machine.cpus=1,2,4,8'
seed 2 'machine.put_tce_indirect=true,false'
seed 3 '5%'
seed 3 'boot_ns=2%'
seed 4 "$(printf 'machine.ram_bytes=64GiB\nmachine.max_ram_bytes=32GiB')"
seed 4 "$(printf 'machine.window32_bytes=3GiB\nmachine.window32_tce_bytes=64KiB')"

# ---- regress: two results (run --format json on two scenarios), NUL between ---------------------
c=$(corpus regress)
# (run from OUTDIR: the results name the trace by a relative path)
t=corpus-ftrace/pseries-ddw.txt
(cd "$out" && "$ism" run -S ddw,direct-tce,swiotlb+ddw --format json "$t") >"$work/a.json" 2>/dev/null
(cd "$out" && "$ism" run -S ddw,direct-tce,swiotlb+ddw --format json \
	--set cost.h_put_tce.fixed_ns=4000 "$t") >"$work/b.json" 2>/dev/null
cp "$work/a.json" "$c/same.json"
{ cat "$work/a.json"; printf '\0'; cat "$work/b.json"; } >"$c/a-b.json"

echo "seeds: $(cat "$out"/corpus-*/* | wc -c) bytes in $(ls "$out"/corpus-*/* | wc -l) files"
