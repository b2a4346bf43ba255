#!/bin/sh
# Help agrees with the code: the top-level list fits 80 columns, every command's --help starts
# with its usage and names the options the list gives it, `help COMMAND` shows its part of
# iommusim(1); `make install` installs the scenarios (found by name), plots, schemas and man
# pages.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

expect_exit 0 "$ISM_BIN" --help
LC_ALL=C.UTF-8 awk 'length > 80 { print; exit 1 }' "$OUT" >"$T/wide" ||
	fail "top-level help wider than 80 columns: $(cat "$T/wide")"
cp "$OUT" "$T/top"
cmds=$(awk '/^commands:/ { on = 1; next } on && /^  [a-z]/ { print $1 }' "$T/top")
[ -n "$cmds" ] || fail "no commands listed"
for c in $cmds; do
	expect_exit 0 "$ISM_BIN" "$c" --help
	head -1 "$OUT" | grep -q "^usage: iommusim $c" || fail "$c --help: $(head -1 "$OUT")"
	# every option the top-level synopsis shows is one the command takes
	for opt in $(awk -v c="$c" '$1 == c { for (i = 2; i <= NF; i++) print $i }' "$T/top" |
		grep -o -- '--*[a-zA-Z][-a-z]*' | sort -u); do
		grep -q -- "$opt" "$OUT" || fail "top-level help shows $c $opt, $c --help does not"
	done
done
# what the top-level help and list --help promise, list does
for l in strategies params readers kinds hcalls; do
	grep -q "$l" "$T/top" || fail "top-level help does not mention list $l"
	expect_exit 0 "$ISM_BIN" list "$l"
	grep -q "^$l:" "$OUT" || fail "list $l prints no $l"
done
expect_exit 2 "$ISM_BIN" list nosuch

# help COMMAND: the command's part of the manual (plain text when not a terminal)
if command -v man >/dev/null 2>&1; then
	for c in $cmds; do
		expect_exit 0 "$ISM_BIN" help "$c"
		grep -q "iommusim $c" "$OUT" || fail "help $c: not its man section: $(head -3 "$OUT")"
		[ "$(wc -l < "$OUT")" -gt 8 ] || fail "help $c: only $(wc -l < "$OUT") lines"
	done
	expect_exit 0 "$ISM_BIN" help sweep
	grep -q 'crossover' "$OUT" || fail "help sweep lacks its REPORTS subsection"
fi
expect_exit 2 "$ISM_BIN" help nosuch

# make install: scenarios by name, plots, schemas, man pages
if [ -n "${ISM_BUILDDIR:-}" ] && [ -f "$ISM_BUILDDIR/Makefile" ] && command -v make >/dev/null; then
	make -C "$ISM_BUILDDIR" install DESTDIR="$T/inst" >"$T/install.log" 2>&1 ||
		fail "make install: $(tail -5 "$T/install.log")"
	d=$(find "$T/inst" -type d -path '*/share/iommusim' | head -1)
	[ -n "$d" ] || fail "nothing installed in share/iommusim"
	for f in scenarios/qemu-pseries.json scenarios/svm-2019/rfc-2g.json plots/delta.gp \
		plots/style.gp schemas/result.schema.json; do
		[ -s "$d/$f" ] || fail "make install did not install $f"
	done
	find "$T/inst" -name iommusim.1 | grep -q . || fail "no man page installed"
	bin=$(find "$T/inst" -type f -name iommusim -perm -u+x | head -1)
	ISM_SCENARIO_PATH="$d/scenarios" expect_exit 0 "$bin" run -w 1000 -s qemu-pseries -S ddw \
		"$TRACES/pseries-ddw.txt.xz"
	grep -q "scenario qemu-pseries" "$OUT" || fail "-s qemu-pseries not found by name"
	grep -q "$d/scenarios/qemu-pseries.json" "$OUT" ||
		fail "the installed scenario was not the one used"
fi
# every shipped scenario is installed
for f in "$ISM_SRCDIR"/scenarios/*.json "$ISM_SRCDIR"/scenarios/*/*.json; do
	grep -q "scenarios/${f#"$ISM_SRCDIR"/scenarios/}" "$ISM_SRCDIR/Makefile.am" ||
		fail "${f#"$ISM_SRCDIR"/} is not installed"
done
expect_exit 2 "$ISM_BIN" run -s qemu-psries -S ddw "$TRACES/pseries-ddw.txt.xz"
grep -q "did you mean qemu-pseries" "$ERR" || fail "no near-miss for a misspelt scenario"
pass
