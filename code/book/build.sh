#!/bin/bash
# build.sh: render the book (make book) or the solutions (make solutions-book).
#
#   build.sh book        chapters/NN-slug.md, then AN-slug.md -> build/book/
#   build.sh solutions   solutions/chNN/NAME/README.md -> build/solutions/
#
# Output: html/ (one page per chapter, index.html with the contents,
# style.css, images/), NAME.epub, NAME.pdf (weasyprint) and logs/.
# Steps: every chapter goes through include.lua once (pandoc JSON in
# tmp/); the pages, the index, the EPUB and the PDF are made from those.
# Graphviz sources images/**/*.dot become SVGs beside the copied images.
# Any error stops the build with one line on stderr.
#
# Environment (for tests): BOOK_SRC (where chapters/ and images/ are;
# default: the repository), BOOK_OUT (output directory), BOOK_KERNELS
# (where the kernel trees are; default: build).
set -euo pipefail
PROG=book
# shellcheck source=code/scripts/common.sh
. "$(dirname "$0")/../scripts/common.sh"
cd "$FASTUML_ROOT"
export FASTUML_ROOT
export BOOK_SRC=${BOOK_SRC:-$FASTUML_ROOT}
D=code/book

kind=${1:-book}
case "$kind" in
book)
	name=fastuml
	out=${BOOK_OUT:-$BUILD/book}
	# the chapters (NN-slug.md) in order, then the appendices (AN-slug.md)
	mapfile -t sources < <({
		find "$BOOK_SRC/chapters" -maxdepth 1 -name '[0-9][0-9]-*.md' 2> /dev/null | sort
		find "$BOOK_SRC/chapters" -maxdepth 1 -name 'A[0-9]-*.md' 2> /dev/null | sort
	})
	numbered=1
	;;
solutions)
	name=fastuml-solutions
	out=${BOOK_OUT:-$BUILD/solutions}
	mapfile -t sources < <(find solutions -mindepth 3 -maxdepth 3 -name README.md 2> /dev/null | sort)
	numbered=0
	;;
*) die "usage: build.sh book|solutions" ;;
esac

if [ "$kind" = book ]; then
	dup=$(printf '%s\n' "${sources[@]}" | sed -n 's|.*/\([0-9][0-9]\)-[^/]*$|\1|p' | uniq -d | head -n1)
	[ -z "$dup" ] || die "two chapters are numbered $dup in chapters/: give each its own NN-slug.md"
fi

# pandoc from Debian 12 (2.17) or later
command -v pandoc > /dev/null || die "pandoc is not installed: run make deps"
pv=$(pandoc --version | sed -n '1s/^pandoc \([0-9]*\)\.\([0-9]*\).*/\1 \2/p')
read -r pmaj pmin <<< "$pv"
if [ -z "$pmaj" ] || [ "$pmaj" -lt 2 ] || { [ "$pmaj" -eq 2 ] && [ "$pmin" -lt 17 ]; }; then
	die "pandoc ${pmaj:-?}.${pmin:-?} is too old: the book needs 2.17 or later (make deps installs Debian's)"
fi
for tool in dot weasyprint; do
	command -v "$tool" > /dev/null || die "$tool is not installed: run make deps"
done

html=$out/html
tmp=$out/tmp
logs=$out/logs
rm -rf "$out"
mkdir -p "$html/images" "$tmp" "$logs"
t0=$(now)

# --- images: copies of the committed ones, SVGs rendered from .dot --------
if [ -d "$BOOK_SRC/images" ]; then
	while IFS= read -r -d '' f; do
		r=${f#"$BOOK_SRC"/}
		mkdir -p "$html/$(dirname "$r")"
		case "$f" in
		*.dot)
			dot -Tsvg "$f" -o "$html/${r%.dot}.svg" 2> "$logs/dot.log" ||
				die "$r: Graphviz failed: $(grep -m1 . "$logs/dot.log")"
			;;
		*) cp "$f" "$html/$r" ;;
		esac
	done < <(find "$BOOK_SRC/images" -type f \( -name '*.dot' -o -name '*.svg' \
		-o -name '*.png' -o -name '*.jpg' \) -print0)
fi
cp $D/style.css "$html/style.css"
cp $D/print.css "$html/print.css"

