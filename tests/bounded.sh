#!/bin/sh
# bounded.sh: run one test of `make check` under a time limit, so that a stuck test fails
# with a clear message instead of stopping the suite (automake's LOG_COMPILER for every test).
#   usage: bounded.sh COMMAND [ARGS...]     (the test program or script, as automake gives it)
# The limit is ISM_TEST_TIMEOUT seconds (default 600; the slowest test takes about a minute
# under the sanitizers). The test runs in a process group of its own (timeout(1)). On expiry
# the group gets SIGTERM, then SIGKILL 15 s later, and the test fails (exit 1) saying so, in
# its log and on the console (fd 9 under make check). When the test ends, processes it left
# behind in its group (a helper that outlived it) are killed too, and the log says so: they
# would otherwise hold the suite's output open. Otherwise the test's own exit status is
# passed on (0 pass, 77 skip, 99 hard error, anything else fail).
limit=${ISM_TEST_TIMEOUT:-600}
case $limit in '' | *[!0-9]*) echo "bounded.sh: ISM_TEST_TIMEOUT must be whole seconds" >&2; exit 99 ;; esac
[ $# -gt 0 ] || { echo "usage: bounded.sh COMMAND [ARGS...]" >&2; exit 99; }
for name in "$@"; do :; done
pidf=$(mktemp "${TMPDIR:-/tmp}/bounded.XXXXXX") || exit 99
# the shell records its pid and becomes timeout(1), which makes that pid its process group
sh -c 'echo $$ >"$0"; exec timeout -k 15 "$@"' "$pidf" "$limit" "$@"
rc=$?
pg=$(cat "$pidf")
rm -f "$pidf"

# the group's processes still running (zombies left to an init that does not reap are not)
left() {
	# cat, not awk FILES: processes (and their stat files) come and go while it reads
	cat /proc/[0-9]*/stat 2>/dev/null |
		awk -v g="$1" '{ sub(/.*\) /, ""); if ($3 == g && $1 != "Z") n++ } END { print n + 0 }'
}
if [ -n "$pg" ] && [ -d /proc/self ] && [ "$(left "$pg")" -gt 0 ]; then
	n=$(left "$pg")
	kill -TERM -"$pg" 2>/dev/null
	i=0
	while [ $i -lt 50 ] && [ "$(left "$pg")" -gt 0 ]; do sleep 0.1; i=$((i + 1)); done
	kill -KILL -"$pg" 2>/dev/null
	echo "note: $name left $n process(es) running after it ended; killed them" >&2
	{ echo "note: $name left $n process(es) running after it ended; killed them" >&9; } 2>/dev/null
fi

if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
	echo "FAIL: $name exceeded its time limit of $limit s (ISM_TEST_TIMEOUT) and was killed" >&2
	{ echo "TIMEOUT: $name exceeded $limit s and was killed" >&9; } 2>/dev/null
	exit 1
fi
exit $rc
