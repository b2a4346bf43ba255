#!/bin/sh
# build.sh SRCDIR BUILDDIR: builds the libFuzzer harnesses into BUILDDIR/fuzz/ (`make fuzz`).
# Needs clang with libFuzzer (Debian: clang and libclang-rt-14-dev; scripts/setup.sh installs
# them). The library's sources are compiled once with ASan + UBSan and the fuzzer's coverage
# into BUILDDIR/fuzz/obj/, again only when a source or header changed.
#   fuzz-native fuzz-ftrace fuzz-perf fuzz-perfjson fuzz-bpftrace [fuzz-tracedat]  one reader
#   fuzz-any       the format detected as the CLI does
#   fuzz-scenario  the scenario loader, then every strategy built on the scenario
#   fuzz-param     --set, strategy specs, sweep ranges, regress thresholds
#   fuzz-regress   the regress input (two result JSON files)
# Run one, e.g.:  BUILDDIR/fuzz/fuzz-ftrace -max_total_time=300 NEWDIR fuzz/corpus-ftrace
# `make fuzz-check` (fuzz/check.sh) replays the corpora and runs each for a while.
set -eu
src=$(cd "${1:?usage: build.sh SRCDIR BUILDDIR}" && pwd)
b=$(cd "${2:?usage: build.sh SRCDIR BUILDDIR}" && pwd)
cc=${CLANG:-clang}
command -v "$cc" >/dev/null 2>&1 || { echo "fuzz: $cc not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 1; }
[ -f "$b/config.h" ] || { echo "fuzz: $b is not a configured build folder" >&2; exit 1; }
mkdir -p "$b/fuzz/obj"
pcs="jansson liblzma libzstd zlib"
lib_srcs=
# the library's layers (src/README); the cli layer is the program, not the library
for f in "$src"/src/base/*.c "$src"/src/trace/*.c "$src"/src/model/*.c "$src"/src/strategies/*.c \
	"$src"/src/results/*.c; do
	case ${f##*/} in
	reader-tracedat.c | tracedat-scan.c) grep -q '^#define HAVE_TRACECMD 1' "$b/config.h" && lib_srcs="$lib_srcs $f" ;;
	*) lib_srcs="$lib_srcs $f" ;;
	esac
done
# the gnuplot templates compiled in (made by the build: `make src/plot-templates.c`)
[ -f "$b/src/plot-templates.c" ] || make -C "$b" src/plot-templates.c >/dev/null
lib_srcs="$lib_srcs $b/src/plot-templates.c"
readers="native ftrace perf perfjson bpftrace"
if grep -q '^#define HAVE_TRACECMD 1' "$b/config.h"; then
	pcs="$pcs libtracecmd libtraceevent"
	readers="$readers tracedat"
fi
# shellcheck disable=SC2086
cflags="-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
-I$b -I$src -I$src/src -I$src/src/base -I$src/src/trace -I$src/src/model
-I$src/src/strategies -I$src/src/results -DISM_BINDIR=\"/nonexistent\" -DISM_SCENARIODIR=\"$src/scenarios\"
-DISM_SRC_SCENARIODIR=\"$src/scenarios\" -DISM_MANDIR=\"$src/man\" -DISM_SRC_MANDIR=\"$src/man\"
$(pkg-config --cflags $pcs)"
# shellcheck disable=SC2086
libs="$(pkg-config --libs $pcs) -lm"

# the library, rebuilt when its source or any header is newer than the object
newest_h=$(ls -t "$src"/src/*/*.h "$b/config.h" | head -n 1)
stale=
for f in $lib_srcs; do
	o="$b/fuzz/obj/$(basename "${f%.c}").o"
	if [ ! -f "$o" ] || [ "$f" -nt "$o" ] || [ "$newest_h" -nt "$o" ]; then
		stale="$stale $f"
	fi
done
if [ -n "$stale" ]; then
	echo "fuzz: compiling $(echo $stale | wc -w) sources with $cc"
	export cc cflags b
	# shellcheck disable=SC2086,SC2016
	printf '%s\n' $stale | xargs -P "${ISM_FUZZ_JOBS:-2}" -n 1 sh -c \
		'$cc $cflags -fsanitize=fuzzer-no-link -c "$1" -o "$b/fuzz/obj/$(basename "${1%.c}").o"' sh
	rm -f "$b/fuzz/libism-fuzz.a"
fi
if [ ! -f "$b/fuzz/libism-fuzz.a" ]; then
	ar rcs "$b/fuzz/libism-fuzz.a.tmp" "$b"/fuzz/obj/*.o
	mv "$b/fuzz/libism-fuzz.a.tmp" "$b/fuzz/libism-fuzz.a"
fi

# harness NAME SOURCE [CFLAGS...]
harness() {
	name=$1 hsrc=$2
	shift 2
	out="$b/fuzz/fuzz-$name"
	if [ -f "$out" ] && [ ! "$hsrc" -nt "$out" ] && [ ! "$src/fuzz/fuzz.h" -nt "$out" ] &&
		[ ! "$b/fuzz/libism-fuzz.a" -nt "$out" ]; then
		return 0
	fi
	# shellcheck disable=SC2086
	$cc $cflags -fsanitize=fuzzer "$@" "$hsrc" "$b/fuzz/libism-fuzz.a" $libs -o "$out.tmp"
	mv "$out.tmp" "$out"
	echo "fuzz: built $out"
}
for r in $readers; do
	harness "$r" "$src/fuzz/fuzz-reader.c" -DISM_FUZZ_FORMAT="\"$r\""
done
harness any "$src/fuzz/fuzz-reader.c"
harness scenario "$src/fuzz/fuzz-scenario.c"
harness param "$src/fuzz/fuzz-param.c"
harness regress "$src/fuzz/fuzz-regress.c"
echo "$readers any scenario param regress" >"$b/fuzz/harnesses"
