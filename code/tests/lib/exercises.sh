# shellcheck shell=bash
# shellcheck disable=SC2034  # TAP_ERR is read by ok() in tap.sh
# Grading every exercise, shared by 70-exercises.t (lane 2) and
# 71-exercises.t (lane 1, after lane 1's other tests).  Source it after
# tap.sh, from the project root.
#
# The exercises are a queue that both files drain: run-tests names one
# directory (FASTUML_EXQ), the first file to start fills it with a file
# per exercise, and each file claims
# the next one by moving it away (a rename succeeds for exactly one of
# them), so that lane 1 takes over grading when its own tests are done
# and the two lanes finish together.  A file run on its own (prove
# code/tests/70-exercises.t) makes a private queue of every exercise.

grade=$S/grade
mapfile -t exercises < <(find exercises -mindepth 2 -maxdepth 2 -type d | sort)
[ "${#exercises[@]}" -gt 0 ] || bail "no exercises under exercises/"
chapters=$(printf '%s\n' "${exercises[@]}" | sed 's|exercises/ch0*\([0-9]*\)/.*|ch\1|' | sort -u)
# shellcheck disable=SC2086
need_kernels $chapters
need_rootfs
ex_tmp=$(mktemp -d "$BUILD/exercises.XXXXXX")
mkdir -p "$BUILD/logs"
trap 'rm -rf "$ex_tmp"' EXIT

# the queue: FASTUML_EXQ/todo/ holds one file per exercise, chNN--name.
# The first file to get here makes it, filled aside and then renamed into
# place (the rename fails for the other one, once the queue exists).
FASTUML_EXQ=${FASTUML_EXQ:-$ex_tmp/queue}
if [ ! -d "$FASTUML_EXQ" ]; then
	mkdir -p "$ex_tmp/new/todo" "$ex_tmp/new/taken"
	for dir in "${exercises[@]}"; do
		n=${dir#exercises/}
		: > "$ex_tmp/new/todo/${n/\//--}"
	done
	if mv -T "$ex_tmp/new" "$FASTUML_EXQ" 2> /dev/null; then
		: > "$BUILD/logs/70-exercises.times"
	fi
fi
[ -d "$FASTUML_EXQ/todo" ] || bail "no exercise queue at $FASTUML_EXQ"

# claim: the next unclaimed exercise's directory in $claimed (empty when
# the queue is drained)
claim() {
	local f
	claimed=
	for f in "$FASTUML_EXQ"/todo/*; do
		[ -e "$f" ] || return 0
		if mv "$f" "$FASTUML_EXQ/taken/" 2> /dev/null; then
			f=${f##*/}
			claimed=exercises/${f/--//}
			return 0
		fi
	done
}

# graded OUT LIMIT ARGS...: grade ARGS, at most LIMIT seconds, its output
# in OUT and its exit status in rc; its time goes to the log
# build/logs/70-exercises.times (for the reader; no test depends on it)
times=$BUILD/logs/70-exercises.times
graded() {
	local out=$1 limit=$2 t0=$EPOCHREALTIME
	shift 2
	rc=0
	timeout "$limit" "$grade" "$@" > "$out" 2>&1 || rc=$?
	awk -v a="$t0" -v b="$EPOCHREALTIME" -v w="${*//$FASTUML_ROOT\//}" -v s="$(score "$out")" \
		-v l="${FASTUML_LANE:-1}" \
		'BEGIN { printf "%7.1f s  lane %s  grade %s  (score %s)\n", b - a, l, w, s }' >> "$times"
}

# score FILE: "X Y" from the "Score: X/Y" line of a grade run
score() {
	sed -n 's|^Score: \([0-9]*\)/\([0-9]*\)$|\1 \2|p' "$1" | tail -n1
}

# grade_exercise DIR: the exercise is complete, its skeleton scores below
# full, its solution full, and each of its wrong solutions below full
grade_exercise() {
	local dir=$1 name ch exercise sol missing f n got total r wrong wrongs
	name=${dir#exercises/}
	ch=${name%%/*}
	ch=${ch#ch}
	ch=$((10#$ch))
	exercise=${name#*/}
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

	graded "$ex_tmp/skel" 600 "$ch" "$exercise"
	TAP_ERR=$ex_tmp/skel
	read -r got total <<< "$(score "$ex_tmp/skel")"
	[ "$rc" -eq 1 ] && [ -n "$got" ] && [ "$got" -lt "$total" ] && r=0 || r=1
	ok "$r" "$name: the skeleton scores below full (${got:-?}/${total:-?}, exit $rc)"
	[ "$r" -eq 0 ] || diag "$(cat "$ex_tmp/skel")"
	grep -q 'does not apply\|does not build' "$ex_tmp/skel" && r=1 || r=0
	ok "$r" "$name: the skeleton applies and builds"

	graded "$ex_tmp/sol" 600 "$ch" "$exercise" "$sol/solution.patch"
	read -r got total <<< "$(score "$ex_tmp/sol")"
	[ "$rc" -eq 0 ] && [ -n "$got" ] && [ "$got" -eq "$total" ] && [ "$total" -eq "$n" ] && r=0 || r=1
	ok "$r" "$name: the solution scores full (${got:-?}/${total:-?}, exit $rc)"
	[ "$r" -eq 0 ] || diag "$(cat "$ex_tmp/sol")"

	# wrong solutions: patches that game the count or break the data
	wrongs=()
	for wrong in "$sol"/wrong-*.patch; do
		[ ! -e "$wrong" ] || wrongs+=("$wrong")
	done
	[ "${#wrongs[@]}" -gt 0 ] && r=0 || r=1
	ok "$r" "$name: it has wrong solutions to grade (${#wrongs[@]} $sol/wrong-*.patch)"
	[ "$r" -eq 0 ] || diag "no $sol/wrong-*.patch: add one that games the count or breaks the data"
	for wrong in "${wrongs[@]}"; do
		graded "$ex_tmp/wrong" 600 "$ch" "$exercise" "$wrong"
		TAP_ERR=$ex_tmp/wrong
		read -r got total <<< "$(score "$ex_tmp/wrong")"
		[ "$rc" -eq 1 ] && [ -n "$got" ] && [ "$got" -lt "$total" ] &&
			! grep -q 'does not apply\|does not build' "$ex_tmp/wrong" && r=0 || r=1
		ok "$r" "$name: the wrong solution $(basename "$wrong") builds and scores below full (${got:-?}/${total:-?}, exit $rc)"
		[ "$r" -eq 0 ] || diag "$(cat "$ex_tmp/wrong")"
	done
}

# grade_queue: grade exercises from the queue until it is drained
grade_queue() {
	graded_here=0
	while claim && [ -n "$claimed" ]; do
		[ -d "$claimed" ] || bail "the queue names $claimed, which is not an exercise"
		grade_exercise "$claimed"
		graded_here=$((graded_here + 1))
	done
}
