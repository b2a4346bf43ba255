#!/bin/sh
# Interrupted output never looks complete: convert, compare -O, sweep (with and without -O) and
# record are killed at pseudo-random points (SIGINT, SIGTERM, SIGKILL in turn), ISM_KILL_RUNS
# times each (default 5). After each: the command finished (exit 0) or died of the signal
# (130, 143, 137), and what is under the final name is the earlier output, unchanged, or a
# complete new one (a signal after the rename into place finds nothing left to undo); after
# SIGINT and SIGTERM no temporary file or folder is left.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

TRACE="$TRACES/pseries-noddw.txt.xz"
mkdir "$T/tmp" "$T/o"
export TMPDIR="$T/tmp"
RUNS_EACH=${ISM_KILL_RUNS:-5}
case $RUNS_EACH in '' | *[!0-9]*) fail "ISM_KILL_RUNS=$RUNS_EACH: not a number" ;; esac
# the kill points, as fractions (per mille) of how long the command takes uninterrupted here,
# spread over 2..95% of it (fixed seed: the same points on every run)
POINTS=$(awk -v n=$((RUNS_EACH * 8)) 'BEGIN { srand(20261202); for (i = 0; i < n; i++) printf "%d ", 20 + int(rand() * 930) }')
# the signals in turn, RUNS_EACH of them
SIGS=$(awk -v n="$RUNS_EACH" 'BEGIN { split("INT TERM KILL", s); for (i = 0; i < n; i++) printf "%s ", s[i % 3 + 1] }')
DUR=1000

# milliseconds since the epoch: shell arithmetic (64-bit), as awk's %d stops at 2^31 - 1 in
# some awks (mawk), which made every kill point 0 ms
now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

# measure CMD...: DUR = how long CMD takes here, in ms
measure() {
	t0=$(now_ms)
	"$@" >/dev/null 2>"$ERR" || fail "uninterrupted run failed: $*"
	DUR=$(($(now_ms) - t0))
}

point() { # N: the Nth kill point, in ms
	echo $(($(echo "$POINTS" | cut -d' ' -f"$1") * DUR / 1000))
}

# run_killed MS SIG CMD...: start CMD, send SIG after MS ms (unless it finished), wait (bounded).
# Sets RC to its exit status (0, or 128 + the signal).
run_killed() {
	ms=$1
	sig=$2
	shift 2
	# a background job of a shell starts with SIGINT ignored, and iommusim keeps a signal it
	# was told to ignore (nohup): give it the default back
	env --default-signal=INT,TERM "$@" >"$OUT" 2>"$ERR" &
	pid=$!
	sleep "$(awk -v m="$ms" 'BEGIN { printf "%.3f", m / 1000 }')"
	kill -"$sig" "$pid" 2>/dev/null
	# bounded: a command that ignores the signal fails the test, it does not hang it
	n=0
	while kill -0 "$pid" 2>/dev/null && [ $n -lt 300 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid"
		fail "$* did not stop within 30 s of SIG$sig"
	fi
	wait "$pid"
	RC=$?
	RUNS=$((RUNS + 1))
	[ "$RC" -eq 0 ] || KILLED=$((KILLED + 1))
	echo "SIG$sig at $ms ms: exit $RC: $*" >&2
	if grep -q 'Sanitizer\|runtime error:' "$ERR"; then
		fail "sanitizer report after SIG$sig: $*"
	fi
	case "$RC:$sig" in
	0:* | 130:INT | 143:TERM | 137:KILL) ;;
	*) fail "exit $RC after SIG$sig: $*" ;;
	esac
}

# no_litter DIR SIG: after SIGINT/SIGTERM, no temporary file or folder in DIR or $TMPDIR
# (after SIGKILL nothing can clean up: what it left is removed for the next round)
no_litter() {
	if [ "$2" = KILL ]; then
		find "$1" "$TMPDIR" -mindepth 1 -maxdepth 1 -name '.*' -exec rm -rf {} +
		find "$TMPDIR" -mindepth 1 -maxdepth 1 -exec rm -rf {} +
		return 0
	fi
	left=$(ls -A "$1" | grep '^\.' ; ls -A "$TMPDIR")
	[ -z "$left" ] || fail "SIG$2 left temporary files: $left"
}

k=0
RUNS=0
KILLED=0
LATE=0
# most kills must land while the command runs, or the test tests nothing
enough_killed() {
	echo "$KILLED of $RUNS runs killed before they finished ($LATE after the output was in place)" >&2
	[ $((KILLED * 2)) -ge "$RUNS" ] || fail "only $KILLED of $RUNS runs were killed mid-way"
}
# ---- convert ----------------------------------------------------------------------------
measure "$ISM_BIN" convert "$TRACE" -o "$T/o/c.ist"
mv "$T/o/c.ist" "$T/o/full.ist"
for sig in $SIGS; do
	k=$((k + 1))
	rm -f "$T/o/c.ist"
	run_killed "$(point $k)" "$sig" "$ISM_BIN" convert "$TRACE" -o "$T/o/c.ist"
	if [ "$RC" -eq 0 ]; then
		cmp -s "$T/o/c.ist" "$T/o/full.ist" || fail "convert finished but its output is not complete"
	elif [ -e "$T/o/c.ist" ]; then
		# killed after the rename into place: then it is the whole output
		cmp -s "$T/o/c.ist" "$T/o/full.ist" || fail "convert killed ($sig) left a partial $T/o/c.ist"
		LATE=$((LATE + 1))
	fi
	no_litter "$T/o" "$sig"
