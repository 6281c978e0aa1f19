#!/bin/bash
# kbuild.sh TARGET...: build fastuml kernels (ch1..ch7, upstream; chN.K,
# a step inside chapter N; any of them with "-debug": the same patches
# with the debugging options of code/kernel/debug.config, in a tree of
# its own).
#
# Each target is a source tree under build/TARGET: a hard-linked copy of the
# pristine Debian 6.12 tree with the target's patches applied by GNU patch
# (which writes patched files as new inodes, so the pristine tree is never
# touched).  A tree remembers the patches it carries; when the series
# changes, only the patches after the first difference are reverted and
# re-applied, so make rebuilds only what they touch.  A target built for
# the first time starts from a copy of the nearest built tree, objects
# included (see seed_tree).  Object files are also shared between trees
# through ccache.  Targets whose patch lists are identical
# share one tree (build/ch3 -> ch2 when chapter 3 has no patches yet).
#
# "kbuild.sh --source" only unpacks the pristine tree and prints its path.
# "kbuild.sh --dev DIR TARGET" makes DIR a tree to hack in: see dev_tree();
# "kbuild.sh --make DIR [ARGS]" builds it with the shared compiler cache.
# "kbuild.sh --if-changed TARGET..." builds only the targets whose patches,
# configuration or kernel source changed since their last build.
# Environment: KSRC (kernel tree or tarball), JOBS, CCACHE_DIR, BUILD.
set -euo pipefail
PROG=kbuild
# shellcheck source=code/scripts/common.sh
. "$(dirname "$0")/common.sh"

JOBS=${JOBS:-$(nproc)}
KSRC_DEFAULT=/usr/src/linux-source-6.12.tar.xz
KSRC=${KSRC:-$KSRC_DEFAULT}
PRISTINE=$BUILD/src/linux-6.12
LOGS=$BUILD/logs
FRAGMENT=$KERNEL_DIR/fastuml.config
# merged after FRAGMENT for the debug targets (chN-debug: make kernel
# CH=N DEBUG=1)
DEBUG_FRAGMENT=$KERNEL_DIR/debug.config
BASE_CONFIG=tinyconfig

export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
export CCACHE_BASEDIR=$BUILD CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-4G}
export KBUILD_BUILD_USER=fastuml KBUILD_BUILD_HOST=fastuml

# --- the pristine source ---------------------------------------------------

# kernel_version DIR: "6.12.117" from a tree's Makefile
kernel_version() {
	awk -F' *= *' '$1 == "VERSION" { v = $2 } $1 == "PATCHLEVEL" { p = $2 }
		$1 == "SUBLEVEL" { s = $2 } END { print v "." p "." s }' "$1/Makefile"
}

source_identity() {
	if [ -d "$KSRC" ]; then
		echo "tree $(cd "$KSRC" && pwd)"
	else
		echo "file $(readlink -f "$KSRC") $(stat -c '%s %Y' "$KSRC")"
	fi
}

# prepare_pristine: unpack the source once, holding a lock (a background
# build of the debug kernel may start at the same time as the others)
prepare_pristine() {
	local fd
	mkdir -p "$BUILD"
	exec {fd}> "$BUILD/.source.lock"
	flock "$fd"
	unpack_pristine
	exec {fd}>&-
}

