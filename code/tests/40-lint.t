#!/bin/bash
# Project code quality: every shell script passes shellcheck, every C file
# builds warning-free as C11 with -Wall -Wextra -Werror.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
cd "$FASTUML_ROOT" || bail "no project root"

mapfile -t scripts < <({
	git ls-files -co --exclude-standard -- .ci code | while read -r f; do
		[ -f "$f" ] || continue
		case "$f" in
		*.sh | *.t | .ci/*) echo "$f" ;;
		*) head -n1 "$f" | grep -qE '^#!.*(ba)?sh' && echo "$f" ;;
		esac
	done
} | sort -u)
for f in "${scripts[@]}"; do
	check "shellcheck $f" shellcheck -x "$f"
done

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for f in code/guest/src/*.c code/guest/src/*/*.c code/tools/*.c; do
	check "C11 -Wall -Wextra -Werror: $f" \
		gcc -std=c11 -O2 -Wall -Wextra -Werror -c -o "$tmp/$(basename "$f").o" "$f"
done

done_testing
