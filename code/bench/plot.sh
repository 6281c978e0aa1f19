#!/bin/bash
# plot.sh [--sweep | --native | --fds] CSV SVG: draw a results CSV (see code/bench/README.md)
# as an SVG with gnuplot: one panel per metric, one bar per target at the
# median, with a line from the minimum to the maximum of the runs.  The
# targets keep one colour throughout the book: the chapter kernels from
# light to dark blue, upstream orange, native green, QEMU purple.
#
# Metrics of a rate sweep, NAME-at-Nk-pps (N thousand per second offered,
# see the net workload's net_sweep), are left out of the panels; with
# --sweep, plot.sh draws them instead, as one line per target: what was
# received against what was offered, on log scales.
#
# With --fds, plot.sh draws the metrics measured at several numbers of
# registered descriptors, NAME.fdsN (the irq workload), as one panel per
# NAME with one line per target: the median against N, on a log2 scale,
# and a bar from the minimum to the maximum.  Targets measured at one N
# only (native, QEMU) have nothing to draw a line through and are left
# out.
#
# Figures in units per file (ms/file, forks/file: a total of the same run
# over its number of files) and counts of files describe a run rather
# than restate its speed, and are left out of every view.
#
# With --native, plot.sh draws each target's speed as a fraction of the
# native host's in the same file, on a log scale, one panel per metric
# that has a native row: the median over native's median for a rate
# (IOPS, MB/s, packets/s...), native's median over the median for a
# time (s, us/op...), so that higher is faster in both.  A line marks 1,
# native itself.  For results where UML and native differ by orders of
# magnitude, whose bars would otherwise be too short to read.
#
# With --scoreboard, plot.sh draws code/bench/scoreboard's table: a panel
# per chapter, three bars per headline figure (the kernel the chapter
# started from, the chapter's kernel, native), each as its speed over
# upstream's in the same run, on a log scale; a line marks upstream.
set -euo pipefail
export LC_ALL=C
die() { echo "plot: error: $*" >&2; exit 1; }
sweep=0 native=0 fds=0 board=0
case "${1:-}" in
--scoreboard) board=1; shift ;;
--sweep) sweep=1; shift ;;
--native) native=1; shift ;;
--fds) fds=1; shift ;;
esac
[ $# -eq 2 ] || { echo "usage: plot.sh [--sweep | --native | --fds | --scoreboard] CSV SVG" >&2; exit 2; }
csv=$1 svg=$(realpath -m "$2")
[ -r "$csv" ] || die "cannot read $csv"
command -v gnuplot > /dev/null || die "gnuplot is missing (make deps installs gnuplot-nox)"
if [ "$board" = 1 ]; then
	head -n 1 "$csv" | grep -q '^chapter,figure,short,unit,better,before,before_value,after,after_value,upstream,native,' ||
		die "$csv is not a scoreboard (header)"
else
	head -n 1 "$csv" | grep -q '^workload,metric,unit,target,median,min,max,' ||
		die "$csv is not a fastuml results file (header)"
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# svg_colours SVG: gnuplot paints with "currentColor" and sets the colour
# on an enclosing <g color="...">; some SVG renderers (WeasyPrint, for the
# book's PDF) cannot resolve it.  Write each colour out: the colour of the
# innermost enclosing group that names one (black outside any).
svg_colours() {
	awk '
	BEGIN { depth = 0; colour[0] = "black" }
	{
		line = $0
		if (line ~ /<g[ >]/) {
			c = colour[depth]
			if (match(line, /color="[^"]*"/)) c = substr(line, RSTART + 7, RLENGTH - 8)
			colour[++depth] = c
		}
		gsub(/currentColor/, colour[depth], line)
		if (line ~ /<g[^>]*\/>/) depth--
		n = gsub(/<\/g>/, "&", line)
		depth -= n
		if (depth < 0) depth = 0
		print line
	}' "$1" > "$tmp/colours.svg"
	mv "$tmp/colours.svg" "$1"
}

# gnuplot_run: run $tmp/plot.gp in $tmp, the data named relative to it
# (gnuplot writes each plot command into the SVG, which stays the same
# from run to run this way), then fix the SVG's colours
gnuplot_run() {
	mkdir -p "$(dirname "$svg")"
	(cd "$tmp" && gnuplot plot.gp) 2> "$tmp/gnuplot.err" || die "gnuplot failed: $(head -n 3 "$tmp/gnuplot.err")"
	[ -s "$svg" ] || die "gnuplot wrote no $svg"
	svg_colours "$svg"
}

if [ "$sweep" = 1 ]; then
	# one data file per target, "offered received min max" per line, in
	# the order the targets first appear
	awk -F, -v dir="$tmp" '
		NR > 1 && match($2, /-at-[0-9]+k-pps$/) {
			k = substr($2, RSTART + 4, RLENGTH - 9) + 0
			if (!($4 in idx)) { idx[$4] = ++nt; names[nt] = $4 }
			name = substr($2, 1, RSTART - 1)
			printf "%d %s %s %s\n", k * 1000, $5, $6, $7 > (dir "/t" idx[$4] ".dat")
		}
		END {
			for (i = 1; i <= nt; i++) print i, names[i] > (dir "/targets")
			print name > (dir "/name")
		}' "$csv"
	[ -s "$tmp/targets" ] || die "$csv has no rate sweep (metrics NAME-at-Nk-pps)"
	name=$(cat "$tmp/name")
	{
		echo "set terminal svg size 660,440 font 'sans,11' background '#ffffff'"
		echo "set output '$svg'"
		echo "set title '$name: received against offered, per second' noenhanced font 'sans,13'"
		echo "set logscale xy"
		echo "set xlabel 'offered (datagrams/s)'"
		echo "set ylabel 'received by the program (datagrams/s)'"
		echo "set grid xtics ytics lc rgb '#dddddd'"
		echo "set key outside right top noenhanced"
		echo "set format x '%.0s%c'"
		echo "set format y '%.0s%c'"
		clauses=()
		while read -r i t; do
			case "$t" in
			upstream) c='#e6862e' ;;
			native) c='#3c9a47' ;;
			qemu) c='#8a5cb8' ;;
			ch[1-3]*) c='#5b86c0' ;;
			*) c='#23508f' ;;
			esac
			sort -n "$tmp/t$i.dat" > "$tmp/t$i.sorted"
			clauses+=("'t$i.sorted' using 1:2:3:4 with yerrorlines lc rgb '$c' pt $i ps 0.8 title '$t'")
		done < "$tmp/targets"
		printf 'plot %s' "${clauses[0]}"
		printf ', \\\n     %s' "${clauses[@]:1}"
		echo
	} > "$tmp/plot.gp"
	gnuplot_run
	exit 0
