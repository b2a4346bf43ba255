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

skip() {
	echo "SKIP: $*" >&2
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
