#!/bin/sh
# Reliability: every case of tests/data/bad/ is one line naming file, position and field, exit 2
# (never a crash, never a clamp); a cut trace is an error unless --allow-truncated; outputs never
# clobber what they must not (an existing file, a symlink's target, a device); write errors are
# reported with the path (exit 1); the native format's end record catches a cut anywhere and
# version 1 files stay readable.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

BAD="$ISM_SRCDIR/tests/data/bad"

# bad_case FILE PATTERN: stats, dump, lint, run and convert all fail with one line naming the
# file and matching PATTERN (the position and the field), exit 2, and convert leaves nothing.
bad_case() {
	f="$BAD/$1"
	for cmd in stats dump lint "run -S direct-tce,swiotlb" "compare"; do
		# shellcheck disable=SC2086
		expect_exit 2 "$ISM_BIN" $cmd "$f"
		[ "$(wc -l <"$ERR")" -eq 1 ] || fail "$cmd $1: error is not one line"
		grep -q "$1" "$ERR" || fail "$cmd $1: error does not name the file"
		grep -q -- "$2" "$ERR" || fail "$cmd $1: error does not say '$2': $(cat "$ERR")"
	done
	expect_exit 2 "$ISM_BIN" convert "$f" -o "$T/out.ist"
	[ ! -e "$T/out.ist" ] || fail "convert $1 left an output"
}

# values that size allocations or do not fit: named, never clamped or cut
bad_case map-sg-nents-2g.txt 'line 2: map_sg: nents 2147483648 out of range (at most 1048576)'
bad_case map-sg-nents-4g.txt 'line 2: map_sg: nents=1/4294967296 out of range'
bad_case size-2e64.txt 'line 2: map: size=18446744073709551616 out of range'
bad_case size-1e23.txt 'line 2: map: size=100000000000000000000000 out of range'
bad_case size-over-limit.txt 'line 3: map: size 281474976710657 out of range'
bad_case sg-len-4g.txt 'line 2: map_sg: sizes={0x100000000} out of range'
bad_case attrs-33bit.txt 'line 2: map: attrs=0x100000000 out of range'
bad_case opcode-over-limit.txt 'line 2: hcall_entry: opcode 65536 out of range'
bad_case lost-2e64.txt 'line 2: lost-events count out of range'
bad_case bt-nents-4g.bt 'line 3: map_sg: ents out of range'
bad_case bt-hcall-args3.bt 'line 3: hcall_entry: hcall args\[3\] out of range'
bad_case ts-over-limit.bt 'line 3: map: timestamp 4611686018427387905 out of range'

# trace.dat ring-buffer pages (bench/gen-tracedat, page 5 of CPU 0 damaged) whose commit size
# kbuffer would trust and read past the page: a lost-events count "stored" 128 MiB on (this
# crashed libtraceevent's kbuffer_load_subbuffer()), and a size 8 bytes over the page's data
bad_case tracedat-page-lost-count.dat.xz 'CPU 0 data page at offset 28672: commit size 134217727 exceeds the page'
bad_case tracedat-page-commit.dat.xz 'CPU 0 data page at offset 28672: commit size 4088 exceeds the page (4080 bytes'

# more bad page sizes (bench/gen-tracedat's output, 400 events, one commit field changed):
# over the whole page in the middle of CPU 0, inside the page header's room, the first page
bad_case commit-over-page.dat.xz 'CPU 0 data page at offset 16384: commit size 7936 exceeds the page'
bad_case commit-in-header.dat.xz 'CPU 0 data page at offset 16384: commit size 4090 exceeds the page'
bad_case commit-huge.dat.xz 'CPU 0 data page at offset 8192: commit size 134217727 exceeds the page'
# a v7 zstd trace.dat (found by fuzzing) on which libtracecmd 1.3's tracecmd_open_fd() crashes
# (NULL dereference in tracecmd_close() on its error path): opened in a child first
bad_case libtracecmd-open-crash.dat.xz 'libtracecmd crashes opening it'

# perf JSON of another version (the message once read the freed version value)
bad_case perfjson-version-2.json 'linux-perf-json-version not 1'
bad_case perfjson-version-string.json 'linux-perf-json-version not an integer'

