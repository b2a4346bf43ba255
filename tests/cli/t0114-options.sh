#!/bin/sh
# The option tables (src/cli/cmdopt.h) are what the commands take, what their --help shows
# and what iommusim(1) documents: every option of every table appears in `CMD --help` and in
# the man page; one meaning per option: -i/--input and -f/--input-format read the trace,
# --format is the output format (a reader's name there still reads, with a warning naming
# -f/--input-format), -j is not --json (in run and compare it is --jobs: the output is the same
# for any N), -O/--report-dir is a report folder; did-you-mean for long options and commands.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
M="$ISM_SRCDIR/man/iommusim.1"
TR="$TRACES/pseries-ddw.txt.xz"

expect_exit 0 "$ISM_BIN" --list-options
cp "$OUT" "$T/opts"
[ "$(wc -l < "$T/opts")" -ge 4 ] || fail "--list-options lists $(wc -l < "$T/opts") commands"
while read -r cmd opts; do
	expect_exit 0 "$ISM_BIN" "$cmd" --help
	cp "$OUT" "$T/help"
	for o in $opts; do
		# --help: "-f, --input-format FORMAT" or "      --json"
		grep -Eq -- "(^|[ ,])$o([ ,]|\$)" "$T/help" || fail "$cmd --help does not show $o"
		# the man page writes every '-' as '\-'
		r=$(printf '%s' "$o" | sed 's/-/\\\\-/g')
		grep -Eq -- "$r([^a-z-]|\$)" "$M" || fail "iommusim.1 does not document $cmd $o"
	done
	# -h, --help is in every table's help
	grep -q -- "-h, --help" "$T/help" || fail "$cmd --help lacks -h, --help"
done < "$T/opts"

# one meaning: -i is the trace, as operands are; --format json and --json are one output
expect_exit 0 "$ISM_BIN" stats "$TR"
cp "$OUT" "$T/operand"
expect_exit 0 "$ISM_BIN" stats -i "$TR"
cmp -s "$OUT" "$T/operand" || fail "stats -i TRACE differs from stats TRACE"
expect_exit 0 "$ISM_BIN" stats --input="$TR" --format text
cmp -s "$OUT" "$T/operand" || fail "stats --input --format text differs from stats TRACE"
expect_exit 0 "$ISM_BIN" stats --format json "$TR"
cp "$OUT" "$T/json"
grep -q '"schema_version": 1' "$T/json" || fail "stats --format json is not JSON"
expect_exit 0 "$ISM_BIN" stats --json "$TR"
cmp -s "$OUT" "$T/json" || fail "stats --json differs from --format json"
"$ISM_BIN" lint --json "$TR" >"$T/lint" 2>"$ERR"
lrc=$?
grep -q '"schema_version"' "$T/lint" || fail "lint --json: $(head -2 "$T/lint")"
expect_exit $lrc "$ISM_BIN" lint -f ftrace --input-format ftrace --format json -i "$TR"
cmp -s "$OUT" "$T/lint" || fail "lint -f -i --format json differs from lint --json"
expect_exit 0 "$ISM_BIN" dump -i "$TR"
cp "$OUT" "$T/dump"
expect_exit 0 "$ISM_BIN" dump --input-format ftrace "$TR"
cmp -s "$OUT" "$T/dump" || fail "dump --input-format ftrace differs from dump"
expect_exit 0 "$ISM_BIN" convert -i "$TR" -o "$T/c.ism"
expect_exit 0 "$ISM_BIN" dump -f native "$T/c.ism"
cmp -s "$OUT" "$T/dump" || fail "convert -i: the dump of the output differs"

# the old spelling --format READER still reads, and says what to write now
for c in stats dump; do
	expect_exit 0 "$ISM_BIN" $c --format ftrace "$TR"
	grep -q -- "-f/--input-format" "$ERR" || fail "$c --format ftrace: no warning naming -f"
