#!/bin/bash
# Every chapter kernel and the upstream reference kernel build from the
# series, and each carries exactly the patches the series gives it.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# shellcheck disable=SC2086
"$S/kbuild.sh" $TARGETS > "$log" 2>&1
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

done_testing
