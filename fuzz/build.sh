#!/bin/sh
# build.sh SRCDIR BUILDDIR: builds one libFuzzer harness per reader (`make fuzz`).
# Needs clang with libFuzzer (Debian: clang, libclang-rt-14-dev or the clang package's own).
# Run one with a corpus, e.g.:
#   BUILDDIR/fuzz/fuzz-ftrace -max_total_time=300 fuzz/corpus-ftrace
# Seeds: fuzz/seeds.sh makes small corpora from the shipped traces.
set -eu
src=${1:?usage: build.sh SRCDIR BUILDDIR}
b=${2:?}
cc=${CLANG:-clang}
command -v "$cc" >/dev/null 2>&1 || { echo "fuzz: clang not found" >&2; exit 1; }
mkdir -p "$b/fuzz"
cflags="-g -O1 -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -I$b -I$src/src"
cflags="$cflags $(pkg-config --cflags jansson liblzma libzstd)"
libs="$(pkg-config --libs jansson liblzma libzstd)"
lib_srcs="util.c event.c input.c reader.c reader-native.c writer-native.c reader-ftrace.c
reader-bpftrace.c"
formats="native ftrace bpftrace"
if grep -q '^#define HAVE_TRACECMD 1' "$b/config.h" && [ -f "$src/src/reader-tracedat.c" ]; then
	lib_srcs="$lib_srcs reader-tracedat.c"
	cflags="$cflags $(pkg-config --cflags libtracecmd libtraceevent)"
	libs="$libs $(pkg-config --libs libtracecmd libtraceevent)"
	formats="$formats tracedat"
fi
objs=
for f in $lib_srcs; do
	o="$b/fuzz/${f%.c}.o"
	# shellcheck disable=SC2086
	$cc $cflags -fsanitize=fuzzer-no-link -c "$src/src/$f" -o "$o"
	objs="$objs $o"
done
for fmt in $formats; do
	# shellcheck disable=SC2086
	$cc $cflags -DISM_FUZZ_FORMAT="\"$fmt\"" "$src/fuzz/fuzz-reader.c" $objs $libs \
		-o "$b/fuzz/fuzz-$fmt"
	echo "fuzz: built $b/fuzz/fuzz-$fmt"
done
# shellcheck disable=SC2086
$cc $cflags "$src/fuzz/fuzz-reader.c" $objs $libs -o "$b/fuzz/fuzz-any"
echo "fuzz: built $b/fuzz/fuzz-any (format detected by magic)"
