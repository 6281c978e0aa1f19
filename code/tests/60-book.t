#!/bin/bash
# The book pipeline: a fixture book (code/book/tests/fixture) builds as
# HTML, EPUB and PDF with its code taken from the kernel tree, patches and
# sources, its table from a CSV and its figures from SVG and Graphviz;
# every failure of the filter is one clear error line; a headless Chromium
# finds no broken image, link or anchor; the real book and the solutions
# book build too.
# shellcheck disable=SC2016  # markdown code fences inside single quotes
# shellcheck source=code/tests/lib/tap.sh
. "$(dirname "$0")/lib/tap.sh"
cd "$FASTUML_ROOT" || bail "no project root"

for tool in pandoc dot weasyprint chromium node python3; do
	command -v "$tool" > /dev/null || bail "$tool is not installed: run make deps"
done
[ -d code/book/node_modules/playwright-core ] || bail "playwright-core is missing: run make deps"
# the kernels the fixture and the real chapters name
kernels=$(grep -ho 'kernel="[a-z0-9]*"' code/book/tests/fixture/chapters/*.md chapters/*.md \
	solutions/*/*/README.md 2> /dev/null | sed 's/kernel="\(.*\)"/\1/' | sort -u)
# shellcheck disable=SC2086
need_kernels $kernels