unpack_pristine() {
	local ident tmp top version
	if [ ! -e "$KSRC" ]; then
		if [ "$KSRC" = "$KSRC_DEFAULT" ]; then
			die "no kernel source at $KSRC: run 'make deps' (installs linux-source-6.12) or set KSRC=/path/to/linux-6.12.y"
		fi
		die "KSRC=$KSRC does not exist (want a Linux 6.12.y tree or tarball)"
	fi
	ident=$(source_identity)
	if [ -f "$PRISTINE/.fastuml-source" ] && [ "$(cat "$PRISTINE/.fastuml-source")" = "$ident" ]; then
		return 0
	fi
	note "unpacking kernel source from $KSRC"
	mkdir -p "$BUILD/src"
	rm -rf "$PRISTINE" "$BUILD/src/unpack"
	tmp=$BUILD/src/unpack
	mkdir -p "$tmp"
	if [ -d "$KSRC" ]; then
		[ -f "$KSRC/Makefile" ] || die "KSRC=$KSRC has no Makefile: not a kernel tree"
		[ ! -e "$KSRC/.config" ] || die "KSRC=$KSRC is not clean (it has a .config): run 'make mrproper' there"
		cp -a "$KSRC" "$tmp/linux"
	else
		tar -xf "$KSRC" -C "$tmp" || die "cannot unpack $KSRC"
	fi
	top=$(find "$tmp" -mindepth 1 -maxdepth 2 -name Makefile -printf '%h\n' | sort | head -n1)
	[ -n "$top" ] || die "$KSRC holds no kernel tree (no top-level Makefile)"
	version=$(kernel_version "$top")
	case "$version" in
	6.12.*) ;;
	*) die "$KSRC is Linux $version; fastuml needs 6.12.y (Debian's linux-source-6.12)" ;;
	esac
	mv "$top" "$PRISTINE"
	rm -rf "$tmp"
	echo "$ident" > "$PRISTINE/.fastuml-source"
	note "kernel source: Linux $version in $PRISTINE"
}

# --- one target's tree -----------------------------------------------------

new_tree() {
	local tree=$1
	rm -rf "$tree"
	cp -al "$PRISTINE" "$tree"
	mkdir -p "$tree/.fastuml/patches"
	: > "$tree/.fastuml/applied"
}

# apply_patch TREE FILE [-R]: apply (or revert) exactly, or fail untouched
apply_patch() {
	local tree=$1 file=$2 out
	# -f, not --batch: --batch would silently reverse a patch that looks applied
	local opts=(-p1 --fuzz=0 -f --no-backup-if-mismatch "${@:3}")
	if ! out=$(cd "$tree" && patch "${opts[@]}" --dry-run < "$file" 2>&1); then
		echo "$out"
		return 1
	fi
	(cd "$tree" && patch "${opts[@]}" -s < "$file")
}

# common_prefix: how many entries the caller's arrays "have" and "want"
# (patch lists, "NAME ID" per line) share from the start
common_prefix() {
	local n=0
	while [ "$n" -lt "${#have[@]}" ] && [ "$n" -lt "${#want[@]}" ] &&
	      [ "${have[$n]}" = "${want[$n]}" ]; do
		n=$((n + 1))
	done
	echo "$n"
}

# seedable OTHER TARGET: OTHER is a real tree (not a link), built (its
# stamp says so) from the current source, and not TARGET
seedable() {
	local dir=$BUILD/$1
	[ "$1" != "$2" ] && [ ! -L "$dir" ] && [ -x "$dir/linux" ] &&
		[ -f "$dir/.fastuml/applied" ] &&
		grep -q '^stamp=' "$dir/.fastuml/info" 2> /dev/null &&
		cmp -s "$PRISTINE/.fastuml-source" "$dir/.fastuml-source"
}