# a parameter's name or value of 48 characters and then UTF-8 continuation bytes: shown cut
# (it once overflowed the shown copy), one line, exit 2, from --set, -S and sweep -p
LONG=$(cat "$BAD/param-utf8-tail.txt")
NAT="$ISM_SRCDIR/tests/data/native-v1.ist"
for args in "--set sim.$LONG=1" "--set machine.ram_bytes=$LONG" "--set $LONG"; do
	# shellcheck disable=SC2086
	expect_exit 2 "$ISM_BIN" run -S ddw $args "$NAT"
	[ "$(wc -l <"$ERR")" -eq 1 ] || fail "run $args: error is not one line"
	[ "$(wc -c <"$ERR")" -lt 300 ] || fail "run $args: the long text is not shown cut"
	grep -q "[.][.][.]" "$ERR" || fail "run $args: no ... where the text is cut"
done
expect_exit 2 "$ISM_BIN" run -S "swiotlb:$LONG" "$NAT"
expect_exit 2 "$ISM_BIN" run -S "$LONG+ddw" "$NAT"
for p in "machine.ram_bytes=$LONG" "machine.ram_bytes=1GiB:$LONG:lin:4" "$LONG=1"; do
	expect_exit 2 "$ISM_BIN" sweep -p "$p" "$NAT"
done

# a text trace whose last line is cut (inside a number: 4096 read as 40, opcode 88 as 8)
bad_case cut-in-number.txt 'truncated: line 3 ends without a newline'
bad_case cut-in-opcode.txt 'truncated: line 4 ends without a newline'
expect_exit 0 "$ISM_BIN" dump --allow-truncated "$BAD/cut-in-number.txt"
[ "$(wc -l <"$OUT")" -eq 1 ] || fail "--allow-truncated: the cut line was not dropped"
grep -q '"size":4096' "$OUT" || fail "--allow-truncated: the whole line was not kept"
grep -q 'warning: .*cut-in-number.txt: truncated: line 3' "$ERR" || fail "no warning for a cut"
expect_exit 0 "$ISM_BIN" dump --allow-truncated "$BAD/cut-in-opcode.txt"
grep -q '"addr":"0x8"' "$OUT" && fail "--allow-truncated read the cut opcode 88 as 8"
[ "$(wc -l <"$OUT")" -eq 2 ] || fail "--allow-truncated: expected the 2 whole events"
expect_exit 0 "$ISM_BIN" run -S ddw --allow-truncated "$BAD/cut-in-number.txt"
grep -q 'warning: .*truncated' "$ERR" || fail "run --allow-truncated: no warning"

# a huge map through the bounce pool fails as a map (bounded), it does not split forever
expect_exit 0 "$ISM_BIN" run -S swiotlb,svm --format json "$BAD/size-at-limit.txt"
grep -q '"map_failures": 1' "$OUT" || fail "a 256 TiB map through swiotlb did not fail once"

# ---- the native format: a cut anywhere is seen (end record), version 1 still reads -----------
"$ISM_BIN" convert "$ISM_SRCDIR/tests/data/native-v1.ist" -o "$T/v2.ist" 2>"$ERR" ||
	fail "convert of a version 1 file"
expect_exit 0 "$ISM_BIN" dump "$ISM_SRCDIR/tests/data/native-v1.ist"
mv "$OUT" "$T/v1.dump"
expect_exit 0 "$ISM_BIN" dump "$T/v2.ist"
cmp -s "$OUT" "$T/v1.dump" || fail "version 1 and its version 2 conversion differ"
[ "$(wc -l <"$OUT")" -eq 388 ] || fail "version 1 file: expected 388 events"
size=$(wc -c <"$T/v2.ist")
for cut in 64 200 4096 12345 $((size - 64)) $((size - 1)); do
	head -c "$cut" "$T/v2.ist" >"$T/cut.ist"
	expect_exit 2 "$ISM_BIN" stats "$T/cut.ist"
	grep -q "truncated" "$ERR" || fail "native cut at $cut not called truncated: $(cat "$ERR")"
done
# --allow-truncated reads what is there (the recorder's crash case): the events before the cut
head -c $((size - 64 * 40)) "$T/v2.ist" >"$T/cut.ist"
expect_exit 0 "$ISM_BIN" dump --allow-truncated "$T/cut.ist"
n=$(wc -l <"$OUT")
[ "$n" -gt 300 ] && [ "$n" -lt 388 ] || fail "--allow-truncated read $n events of a cut file"
cmp -s "$OUT" "$(head -n "$n" "$T/v1.dump" >"$T/head.dump"; echo "$T/head.dump")" ||
	fail "--allow-truncated: the events before the cut differ"
