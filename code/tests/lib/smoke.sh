# shellcheck shell=bash
# The disks and job files that the guest side of the smoke suite
# (code/tests/guest/smoke.sh) expects, shared by 10-smoke.t, 75-debug.t
# and the checker of exercise ch01/xsave-sigframe, which runs the same
# suite; and the boot with its checks that the two tests share.
#
# smoke_setup DIR: makes, in DIR,
#   in.img     8 MiB of random data (ubdb: the guest reads it back)
#   out.img    8 MiB blank (ubdc: the guest writes random data)
#   plain.img  16 MiB blank (ubdd: fio write-then-verify)
#   cow.img    a COW overlay, made by UML, on back.img, 16 MiB of random
#              data (ubde: fio write-then-verify)
#   pat.img    8 MiB blank (ubdf: pieces of job/pattern go here)
#   want.img   what pat.img must hold after the guest's run
#   job/pattern, job/offsets  1 MiB of random data, and 64 lines "SRC DST
#              COUNT" in 512-byte sectors: up to 256 sectors of the
#              pattern each, anywhere on the 8 MiB disk, overlapping or not
# and sets the array smoke_disks to uml-run's -d arguments, in order.
smoke_setup() {
	local dir=$1 s d c
	mkdir -p "$dir/job"
	rm -f "$dir"/in.img "$dir"/out.img "$dir"/plain.img "$dir"/cow.img \
		"$dir"/back.img "$dir"/pat.img "$dir"/want.img
	head -c 8388608 /dev/urandom > "$dir/in.img"
	truncate -s 8M "$dir/out.img"
	truncate -s 16M "$dir/plain.img"
	head -c 16777216 /dev/urandom > "$dir/back.img"
	truncate -s 8M "$dir/pat.img" "$dir/want.img"
	head -c 1048576 /dev/urandom > "$dir/job/pattern"
	for _ in $(seq 64); do
		c=$((RANDOM % 256 + 1))
		echo "$((RANDOM % (2048 - c + 1))) $(((RANDOM * 32768 + RANDOM) % (16384 - c + 1))) $c"
	done > "$dir/job/offsets"
	# the same pieces in the same order, here, for the image to expect
	while read -r s d c; do
		dd if="$dir/job/pattern" of="$dir/want.img" bs=512 skip="$s" seek="$d" count="$c" \
			conv=notrunc status=none
	done < "$dir/job/offsets"
	# shellcheck disable=SC2034  # read by the caller
	smoke_disks=(-d "$dir/in.img" -d "$dir/out.img" -d "$dir/plain.img"
		-d "$dir/cow.img,$dir/back.img" -d "$dir/pat.img")
}

# smoke_boot KERNEL DIR TIMEOUT: boots KERNEL on the smoke suite with the
# disks of smoke_setup DIR (job directory DIR/job), and reports the TAP
# checks that every such boot shares: the suite exits 0, every check of
# it passes, and the data of ubdb, ubdc and ubdf is right on both sides.
# Needs tap.sh.
smoke_boot() {
	local k=$1 dir=$2 limit=$3 suite rc=0 npass nchecks
	suite=$FASTUML_ROOT/code/tests/guest/smoke.sh
	nchecks=$(grep -c '^t ' "$suite")
	smoke_setup "$dir"
	"$S/uml-run" -k "$k" -t "$limit" -j "$dir/job" "${smoke_disks[@]}" \
		"$(cat "$suite")" > "$dir/out" 2> "$dir/err" || rc=$?
	ok "$rc" "$k: boots and the smoke suite exits 0"
	[ "$rc" -eq 0 ] || diag "$(tail -n 30 "$dir/err")"
	npass=$(grep -c '^PASS ' "$dir/out")
	[ "$npass" -eq "$nchecks" ] && rc=0 || rc=1
	ok "$rc" "$k: every smoke check passes ($npass of $nchecks)"
	[ "$rc" -eq 0 ] || diag "$(grep -v '^PASS ' "$dir/out")"
	is "$(sed -n 's/^SUM ubdb-read //p' "$dir/out")" \
		"$(sha256sum < "$dir/in.img" | cut -d' ' -f1)" \
		"$k: the guest reads what the host wrote to ubdb"
	is "$(sha256sum < "$dir/out.img" | cut -d' ' -f1)" \
		"$(sed -n 's/^SUM ubdc-written //p' "$dir/out")" \
		"$k: the host finds what the guest wrote to ubdc"
	is "$(sha256sum < "$dir/pat.img" | cut -d' ' -f1)" "$(sha256sum < "$dir/want.img" | cut -d' ' -f1)" \
		"$k: the host finds the guest's 64 pattern pieces at their offsets on ubdf"
	cmp -s "$dir/pat.img" "$dir/want.img" ||
		diag "$(cmp -l "$dir/pat.img" "$dir/want.img" | awk 'NR == 1 { printf "first difference at byte %d (sector %d); ", $1 - 1, ($1 - 1) / 512 } END { printf "%d bytes differ", NR }')"
}
