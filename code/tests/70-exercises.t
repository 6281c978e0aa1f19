#!/bin/bash
# Every exercise is complete, its skeleton scores below full and its
# solution scores full under make grade; grading a patch that does not
# apply or does not build gives a clear message and a zero score.
# lane: 2
# (run-tests: beside the other tests, on the last CPU: grading compiles)
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
cd "$FASTUML_ROOT" || bail "no project root"
grade=$S/grade

mapfile -t exercises < <(find exercises -mindepth 2 -maxdepth 2 -type d | sort)
[ "${#exercises[@]}" -gt 0 ] || bail "no exercises under exercises/"
chapters=$(printf '%s\n' "${exercises[@]}" | sed 's|exercises/ch0*\([0-9]*\)/.*|ch\1|' | sort -u)
# shellcheck disable=SC2086
need_kernels $chapters
need_rootfs
tmp=$(mktemp -d "$BUILD/exercises.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# graded OUT LIMIT ARGS...: grade ARGS, at most LIMIT seconds, its output
# in OUT and its exit status in rc; its time goes to the log
# build/logs/70-exercises.times (for the reader; no test depends on it)
times=$BUILD/logs/70-exercises.times
mkdir -p "${times%/*}"
: > "$times"
graded() {
	local out=$1 limit=$2 t0=$EPOCHREALTIME
	shift 2
	rc=0
	timeout "$limit" "$grade" "$@" > "$out" 2>&1 || rc=$?
	awk -v a="$t0" -v b="$EPOCHREALTIME" -v w="${*//$FASTUML_ROOT\//}" -v s="$(score "$out")" \
		'BEGIN { printf "%7.1f s  grade %s  (score %s)\n", b - a, w, s }' >> "$times"
}

# score FILE: "X Y" from the "Score: X/Y" line of a grade run
score() {
	sed -n 's|^Score: \([0-9]*\)/\([0-9]*\)$|\1 \2|p' "$1" | tail -n1
}

for dir in "${exercises[@]}"; do
	name=${dir#exercises/}
	ch=${name%%/*}
	ch=${ch#ch}
	ch=$((10#$ch))
	ex=${name#*/}
	sol=solutions/$name
	missing=
	for f in "$dir/README.md" "$dir/skeleton.patch" "$sol/README.md" "$sol/solution.patch"; do
		[ -f "$f" ] || missing="$missing $f"
	done
	[ -x "$dir/check" ] || missing="$missing $dir/check (executable)"
	is "$missing" "" "$name: task, skeleton, checker and solution exist"
	check "$name: the checker passes shellcheck" shellcheck -x "$dir/check"
	n=$("$dir/check" --list | wc -l)
	[ "$n" -gt 0 ] && rc=0 || rc=1
	ok "$rc" "$name: the checker names its checks ($n)"
	grep -q 'TODO' "$dir/skeleton.patch" && rc=0 || rc=1
	ok "$rc" "$name: the skeleton marks the student's work with TODO"

	graded "$tmp/skel" 600 "$ch" "$ex"
	TAP_ERR=$tmp/skel
	read -r got total <<< "$(score "$tmp/skel")"
	[ "$rc" -eq 1 ] && [ -n "$got" ] && [ "$got" -lt "$total" ] && r=0 || r=1
	ok "$r" "$name: the skeleton scores below full (${got:-?}/${total:-?}, exit $rc)"
	[ "$r" -eq 0 ] || diag "$(cat "$tmp/skel")"
	grep -q 'does not apply\|does not build' "$tmp/skel" && r=1 || r=0
	ok "$r" "$name: the skeleton applies and builds"

	graded "$tmp/sol" 600 "$ch" "$ex" "$sol/solution.patch"
	read -r got total <<< "$(score "$tmp/sol")"
	[ "$rc" -eq 0 ] && [ -n "$got" ] && [ "$got" -eq "$total" ] && [ "$total" -eq "$n" ] && r=0 || r=1
	ok "$r" "$name: the solution scores full (${got:-?}/${total:-?}, exit $rc)"
	[ "$r" -eq 0 ] || diag "$(cat "$tmp/sol")"

	# wrong solutions: patches that game the count or break the data
	wrongs=()
	for wrong in "$sol"/wrong-*.patch; do
		[ ! -e "$wrong" ] || wrongs+=("$wrong")
	done
	[ "${#wrongs[@]}" -gt 0 ] && r=0 || r=1
	ok "$r" "$name: it has wrong solutions to grade (${#wrongs[@]} $sol/wrong-*.patch)"
	[ "$r" -eq 0 ] || diag "no $sol/wrong-*.patch: add one that games the count or breaks the data"
	for wrong in "${wrongs[@]}"; do
		graded "$tmp/wrong" 600 "$ch" "$ex" "$wrong"
		TAP_ERR=$tmp/wrong
		read -r got total <<< "$(score "$tmp/wrong")"
		[ "$rc" -eq 1 ] && [ -n "$got" ] && [ "$got" -lt "$total" ] &&
			! grep -q 'does not apply\|does not build' "$tmp/wrong" && r=0 || r=1
		ok "$r" "$name: the wrong solution $(basename "$wrong") builds and scores below full (${got:-?}/${total:-?}, exit $rc)"
		[ "$r" -eq 0 ] || diag "$(cat "$tmp/wrong")"
	done
done

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
