#!/bin/sh
# quickstart-check.sh: do what a new user does. Clone the committed HEAD into an empty
# folder and run the README's "Quick start" commands there exactly as written, one after the
# other, in one shell (so a command that changes directory or leaves the tree configured
# affects the next one, as it would for the user). The commands are read from README.md's
# "## Quick start" section (its indented code blocks), never copied here.
#   usage: scripts/quickstart-check.sh [--keep] [--list]
#     --list   print the commands it would run, and stop
#     --keep   keep the clone (its path is printed)
# Run by .ci/run after the test suites. One of the README's commands is the test suite
# itself; ISM_QUICKSTART_CHECK marks the run, so a quick start check started from inside one
# (by a README command, or a script that calls this one) returns at once instead of
# recursing. Uncommitted changes are not in the clone: commit first.
set -eu
keep=0
list=0
for a in "$@"; do
	case $a in
	--keep) keep=1 ;;
	--list) list=1 ;;
	-h | --help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "quickstart-check: unknown option '$a' (--keep, --list)" >&2; exit 2 ;;
	esac
done
if [ -n "${ISM_QUICKSTART_CHECK:-}" ]; then
	echo "quickstart-check: already inside a quick start check ($ISM_QUICKSTART_CHECK); not starting another"
	exit 0
fi
top=$(cd "$(dirname "$0")/.." && pwd)
readme=$top/README.md
[ -f "$readme" ] || { echo "quickstart-check: no $readme" >&2; exit 2; }

# the indented code blocks of the "## Quick start" section, one command per block
# (a block's lines are joined as the shell would read them)
cmds=$(mktemp "${TMPDIR:-/tmp}/quickstart.XXXXXX")
trap 'rm -f "$cmds"' EXIT
awk '
	/^## / { on = ($0 ~ /^## Quick start/); if (!on && done) exit; next }
	!on { next }
	/^    / { sub(/^    /, ""); blk = blk (blk == "" ? "" : "\n") $0; next }
	/^[[:space:]]*$/ { next }
	{ if (blk != "") { print blk; print "\036"; n++; blk = "" } done = 1 }
	END { if (blk != "") { print blk; print "\036" } }
' "$readme" >"$cmds"
n=$(grep -c "$(printf '\036')" "$cmds" || true)
[ "$n" -ge 1 ] || { echo "quickstart-check: no indented commands under '## Quick start' in README.md" >&2; exit 2; }
if [ $list = 1 ]; then
	awk -v RS='\036\n' '{ printf "command %d:\n%s\n", NR, $0 }' "$cmds"
	exit 0
fi

if [ -n "$(git -C "$top" status --porcelain --untracked-files=no 2>/dev/null)" ]; then
	echo "quickstart-check: note: uncommitted changes in $top are not in the clone"
fi
work=$(mktemp -d "${TMPDIR:-/tmp}/quickstart-clone.XXXXXX")
clone=$work/iommusim
git clone -q "$top" "$clone"
echo "quickstart-check: $(git -C "$clone" log -1 --format='%h %s') in $clone"

# one shell runs every command in turn, as a user's terminal would
script=$work/quickstart.sh
{
	echo "cd '$clone' || exit 2"
	awk -v RS='\036\n' '
		{ label = substr($0, 1, 100); gsub(/[^A-Za-z0-9 .\/_=,:+-]/, "", label)
		  printf "t0=$(date +%%s)\necho \"quickstart-check: command %d: %s\"\n", NR, label
		  printf "%s\n", $0
		  printf "rc=$?; echo \"quickstart-check: command %d exit $rc after $(($(date +%%s) - t0)) s\"; [ $rc -eq 0 ] || exit $rc\n", NR }
	' "$cmds"
} >"$script"
rc=0
ISM_QUICKSTART_CHECK="$clone" bash "$script" || rc=$?
if [ $keep = 1 ]; then
	echo "quickstart-check: kept $clone"
else
	rm -rf "$work"
fi
if [ $rc -ne 0 ]; then
	echo "quickstart-check: FAILED (exit $rc): the README's Quick start does not work as written" >&2
	exit 1
fi
echo "quickstart-check: all $n Quick start commands passed in one fresh clone"
