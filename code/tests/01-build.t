#!/bin/bash
# Every chapter kernel and the upstream reference kernel build from the
# series, and each carries exactly the patches the series gives it.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

log=$(mktemp)
# "make test" has just built them: only what changed since is rebuilt
# shellcheck disable=SC2086
"$S/kbuild.sh" --if-changed $TARGETS > "$log" 2>&1
rc=$?
sed 's/^/# /' "$log"
ok "$rc" "kbuild.sh builds every target ($TARGETS)"

for t in $TARGETS; do
	linux=$BUILD/$t/linux
	[ -x "$linux" ] && file -L "$linux" | grep -q 'ELF 64-bit' && rc=0 || rc=1
	ok "$rc" "$t: build/$t/linux is a 64-bit ELF executable"
	want=$(series_patches "$t" | tr '\n' ' ' | sed 's/ $//')
	got=$(sed -n 's/^patches=//p' "$BUILD/$t/.fastuml/info" 2> /dev/null)
	is "$got" "$want" "$t: carries exactly its series patches"
done

# The tree is incremental: a second build of an unchanged series compiles nothing.
"$S/kbuild.sh" ch1 > /dev/null 2>&1
grep -cE '^  (CC|LD) ' "$BUILD/logs/ch1.log" > "$log.cc" || true
is "$(cat "$log.cc")" 0 "rebuilding an unchanged ch1 compiles and links nothing"
rm -f "$log.cc"

# No new W=1 warnings: compile every C file the series touches with W=1 in
# the tree that carries the whole series, and look for warnings on lines
# the series added (in .c files and in the headers they include).
tree=$(readlink -f "$BUILD/ch7")
pristine=$BUILD/src/linux-6.12
mapfile -t touched < <(for p in $(series_patches ch7); do
	sed -n 's|^+++ b/||p' "$KERNEL_DIR/patches/$p"; done | sort -u)
objs=()
for f in "${touched[@]}"; do
	case "$f" in *.c) [ -f "$tree/${f%.c}.o" ] && objs+=("${f%.c}.o") ;; esac
done
added_lines() {	# FILE: line numbers the series added to FILE
	if [ -f "$pristine/$1" ]; then
		diff --unchanged-line-format= --old-line-format= \
			--new-line-format='%dn
' "$pristine/$1" "$tree/$1"
	else
		seq "$(wc -l < "$tree/$1")"
	fi
}
new_warnings=
if [ ${#objs[@]} -gt 0 ]; then
	make -C "$tree" ARCH=um CC="ccache gcc" W=1 "${objs[@]}" > "$log" 2>&1
	ok $? "the C files the series touches build with W=1 (${#objs[@]} files)"
	for f in "${touched[@]}"; do
		lines=" $(added_lines "$f" | tr '\n' ' ')"
		while IFS=: read -r _ line _; do
			case "$lines" in *" $line "*) new_warnings="$new_warnings$f:$line " ;; esac
		done < <(grep -E "^$f:[0-9]+:[0-9]+: warning:" "$log")
	done
fi
is "$new_warnings" "" "no W=1 warning on a line the series added"
[ -z "$new_warnings" ] || diag "$(grep -E 'warning:' "$log")"

# Failure paths of the build: bad source, a patch that does not apply.
fake=$(mktemp -d "$BUILD/kbuild-test.XXXXXX")
TAP_ERR=$fake/err
trap 'rm -f "$log"; rm -rf "$fake"' EXIT
rc=0
KSRC=$fake/none "$S/kbuild.sh" ch1 > /dev/null 2> "$fake/err" || rc=$?
[ "$rc" -ne 0 ] && [ "$(wc -l < "$fake/err")" -eq 1 ] && grep -q 'KSRC=.*does not exist' "$fake/err"
ok $? "a missing KSRC gives one error line and fails"
mkdir -p "$fake/old"
printf 'VERSION = 5\nPATCHLEVEL = 10\nSUBLEVEL = 0\n' > "$fake/old/Makefile"
rc=0
BUILD=$fake/build KSRC=$fake/old "$S/kbuild.sh" ch1 > /dev/null 2> "$fake/err" || rc=$?
[ "$rc" -ne 0 ] && grep -q 'is Linux 5.10.0; fastuml needs 6.12.y' "$fake/err"
ok $? "a source tree that is not 6.12 is refused, naming its version"
cp -r "$KERNEL_DIR" "$fake/kernel"
# chapter 1's last patch once more, right after it: applying it twice
# cannot work.  (At the end of ch1's list, so that the failed build and
# the recovery revert nothing: the tree's objects stay valid.)
last=$(series_patches ch1 | tail -n1)
cp "$KERNEL_DIR/patches/$last" "$fake/kernel/patches/9999-um-broken.patch"
sed -i "/^1 $last/a 1 9999-um-broken.patch" "$fake/kernel/series"
rc=0
FASTUML_KERNEL_DIR=$fake/kernel "$S/kbuild.sh" ch1 > /dev/null 2> "$fake/err" || rc=$?
[ "$rc" -ne 0 ] && grep -q 'ch1: patch 9999-um-broken.patch does not apply' "$fake/err"
ok $? "a patch that does not apply stops the build and is named"
[ "$rc" -ne 0 ] || diag "$(cat "$fake/err")"
"$S/kbuild.sh" ch1 > /dev/null 2>&1
ok $? "the tree recovers when the series is right again"

done_testing
