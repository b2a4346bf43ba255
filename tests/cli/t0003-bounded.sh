#!/bin/sh
# The test harness never waits without a bound: stop_helper (lib.sh) resends a lost SIGINT and
# kills a helper that ignores every signal but SIGKILL, each within its bound; bounded.sh (the
# LOG_COMPILER of every test) fails a test that runs past ISM_TEST_TIMEOUT and kills what it
# started; a test's own status (pass, skip, fail) goes through it unchanged.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"
B="$ISM_SRCDIR/tests/bounded.sh"
now() { date +%s; }
# alive PID: the process runs (a zombie left to an init that does not reap is not alive)
alive() {
	kill -0 "$1" 2>/dev/null || return 1
	[ -r "/proc/$1/stat" ] || return 0
	! grep -q '^[0-9]* (.*) Z ' "/proc/$1/stat"
}

# a helper that loses its first SIGINT (as bpftrace does when one arrives mid-event). perl,
# not sh: a background job of a non-interactive shell starts with SIGINT ignored, and sh may
# not trap a signal ignored on entry; a C program (bpftrace) or perl sets its handler anyway.
cat >"$T/deaf-once.pl" <<'X'
my $n = 0;
$SIG{INT} = sub { exit 0 if ++$n >= 2 };
open(my $f, '>', $ARGV[0]) or die; print $f "ready\n"; close($f);
sleep 1 while 1;
X
perl "$T/deaf-once.pl" "$T/ready1" &
pid=$!
i=0
while [ ! -s "$T/ready1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
t0=$(now)
stop_helper $pid "deaf-once" 1 2>"$T/msg" || fail "a helper that loses one SIGINT was killed"
[ "$STOP_RC" -eq 0 ] || fail "deaf-once: exit $STOP_RC"
grep -q "needed SIGINT again (resent: INT" "$T/msg" || fail "the resent SIGINT is not reported"
[ $(($(now) - t0)) -le 10 ] || fail "stopping deaf-once took $(($(now) - t0)) s"

# a helper that ignores SIGINT and SIGTERM: killed within 5 x GRACE, reported
cat >"$T/deaf.pl" <<'X'
$SIG{INT} = 'IGNORE'; $SIG{TERM} = 'IGNORE';
open(my $f, '>', $ARGV[0]) or die; print $f "ready\n"; close($f);
sleep 1 while 1;
X
perl "$T/deaf.pl" "$T/ready2" &
pid=$!
i=0
while [ ! -s "$T/ready2" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
t0=$(now)
if stop_helper $pid "deaf" 1 2>"$T/msg"; then fail "a helper deaf to SIGINT and SIGTERM was not reported"; fi
grep -q "deaf did not exit after 4 SIGINTs 1 s apart (resent: INT INT INT TERM KILL" "$T/msg" ||
	fail "unclear message: $(cat "$T/msg")"
alive $pid && fail "the deaf helper still runs"
[ $(($(now) - t0)) -le 20 ] || fail "killing deaf took $(($(now) - t0)) s"

# bounded.sh: a test past its limit fails with a message, and its children die with it
cat >"$T/stuck.sh" <<'X'
#!/bin/sh
sleep 300 &
echo $! >"$CHILD_FILE"
wait
X
chmod +x "$T/stuck.sh"
t0=$(now)
CHILD_FILE="$T/child" ISM_TEST_TIMEOUT=2 sh "$B" "$T/stuck.sh" >"$OUT" 2>"$ERR" 9>"$T/console"
rc=$?
[ $rc -eq 1 ] || fail "a stuck test: bounded.sh exit $rc, expected 1"
grep -q "exceeded its time limit of 2 s" "$ERR" || fail "no time-limit message: $(cat "$ERR")"
grep -q "^TIMEOUT: .*stuck.sh exceeded 2 s" "$T/console" || fail "the console was not told"
[ $(($(now) - t0)) -le 20 ] || fail "bounded.sh took $(($(now) - t0)) s for a 2 s limit"
sleep 0.5
alive "$(cat "$T/child")" && fail "the stuck test's child survived"

# a test that ends but leaves a helper running: the helper is killed, the log says so
printf '#!/bin/sh\nsleep 300 </dev/null >/dev/null 2>&1 &\necho $! >"$CHILD_FILE"\nexit 0\n' >"$T/leaver.sh"
chmod +x "$T/leaver.sh"
CHILD_FILE="$T/child2" sh "$B" "$T/leaver.sh" >"$OUT" 2>"$ERR" 9>"$T/console2"
rc=$?
[ $rc -eq 0 ] || fail "a test that passed but left a process: exit $rc"
grep -q "leaver.sh left 1 process(es) running after it ended; killed them" "$ERR" ||
	fail "the leftover process is not reported: $(cat "$ERR")"
i=0
while alive "$(cat "$T/child2")" && [ $i -lt 20 ]; do sleep 0.1; i=$((i + 1)); done
alive "$(cat "$T/child2")" && fail "the process the test left behind survived: $(cat /proc/"$(cat "$T/child2")"/stat)"

# statuses pass through unchanged; a bad limit is a hard error
for want in 0 1 77 99; do
	printf '#!/bin/sh\nexit %s\n' $want >"$T/st.sh"
	chmod +x "$T/st.sh"
	sh "$B" "$T/st.sh" >/dev/null 2>&1
	rc=$?
	[ $rc -eq $want ] || fail "bounded.sh turned exit $want into $rc"
done
ISM_TEST_TIMEOUT=soon sh "$B" "$T/st.sh" >/dev/null 2>&1
[ $? -eq 99 ] || fail "a bad ISM_TEST_TIMEOUT is not a hard error"
pass