grep -q "warning: .*truncated: .*no end record" "$ERR" || fail "no warning for a cut native file"
# a flipped byte inside an event is caught by the checksum
cp "$T/v2.ist" "$T/flip.ist"
printf '\377' | dd of="$T/flip.ist" bs=1 seek=$((size - 64 * 20 + 17)) conv=notrunc 2>/dev/null
expect_exit 2 "$ISM_BIN" stats "$T/flip.ist"
grep -q "checksum mismatch" "$ERR" || fail "a damaged record passed: $(cat "$ERR")"
# bytes after the end record
cat "$T/v2.ist" "$T/v2.ist" >"$T/twice.ist"
expect_exit 2 "$ISM_BIN" stats "$T/twice.ist"
grep -q "after the end record" "$ERR" || fail "data after the end record not named"
# to a pipe: the end record still marks the file complete
"$ISM_BIN" convert "$T/v2.ist" -o - 2>"$ERR" | head -c 3000 >"$T/pipe.ist"
expect_exit 2 "$ISM_BIN" stats "$T/pipe.ist"
"$ISM_BIN" convert "$T/v2.ist" -o - 2>"$ERR" >"$T/pipe.ist" || fail "convert to stdout"
expect_exit 0 "$ISM_BIN" stats "$T/pipe.ist"

# ---- outputs never clobber -----------------------------------------------------------------
GOOD="$BAD/../native-v1.ist"
cp "$GOOD" "$T/keep.ist"
sum=$(cksum <"$T/keep.ist")
expect_exit 2 "$ISM_BIN" convert "$BAD/cut-in-number.txt" -o "$T/keep.ist"
[ "$(cksum <"$T/keep.ist")" = "$sum" ] || fail "convert of a bad trace changed the existing output"
ln -s keep.ist "$T/link.ist"
expect_exit 2 "$ISM_BIN" convert "$BAD/size-2e64.txt" -o "$T/link.ist"
[ -L "$T/link.ist" ] || fail "convert removed the symlink it was given"
[ "$(cksum <"$T/keep.ist")" = "$sum" ] || fail "convert changed the symlink's target"
expect_exit 0 "$ISM_BIN" convert "$T/v2.ist" -o "$T/link.ist"
[ -L "$T/link.ist" ] || fail "convert replaced the symlink instead of its target"
"$ISM_BIN" dump "$T/keep.ist" >"$T/keep.dump" 2>"$ERR" || fail "the symlink's target is unreadable"
cmp -s "$T/keep.dump" "$T/v1.dump" || fail "convert through a symlink did not write the target"
# a device is written in place and never removed, whether the input is good or bad
expect_exit 2 "$ISM_BIN" convert "$BAD/size-2e64.txt" -o /dev/null
[ -c /dev/null ] || fail "convert removed /dev/null"
expect_exit 0 "$ISM_BIN" convert "$T/v2.ist" -o /dev/null
[ -c /dev/null ] || fail "convert replaced /dev/null"
# convert onto its own input (the input is mapped while the output is a new file)
cp "$T/v2.ist" "$T/self.ist"
expect_exit 0 "$ISM_BIN" convert "$T/self.ist" -o "$T/self.ist"
"$ISM_BIN" dump "$T/self.ist" >"$T/self.dump" 2>"$ERR" || fail "convert IN -o IN damaged IN"
cmp -s "$T/self.dump" "$T/v1.dump" || fail "convert IN -o IN changed the events"
# timeline too: a bad trace leaves an existing -o file as it was, and nothing new
cp "$GOOD" "$T/tl.json"
expect_exit 2 "$ISM_BIN" timeline -S ddw -o "$T/tl.json" "$BAD/size-2e64.txt"
[ "$(cksum <"$T/tl.json")" = "$(cksum <"$GOOD")" ] || fail "timeline of a bad trace changed its -o file"
expect_exit 2 "$ISM_BIN" timeline -S ddw -o "$T/tl-new.json" "$BAD/size-2e64.txt"
[ ! -e "$T/tl-new.json" ] || fail "timeline of a bad trace left its -o file"
rm -f "$T/tl.json"
# no temporary file left behind anywhere
ls -A "$T" | grep -q '^\.' && fail "a temporary file was left: $(ls -A "$T" | grep '^\.')"

