#!/bin/bash
# The patch series: well formed, applies exactly to pristine 6.12 in order,
# and every patch is checkpatch-clean with a proper subject and message.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

check "the series file is valid and lists every patch once" series_check

pristine=$("$S/kbuild.sh" --source) || bail "no pristine kernel source"
tree=$(mktemp -d "$BUILD/series-test.XXXXXX")
trap 'rm -rf "$tree"' EXIT
rmdir "$tree" && cp -al "$pristine" "$tree"

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
done

done_testing
