# lib.sh: helpers for the CLI tests. Each test is a POSIX sh script run by `make check`
# (exit 0 pass, 1 fail, 77 skip) with ISM_BIN, ISM_SRCDIR and ISM_BUILDDIR set.
set -u
: "${ISM_BIN:?ISM_BIN is not set: run through make check}"
: "${ISM_SRCDIR:?}"
T=$(mktemp -d "${TMPDIR:-/tmp}/ismtest.XXXXXX")
trap 'rm -rf "$T"' EXIT
OUT="$T/stdout"
ERR="$T/stderr"
TRACES="$ISM_SRCDIR/traces"
export ISM_NO_PROGRESS=1

fail() {
	echo "FAIL: $*" >&2
	if [ -s "$ERR" ]; then echo "--- stderr:" >&2; head -20 "$ERR" >&2; fi
	exit 1
}

# skip REASON: the test cannot run here (a tool, root, a kernel feature is missing). The reason
# goes to the log and to fd 9, the console under `make check` (AM_TESTS_FD_REDIRECT), so the
# suite's output says what was missing; scripts/check.sh lists the skips again at the end.
skip() {
	echo "SKIP: $*" >&2
	{ echo "SKIP: ${0##*/}: $*" >&9; } 2>/dev/null
	exit 77
}

pass() {
	exit 0
}

# expect_exit CODE CMD...: run CMD, stdout to $OUT, stderr to $ERR, check the status.
# A crash (signal, sanitizer report) always fails.
expect_exit() {
	want=$1
	shift
	"$@" >"$OUT" 2>"$ERR"
	got=$?
	if [ "$got" -ge 128 ] || grep -q 'Sanitizer\|runtime error:' "$ERR"; then
		fail "crash ($got) in: $*"
	fi
	[ "$got" -eq "$want" ] || fail "exit $got, expected $want: $*"
}

# stop_helper PID NAME [GRACE]: stop a helper process this test started in the background
# (bpftrace, the recorder, ...) with SIGINT and wait for it, never without a bound. A SIGINT
# can be lost (bpftrace drops one that arrives while it handles an event), so SIGINT is sent
# again every GRACE seconds (default 20) up to 4 times, then SIGTERM, then SIGKILL.
# STOP_RC is the helper's exit status and STOP_SIGNALS the signals that had to be resent.
# Returns 0 when the helper exited on SIGINT (resent or not), 1 when it had to be killed.
stop_helper() {
	_pid=$1
	_name=$2
	_grace=${3:-20}
	_log="$T/stop-helper.$_pid"
	: >"$_log"
	kill -INT "$_pid" 2>/dev/null
	(
		for _sig in INT INT INT TERM KILL; do
			_n=0
			while [ $_n -lt $((_grace * 10)) ]; do
				sleep 0.1
				kill -0 "$_pid" 2>/dev/null || exit 0
				_n=$((_n + 1))
			done
			echo "$_sig" >>"$_log"
			kill -"$_sig" "$_pid" 2>/dev/null
		done
	) </dev/null >/dev/null 2>&1 9>&- &
	_wd=$!
	wait "$_pid"
	STOP_RC=$?
	kill "$_wd" 2>/dev/null
	wait "$_wd" 2>/dev/null
	STOP_SIGNALS=$(tr '\n' ' ' <"$_log")
	case $STOP_SIGNALS in
	*TERM* | *KILL*)
		echo "$_name did not exit after 4 SIGINTs ${_grace} s apart (resent: $STOP_SIGNALS)" >&2
		return 1
		;;
	*INT*) echo "note: $_name needed SIGINT again (resent: $STOP_SIGNALS)" >&2 ;;
	esac
	return 0
}