done
expect_exit $lrc "$ISM_BIN" lint --format ftrace "$TR"
grep -q -- "-f/--input-format" "$ERR" || fail "lint --format ftrace: no warning naming -f"
expect_exit 0 "$ISM_BIN" stats --format ftrace "$TR"
cmp -s "$OUT" "$T/operand" || fail "stats --format ftrace does not read as ftrace"
expect_exit 2 "$ISM_BIN" stats --format xml "$TR"
grep -q "unknown output format 'xml' (text, json)" "$ERR" || fail "stats --format xml: $(cat "$ERR")"
expect_exit 2 "$ISM_BIN" dump --format json "$TR"
grep -q -- "-f/--input-format" "$ERR" || fail "dump --format json: $(cat "$ERR")"
# -j is parallelism only: where there is none it is an error naming --format json
for c in stats lint; do
	expect_exit 2 "$ISM_BIN" $c -j "$TR"
	grep -q -- "--format json" "$ERR" || fail "$c -j: $(cat "$ERR")"
done
# near misses, missing arguments, two traces where one is read
expect_exit 2 "$ISM_BIN" lint --input-fromat ftrace "$TR"
grep -q "did you mean '--input-format'?" "$ERR" || fail "lint --input-fromat: $(cat "$ERR")"
expect_exit 2 "$ISM_BIN" dump --heder "$TR"
grep -q "did you mean '--header'?" "$ERR" || fail "dump --heder: $(cat "$ERR")"
expect_exit 2 "$ISM_BIN" stats --input
grep -q "'--input' needs an argument" "$ERR" || fail "stats --input: $(cat "$ERR")"
expect_exit 2 "$ISM_BIN" lint -i "$TR" "$TR"
grep -q "exactly one trace" "$ERR" || fail "lint with two traces: $(cat "$ERR")"
expect_exit 2 "$ISM_BIN" sats "$TR"
grep -q "did you mean 'stats'?" "$ERR" || fail "sats: $(cat "$ERR")"

# run and compare: -j is --jobs (the same output for any N), --json the JSON, -O the report
# folder; compare's old -o DIR still writes one for an existing folder, with a warning
S=ddw,window32
expect_exit 0 "$ISM_BIN" run -S $S -j 1 "$TR"
cp "$OUT" "$T/run1"
expect_exit 0 "$ISM_BIN" run -S $S -j 2 "$TR"
cmp -s "$OUT" "$T/run1" || fail "run -j 2 differs from -j 1"
expect_exit 0 "$ISM_BIN" run -S $S --jobs=2 -i "$TR"
cmp -s "$OUT" "$T/run1" || fail "run --jobs=2 -i TRACE differs from run -j 1 TRACE"
expect_exit 0 "$ISM_BIN" run -S $S --format-in ftrace "$TR"
cmp -s "$OUT" "$T/run1" || fail "run --format-in (the old -f) differs"
expect_exit 0 "$ISM_BIN" compare -S $S --json -j 1 "$TR"
cp "$OUT" "$T/cmp1"
grep -q '"schema_version"' "$T/cmp1" || fail "compare --json is not JSON"
expect_exit 0 "$ISM_BIN" compare -S $S --format json -j 2 "$TR"
cmp -s "$OUT" "$T/cmp1" || fail "compare --format json -j 2 differs from --json -j 1"
for c in run compare; do
	expect_exit 2 "$ISM_BIN" $c -S $S -j "$TR"
	grep -q -- "--format json" "$ERR" || fail "$c -j TRACE: $(cat "$ERR")"
	expect_exit 2 "$ISM_BIN" $c -S $S -O "$T/r.json" "$TR"
	grep -q "not a json file" "$ERR" || fail "$c -O r.json: $(cat "$ERR")"
	[ ! -e "$T/r.json" ] || fail "$c -O r.json wrote something"
	expect_exit 2 "$ISM_BIN" $c -S $S --report-dir "$T/r.csv" "$TR"
	expect_exit 2 "$ISM_BIN" $c -S $S -O "$T/r" -o "$T/f" "$TR"