tmp=$(mktemp -d "$BUILD/book-test.XXXXXX")
TAP_ERR=$tmp/err
trap 'rm -rf "$tmp"' EXIT
out=$BUILD/book-fixture
src=$tmp/src
cp -r code/book/tests/fixture "$src"
cp images/*.dot "$src/images/"

# --- the fixture book -----------------------------------------------------
rc=0
BOOK_SRC=$src BOOK_OUT=$out code/book/build.sh book > "$tmp/log" 2> "$tmp/err" || rc=$?
ok "$rc" "the fixture book builds"
[ "$rc" -eq 0 ] || diag "$(cat "$tmp/err")"
for f in html/index.html html/01-fixture.html html/02-second.html html/style.css \
	html/images/uml-architecture.svg html/images/fixture.svg fastuml.epub fastuml.pdf; do
	[ -s "$out/$f" ] && r=0 || r=1
	ok "$r" "fixture: $f is made"
done
is "$(head -c 5 "$out/fastuml.pdf")" "%PDF-" "fixture: the PDF is a PDF"
is "$(python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
print(z.read("mimetype").decode(), sum(n.endswith(".xhtml") and "ch0" in n for n in names),
      sum(n.endswith(".svg") for n in names))' "$out/fastuml.epub")" \
	"application/epub+zip 2 3" "fixture: the EPUB holds both chapters and the three figures"

# what the reader sees is what the sources hold
blocks=$tmp/blocks
python3 - "$out/tmp/01-fixture.json" "$blocks" << 'EOF'
import json, sys, os
doc = json.load(open(sys.argv[1]))
os.makedirs(sys.argv[2])
n = 0
def walk(x):
    global n
    if isinstance(x, dict):
        if x.get("t") == "CodeBlock":
            n += 1
            open(os.path.join(sys.argv[2], str(n)), "w").write(x["c"][1] + "\n")
        for v in x.values():
            walk(v)
    elif isinstance(x, list):
        for v in x:
            walk(v)
walk(doc["blocks"])
EOF
sig=$BUILD/ch1/arch/x86/um/signal.c
awk '/^static int copy_sc_from_user\(/ { p = 1 } p { print } p && /^}/ { exit }' "$sig" > "$tmp/want1"
check "kernel function: exactly copy_sc_from_user() of build/ch1" cmp "$blocks/1" "$tmp/want1"
awk '/^struct uml_pt_regs \{/ { p = 1 } p { print } p && /^};/ { exit }' \
	"$BUILD/ch1/arch/x86/um/shared/sysdep/ptrace.h" > "$tmp/want2"
check "kernel struct: exactly struct uml_pt_regs" cmp "$blocks/2" "$tmp/want2"
awk '/^int setup_signal_stack_si\(/ { n++ } n == 2 { print } n == 2 && /^}/ { exit }' "$sig" > "$tmp/want3"
check "occurrence=2 picks the second definition" cmp "$blocks/3" "$tmp/want3"
grep '^#define MAX_REG_NR' "$BUILD/ch1/arch/x86/um/shared/sysdep/ptrace.h" > "$tmp/want4"
check "kernel define" cmp "$blocks/4" "$tmp/want4"
is "$(head -n1 "$blocks/5") $(grep -c '^diff --git' "$blocks/5")" \
	"diff --git a/arch/um/os-Linux/registers.c b/arch/um/os-Linux/registers.c 1" \
	"patch file=: one file's part of 0001"
is "$(head -n1 "$blocks/6")" "um: size the FP state to the host's XSAVE area" "patch show=message: the subject first"
printf '%s\n' 'for (int i = 0; i < n; i++)' '	s += v[i];' > "$tmp/want7"
check "region: the marked lines, dedented, without markers" cmp "$blocks/7" "$tmp/want7"
grep -q 'book: ' "$blocks/8" && r=1 || r=0
ok "$r" "function from a repository file: no region markers left"
grep -q 'static long sum' "$blocks/8" && r=0 || r=1
ok "$r" "function from a repository file: its definition"
rows=$(python3 - "$out/tmp/01-fixture.json" << 'EOF'
import json, sys
def cells(row):
    return [" ".join(i["c"] for b in cell[4] for i in b["c"] if i["t"] == "Str") for cell in row[1]]
def walk(x):
    if isinstance(x, dict):
        if x.get("t") == "Table":
            head = x["c"][3][1]
            body = x["c"][4][0][3]
            for r in head + body:
                print("|".join(cells(r)))
            sys.exit(0)  # the first table only
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(json.load(open(sys.argv[1]))["blocks"])
EOF
)
is "$rows" "target|median (µs)|min|max|runs
ch1|412.2|405.5|431.8|5
upstream|498.5|490.2|512.0|5
native|61.1|60.0|63.5|5" "CSV table: the chosen columns, rows and formats"
# figures in the text: a median (default format), a ratio of two rows
# (over=) and another column with its own format, in the text's order
values=$(python3 - "$out/tmp/01-fixture.json" << 'EOF'
import json, sys
out = []
def text(x):
    return "".join(i["c"] if i["t"] == "Str" else " " for i in x)
def walk(x):
    if isinstance(x, dict):
        if x.get("t") == "Span" and "value" in x["c"][0][1]:
            out.append(text(x["c"][1]))
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(json.load(open(sys.argv[1]))["blocks"])
print(" ".join(out))
EOF
)
is "$values" "412 6.7 512.0" "figures in the text: the value, the ratio and the formatted column from the CSV"
grep -q '<span class="value">6.7</span>' "$out/html/01-fixture.html" && r=0 || r=1
ok "$r" "figures in the text: the HTML page shows the ratio"
grep -q 'href="02-second.html"' "$out/html/01-fixture.html" &&
	grep -q 'rel="prev" href="01-fixture.html"' "$out/html/02-second.html" && r=0 || r=1
ok "$r" "HTML pages link to their neighbours"
grep -q 'href="01-fixture.html#data"' "$out/html/02-second.html" && r=0 || r=1
ok "$r" "a link to a chapter's section becomes a link to its page"
grep -q 'href="02-second.html#the-end"' "$out/html/index.html" && r=0 || r=1
ok "$r" "the index lists the chapters' sections"
grep -q 'Exercise ch01/xsave-sigframe' "$out/html/01-fixture.html" && r=0 || r=1
ok "$r" "the exercises block shows the chapter's exercises"
bad=$(grep -hE '\[WARNING\]|Could not|Failed to load|not found' "$out"/logs/{epub,print,pdf}.log) || true
is "$bad" "" "the EPUB and PDF logs report no missing resource"

# --- a browser reads it ---------------------------------------------------------
rc=0
node code/book/check-html.mjs "$out/html" "$out/screenshot.png" > "$tmp/check" 2>&1 || rc=$?
ok "$rc" "Chromium: no broken image, stylesheet, link or anchor in the fixture book"
[ "$rc" -eq 0 ] || diag "$(cat "$tmp/check")"
# ... and would notice if there were
cp -r "$out/html" "$tmp/broken"
rm "$tmp/broken/images/ch01/exec.svg"
sed -i 's|href="01-fixture.html#data"|href="01-fixture.html#no-such-anchor"|' "$tmp/broken/02-second.html"
sed -i 's|href="02-second.html"|href="no-such-page.html"|' "$tmp/broken/index.html"
rc=0
node code/book/check-html.mjs "$tmp/broken" "$tmp/broken.png" > "$tmp/check" 2>&1 || rc=$?
grep -q '^01-fixture.html: broken image: images/ch01/exec.svg' "$tmp/check" &&
	grep -q '^02-second.html: broken anchor: 01-fixture.html#no-such-anchor' "$tmp/check" &&
	grep -q '^index.html: broken link: no-such-page.html' "$tmp/check" && [ "$rc" -eq 1 ] && r=0 || r=1
ok "$r" "Chromium: a missing image, anchor and page are each reported"
[ "$r" -eq 0 ] || diag "$(cat "$tmp/check")"

# --- every failure is one clear line ------------------------------------------------
# fails NAME PATTERN BLOCK [ENV...]: a chapter holding BLOCK stops the build
# with exactly one stderr line that matches PATTERN
fails() {
	local name=$1 pattern=$2 block=$3 rc=0 lines
	shift 3
	rm -rf "$tmp/f"
	mkdir -p "$tmp/f/chapters" "$tmp/f/images/ch01"
	cp "$src/images/ch01/"* "$tmp/f/images/ch01/"
	printf '# Failing\n\n%s\n' "$block" > "$tmp/f/chapters/01-failing.md"
	env BOOK_SRC="$tmp/f" BOOK_OUT="$tmp/f/out" "$@" code/book/build.sh book > "$tmp/f.out" 2> "$tmp/f.err" || rc=$?
	lines=$(wc -l < "$tmp/f.err")
	[ "$rc" -ne 0 ] && [ "$lines" -eq 1 ] && grep -qE "$pattern" "$tmp/f.err" && r=0 || r=1
	ok "$r" "error: $name (one line)"
	[ "$r" -eq 0 ] || diag "exit $rc, $lines line(s):" "$(cat "$tmp/f.err")"
}
k='{.c kernel="ch1" file="arch/x86/um/signal.c"'
fails "missing function" \
	'^book: .*chapters/01-failing.md: \{.*\}: no function no_such_fn in build/ch1/arch/x86/um/signal.c' \
	"$(printf '```%s function="no_such_fn"}\n```' "$k")"
fails "ambiguous function" \
	'function setup_signal_stack_si is defined 2 times in build/ch1/arch/x86/um/signal.c .*add occurrence=N' \
	"$(printf '```%s function="setup_signal_stack_si"}\n```' "$k")"
mkdir -p "$tmp/kernels"
fails "kernel not built" 'kernel ch2 is not built .*: run make kernel CH=2$' \
	"$(printf '```{.c kernel="ch2" file="arch/x86/um/signal.c" function="copy_sc_to_user"}\n```')" \
	BOOK_KERNELS="$tmp/kernels"
mkdir -p "$tmp/stale/ch1/.fastuml"
: > "$tmp/stale/ch1/linux"
echo "id=0000000000000000" > "$tmp/stale/ch1/.fastuml/info"
fails "kernel tree from an older series" 'built from an older patch series: run make kernel CH=1$' \
	"$(printf '```%s function="copy_sc_to_user"}\n```' "$k")" BOOK_KERNELS="$tmp/stale"
fails "missing file" 'no file build/ch1/arch/um/no-such.c' \
	"$(printf '```{.c kernel="ch1" file="arch/um/no-such.c" function="f"}\n```')"
fails "missing patch" 'no patch named 9999\* in code/kernel/patches' \
	"$(printf '```{.diff patch="9999"}\n```')"
mkdir -p "$tmp/series/patches"
cp code/kernel/patches/0001-*.patch "$tmp/series/patches/0001-one.patch"
cp code/kernel/patches/0001-*.patch "$tmp/series/patches/0001-two.patch"
fails "ambiguous patch name" 'patch 0001 is ambiguous: 0001-one.patch, 0001-two.patch; give more of the name' \
	"$(printf '```{.diff patch="0001"}\n```')" FASTUML_KERNEL_DIR="$tmp/series"
fails "patch without that file" 'does not change arch/um/nowhere.c \(it changes: ' \
	"$(printf '```{.diff patch="0001" file="arch/um/nowhere.c"}\n```')"
fails "missing region" 'no region nope in code/book/tests/fixture/src/sample.c' \
	"$(printf '```{.c file="code/book/tests/fixture/src/sample.c" region="nope"}\n```')"
fails "misspelt attribute" 'unknown attribute functon=' \
	"$(printf '```%s functon="copy_sc_to_user"}\n```' "$k")"
fails "missing CSV" 'no results file images/ch01/nope.csv: commit the results of make measure CH=1' \
	"$(printf '```{.table csv="images/ch01/nope.csv"}\nCaption\n```')"
fails "CSV column that does not exist" 'images/ch01/exec.csv has no column speed \(it has: workload,metric' \
	"$(printf '```{.table csv="images/ch01/exec.csv" columns="target,speed"}\nCaption\n```')"
fails "CSV filter that matches nothing" 'no row of images/ch01/exec.csv matches where="target=qemu"' \
	"$(printf '```{.table csv="images/ch01/exec.csv" where="target=qemu"}\nCaption\n```')"
v='See [ ]{.value csv="images/ch01/exec.csv"'
fails "figure in the text: no row matches" \
	'\{.value .*\}: no row of images/ch01/exec.csv matches "metric=exec_us,target=qemu"$' \
	"$v where=\"metric=exec_us,target=qemu\"}."
fails "figure in the text: two rows match" \
	'\{.value .*\}: more than one row of images/ch01/exec.csv matches "target=ch1"$' \
	"$v where=\"target=ch1\"}."
fails "figure in the text: over= matches no row" \
	'no row of images/ch01/exec.csv matches "metric=fork_us,target=native"$' \
	"$v where=\"metric=exec_us,target=ch1\" over=\"metric=fork_us,target=native\"}."
fails "figure in the text: unknown attribute" \
	'unknown attribute colum \(csv, where, over, column, format\)$' \
	"$v where=\"metric=exec_us,target=ch1\" colum=\"max\"}."
fails "missing SVG" 'missing: images/ch01/nope.svg \(plots come from make figures' \
	'![A plot](images/ch01/nope.svg)'
fails "link to a missing chapter" 'no chapter chapters/07-nope.md' \
	'See [chapter 7](07-nope.md).'
fails "link to a missing file" 'no file code/nope.c in the repository' \
	'See [this](code/nope.c).'

rm -rf "$tmp/f"
mkdir -p "$tmp/f/chapters"
printf '# One\n' > "$tmp/f/chapters/03-one.md"
printf '# Other\n' > "$tmp/f/chapters/03-other.md"
rc=0
BOOK_SRC="$tmp/f" BOOK_OUT="$tmp/f/out" code/book/build.sh book > "$tmp/f.out" 2> "$tmp/f.err" || rc=$?
[ "$rc" -ne 0 ] && [ "$(wc -l < "$tmp/f.err")" -eq 1 ] && grep -q 'two chapters are numbered 03' "$tmp/f.err" && r=0 || r=1
ok "$r" "error: two chapters with one number (one line)"

# --- the real book and the solutions ------------------------------------------------------
rc=0
code/book/build.sh book > "$tmp/log" 2> "$tmp/err" || rc=$?
ok "$rc" "make book: the book builds from chapters/ ($(find chapters -name '[0-9][0-9]-*.md' | wc -l) chapters, $(find chapters -name 'A[0-9]-*.md' | wc -l) appendices)"
[ "$rc" -eq 0 ] || diag "$(cat "$tmp/err")"
rc=0
node code/book/check-html.mjs "$BUILD/book/html" "$BUILD/book/screenshot.png" > "$tmp/check" 2>&1 || rc=$?
ok "$rc" "Chromium: nothing broken in the book; screenshot in build/book/screenshot.png"
[ "$rc" -eq 0 ] || diag "$(cat "$tmp/check")"
is "$(head -c 8 "$BUILD/book/screenshot.png" | od -An -tx1 | tr -d ' \n')" "89504e470d0a1a0a" \
	"the screenshot is a PNG"
# one document (the PDF's source): an identifier used twice would send the
# contents and the links of the second one to the first
dups=$(grep -o ' id="[^"]*"' "$BUILD/book/html/print.html" | sort | uniq -d | head -n 3 | tr '\n' ' ')
is "$dups" "" "the PDF's one document has no identifier twice"
[ -z "$(grep -o ' id="[^"]*"' "$BUILD/book/html/A1-build-and-measure.html" 2> /dev/null | sort | uniq -d)" ] &&
	[ -z "$(grep -o ' id="[^"]*"' "$BUILD/book/html/06-exec-fork.html" | sort | uniq -d)" ] && r=0 || r=1
ok "$r" "a chapter's page has no identifier twice (chapter 6, appendix A)"
rc=0
code/book/build.sh solutions > "$tmp/log" 2> "$tmp/err" || rc=$?
ok "$rc" "make solutions-book: the solutions build apart, in build/solutions"
[ "$rc" -eq 0 ] || diag "$(cat "$tmp/err")"
nsol=$(find solutions -mindepth 3 -maxdepth 3 -name README.md | wc -l)
is "$(find "$BUILD/solutions/html" -name 'ch[0-9]*.html' | wc -l)" "$nsol" "one page per solution"
rc=0
node code/book/check-html.mjs "$BUILD/solutions/html" "$tmp/sol.png" > "$tmp/check" 2>&1 || rc=$?
ok "$rc" "Chromium: nothing broken in the solutions"
[ "$rc" -eq 0 ] || diag "$(cat "$tmp/check")"
# the solutions stay out of the book: no listing comes from solutions/
grep -rqE 'solutions/ch[0-9]+/' "$BUILD/book/html" "$out/html" && r=1 || r=0
ok "$r" "the book itself quotes no solution"
grep -qE 'solutions/ch01/xsave-sigframe/solution.patch' "$BUILD/solutions/html/ch01-xsave-sigframe.html" && r=0 || r=1
ok "$r" "the solutions book shows the solution patch"

done_testing
