#!/bin/bash
# plot-breakdown.sh CSV SVG: draw a breakdown CSV (code/bench/breakdown-exec
# or breakdown-ubd: target,class,calls_per_*,us_per_*,...) as an SVG with
# gnuplot: one horizontal bar per target, in the CSV's order, cut into the
# time classes that make up the traced time.  A class that is under 3 % of
# every target's total joins "other"; the summary rows (sums, the loop's
# own times, the tracing overhead) and the count rows are not drawn.
set -euo pipefail
export LC_ALL=C
die() { echo "plot-breakdown: error: $*" >&2; exit 1; }
[ $# -eq 2 ] || { echo "usage: plot-breakdown.sh CSV SVG" >&2; exit 2; }
csv=$1 svg=$(realpath -m "$2")
[ -r "$csv" ] || die "cannot read $csv"
command -v gnuplot > /dev/null || die "gnuplot is missing (make deps installs gnuplot-nox)"
head -n 1 "$csv" | grep -q '^target,class,calls_per_[a-z]*,us_per_[a-z]*,' ||
	die "$csv is not a breakdown file (header)"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# the table gnuplot reads: a header of class names, then one line per
# target: its name and its µs per class
awk -F, '
	NR == 1 { next }
	$4 == "-" || $2 ~ /^(sum of classes|tracing overhead|CPU idle)/ { next }
	$2 ~ /(traced|untraced)$/ { next }
	{
		if (!($1 in seen)) { seen[$1] = 1; targets[++nt] = $1 }
		if (!($2 in cseen)) { cseen[$2] = 1; classes[++nc] = $2 }
		us[$1, $2] = $4; total[$1] += $4
	}
	END {
		if (nt == 0) { print "no time rows" > "/dev/stderr"; exit 1 }
		for (c = 1; c <= nc; c++) {
			big = 0
			for (t = 1; t <= nt; t++)
				if (total[targets[t]] > 0 && us[targets[t], classes[c]] / total[targets[t]] >= 0.03) big = 1
			keep[c] = big
		}
		printf "target"
		for (c = 1; c <= nc; c++) if (keep[c]) printf "\t\"%s\"", classes[c]
		printf "\t\"other\"\n"
		for (t = 1; t <= nt; t++) {
			other = 0
			printf "%s", targets[t]
			for (c = 1; c <= nc; c++) {
				v = us[targets[t], classes[c]] + 0
				if (keep[c]) printf "\t%.3f", v; else other += v
			}
			printf "\t%.3f\n", other
		}
	}' "$csv" > "$tmp/data" || die "$csv: nothing to draw"

ncols=$(head -n 1 "$tmp/data" | awk -F'\t' '{ print NF }')
unit=$(head -n 1 "$csv" | cut -d, -f4 | sed 's/^us_per_//')
ntargets=$(($(wc -l < "$tmp/data") - 1))
height=$((200 + 60 * ntargets + 22 * (ncols - 1)))
cat > "$tmp/plot.gp" << EOF
set terminal svg size 820,$height dynamic font "sans,12" background rgb "white"
set output "$svg"
set style data histograms
set style histogram rowstacked
set style fill solid 0.9 border rgb "white"
set boxwidth 0.6
set key outside below vertical Left reverse noenhanced font "sans,11"
set datafile separator "\t"
set grid x
set xlabel "µs per $unit"
set yrange [-0.6:$ntargets - 0.4]
set xrange [0:*]
unset ytics
set ytics nomirror
set linetype 1 lc rgb "#1f4e79"
set linetype 2 lc rgb "#2e75b6"
set linetype 3 lc rgb "#9dc3e6"
set linetype 4 lc rgb "#c55a11"
set linetype 5 lc rgb "#f4b183"
set linetype 6 lc rgb "#548235"
set linetype 7 lc rgb "#a9d18e"
set linetype 8 lc rgb "#7030a0"
set linetype 9 lc rgb "#bfbfbf"
set linetype 10 lc rgb "#404040"
# horizontal bars: draw each target as boxes from the running sum
plot for [c=2:$ncols] "$tmp/data" using (column(c)):0:(sum [k=2:c-1] column(k)):(sum [k=2:c] column(k)):(\$0 - 0.3):(\$0 + 0.3):ytic(1) \
	with boxxyerror title columnhead(c) lt (c - 1)
EOF
gnuplot "$tmp/plot.gp" 2> "$tmp/err" || die "gnuplot failed: $(head -n 3 "$tmp/err")"
# gnuplot paints with currentColor; write the colours out (see plot.sh)
sed -i 's/currentColor/black/g' "$svg"