done
expect_exit 2 "$ISM_BIN" run --strategis ddw "$TR"
grep -q "did you mean '--strategies'?" "$ERR" || fail "run --strategis: $(cat "$ERR")"
expect_exit 2 "$ISM_BIN" compare --report-dri "$T/r" "$TR"
grep -q "did you mean '--report-dir'?" "$ERR" || fail "compare --report-dri: $(cat "$ERR")"
expect_exit 2 "$ISM_BIN" compare --jobz 2 "$TR"
grep -q "did you mean '--jobs'?" "$ERR" || fail "compare --jobz: $(cat "$ERR")"
mkdir "$T/old"
expect_exit 0 "$ISM_BIN" compare -S $S,svm -o "$T/old" "$TR"
grep -q "deprecated.*-O" "$ERR" || fail "compare -o DIR: no warning naming -O: $(cat "$ERR")"
[ -s "$T/old/manifest.json" ] || fail "compare -o DIR (an existing folder) wrote no report"
expect_exit 0 "$ISM_BIN" compare -S $S -o "$T/plain" "$TR"
[ -f "$T/plain" ] || fail "compare -o PATH (no folder) did not write a file"
cmp -s "$T/plain" "$T/run1" 2>/dev/null || grep -q "verdict\|Verdict" "$T/plain" ||
	fail "compare -o FILE: not the text report"
# every command with a table: a long option misspelt (one letter too many) is named, exit 2
while read -r cmd opts; do
	last=
	for o in $opts; do
		case $o in --*) last=$o ;; esac
	done
	[ -n "$last" ] || continue
	expect_exit 2 "$ISM_BIN" "$cmd" "${last}x" "$TR"
	grep -q "did you mean '$last'?" "$ERR" || fail "$cmd ${last}x: $(cat "$ERR")"
done < "$T/opts"
for c in stats lint run compare calibrate sweep regress timeline plot record; do
	grep -q "^$c " "$T/opts" || fail "$c has no option table"
done
# -j is parallel work only: the commands without it refuse it, naming --format json
for c in regress calibrate timeline plot record; do
	expect_exit 2 "$ISM_BIN" $c -j "$TR"
	grep -q -- "--format json" "$ERR" || fail "$c -j: $(cat "$ERR")"
done
# sweep: -O is the folder (not a .json path), -o DIR only for an existing folder, -j the workers
SW="-S ddw -p machine.cpus=1,2 -m run_ns --format csv"
expect_exit 2 "$ISM_BIN" sweep $SW -O "$T/sw.json" "$TR"
grep -q "not a json file" "$ERR" || fail "sweep -O sw.json: $(cat "$ERR")"
expect_exit 2 "$ISM_BIN" sweep $SW -o "$T/newsw" "$TR"
grep -q -- "-O DIR" "$ERR" || fail "sweep -o NEW: $(cat "$ERR")"
[ ! -e "$T/newsw" ] || fail "sweep -o NEW wrote $T/newsw"
mkdir "$T/oldsw"
expect_exit 0 "$ISM_BIN" sweep $SW -j 1 -o "$T/oldsw" "$TR"
grep -q "deprecated.*-O" "$ERR" || fail "sweep -o DIR: no warning naming -O: $(cat "$ERR")"
[ -s "$T/oldsw/sweep.json" ] || fail "sweep -o DIR (an existing folder) wrote no sweep"
cp "$OUT" "$T/sw1"
expect_exit 0 "$ISM_BIN" sweep $SW -j 2 -i "$TR"
cmp -s "$OUT" "$T/sw1" || fail "sweep -j 2 -i TRACE differs from -j 1 TRACE"
expect_exit 0 "$ISM_BIN" sweep $SW --format-in ftrace "$TR"
cmp -s "$OUT" "$T/sw1" || fail "sweep --format-in (the old -f) differs"
# timeline and calibrate read the trace with -i too
expect_exit 0 "$ISM_BIN" timeline -S ddw -o "$T/tl1.json" "$TR"
expect_exit 0 "$ISM_BIN" timeline -S ddw -o "$T/tl2.json" -f ftrace -i "$TR"
cmp -s "$T/tl1.json" "$T/tl2.json" || fail "timeline -f -i TRACE differs from timeline TRACE"
pass