# --- every chapter through include.lua, once ---------------------------------
jsons=() pages=() titles=()
for src in "${sources[@]}"; do
	base=$(basename "$src" .md)
	if [ "$kind" = solutions ]; then
		base=${src#solutions/}
		base=${base%/README.md}
		base=${base//\//-}
	fi
	pandoc -d $D/defaults/chapter.yaml "$src" -o "$tmp/$base.json"
	jsons+=("$tmp/$base.json")
	pages+=("$base.html")
	titles+=("$(pandoc -f json -t plain --template $D/templates/title.txt "$tmp/$base.json")")
done

# --- HTML: a page per chapter, with its neighbours, and the index ----------
n=${#jsons[@]}
for ((i = 0; i < n; i++)); do
	args=(-V "pagetitle=${titles[$i]}")
	if [ "$i" -gt 0 ]; then
		args+=(-V "prev-href=${pages[$((i - 1))]}" -V "prev-title=${titles[$((i - 1))]}")
	else
		args+=(-V "prev-href=index.html" -V "prev-title=Contents")
	fi
	if [ "$((i + 1))" -lt "$n" ]; then
		args+=(-V "next-href=${pages[$((i + 1))]}" -V "next-title=${titles[$((i + 1))]}")
	fi
	# a chapter's sections are numbered from its file's number; an
	# appendix's are not (include.lua marks its headings unnumbered)
	if [ "$numbered" = 1 ] && [[ ${pages[$i]} == [0-9][0-9]-* ]]; then
		num=$(basename "${pages[$i]}" | sed 's/^0*\([0-9]*\)-.*/\1/')
		args+=(--number-sections --number-offset=$((num - 1)))
	fi
	pandoc -d $D/defaults/html.yaml "${args[@]}" "${jsons[$i]}" -o "$html/${pages[$i]}" \
		2> "$logs/html.log" || die "pandoc failed on ${pages[$i]}: $(grep -m1 . "$logs/html.log")"
done

# the chapters' list for assemble.lua
meta=$tmp/chapters.yaml
{
	echo "chapter-json:"
	for j in "${jsons[@]}"; do echo "  - \"$j\""; done
	[ "$n" -gt 0 ] || echo "  []"
	echo "chapter-pages:"
	for p in "${pages[@]}"; do echo "  - \"$p\""; done
	[ "$n" -gt 0 ] || echo "  []"
} > "$meta"
printf -- '---\n---\n' > "$tmp/empty.md"

index_title=$(sed -n 's/^title: "\(.*\)"$/\1/p' $D/metadata.yaml)
[ "$kind" = book ] || index_title="$index_title: solutions to the exercises"
first=()
[ "$n" -eq 0 ] || first=(-V "next-href=${pages[0]}" -V "next-title=${titles[0]}")
pandoc -d $D/defaults/index.yaml --metadata-file "$meta" -V "index-title=$index_title" "${first[@]}" \
	-V "epub-href=../$name.epub" -V "pdf-href=../$name.pdf" \
	"$tmp/empty.md" -o "$html/index.html" 2> "$logs/index.log" ||
	die "pandoc failed on index.html: $(grep -m1 . "$logs/index.log")"

# --- EPUB and PDF: every chapter in one document ------------------------------
single=(--metadata-file "$meta")
[ "$kind" = book ] || single+=(-M "title=$index_title")
pandoc -d $D/defaults/epub.yaml "${single[@]}" --resource-path="$html" \
	"$tmp/empty.md" -o "$out/$name.epub" 2> "$logs/epub.log" ||
	die "the EPUB failed: $(grep -m1 . "$logs/epub.log")"
pandoc -d $D/defaults/print.yaml "${single[@]}" \
	"$tmp/empty.md" -o "$html/print.html" 2> "$logs/print.log" ||
	die "the PDF's HTML failed: $(grep -m1 . "$logs/print.log")"
weasyprint "$html/print.html" "$out/$name.pdf" 2> "$logs/pdf.log" ||
	die "weasyprint failed: $(grep -m1 . "$logs/pdf.log")"

# A resource that did not make it into the EPUB or the PDF is an error, and
# so is any pandoc warning.  (weasyprint's notes on CSS properties it does
# not know, such as the user-select of pandoc's highlighting CSS, are not.)
bad=$( {
	grep -h '\[WARNING\]' "$logs/epub.log" "$logs/print.log"
	grep -hiE 'failed to load|not found|no such file|unable to|error' "$logs/pdf.log"
} | head -n1) || true
[ -z "$bad" ] || die "EPUB/PDF build reported: $bad (see ${logs#"$FASTUML_ROOT"/}/)"

note "$n chapter(s) in $(elapsed "$t0"): ${html#"$FASTUML_ROOT"/}/index.html, ${out#"$FASTUML_ROOT"/}/$name.epub, ${out#"$FASTUML_ROOT"/}/$name.pdf"