# a folder that is not an earlier iommusim output is never replaced
mkdir "$T/mine"
echo notes >"$T/mine/notes.txt"
expect_exit 2 "$ISM_BIN" compare -S ddw -O "$T/mine" "$GOOD"
grep -q "not an earlier iommusim output" "$ERR" || fail "compare -O into a foreign folder"
[ -f "$T/mine/notes.txt" ] || fail "compare -O removed a file it did not write"
expect_exit 2 "$ISM_BIN" sweep -S ddw -p machine.cpus=1,2 -O "$T/mine" "$GOOD"
[ -f "$T/mine/notes.txt" ] || fail "sweep -O removed a file it did not write"
# a bad trace creates no sweep folder at all
expect_exit 2 "$ISM_BIN" sweep -S ddw -p machine.cpus=1,2 -O "$T/sw" "$BAD/size-2e64.txt"
[ ! -e "$T/sw" ] || fail "sweep -O on a bad trace left $T/sw"
# an earlier output of the same kind is replaced whole
expect_exit 0 "$ISM_BIN" sweep -S ddw -p machine.cpus=1,2 -O "$T/sw" "$GOOD"
expect_exit 0 "$ISM_BIN" sweep -S ddw -p machine.cpus=1,2,4 -O "$T/sw" "$GOOD"
[ -f "$T/sw/points/0002.json" ] || fail "sweep -O did not replace the earlier sweep"
ls -A "$T" | grep -q '^\.' && fail "a temporary folder was left: $(ls -A "$T" | grep '^\.')"

# ---- write errors: the path, exit 1 --------------------------------------------------------
if [ -w /dev/full ]; then
	for cmd in "stats" "stats --json" "dump" "lint" "run -S ddw" "compare -S ddw" \
		"sweep -S ddw -p machine.cpus=1,2"; do
		# shellcheck disable=SC2086
		$ISM_BIN $cmd "$GOOD" >/dev/full 2>"$ERR"
		rc=$?
		[ "$rc" -eq 1 ] || fail "$cmd >/dev/full: exit $rc, expected 1"
		grep -q "standard output: write error: No space left on device" "$ERR" ||
			fail "$cmd >/dev/full: no message naming standard output: $(cat "$ERR")"
	done
	expect_exit 1 "$ISM_BIN" convert "$GOOD" -o /dev/full
	grep -q "/dev/full: write error" "$ERR" || fail "convert -o /dev/full: no message"
	expect_exit 1 "$ISM_BIN" run -S ddw -o /dev/full "$GOOD"
	grep -q "/dev/full: write error" "$ERR" || fail "run -o /dev/full: no message"
fi
# an output folder that cannot be written: the path, exit 1
mkdir "$T/ro"
chmod 555 "$T/ro"
if [ ! -w "$T/ro" ]; then
	expect_exit 1 "$ISM_BIN" convert "$GOOD" -o "$T/ro/x.ist"
	grep -q "$T/ro/x.ist" "$ERR" || fail "unwritable folder: the path is not named"
fi
chmod 755 "$T/ro"

# strategy specs: one bounce layer over one translation layer, no empty layer
for spec in swiotlb+swiotlb svm+swiotlb 'swiotlb+' '+ddw' 'swiotlb++ddw' 'ddw+swiotlb'; do
	expect_exit 2 "$ISM_BIN" run -S "$spec" "$GOOD"
	[ "$(wc -l <"$ERR")" -eq 1 ] || fail "-S $spec: the error is not one line"
done
expect_exit 2 "$ISM_BIN" run -S swiotlb+swiotlb "$GOOD"
grep -q "two bounce layers" "$ERR" || fail "-S swiotlb+swiotlb: $(cat "$ERR")"
expect_exit 2 "$ISM_BIN" run -S swiotlb+ "$GOOD"
grep -q "empty layer" "$ERR" || fail "-S swiotlb+: $(cat "$ERR")"
expect_exit 0 "$ISM_BIN" run -S swiotlb+ddw,swiotlb+window32,swiotlb "$GOOD"
# user text is echoed cut (48 characters and "..."), never whole: a 4,000-character spec, sweep
# value and parameter path each give one short line
long=$(awk 'BEGIN { while (n++ < 4000) printf "x" }')
for args in "run -S $long" "run -S swiotlb+$long" "run -S ddw:$long" \
	"sweep -p cost.h_put_tce.fixed_ns=$long:1" "sweep -p cost.h_put_tce.fixed_ns=1,$long" \
	"sweep -p $long=1,2"; do
	# shellcheck disable=SC2086
	expect_exit 2 "$ISM_BIN" $args "$GOOD"
	grep -q 'xxx\.\.\.' "$ERR" || fail "$args: the user text is not shown cut: $(head -c 300 "$ERR")"
	[ "$(wc -c <"$ERR")" -lt 600 ] || fail "${args%%=*}...: a message of $(wc -c <"$ERR") bytes"
done

# the message of an unknown --format names it (it once printed freed memory)
expect_exit 2 "$ISM_BIN" run -S ddw --format bogus "$GOOD"
grep -q "unknown output format 'bogus'" "$ERR" || fail "--format bogus: $(cat "$ERR")"
pass