# seed_tree TARGET TREE: a target built for the first time starts as a
# copy of the built tree (of another target) that is nearest to it: the
# one that needs the fewest patches reverted and applied.  The copy keeps
# its objects and their times, so make recompiles only what the patches
# in between change (and fixdep what a changed option touches), not the
# whole kernel.  Without a built tree it starts from the pristine one.
seed_tree() {
	local target=$1 tree=$2 want other have keep cost best='' best_cost='' kin=$TARGETS
	mapfile -t want < <(for p in $(series_patches "$target"); do
		echo "$p $(patch_id "$KERNEL_DIR/patches/$p")"; done)
	# a debug tree's objects are all compiled differently: only another
	# debug tree is worth copying
	! is_debug "$target" || kin=$(for other in $TARGETS; do echo "$other-debug"; done)
	for other in $kin; do
		seedable "$other" "$target" || continue
		mapfile -t have < "$BUILD/$other/.fastuml/applied"
		keep=$(common_prefix)
		cost=$((${#have[@]} + ${#want[@]} - 2 * keep))
		if [ -z "$best_cost" ] || [ "$cost" -lt "$best_cost" ]; then
			best=$other best_cost=$cost
		fi
	done
	if [ -z "$best" ]; then
		new_tree "$tree"
		return 0
	fi
	note "$target: starting from a copy of build/$best, $best_cost patch(es) away"
	copy_tree "$BUILD/$best" "$tree"
	sed -i '/^stamp=/d' "$tree/.fastuml/info"
}

# sync_tree TARGET TREE: make TREE carry exactly TARGET's patches
sync_tree() {
	local target=$1 tree=$2 want have i n keep p out
	mapfile -t want < <(for p in $(series_patches "$target"); do
		echo "$p $(patch_id "$KERNEL_DIR/patches/$p")"; done)
	if [ ! -d "$tree/.fastuml" ] ||
	   ! cmp -s "$PRISTINE/.fastuml-source" "$tree/.fastuml-source"; then
		seed_tree "$target" "$tree"
	fi
	mapfile -t have < "$tree/.fastuml/applied"
	keep=$(common_prefix)
	# Files that the revert-and-reapply below leaves as they were get their
	# old times back, so that make does not rebuild what did not change.
	: > "$tree/.fastuml/times"
	for ((i = keep; i < ${#have[@]}; i++)); do
		patch_files "$tree/.fastuml/patches/${have[$i]%% *}"
	done | sort -u | while read -r f; do
		[ -f "$tree/$f" ] || continue
		echo "$(stat -c %Y "$tree/$f") $(sha256sum < "$tree/$f" | cut -c1-64) $f"
	done > "$tree/.fastuml/times"
	# revert what differs, newest first, with the copies applied back then
	n=${#have[@]}
	for ((i = n - 1; i >= keep; i--)); do
		p=${have[$i]%% *}
		if ! apply_patch "$tree" "$tree/.fastuml/patches/$p" -R > /dev/null; then
			note "$target: cannot revert $p; starting from a fresh tree"
			new_tree "$tree"
			keep=0
			break
		fi
		printf '%s\n' "${have[@]:0:$i}" | sed '/^$/d' > "$tree/.fastuml/applied"
		rm -f "$tree/.fastuml/patches/$p"
	done
	for ((i = keep; i < ${#want[@]}; i++)); do
		p=${want[$i]%% *}
		if ! out=$(apply_patch "$tree" "$KERNEL_DIR/patches/$p"); then
			echo "$PROG: error: $target: patch $p does not apply:" >&2
			printf '    %s\n' "$out" >&2
			return 1
		fi
		cp "$KERNEL_DIR/patches/$p" "$tree/.fastuml/patches/$p"
		echo "${want[$i]}" >> "$tree/.fastuml/applied"
	done
	restore_times "$tree"
}

# patch_files PATCH: the paths a patch changes
patch_files() {
	sed -n 's|^+++ b/||p; s|^--- a/||p' "$1"
}

# restore_times TREE: put back the times of files whose content is unchanged
restore_times() {
	local tree=$1 t sum f
	[ -f "$tree/.fastuml/times" ] || return 0
	while read -r t sum f; do
		[ -f "$tree/$f" ] || continue
		[ "$(sha256sum < "$tree/$f" | cut -c1-64)" = "$sum" ] || continue
		touch -d "@$t" "$tree/$f"
	done < "$tree/.fastuml/times"
	rm -f "$tree/.fastuml/times"
}

# fragments TARGET: the configuration fragments of TARGET, in merge order
fragments() {
	echo "$FRAGMENT"
	! is_debug "$1" || echo "$DEBUG_FRAGMENT"
}

# configure TREE TARGET: tinyconfig + our fragment(s), checked
configure() {
	local tree=$1 hash missing frags
	mapfile -t frags < <(fragments "$2")
	# the patches count too: a patch may add an option the fragment sets
	# (a tree seeded from another target's must merge it again)
	hash=$({ cat "${frags[@]}"; echo "$BASE_CONFIG"; cat "$tree/.fastuml/applied" 2> /dev/null || true; } |
		sha256sum | cut -c1-16)
	if [ ! -f "$tree/.config" ] || [ "$(cat "$tree/.fastuml/config-id" 2>/dev/null)" != "$hash" ]; then
		make -C "$tree" ARCH=um CC="ccache gcc" "$BASE_CONFIG" > /dev/null
		(cd "$tree" && scripts/kconfig/merge_config.sh -m .config "${frags[@]}") > /dev/null
		echo "$hash" > "$tree/.fastuml/config-id"
	fi
	make -C "$tree" ARCH=um CC="ccache gcc" olddefconfig > /dev/null
	missing=$(cat "${frags[@]}" | grep -E '^(CONFIG_|# CONFIG_)' | while read -r line; do
		grep -qxF "$line" "$tree/.config" && continue
		# An option that a patch of the series adds (with "+config SYM")
		# does not exist in the trees without that patch: not an error.
		sym=$(sed -E 's/^# //; s/^CONFIG_([A-Za-z0-9_]+).*/\1/' <<< "$line")
		if ! grep -rqx --include='Kconfig*' "config $sym" "$tree/arch/um" "$tree/arch/x86/um" &&
			grep -qx "+config $sym" "$KERNEL_DIR"/patches/*.patch 2> /dev/null; then
			continue
		fi
		echo "$line"
	done)
	[ -z "$missing" ] || {
		echo "$PROG: error: options of ${frags[*]#"$FASTUML_ROOT"/} lost by olddefconfig:" >&2
		printf '    %s\n' "$missing" >&2
		return 1
	}
}

# blame LOG TREE: name the patches that touch files with errors in LOG
blame() {
	local log=$1 tree=$2 f p _
	grep -oE '^[A-Za-z0-9_./-]+\.[chS]:[0-9]+:[0-9]+: error' "$log" |
		cut -d: -f1 | sort -u | while read -r f; do
		while read -r p _; do
			if grep -qxF "+++ b/$f" "$tree/.fastuml/patches/$p"; then
				echo "$PROG:   $f is changed by $p"
			fi
		done < "$tree/.fastuml/applied"
	done
}

build_target() {
	local target=$1 tree=$BUILD/$1 t0 log=$LOGS/$1.log id
	t0=$(now)
	note "$target: building (log: ${log#"$FASTUML_ROOT"/})"
	[ -L "$tree" ] && rm -f "$tree"
	# the tree is about to change: until this build succeeds, its stamp
	# must not tell --if-changed that it is up to date
	[ ! -f "$tree/.fastuml/info" ] || sed -i '/^stamp=/d' "$tree/.fastuml/info"
	{
		sync_tree "$target" "$tree" && configure "$tree" "$target"
	} > "$log" 2>&1 || {
		echo "$PROG: $target: FAILED preparing the tree after $(elapsed "$t0"):" >&2
		grep "^$PROG: error:" "$log" >&2
		tail -n 15 "$log" | grep -v "^$PROG: error:" >&2
		return 1
	}
	if ! make -C "$tree" ARCH=um CC="ccache gcc" -j"$JOBS" linux >> "$log" 2>&1; then
		echo "$PROG: $target: FAILED after $(elapsed "$t0"); last lines of ${log#"$FASTUML_ROOT"/}:" >&2
		tail -n 30 "$log" >&2
		blame "$log" "$tree" >&2
		return 1
	fi
	id=$(target_id "$target")
	{
		echo "target=$target"
		echo "kernel=$(kernel_version "$tree")"
		echo "id=$id"
		echo "patches=$(cut -d' ' -f1 "$tree/.fastuml/applied" | tr '\n' ' ' | sed 's/ $//')"
		echo "stamp=$(build_stamp "$target")"
	} > "$tree/.fastuml/info"
	note "$target: done in $(elapsed "$t0") -> ${tree#"$FASTUML_ROOT"/}/linux"
}

# build_stamp TARGET: what a target's build depends on besides the tree's
# own files: its patches, the configuration and the kernel source
build_stamp() {
	{
		target_id "$1"
		# shellcheck disable=SC2046  # one path a line, no spaces
		cat $(fragments "$1")
		echo "$BASE_CONFIG"
		source_identity
	} | sha256sum | cut -c1-16
}

# up_to_date TARGET: TARGET was built, and nothing it depends on changed
up_to_date() {
	[ -x "$BUILD/$1/linux" ] &&
		grep -qx "stamp=$(build_stamp "$1")" "$BUILD/$1/.fastuml/info" 2> /dev/null
}

# --- a tree to hack in ------------------------------------------------------

# The directories our patches may change.  A dev tree holds real copies of
# them (every other file is a hard link into the pristine tree, which must
# never be written) and a git repository that tracks only them, plus the
# few files outside them that the series patches (outside_files).
DEV_DIRS="arch/um arch/x86/um"

# outside_files TARGET: the files outside $DEV_DIRS that TARGET's patches
# change, one a line
outside_files() {
	local p
	for p in $(series_patches "$1"); do
		sed -n 's|^+++ b/||p' "$KERNEL_DIR/patches/$p"
	done | sort -u | while read -r f; do
		case "$f" in arch/um/* | arch/x86/um/*) ;; *) echo "$f" ;; esac
	done
}

# dev_tree DIR TARGET: DIR becomes pristine 6.12 plus TARGET's patches, one
# git commit each (git am), configured like the real build.  Edit files
# under $DEV_DIRS (add new files with "git add -f"; "git commit -a"), and
# "git format-patch -1" gives a series patch.
dev_tree() {
	local dir=$1 target=$2 p d f extra
	is_target "$target" || die "unknown kernel target '$target' (valid: $TARGETS)"
	[ ! -e "$dir" ] || die "$dir exists; remove it or pick another directory"
	series_check
	prepare_pristine
	cp -al "$PRISTINE" "$dir"
	rm -f "$dir/.fastuml-source"
	for d in $DEV_DIRS; do
		rm -rf "${dir:?}/$d"
		cp -a "$PRISTINE/$d" "$dir/$d"
	done
	# the files outside DEV_DIRS that the series changes: real copies
	# too, so that neither git am nor an editor writes the pristine tree
	extra=$(outside_files "$target")
	for f in $extra; do
		if [ -f "$PRISTINE/$f" ]; then
			cp --remove-destination -p "$PRISTINE/$f" "$dir/$f"
		else
			extra=${extra/$f/} # a new file: git am makes it
		fi
	done
	(
		cd "$dir"
		git init -q
		# -f: Debian's top-level .gitignore ignores everything; new
		# files need "git add -f" too
		# shellcheck disable=SC2086
		git add -f $DEV_DIRS $extra &&
			git -c user.name=fastuml -c user.email=fastuml@example.invalid \
				commit -q -m "pristine $(kernel_version .)"
	) || die "cannot make a git repository in $dir"
	for p in $(series_patches "$target"); do
		(cd "$dir" && git -c user.name=fastuml -c user.email=fastuml@example.invalid \
			am -q --committer-date-is-author-date "$KERNEL_DIR/patches/$p") ||
			die "git am $p failed in $dir"
	done
	mkdir -p "$dir/.fastuml"
	configure "$dir" "$target" > /dev/null || die "cannot configure $dir"
	note "$dir: pristine + $target's patches as git commits; edit only $DEV_DIRS${extra:+ and the other files the series changes}"
	note "build it with: code/scripts/kbuild.sh --make $dir"
}

# dev_make DIR [MAKE ARGS]: build a dev tree (default goal: linux) with the
# compiler cache the real builds use
dev_make() {
	local dir=$1
	shift
	[ -f "$dir/.config" ] || die "$dir has no .config: make it with kbuild.sh --dev"
	[ $# -gt 0 ] || set -- linux
	CCACHE_BASEDIR=$(cd "$dir/.." && pwd)
	export CCACHE_BASEDIR
	exec make -C "$dir" ARCH=um CC="ccache gcc" -j"$JOBS" "$@"
}

main() {
	local target built=" " id other
	declare -A first_with_id=()
	[ $# -gt 0 ] || die "usage: kbuild.sh TARGET... | --source (targets: $TARGETS)"
	if [ "$1" = --source ]; then
		# unpack the pristine tree if needed and print where it is
		prepare_pristine >&2
		echo "$PRISTINE"
		return 0
	fi
	if [ "$1" = --make ]; then
		[ $# -ge 2 ] || die "usage: kbuild.sh --make DIR [MAKE ARGS]"
		shift
		dev_make "$@"
	fi
	if [ "$1" = --dev ]; then
		[ $# -eq 3 ] || die "usage: kbuild.sh --dev DIR TARGET"
		dev_tree "$2" "$3"
		return 0
	fi
	if_changed=0
	if [ "$1" = --if-changed ]; then
		if_changed=1
		# only the targets whose patches, configuration or source changed
		# since their last build (the test suite's check, once "make
		# kernels" ran: a make over an unchanged tree costs seconds)
		shift
		local stale=()
		for target in "$@"; do
			is_target "$target" || die "unknown kernel target '$target' (valid: $TARGETS, chN.K, each with -debug)"
			up_to_date "$target" || stale+=("$target")
		done
		[ ${#stale[@]} -gt 0 ] || return 0
		set -- "${stale[@]}"
	fi
	for target in "$@"; do
		is_target "$target" || die "unknown kernel target '$target' (valid: $TARGETS, chN.K, each with -debug)"
		series_patches "$target" > /dev/null
	done
	series_check
	prepare_pristine
	mkdir -p "$LOGS"
	# targets with identical patch lists share the tree of the first one
	for target in $TARGETS; do
		id=$(target_id "$target")
		[ -n "${first_with_id[$id]:-}" ] || first_with_id[$id]=$target
	done
	for target in "$@"; do
		id=$(target_id "$target")
		other=${first_with_id[$id]:-$target}
		if [ "$other" != "$target" ]; then
			case "$built" in
			*" $other "*) ;;
			*) locked_build "$other" || exit 1; built="$built$other " ;;
			esac
			[ -L "$BUILD/$target" ] || rm -rf "${BUILD:?}/$target"
			ln -sfn "$other" "$BUILD/$target"
			note "$target: same patches as $other -> build/$target/linux"
			continue
		fi
		case "$built" in *" $target "*) continue ;; esac
		locked_build "$target" || exit 1
		built="$built$target "
	done
}

# locked_build TARGET: build_target, holding the target's lock, so that
# two builds of one tree never run at once (the test runner builds the
# debug kernel in the background while a test may ask for it too).  With
# --if-changed, a target that the other build finished is not built again.
locked_build() {
	local lock=$BUILD/.$1.lock fd rc=0
	exec {fd}> "$lock"
	if ! flock -n "$fd"; then
		note "$1: waiting for another build of it to finish"
		flock "$fd"
	fi
	if [ "$if_changed" = 1 ] && up_to_date "$1"; then
		note "$1: built meanwhile by another build"
	else
		build_target "$1" || rc=$?
	fi
	exec {fd}>&-
	return "$rc"
}

main "$@"
