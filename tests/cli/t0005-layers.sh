#!/bin/sh
# The layout shows the pipeline (src/README): every source file sits in a layer folder, and its
# #include "..." lines name only headers of the layers its folder's README allows on its
# "May include:" line. Checked on the tree, then on a copy with one upward include, one file
# outside a layer and one header that does not exist, each of which must be reported.
. "${ISM_SRCDIR:-.}/tests/cli/lib.sh"

# check SRC: prints one line per violation, exit 1 if any
check() {
	src=$1
	bad=0
	for f in "$src"/*.c "$src"/*.h; do
		[ -e "$f" ] || continue
		echo "${f#"$src"/}: not in a layer folder"
		bad=1
	done
	for d in "$src"/*/; do
		layer=$(basename "$d")
		[ -f "$d/README" ] || { echo "$layer/: no README"; bad=1; continue; }
		allowed=$(sed -n 's/^May include: *//p' "$d/README")
		[ -n "$allowed" ] || { echo "$layer/README: no \"May include:\" line"; bad=1; continue; }
		for f in "$d"*.c "$d"*.h; do
			[ -e "$f" ] || continue
			sed -n 's/^[ \t]*#[ \t]*include[ \t]*"\([^"]*\)".*/\1/p' "$f" | while read -r h; do
				case $h in
				config.h | vmlinux.h) continue ;;	# made by configure / the BPF build
				src/record/*) hl=record ;;
				*)
					hl=
					for cand in "$src"/*/"$h"; do
						[ -e "$cand" ] && hl=$(basename "$(dirname "$cand")")
					done
					if [ -z "$hl" ]; then
						echo "$layer/${f##*/}: includes \"$h\", which no layer holds"
						echo x >>"$T/bad.$$"
						continue
					fi
					;;
				esac
				case " $allowed " in
				*" $hl "*) ;;
				*)
					echo "$layer/${f##*/}: includes $hl/$h; $layer may include: $allowed"
					echo x >>"$T/bad.$$"
					;;
				esac
			done
		done
	done
	if [ -s "$T/bad.$$" ]; then rm -f "$T/bad.$$"; bad=1; fi
	return $bad
}

S="$ISM_SRCDIR/src"
check "$S" >"$T/tree.out" || { cat "$T/tree.out" >&2; fail "the include graph goes against the layers"; }
n=$(cat "$S"/*/*.c "$S"/*/*.h | grep -c '^[ \t]*#[ \t]*include[ \t]*"')
[ "$n" -gt 300 ] || fail "only $n project includes seen: the check reads nothing"

# the check can fail: an upward include, a stray file, an include of nothing
mkdir "$T/copy"
cp -R "$S"/. "$T/copy/"
printf '#include "cmd.h"\n' >>"$T/copy/base/util.h"
printf 'int stray;\n' >"$T/copy/stray.c"
printf '#include "no-such-header.h"\n' >>"$T/copy/trace/event.c"
check "$T/copy" >"$T/copy.out" && fail "a broken copy passed the layer check"
grep -q '^base/util.h: includes cli/cmd.h; base may include: base$' "$T/copy.out" ||
	{ cat "$T/copy.out" >&2; fail "the upward include base -> cli is not reported"; }
grep -q '^stray.c: not in a layer folder$' "$T/copy.out" || fail "a file outside a layer is not reported"
grep -q 'trace/event.c: includes "no-such-header.h", which no layer holds' "$T/copy.out" ||
	fail "an include of a missing header is not reported"
[ "$(wc -l <"$T/copy.out")" -eq 3 ] || { cat "$T/copy.out" >&2; fail "the broken copy reports more than its 3 faults"; }
pass
