# shellcheck shell=bash
# Shared definitions for the fastuml scripts.  Source it; do not run it.

FASTUML_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-$FASTUML_ROOT/build}
KERNEL_DIR=${FASTUML_KERNEL_DIR:-$FASTUML_ROOT/code/kernel}
SERIES=$KERNEL_DIR/series
# Runtime files of this checkout's UML runs live in /dev/shm/$SHM_PREFIX.*;
# the prefix names the build directory, so checkouts side by side (or a
# test run beside a benchmark) never take each other's files for their own.
# A test lane (code/scripts/run-tests) adds its number, so the two lanes of
# one run do not either.
# shellcheck disable=SC2034  # used by the scripts that source this file
SHM_PREFIX=fastuml-$(printf '%s' "$BUILD" | sha256sum | cut -c1-8)${FASTUML_LANE:+-lane$FASTUML_LANE}
# The host CPU a UML run is pinned to (uml-run, qemu-run, the benchmarks):
# 0, or the CPU of the lane a test runs in.
FASTUML_CPU=${FASTUML_CPU:-0}
# every kernel target, in build order
TARGETS="ch1 ch2 ch3 ch4 ch5 ch6 ch7 upstream"
# the debug kernel the test suite builds and boots (code/tests/75-debug.t):
# the newest chapter's
# shellcheck disable=SC2034  # used by the scripts that source this file
TEST_DEBUG_TARGET=ch7-debug

# The program name used in messages; scripts set it before sourcing.
PROG=${PROG:-fastuml}

die() {
	echo "$PROG: error: $*" >&2
	exit 1
}

note() {
	echo "$PROG: $*"
}

# seconds since the epoch, with milliseconds
now() {
	date +%s.%3N
}

# elapsed seconds since $1, formatted as 1m02s or 12.3s
elapsed() {
	awk -v a="$1" -v b="$(now)" 'BEGIN {
		d = b - a
		if (d >= 60) printf "%dm%02ds", int(d / 60), int(d) % 60
		else printf "%.1fs", d
	}'
}

# is_target NAME: succeeds for ch1..ch7, upstream, and chN.K (chapter
# N-1's kernel plus the first K patches of chapter N: the steps inside a
# chapter, e.g. ch2.1), each also with "-debug" (the same patches built
# with code/kernel/debug.config too: KASAN, lockdep and friends)
is_target() {
	local t=${1%-debug}
	case " $TARGETS " in
	*" $t "*) return 0 ;;
	esac
	case "$t" in
	ch[1-7].[1-9] | ch[1-7].[1-9][0-9]) return 0 ;;
	esac
	return 1
}

# is_debug TARGET: TARGET is a debug build (its name ends in "-debug")
is_debug() {
	[ "${1%-debug}" != "$1" ]
}

# target_kernel NAME_OR_PATH: the UML binary for a target name or a path
target_kernel() {
	if is_target "$1"; then
		echo "$BUILD/$1/linux"
	else
		echo "$1"
	fi
}

# series_patches TARGET: the patch files (names) of TARGET, in order.
# Validates the series file as it goes.
series_patches() {
	local target=${1%-debug} ch upto=0 last=0 name flag extra line=0 step=0 nth=0
	case "$target" in
	upstream) upto=0 ;;
	ch[1-7]) upto=${target#ch} ;;
	ch[1-7].*) is_target "$target" || die "unknown kernel target '$target' (valid: $TARGETS, chN.K)"
		upto=${target%.*}; upto=${upto#ch}; step=${target#*.} ;;
	*) die "unknown kernel target '$1' (valid: $TARGETS, chN.K, each with -debug)" ;;
	esac
	[ -f "$SERIES" ] || die "missing $SERIES"
	while read -r ch name flag extra; do
		line=$((line + 1))
		case "$ch" in '' | '#'*) continue ;; esac
		case "$ch" in
		[1-7]) ;;
		*) die "$SERIES:$line: chapter '$ch' is not 1..7" ;;
		esac
		[ -n "$name" ] || die "$SERIES:$line: no patch file named"
		[ -z "$extra" ] || die "$SERIES:$line: unexpected '$extra'"
		case "$flag" in '' | host) ;; *) die "$SERIES:$line: unknown flag '$flag'" ;; esac
		[ "$ch" -ge "$last" ] || die "$SERIES:$line: chapter $ch after chapter $last (the series is linear)"
		last=$ch
		[ -f "$KERNEL_DIR/patches/$name" ] || die "$SERIES:$line: no such patch: code/kernel/patches/$name"
		if [ "$target" = upstream ]; then
			[ "$flag" = host ] && echo "$name"
		elif [ "$ch" -lt "$upto" ] || { [ "$ch" -eq "$upto" ] && [ "$step" -eq 0 ]; }; then
			echo "$name"
		elif [ "$ch" -eq "$upto" ]; then
			nth=$((nth + 1))
			[ "$nth" -gt "$step" ] || echo "$name"
		fi
	done < "$SERIES"
	[ "$nth" -ge "$step" ] || die "target $target: chapter $upto has only $nth patches"
	return 0
}

# series_check: every file in patches/ is listed in the series exactly once
series_check() {
	local f n
	for f in "$KERNEL_DIR"/patches/*.patch; do
		[ -e "$f" ] || continue
		n=$(awk -v p="$(basename "$f")" '$1 !~ /^#/ && $2 == p' "$SERIES" | wc -l)
		[ "$n" -eq 1 ] || die "code/kernel/patches/$(basename "$f") is listed $n times in the series (want 1)"
	done
	series_patches ch7 > /dev/null
}

# patch_id FILE: a short content hash of a patch file
patch_id() {
	sha256sum "$1" | cut -c1-16
}

# target_id TARGET: identity of a target's source = hash of its patch list
target_id() {
	local target=$1 p
	{
		for p in $(series_patches "$target"); do
			echo "$p $(patch_id "$KERNEL_DIR/patches/$p")"
		done
		# a debug build never shares a tree with the plain one
		! is_debug "$target" || echo debug
	} | sha256sum | cut -c1-16
}

# copy_tree SRC DST: DST shares SRC's pristine sources (hard links) and
# owns copies of every other file (patched sources, build products): a
# file is SRC's own when the pristine tree has no file of that inode
# there.  Times are kept, so make in DST rebuilds only what changes after.
copy_tree() {
	local src=$1 dst=$2 list
	list=$(mktemp)
	rm -rf "$dst"
	awk 'NR == FNR { pristine[$2] = $1; next } pristine[$2] != $1 { print $2 }' \
		<(cd "$BUILD/src/linux-6.12" && find . -type f -printf '%i %P\n') \
		<(cd "$src" && find . -type f -printf '%i %P\n') > "$list"
	cp -al "$src" "$dst"
	(cd "$dst" && xargs -d '\n' rm -f < "$list")
	(cd "$src" && tar -T "$list" -cf -) | (cd "$dst" && tar -xpf -)
	rm -f "$list"
}
