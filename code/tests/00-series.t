#!/bin/bash
# The patch series: well formed, applies exactly to pristine 6.12 in order,
# and every patch is checkpatch-clean with a proper subject and message;
# each kernel exercise's skeleton, solution and wrong solutions apply
# exactly to its chapter's sources (a cheap check: 70-exercises.t builds
# and grades them).
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

check "the series file is valid and lists every patch once" series_check

pristine=$("$S/kbuild.sh" --source) || bail "no pristine kernel source"
tree=$(mktemp -d "$BUILD/series-test.XXXXXX")
trap 'rm -rf "$tree"' EXIT
rmdir "$tree" && cp -al "$pristine" "$tree"

# last[N]: the last patch of chapter N's kernel
declare -A last
for n in 1 2 3 4 5 6 7; do
	last[$n]=$(series_patches "ch$n" | tail -n1)
done

# exercise_patches N: the kernel exercises' patches of chapter N apply
# to the tree as it is now, each on its own (grade applies one at a time)
exercise_patches() {
	local n=$1 dir p
	for dir in exercises/ch0"$n"/*/; do
		[ -d "$dir" ] || continue
		[ ! -e "$dir/applies-to" ] || continue
		dir=${dir%/}
		for p in "$dir/skeleton.patch" "solutions/${dir#exercises/}"/*.patch; do
			[ -f "$p" ] || continue
			check "$p applies to chapter $n's sources (no fuzz)" \
				sh -c "cd '$tree' && patch -p1 --fuzz=0 -f --dry-run -s < '$FASTUML_ROOT/$p' > /dev/null"
		done
	done
}

cd "$FASTUML_ROOT" || bail "no project root"
for p in $(series_patches ch7); do
	f=$KERNEL_DIR/patches/$p
	check "$p applies to pristine + the patches before it (no fuzz)" \
		sh -c "cd '$tree' && patch -p1 --fuzz=0 -f --no-backup-if-mismatch -s < '$f'"
	# (FILE_PATH_CHANGES, "does MAINTAINERS need updating?", fires on
	# every new file: an out-of-tree series has no MAINTAINERS entry)
	check "$p is checkpatch --strict clean" \
		sh -c "cd '$pristine' && perl scripts/checkpatch.pl --strict --no-signoff -q --ignore FILE_PATH_CHANGES '$f'"
	subject=$(sed -n 's/^Subject: \[PATCH[^]]*\] //p' "$f")
	case "$subject" in um:\ *) rc=0 ;; *) rc=1 ;; esac
	ok "$rc" "$p has an 'um: ' subject ($subject)"
	body=$(awk '/^Subject:/ { s = 1; next } s && /^---$/ { exit } s' "$f" | grep -c '[a-z]')
	[ "$body" -ge 5 ] && rc=0 || rc=1
	ok "$rc" "$p explains itself in its message ($body lines)"
	for n in 1 2 3 4 5 6 7; do
		[ "${last[$n]}" != "$p" ] || exercise_patches "$n"
	done
done

done_testing
