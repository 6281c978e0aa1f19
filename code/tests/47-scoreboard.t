#!/bin/bash
# 47-scoreboard.t: code/bench/scoreboard (make scoreboard) on the committed
# results, and on a fixture whose ratios and verdicts are known.
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"

sb=$FASTUML_ROOT/code/bench/scoreboard
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the committed results: a row per figure named, and the plot
rc=0
"$sb" -o "$tmp/real" > "$tmp/log" 2>&1 || rc=$?
want=$(grep -cv '^[[:space:]]*\(#\|$\)' "$FASTUML_ROOT/code/bench/scoreboard.rows")
is "$rc:$(($(wc -l < "$tmp/real/scoreboard.csv" 2> /dev/null || echo 0) - 1))" "0:$want" \
	"scoreboard: one row for each of the $want figures of scoreboard.rows"
[ "$rc" -eq 0 ] || diag "$(cat "$tmp/log")"
grep -q '<svg' "$tmp/real/scoreboard.svg" 2> /dev/null && grep -q 'chapter 6' "$tmp/real/scoreboard.svg"
ok $? "scoreboard draws its plot, a panel per chapter"
bad=$(awk -F, 'NR > 1 && ($17 !~ /^(yes|no|not measured|-)$/ || $18 !~ /^images\/ch0[1-7]\/.*\.csv$/ || $19 == "" || $20 !~ /^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]$/)' "$tmp/real/scoreboard.csv")
is "$bad" "" "every row has a verdict and its source's file, commit and date"
is "$(git -C "$FASTUML_ROOT" status --porcelain -- images)" "" "scoreboard -o leaves images/ alone"
cmp -s "$tmp/real/scoreboard.csv" "$FASTUML_ROOT/images/ch07/scoreboard.csv"
ok $? "images/ch07/scoreboard.csv is up to date with the results it reads (else: make scoreboard)"

# a fixture: a time (lower is better) and a rate (higher is better)
head -n 1 "$FASTUML_ROOT/images/ch01/exec.csv" > "$tmp/r.csv"
for row in "t,400,ch1" "t,100,ch2" "t,200,upstream" "t,50,native" \
	"r,10,ch1" "r,30,ch2" "r,20,upstream" "r,60,native" "r,5,qemu" "c,2,ch1" "c,0.5,ch2"; do
	IFS=, read -r m v t <<< "$row"
	echo "w,$m,u,$t,$v,$v,$v,1,k,-,0,abc,cpu,2026-01-02" >> "$tmp/r.csv"
done
cat > "$tmp/rows" << ROWS
# fixture
2 $tmp/r.csv t lower  ch1 ch2 upstream>=2,before>=4 t-short a time
2 $tmp/r.csv r higher ch1 ch2 upstream>=2,native>=0.5 r-short a rate
2 $tmp/r.csv c lower  ch1 ch2 value<=0.4 - a count
ROWS
rc=0
"$sb" -r "$tmp/rows" -o "$tmp/fix" > "$tmp/log" 2>&1 || rc=$?
got=$(awk -F, 'NR > 1 { print $2 ":" $13 ":" $14 ":" $15 ":" $17 }' "$tmp/fix/scoreboard.csv" 2> /dev/null | tr '\n' ' ')
is "$rc:$got" "0:a time:4:2:0.5:yes a rate:3:1.5:0.5:no a count:4:-:-:no " \
	"the speed ratios of a time and of a rate, and each goal's verdict"
[ "$rc" -eq 0 ] || diag "$(cat "$tmp/log")"

# bad input: one line, no results written
for c in "$tmp/none.csv t:no results file $tmp/none.csv" \
	"$tmp/r.csv t sideways:BETTER is higher or lower" \
	"$tmp/r.csv nosuch:has no nosuch row for ch2" \
	"$tmp/r.csv t lower ch1 ch2 upstream>2:is not upstream>=X"; do
	line=${c%%:*} want=${c#*:}
	read -r f m b g <<< "$line"
	echo "2 $f $m ${b:-lower} ch1 ch2 ${g:--} s label" > "$tmp/bad"
	rm -rf "$tmp/out"
	rc=0
	"$sb" -r "$tmp/bad" -o "$tmp/out" > /dev/null 2> "$tmp/err" || rc=$?
	[ "$rc" -ne 0 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -qF "$want" "$tmp/err" && [ ! -e "$tmp/out/scoreboard.csv" ]
	ok $? "scoreboard rows with '$want': one error line, nothing written"
	[ "$rc" -ne 0 ] || diag "$(cat "$tmp/err")"
done

done_testing
