#!/bin/sh
# Usage, --help and exit codes of every subcommand.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

expect_exit 2 "$ISM_BIN"
expect_exit 0 "$ISM_BIN" --version
expect_exit 0 "$ISM_BIN" --help
expect_exit 2 "$ISM_BIN" frobnicate
for c in stats lint convert dump list; do
	expect_exit 0 "$ISM_BIN" "$c" --help
	grep -q "usage: iommusim $c" "$OUT" || fail "$c --help has no usage line"
done
expect_exit 0 "$ISM_BIN" help stats
expect_exit 0 "$ISM_BIN" sta --help         # unique prefix
expect_exit 2 "$ISM_BIN" stats              # no trace
expect_exit 2 "$ISM_BIN" stats --bogus x
# did you mean: subcommands and long options
expect_exit 2 "$ISM_BIN" rnu
grep -q "unknown command 'rnu'; did you mean 'run'?" "$ERR" || fail "no suggestion for rnu"
expect_exit 2 "$ISM_BIN" run --chek-hcalls x
grep -q "did you mean '--check-hcalls'?" "$ERR" || fail "no suggestion for --chek-hcalls"
expect_exit 2 "$ISM_BIN" stats --jsno x
grep -q "did you mean '--json'?" "$ERR" || fail "no suggestion for --jsno"
expect_exit 2 "$ISM_BIN" lint a b
expect_exit 2 "$ISM_BIN" convert x          # no -o
expect_exit 2 "$ISM_BIN" stats /nonexistent/file
grep -q "/nonexistent/file" "$ERR" || fail "missing file not named in the error"
expect_exit 2 "$ISM_BIN" stats -f nosuchformat /dev/null
expect_exit 0 "$ISM_BIN" list
grep -q "H_PUT_TCE_INDIRECT" "$OUT" || fail "list lacks hcall names"
pass