fi

if [ "$fds" = 1 ]; then
	# one data file per metric name and target, "fds median min max" per
	# line; the names and the targets in the order they first appear,
	# with the unit of each name
	awk -F, -v dir="$tmp" '
		NR > 1 && match($2, /\.fds[0-9]+$/) {
			n = substr($2, RSTART + 4) + 0
			name = substr($2, 1, RSTART - 1)
			if (!(name in ni)) { ni[name] = ++nn; names[nn] = name; units[nn] = $3 }
			if (!($4 in ti)) { ti[$4] = ++nt; targets[nt] = $4 }
			f = dir "/m" ni[name] "t" ti[$4] ".dat"
			printf "%d %s %s %s\n", n, $5, $6, $7 > f
			points[ni[name], ti[$4]]++
		}
		END {
			for (i = 1; i <= nn; i++) print i, units[i], names[i] > (dir "/names")
			for (j = 1; j <= nt; j++) {
				many = 0
				for (i = 1; i <= nn; i++) if (points[i, j] > 1) many = 1
				if (many) print j, targets[j] > (dir "/targets")
			}
		}' "$csv"
	if [ ! -s "$tmp/names" ] || [ ! -s "$tmp/targets" ]; then
		die "$csv has no metrics at several descriptor counts (NAME.fdsN)"
	fi
	nn=$(wc -l < "$tmp/names")
	{
		echo "set terminal svg size $((nn * 330)),360 font 'sans,11' background '#ffffff'"
		echo "set output '$svg'"
		echo "set multiplot layout 1,$nn title 'cost per event against registered descriptors' font 'sans,13'"
		echo "set logscale x 2"
		echo "set xlabel 'registered descriptors'"
		echo "set grid xtics ytics lc rgb '#dddddd'"
		echo "set yrange [0:*]"
		echo "set key bottom right noenhanced"
		while read -r i unit name; do
			echo "set title '$name ($unit)' noenhanced"
			clauses=()
			while read -r j t; do
				[ -s "$tmp/m${i}t$j.dat" ] || continue
				# lines need a colour per kernel: the chapter kernels
				# light to dark blue as in the bars, ch2 apart from ch3
				case "$t" in
				upstream) c='#e6862e' ;;
				ch1*) c='#9fb7d6' ;;
				ch2*) c='#5b86c0' ;;
				*) c='#23508f' ;;
				esac
				sort -n "$tmp/m${i}t$j.dat" > "$tmp/m${i}t$j.sorted"
				clauses+=("'m${i}t$j.sorted' using 1:2:3:4 with yerrorlines lc rgb '$c' lw 2 pt $j ps 0.8 title '$t'")
			done < "$tmp/targets"
			printf 'plot %s' "${clauses[0]}"
			[ ${#clauses[@]} -lt 2 ] || printf ', \\\n     %s' "${clauses[@]:1}"
			echo
		done < "$tmp/names"
		echo "unset multiplot"
	} > "$tmp/plot.gp"
	gnuplot_run
	exit 0
fi

# panels_head COLS ROWS PANEL_HEIGHT TITLE [LAYOUT_COLS]: the gnuplot
# lines that start a figure of COLS x ROWS bar panels, 330 pixels wide
# each (TITLE: the multiplot's title and its options); LAYOUT_COLS other
# than COLS makes each panel wider (one panel the width of two: 1)
panels_head() {
	echo "set terminal svg size $(($1 * 330)),$(($2 * $3 + 30)) font 'sans,11' background '#ffffff'"
	echo "set output '$svg'"
	echo "set multiplot layout $2,${5:-$1} title $4 font 'sans,13'"
	echo "set style fill solid 0.85 border -1"
	echo "set boxwidth 0.6"
	echo "set grid ytics lc rgb '#dddddd'"
	echo "unset key"
	echo "set xtics nomirror rotate by -30 scale 0"
	echo "set ytics nomirror"
}

if [ "$board" = 1 ]; then
	# one data file per chapter, "x value colour kernel" for each bar, and
	# a line per chapter in chapters: "CH BEFORE_to_AFTER FIGURES TICS"
	awk -F, -v dir="$tmp" '
		function speed(a) {
			if (a == "-" || a + 0 <= 0 || $10 == "-" || $10 + 0 <= 0) return ""
			return $5 == "higher" ? a / $10 : $10 / a
		}
		function bar(x, v, c) { if (v != "") printf "%.2f %.6g %d %s\n", x, v, c, $8 > (dir "/c" $1 ".dat") }
		NR > 1 && $3 != "-" {
			if (!($1 in k)) { chs[++nc] = $1 }
			x = ++k[$1]
			bar(x - 0.27, speed($7), 10467286)
			bar(x, speed($9), 2314383)
			bar(x + 0.27, speed($11), 3971655)
			tics[$1] = tics[$1] (x > 1 ? ", " : "") sprintf("\"%s\" %d", $3, x)
			n[$1] = x
			from[$1] = $6 == "-" ? "" : $6 "_to_"
			to[$1] = $8
		}
		END {
			for (i = 1; i <= nc; i++)
				print chs[i], from[chs[i]] to[chs[i]], n[chs[i]], tics[chs[i]] > (dir "/chapters")
		}' "$csv"
	[ -s "$tmp/chapters" ] || die "$csv has no figure to draw"
	# two panels a row; a figure of one panel takes the whole width
	nch=$(wc -l < "$tmp/chapters")
	rows=$(((nch + 1) / 2))
	layout=$((nch < 2 ? 1 : 2))
	width=$((660 / layout))
	{
		panels_head 2 "$rows" $((layout == 1 ? 340 : 250)) "\"speed over upstream 6.12 in the same run (log scale)\\nlight: the kernel before, dark: the kernel after, green: native\" noenhanced" "$layout"
		echo "set logscale y"
		echo "set format y '%g'"
		echo "set ylabel '× upstream' noenhanced"
		while read -r c span nf tics; do
			echo "set title 'chapter $c: ${span//_/ }' noenhanced"
			echo "set xrange [0.5:$nf.5]"
			# names slanted when they would not fit side by side
			if [ $((nf * 90)) -gt "$width" ]; then
				echo "set xtics rotate by -30"
			else
				echo "set xtics rotate by 0"
			fi
			echo "set xtics ($tics) noenhanced"
			echo "plot 'c$c.dat' using 1:2:(0.25):3 with boxes lc rgb variable, \\"
			echo "     1 with lines lc rgb '#e6862e' dt 2, \\"
			echo "     '' using 1:2:(\$2 >= 10 ? sprintf('%.0f', \$2) : sprintf('%.2g', \$2)) with labels offset 0,0.6 font ',8'"
		done < "$tmp/chapters"
		echo "unset multiplot"
	} > "$tmp/plot.gp"
	gnuplot_run
	exit 0
fi

if [ "$native" = 1 ]; then
	# one data file per metric with a native row: "index target ratio
	# ratio-of-min ratio-of-max colour" for every other target
	awk -F, -v dir="$tmp" '
		function colour(t,  n) {
			if (t == "upstream") return 15107630
			if (t == "qemu") return 9067704
			n = substr(t, 3, 1) + 0
			if (n <= 1) return 10467286
			return n <= 3 ? 5998272 : 2314383
		}
		function time_unit(u) { return u ~ /^(s|ms|us|ns)(\/|$)/ }
		NR == FNR { if (FNR > 1 && $4 == "native" && $5 > 0) nat[$2] = $5; next }
		FNR > 1 && ($2 in nat) && $4 != "native" && $5 > 0 && $2 !~ /-at-[0-9]+k(-|$)/ && $3 !~ /(^files|\/file)$/ {
			if (!($2 in idx)) { idx[$2] = ++nm; names[nm] = $2 }
			f = dir "/m" idx[$2] ".dat"
			if (time_unit($3))
				printf "%d \"%s\" %.6g %.6g %.6g %d\n", ++count[$2], $4,
					nat[$2] / $5, nat[$2] / $7, nat[$2] / $6, colour($4) > f
			else
				printf "%d \"%s\" %.6g %.6g %.6g %d\n", ++count[$2], $4,
					$5 / nat[$2], $6 / nat[$2], $7 / nat[$2], colour($4) > f
		}
		END { for (i = 1; i <= nm; i++) print i, names[i] > (dir "/metrics") }' "$csv" "$csv"
	[ -s "$tmp/metrics" ] || die "$csv has no metric with a native row"
	# two panels a row (not three): the figure keeps its text legible at
	# the book's text width
	n=$(wc -l < "$tmp/metrics")
	cols=$((n < 2 ? n : 2))
	rows=$(((n + cols - 1) / cols))
	title="$(basename "$csv" .csv): speed as a fraction of native (log scale)"
	{
		panels_head "$cols" "$rows" 230 "'$title' noenhanced"
		echo "set logscale y"
		echo "set format y '%g'"
		echo "set yrange [0.001:2]"
		echo "set ylabel 'fraction of native' noenhanced"
		while read -r i name; do
			echo "set title '$name' noenhanced"
			echo "set xrange [0.4:*]"
			echo "plot 'm$i.dat' using 1:3:(0.6):6:xtic(2) with boxes lc rgb variable, \\"
			echo "     '' using 1:3:4:5 with yerrorbars lc rgb '#333333' ps 0, \\"
			echo "     1 with lines lc rgb '#3c9a47' dt 2, \\"
			echo "     '' using 1:3:(sprintf('%.3g', \$3)) with labels offset 0,0.6 font ',8'"
		done < "$tmp/metrics"
		echo "unset multiplot"
	} > "$tmp/plot.gp"
	gnuplot_run
	exit 0
fi

# one data file per metric: "index target median min max colour", the
# colour as the number gnuplot's "lc rgb variable" takes (0xRRGGBB)
awk -F, -v dir="$tmp" '
	function colour(t,  n) {
		if (t == "upstream") return 15107630	# e6862e
		if (t == "native") return 3971655	# 3c9a47
		if (t == "qemu") return 9067704		# 8a5cb8
		n = substr(t, 3, 1) + 0
		if (n <= 1) return 10467286		# 9fb7d6
		return n <= 3 ? 5998272 : 2314383	# 5b86c0, 23508f
	}
	NR > 1 && $2 !~ /-at-[0-9]+k(-|$)/ && $3 !~ /(^files|\/file)$/ {
		if (!($2 in idx)) { idx[$2] = ++nm; names[nm] = $2; units[nm] = $3 }
		f = dir "/m" idx[$2] ".dat"
		printf "%d \"%s\" %s %s %s %d\n", ++count[$2], $4, $5, $6, $7, colour($4) > f
	}
	END {
		for (i = 1; i <= nm; i++) print i, names[i], units[i] > (dir "/metrics")
	}' "$csv"
[ -s "$tmp/metrics" ] || die "$csv has no rows"

n=$(wc -l < "$tmp/metrics")
cols=$((n < 2 ? n : 2))
rows=$(((n + cols - 1) / cols))
title=$(basename "$csv" .csv)
{
	panels_head "$cols" "$rows" 260 "'$title'"
	echo "set yrange [0:*]"
	while read -r i name unit; do
		echo "set title '$name' noenhanced"
		echo "set ylabel '$unit' noenhanced"
		echo "set xrange [0.4:*]"
		echo "plot 'm$i.dat' using 1:3:(0.6):6:xtic(2) with boxes lc rgb variable, \\"
		echo "     '' using 1:3:4:5 with yerrorbars lc rgb '#333333' ps 0, \\"
		echo "     '' using 1:3:(\$3 >= 100 ? sprintf('%.0f', \$3) : sprintf('%.3g', \$3)) with labels offset 0,0.6 font ',8'"
	done < "$tmp/metrics"
	echo "unset multiplot"
} > "$tmp/plot.gp"
gnuplot_run
