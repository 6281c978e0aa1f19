#!/bin/bash
# Every exercise is complete, its skeleton scores below full and its
# solution scores full under make grade; grading a patch that does not
# apply or does not build gives a clear message and a zero score.
# lane: 2
# (run-tests: beside the other tests, on the last CPU: grading compiles.
# It shares the exercises with 71-exercises.t, which lane 1 runs after
# its own tests: see lib/exercises.sh.)
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
cd "$FASTUML_ROOT" || bail "no project root"
# shellcheck source=code/tests/lib/exercises.sh
. "$(dirname "$0")/lib/exercises.sh"
tmp=$ex_tmp

grade_queue
diag "graded $graded_here exercises in this lane"

# --- failure paths, on the first exercise that patches the kernel --------
for dir in "${exercises[@]}"; do
	[ -e "$dir/applies-to" ] || break
done
name=${dir#exercises/}
ch=${name%%/*}
ch=$((10#${ch#ch}))
ex=${name#*/}
n=$("exercises/$name/check" --list | wc -l)
file=arch/x86/um/signal.c
mkdir -p "$tmp/a/${file%/*}" "$tmp/b/${file%/*}"

# a patch whose context is not in the tree
{ echo "/* not in chapter $ch's kernel */"; cat "$BUILD/ch$ch/$file"; } > "$tmp/a/$file"
{ echo "/* not in chapter $ch's kernel */"; echo "/* changed */"; cat "$BUILD/ch$ch/$file"; } > "$tmp/b/$file"
(cd "$tmp" && diff -u "a/$file" "b/$file" > stale.patch) || true
TAP_ERR=$tmp/out
graded "$tmp/out" 300 "$ch" "$ex" "$tmp/stale.patch"
grep -q "^grade: the patch does not apply to chapter $ch's kernel" "$tmp/out" &&
	[ "$(score "$tmp/out")" = "0 $n" ] && [ "$rc" -eq 1 ] && r=0 || r=1
ok "$r" "a patch that does not apply: one clear message, Score: 0/$n, exit 1"
[ "$r" -eq 0 ] || diag "$(cat "$tmp/out")"
grep -q 'booting' "$tmp/out" && r=1 || r=0
ok "$r" "a patch that does not apply is not built or booted"

# a patch that breaks the build
cp "$BUILD/ch$ch/$file" "$tmp/a/$file"
{ cat "$BUILD/ch$ch/$file"; echo '#error "broken on purpose by 70-exercises.t"'; } > "$tmp/b/$file"
(cd "$tmp" && diff -u "a/$file" "b/$file" > broken.patch) || true
graded "$tmp/out" 600 "$ch" "$ex" "$tmp/broken.patch"
grep -q '^grade: the kernel does not build' "$tmp/out" &&
	grep -q 'broken on purpose' "$tmp/out" &&
	[ "$(score "$tmp/out")" = "0 $n" ] && [ "$rc" -eq 1 ] && r=0 || r=1
ok "$r" "a patch that breaks the build: the compiler's error, Score: 0/$n, exit 1"
[ "$r" -eq 0 ] || diag "$(cat "$tmp/out")"

# a kernel that hangs when it delivers a signal: every boot times out
cp "$BUILD/ch$ch/$file" "$tmp/a/$file"
awk '{ print } /^int setup_signal_stack_si\(/ { f = 1 } f && /^{/ { print "\tfor (;;)\n\t\tcpu_relax();"; f = 0 }' \
	"$BUILD/ch$ch/$file" > "$tmp/b/$file"
(cd "$tmp" && diff -u "a/$file" "b/$file" > hang.patch) || true
GRADE_BOOT_TIMEOUT=15 graded "$tmp/out" 600 "$ch" "$ex" "$tmp/hang.patch"
read -r got total <<< "$(score "$tmp/out")"
[ "$rc" -eq 1 ] && [ "${total:-0}" -eq "$n" ] && [ "${got:-$n}" -lt "$n" ] &&
	grep -q 'timeout after 15 s' "$tmp/out" && r=0 || r=1
ok "$r" "a kernel that hangs: the boots time out, a score is printed (${got:-?}/${total:-?})"
[ "$r" -eq 0 ] || diag "$(cat "$tmp/out")"

# bad usage
rc=0
"$grade" "$ch" no-such-exercise > "$tmp/out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && [ "$(wc -l < "$tmp/out")" -eq 1 ] && grep -q '^grade: error: no exercise' "$tmp/out" && r=0 || r=1
ok "$r" "an unknown exercise: one error line, exit 2"
[ "$r" -eq 0 ] || diag "$(cat "$tmp/out")"
rc=0
"$grade" "$ch" "$ex" "$tmp/no-such.patch" > "$tmp/out" 2>&1 || rc=$?
[ "$rc" -eq 2 ] && grep -q '^grade: error: cannot read patch' "$tmp/out" && r=0 || r=1
ok "$r" "a missing patch file: one error line, exit 2"

# an exercise that patches the repository: a patch that does not apply
for dir in "${exercises[@]}"; do
	[ "$(cat "$dir/applies-to" 2> /dev/null)" = repository ] || continue
	name=${dir#exercises/}
	ch=${name%%/*}
	ch=$((10#${ch#ch}))
	n=$("$dir/check" --list | wc -l)
	printf -- '--- a/no/such/file\n+++ b/no/such/file\n@@ -1 +1 @@\n-a\n+b\n' > "$tmp/repo.patch"
	graded "$tmp/out" 300 "$ch" "${name#*/}" "$tmp/repo.patch"
	[ "$rc" -eq 1 ] && grep -q 'does not apply to the repository' "$tmp/out" &&
		[ "$(score "$tmp/out")" = "0 $n" ] && r=0 || r=1
	ok "$r" "$name: a patch that does not apply to the repository: a message, Score: 0/$n"
	[ "$r" -eq 0 ] || diag "$(cat "$tmp/out")"
	break
done

leftover=$(leftovers)
is "$leftover" "" "no UML process or /dev/shm file is left behind"
done_testing
