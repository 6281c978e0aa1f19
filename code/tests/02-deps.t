#!/bin/bash
# Every host command the repository's scripts run comes from a Debian
# package that "make deps" (code/scripts/deps.sh) installs, so a package
# installed by hand on a developer's machine is caught there, not on a new
# machine.  The check can fail: without gnuplot-nox in the list (the
# package a new machine once lacked) it names gnuplot and the script that
# runs it.  code/scripts/fresh-check runs "make deps" and this check in a
# new Debian 12 chroot.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
TAP_ERR=$tmp/err
check=$S/deps-check

rc=0
"$check" > "$tmp/out" 2> "$tmp/err" || rc=$?
ok "$rc" "deps-check: every command of the scripts comes from a package deps.sh installs"
[ "$rc" -eq 0 ] || diag "$(cat "$tmp/out")"

# the same check with one package less finds what needs it
mapfile -t pkgs < <("$S/deps.sh" --list)
ok $? "deps.sh --list prints the packages (${#pkgs[@]})"
without=()
for p in "${pkgs[@]}"; do
	[ "$p" = gnuplot-nox ] || without+=("$p")
done
rc=0
DEPS_PACKAGES="${without[*]}" "$check" > "$tmp/out" 2> "$tmp/err" || rc=$?
# (it names the first script that runs gnuplot: plot-breakdown.sh or plot.sh)
[ "$rc" -eq 1 ] && grep -Eq '^deps-check: gnuplot \(run by code/bench/plot(-breakdown)?\.sh\) comes from package gnuplot-nox, which deps.sh does not install$' "$tmp/out"
r=$?
ok "$r" "without gnuplot-nox, deps-check fails and names gnuplot and a plot script of code/bench"
[ "$r" -eq 0 ] || diag "exit status $rc" "$(cat "$tmp/out")"

# a package of the list that is not installed is named too
rc=0
DEPS_PACKAGES="${pkgs[*]} fastuml-no-such-package" "$check" > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" -eq 1 ] && grep -qx 'deps-check: package fastuml-no-such-package of deps.sh is not installed (run make deps)' "$tmp/out"
ok $? "a listed package that is not installed is named"

# bad input: one line, status 2
for c in "$check -x" "$S/deps.sh --nope"; do
	rc=0
	$c > /dev/null 2> "$tmp/err" || rc=$?
	[ "$rc" -eq 2 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q 'usage' "$tmp/err"
	ok $? "${c##*/}: one usage line, exit 2"
done

done_testing
