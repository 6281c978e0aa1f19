# fastuml: make User Mode Linux fast, one chapter at a time.
#
#   make            build every kernel, the guest image, the QEMU guest kernel and the book
#   make test       build what is missing, then run every test (TAP, prove)
#
# See README.md for the other targets.

SHELL := /bin/bash
S := code/scripts
CH ?=
EX ?=
PATCH ?=
KERNELS := ch1 ch2 ch3 ch4 ch5 ch6 ch7 upstream

.PHONY: all deps kernel kernels rootfs debian-rootfs qemu-kernel measure figures scoreboard book solutions-book grade test clean distclean

all: kernels rootfs qemu-kernel book

deps: ## install the Debian packages the project needs
	$(S)/deps.sh

kernel: ## build one kernel: make kernel CH=N (1..7), CH=N.K or CH=upstream; DEBUG=1: with KASAN, lockdep, UBSAN... (code/kernel/debug.config) in build/chN-debug
	@case "$(CH)" in [1-7] | [1-7].[1-9]*) t=ch$(CH) ;; upstream) t=upstream ;; \
	  *) echo "make kernel: set CH=1..7, CH=N.K (chapter N-1 + K patches of N) or CH=upstream" >&2; exit 1 ;; esac; \
	case "$(DEBUG)" in '' | 0) ;; 1) t=$$t-debug ;; \
	  *) echo "make kernel: DEBUG=1 (the debug build) or nothing, not '$(DEBUG)'" >&2; exit 1 ;; esac; \
	$(S)/kbuild.sh $$t

kernels: ## build every chapter kernel and upstream
	$(S)/kbuild.sh $(KERNELS)

rootfs: ## build the guest image build/rootfs.img
	$(S)/mkrootfs.sh build/rootfs.img

debian-rootfs: rootfs ## the article's minimal Debian 12 guest build/debian.img (debootstrap; needs the network once)
	$(S)/mkdebian.sh

qemu-kernel: ## fetch the Debian kernel QEMU boots
	$(S)/qemu-kernel.sh

measure: ## benchmarks: make measure [CH=N] [QUICK=1] [RUNS=5] [WORKLOADS="exec block"] [TARGETS="ch1 upstream"]
	code/bench/measure -c $(or $(CH),1) $(if $(QUICK),-q) $(if $(RUNS),-r $(RUNS)) \
	  $(if $(WORKLOADS),-w "$(WORKLOADS)") $(if $(TARGETS),-t "$(TARGETS)")
	$(if $(QUICK),,$(MAKE) figures)

figures: ## SVG plots from the committed results: images/chNN/*.csv -> *.svg (*-native.svg: fraction of native, log scale; *-sweep.svg for a rate sweep; *-fds.svg against the registered descriptors; breakdown*.svg: time classes per target)
	@for csv in images/ch*/*.csv; do \
	  [ -e "$$csv" ] || continue; \
	  case "$$csv" in *syscalls.csv | */faults.csv | */profile.csv | */scoreboard.csv) continue ;; esac; \
	  case "$$csv" in */breakdown*.csv) \
	    code/bench/plot-breakdown.sh "$$csv" "$${csv%.csv}.svg" && echo "figures: $${csv%.csv}.svg" || exit 1; \
	    continue ;; esac; \
	  code/bench/plot.sh "$$csv" "$${csv%.csv}.svg" && echo "figures: $${csv%.csv}.svg" || exit 1; \
	  if grep -q '^[^,]*,[^,]*,[^,]*,native,' "$$csv"; then \
	    code/bench/plot.sh --native "$$csv" "$${csv%.csv}-native.svg" && echo "figures: $${csv%.csv}-native.svg" || exit 1; \
	  fi; \
	  if grep -qE '^[^,]*,[^,]*\.fds[0-9]+,' "$$csv"; then \
	    code/bench/plot.sh --fds "$$csv" "$${csv%.csv}-fds.svg" && echo "figures: $${csv%.csv}-fds.svg" || exit 1; \
	  fi; \
	  if grep -qE '^[^,]*,[^,]*-at-[0-9]+k-pps,' "$$csv"; then \
	    code/bench/plot.sh --sweep "$$csv" "$${csv%.csv}-sweep.svg" && echo "figures: $${csv%.csv}-sweep.svg" || exit 1; \
	  fi; \
	done

scoreboard: ## the scoreboard of every chapter's headline figures, from the committed results: images/ch07/scoreboard.csv and .svg (rows: code/bench/scoreboard.rows)
	code/bench/scoreboard

book: ## the book: build/book/html/index.html, build/book/fastuml.epub, build/book/fastuml.pdf
	code/book/build.sh book

solutions-book: ## the exercises' solutions, apart: build/solutions/
	code/book/build.sh solutions

grade: rootfs ## grade an exercise: make grade CH=N [EX=name] [PATCH=my.patch]
	$(S)/grade "$(CH)" "$(EX)" "$(PATCH)"

test: rootfs ## run the whole test suite (builds what is missing or changed first)
	$(S)/run-tests

clean: ## remove build products but keep the ccache and the unpacked source
	rm -rf build/ch[1-7] build/ch[1-7].* build/ch[1-7]-debug build/upstream build/upstream-debug build/.*.lock build/run build/logs build/guest build/rootfs.img \
	  build/book build/book-fixture build/solutions build/grade build/measure build/measure-work.*

distclean: ## remove everything under build/
	rm -rf build