done
# the same over an existing file: it stays as it was, or is the new complete one
"$ISM_BIN" convert "$ISM_SRCDIR/tests/data/native-v1.ist" -o "$T/o/old.ist" 2>"$ERR" || fail "convert"
for sig in $SIGS; do
	k=$((k + 1))
	cp "$T/o/old.ist" "$T/o/c.ist"
	run_killed "$(point $k)" "$sig" "$ISM_BIN" convert "$TRACE" -o "$T/o/c.ist"
	if [ "$RC" -ne 0 ] && ! cmp -s "$T/o/old.ist" "$T/o/c.ist"; then
		cmp -s "$T/o/c.ist" "$T/o/full.ist" || fail "convert killed ($sig) changed the existing output"
		LATE=$((LATE + 1))
	fi
	"$ISM_BIN" stats "$T/o/c.ist" >/dev/null 2>&1 || fail "the output is not a complete trace after SIG$sig"
	no_litter "$T/o" "$sig"
done

# ---- compare -O DIR (a report folder), over an earlier report ---------------------------
"$ISM_BIN" compare -S ddw -O "$T/o/rep" "$ISM_SRCDIR/tests/data/native-v1.ist" >/dev/null 2>"$ERR" ||
	fail "compare -o"
old=$(cksum <"$T/o/rep/manifest.json")
measure "$ISM_BIN" compare -O "$T/o/rep2" "$TRACE"
rm -rf "$T/o/rep2"
for sig in $SIGS; do
	k=$((k + 1))
	run_killed "$(point $k)" "$sig" "$ISM_BIN" compare -O "$T/o/rep" "$TRACE"
	[ -f "$T/o/rep/manifest.json" ] || fail "compare killed ($sig): the earlier report is gone"
	if [ "$RC" -eq 0 ]; then
		[ -f "$T/o/rep/report.html" ] && [ -f "$T/o/rep/results.json" ] ||
			fail "compare finished but its report is not complete"
		old=$(cksum <"$T/o/rep/manifest.json")
	elif [ "$(cksum <"$T/o/rep/manifest.json")" != "$old" ]; then
		[ -f "$T/o/rep/report.html" ] && [ -f "$T/o/rep/results.json" ] ||
			fail "compare killed ($sig) changed the earlier report and left it incomplete"
		old=$(cksum <"$T/o/rep/manifest.json")
		LATE=$((LATE + 1))
	fi
	no_litter "$T/o" "$sig"
done

# ---- sweep, without -o (a temporary folder in $TMPDIR) and with -O DIR -------------------
measure "$ISM_BIN" sweep -S ddw,swiotlb -p machine.cpus=1,2,4,8 "$TRACE"
for sig in $SIGS; do
	k=$((k + 1))
	run_killed "$(point $k)" "$sig" "$ISM_BIN" sweep -S ddw,swiotlb -p machine.cpus=1,2,4,8 "$TRACE"
	no_litter "$T/o" "$sig"
done
for sig in $SIGS; do
	k=$((k + 1))
	rm -rf "$T/o/sw"
	run_killed "$(point $k)" "$sig" "$ISM_BIN" sweep -S ddw,swiotlb -p machine.cpus=1,2,4,8 \
		-O "$T/o/sw" "$TRACE"
	if [ "$RC" -eq 0 ]; then
		[ -f "$T/o/sw/sweep.json" ] && [ -f "$T/o/sw/points/0003.json" ] ||
			fail "sweep finished but its folder is not complete"
	elif [ -e "$T/o/sw" ]; then
		[ -f "$T/o/sw/sweep.json" ] && [ -f "$T/o/sw/points/0003.json" ] ||
			fail "sweep killed ($sig) left an incomplete $T/o/sw"
		LATE=$((LATE + 1))
	fi
	no_litter "$T/o" "$sig"
done

# ---- record (events injected through the BPF programs: root only) ------------------------
enough_killed
if "$ISM_BIN" record --help 2>/dev/null | grep -q "Not built"; then
	skip "record is not built here; convert, compare and sweep passed"
fi
[ "$(id -u)" = 0 ] || skip "not root: record cannot run; convert, compare and sweep passed"
"$ISM_BIN" record --inject "$ISM_SRCDIR/tests/data/record/inject.spec" -o "$T/o/r.ist" \
	>/dev/null 2>"$ERR" || skip "record cannot load its BPF programs here: $(head -n 1 "$ERR")"
measure "$ISM_BIN" record --inject "$ISM_SRCDIR/tests/data/record/inject.spec" --repeat 4000 \
	-o "$T/o/r.ist"
for sig in $SIGS; do
	k=$((k + 1))
	rm -f "$T/o/r.ist" "$T/o"/r.ist.spool.*
	run_killed "$(point $k)" "$sig" "$ISM_BIN" record --inject \
		"$ISM_SRCDIR/tests/data/record/inject.spec" --repeat 4000 -o "$T/o/r.ist"
	if [ "$RC" -eq 0 ]; then
		# a signal during the capture stops it: what was captured is written, complete
		"$ISM_BIN" stats "$T/o/r.ist" >/dev/null 2>&1 || fail "record finished but its output is not complete"
	else
		[ ! -e "$T/o/r.ist" ] || "$ISM_BIN" stats "$T/o/r.ist" >/dev/null 2>&1 ||
			fail "record killed ($sig) left an incomplete $T/o/r.ist"
		[ "$sig" = KILL ] || [ -z "$(ls "$T/o" | grep 'r.ist.spool')" ] ||
			fail "record killed ($sig) left its spool file"
	fi
	no_litter "$T/o" "$sig"
	rm -f "$T/o"/r.ist.spool.* "$T/o"/.r.ist.*
done
enough_killed
pass
