#!/bin/bash
# The article's experiment (make debian-rootfs, the article workload):
# the Debian image is built from the mirror once and then reused; an
# unreachable mirror gives one error line and leaves the image alone;
# on ch1 and upstream the workload writes figures with provenance, and
# strace in the guest shows which programs each walk execs (GNU find:
# /usr/bin/cat once per file; busybox find: /proc/self/exe once per file;
# the batched walk: far fewer); the native run leaves nothing mounted.
# 45-measure.t runs the workload on ch1, native and QEMU as well; this
# file checks what is particular to it.  No timing is compared.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

need_kernels ch1 upstream
need_rootfs
need_debian
tmp=$(mktemp -d "$BUILD/article-test.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
measure=$FASTUML_ROOT/code/bench/measure
mkdebian=$FASTUML_ROOT/code/scripts/mkdebian.sh
img=$BUILD/debian.img

# ---- the image ---------------------------------------------------------
before=$(stat -c %Y "$img")
"$mkdebian" > "$tmp/out" 2>&1
ok $? "make debian-rootfs again: succeeds"
grep -q 'is up to date' "$tmp/out"
ok $? "make debian-rootfs again: the image is up to date (recipe unchanged)"
is "$(stat -c %Y "$img")" "$before" "make debian-rootfs again: the image is not rewritten"

rc=0
DEBIAN_MIRROR=http://127.0.0.1:9/debian "$mkdebian" "$tmp/other.img" > "$tmp/out" 2> "$tmp/err" || rc=$?
[ "$rc" -ne 0 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q 'cannot reach the Debian mirror' "$tmp/err"
ok $? "an unreachable mirror: one error line, non-zero status ($rc)"
[ ! -e "$tmp/other.img" ] && [ -d "$BUILD/debian/root/usr/bin" ]
ok $? "an unreachable mirror: no image written, the existing tree kept"

# ---- the workload on upstream and native ----------------------------------
rc=0
"$measure" -q -K -c 1 -w article -t "upstream native" -o "$tmp/m" > "$tmp/log" 2>&1 || rc=$?
ok "$rc" "measure -q -w article on upstream and native"
[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$tmp/log")"
csv=$tmp/m/article.csv
files=$(find "$BUILD/debian/root/usr/share/lintian" -type f | wc -l)
for t in upstream native; do
	bad=$(awk -F, -v t="$t" 'NR > 1 && $4 == t {
		n++
		num = "^[0-9.]+(e[-+]?[0-9]+)?$"
		if ($5 !~ num || $5 + 0 <= 0) print "figure: " $0
		if ($9 == "" || $12 == "" || $13 == "" || $14 !~ /^[0-9]+-[0-9]+-[0-9]+$/) print "provenance: " $0
	} END { if (n < 7) print "only " n + 0 " rows" }' "$csv" 2> /dev/null)
	is "$bad" "" "article on $t: positive figures with provenance"
	is "$(awk -F, -v t="$t" '$4 == t && $2 == "files" { print $5 }' "$csv" 2> /dev/null)" "$files" \
		"article on $t: the walk covers the tree's $files files"
done
# process creations per file from /proc/stat: the guest kernel's own
# threads count there too, so a few more than one per file may appear
bad=$(awk -F, '$4 == "upstream" && $2 ~ /-forks$/ {
	n++
	if ($2 == "gnu-batch-forks" ? ($5 <= 0 || $5 > 0.15) : ($5 < 1 || $5 > 1.1)) print $2 "=" $5
} END { if (n != 3) print n + 0 " fork rows" }' "$csv" 2> /dev/null)
is "$bad" "" "article on upstream: one process per file in both exec walks, a handful for the batched walk"
is "$(grep -c " $BUILD/debian/root/" /proc/mounts)" 0 "the native chroot leaves nothing mounted"

# ---- which programs the walks exec, counted in the guest -----------------
rc=0
SYSCALLS_OF=article "$measure" -q -K -c 1 -w syscalls -t "ch1 upstream" -o "$tmp/m" > "$tmp/log" 2>&1 || rc=$?
ok "$rc" "the exec census and the host calls per exec of /bin/cat on ch1 and upstream"
[ "$rc" -eq 0 ] || diag "$(tail -n 20 "$tmp/log")"
for t in ch1 upstream; do
	# every census row of the target: metric=value
	census=$(awk -F, -v t="$t" '$4 == t && $2 ~ /^article\.census\./ { sub(/^article\.census\./, "", $2); print $2 "=" $5 }' \
		"$tmp/m/syscalls.csv" 2> /dev/null | sort | tr '\n' ' ')
	is "$census" "busybox-exec.files=$files busybox-exec.proc_self_exe=1 gnu-batch.files=$files gnu-batch.usr_bin_cat=$(awk -v f="$files" 'BEGIN { printf "%.4f", 1 / f }' | sed 's/0*$//') gnu-exec.files=$files gnu-exec.usr_bin_cat=1 " \
		"$t: GNU find execs /usr/bin/cat once per file, busybox find /proc/self/exe, the batched walk cat once"
	per=$(awk -F, -v t="$t" '$4 == t && $2 == "article.forkexec-cat.wait4" { print int($5) }' "$tmp/m/syscalls.csv" 2> /dev/null)
	[ "${per:-0}" -gt 10 ]
	ok $? "$t: a fork+exec of /bin/cat costs the UML process tree wait4() stops (${per:-none})"
	# the dynamic program's loader and libc start-up fault in more pages
	# and map more files than the static busybox
	read -r dyn sta < <(awk -F, -v t="$t" '$4 == t && $2 == "article.forkexec-cat.all" { d = int($5) }
		$4 == t && $2 == "article.forkexec-busybox.all" { s = int($5) } END { print d + 0, s + 0 }' "$tmp/m/syscalls.csv" 2> /dev/null)
	[ "$sta" -gt 0 ] && [ "$dyn" -gt "$sta" ]
	ok $? "$t: a fork+exec of the dynamic /bin/cat costs more host calls than one of the static busybox ($dyn vs $sta)"
done

is "$(leftovers)" "" "no UML process or /dev/shm file is left behind"
done_testing
