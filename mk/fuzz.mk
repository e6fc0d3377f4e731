# Hardening (issue 6): libFuzzer targets, the replay programs that feed
# their seed corpus to the normal and sanitizer builds, and the
# fault-injection library the tests/faults suite preloads.  Included by the
# top Makefile.
#
#   make fuzz [FUZZ_SECONDS=60] [FUZZ_RUNS=N] [FUZZ_TARGETS="cmdline config"]
#                      run each libFuzzer target (clang, ASan+UBSan); -j2 runs two at once
#   make fuzz-build    build the libFuzzer targets into build/fuzz
#   make fuzz-replay   replay tests/fuzz/corpus with this build's replay programs
#   make fuzz-coverage line coverage of the parsers by the seeds and build/fuzz/corpus
#
# `make check` and `make test` need $(FUZZ_CHECK_BINS) for each build: the
# replay programs $(BUILD)/fuzz-TARGET (gcc, same flags as the unit tests)
# and $(BUILD)/ve-inject.so.  The test-only library is never linked into
# or installed with the binary.

# Keep `all` the default goal even if this file is read before the Makefile's rules.
ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif

FUZZ_TARGETS  ?= cmdline config parse sysfs protect ids modprobe
FUZZ_SECONDS  ?= 60
FUZZ_RUNS     ?= -1
FUZZ_CC       ?= $(shell command -v clang-14 2>/dev/null || command -v clang 2>/dev/null || echo clang)
FUZZ_BUILD    := build/fuzz
FUZZ_SAN      := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   := -std=gnu11 -D_GNU_SOURCE -g -O1 $(filter-out -Werror,$(WARNINGS)) -DVERSION='"$(VERSION)"' \
                 -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION $(DEPS_CFLAGS)
FUZZ_LIB_OBJS  = $(LIB_SRCS:src/%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BINS     := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz-%)
FUZZ_SEEDS    := tests/fuzz/corpus

# Input caps per target (the targets also refuse anything larger).
FUZZ_MAXLEN_cmdline := 8192
FUZZ_MAXLEN_config  := 16384
FUZZ_MAXLEN_parse   := 256
FUZZ_MAXLEN_sysfs   := 4096
FUZZ_MAXLEN_protect := 8192
FUZZ_MAXLEN_ids     := 4096
FUZZ_MAXLEN_modprobe := 65536

# What `make check` builds for this $(BUILD) (see the Makefile's check-build).
FUZZ_REPLAY_BINS = $(FUZZ_TARGETS:%=$(BUILD)/fuzz-%)
FAULT_INJECT     = $(BUILD)/ve-inject.so
FUZZ_CHECK_BINS  = $(FUZZ_REPLAY_BINS) $(FAULT_INJECT)

# The top Makefile includes this file last, after BUILD and check-build's own
# rule: prerequisites are expanded when a rule is read, so the hook lives here.
check-build: $(FUZZ_CHECK_BINS)

$(BUILD)/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/replay.c tests/fuzz/fuzz.h tests/fuzz/fuzz-tree.h $(BUILD)/libvfio-early.a
	$(call say,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc $(ALL_LDFLAGS) -o $@ $< tests/fuzz/replay.c \
	  $(BUILD)/libvfio-early.a $(DEPS_LIBS)

# Not sanitized even in build/san: it is preloaded ahead of libasan.
$(FAULT_INJECT): tests/faults/inject.c | $(BUILD)
	$(call say,CC,$@)
	$(Q)$(CC) -std=gnu11 -O2 -g $(WARNINGS) -fPIC -shared -o $@ $< -ldl

# The library objects again, instrumented for libFuzzer.
$(FUZZ_BUILD)/%.o: src/%.c src/*.h | $(FUZZ_BUILD)
	$(call say,CLANG,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_BUILD)/libvfio-early.a: $(FUZZ_LIB_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FUZZ_BUILD)/fuzz-%: tests/fuzz/fuzz-%.c tests/fuzz/fuzz.h tests/fuzz/fuzz-tree.h $(FUZZ_BUILD)/libvfio-early.a
	$(call say,CLANG,$@)
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer -Isrc -o $@ $< \
	  $(FUZZ_BUILD)/libvfio-early.a $(DEPS_LIBS)

$(FUZZ_BUILD):
	mkdir -p $@

fuzz-build: $(FUZZ_BINS)

# New inputs go to build/fuzz/corpus/TARGET; the seeds are read, never written.
# Crashes are saved as build/fuzz/TARGET-crash-*; the final stats are in
# build/fuzz/TARGET.log.
fuzz: $(FUZZ_TARGETS:%=fuzz-run-%)

fuzz-run-%: $(FUZZ_BUILD)/fuzz-%
	$(Q)mkdir -p $(FUZZ_BUILD)/corpus/$*
	@echo "  FUZZ   $* for $(FUZZ_SECONDS)s (log: $(FUZZ_BUILD)/$*.log)"
	$(Q)ASAN_OPTIONS=$${ASAN_OPTIONS:-detect_leaks=1} \
	  $(FUZZ_BUILD)/fuzz-$* -max_total_time=$(FUZZ_SECONDS) -runs=$(FUZZ_RUNS) \
	  -max_len=$(FUZZ_MAXLEN_$*) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	  $(if $(wildcard tests/fuzz/$*.dict),-dict=tests/fuzz/$*.dict) \
	  -artifact_prefix=$(FUZZ_BUILD)/$*- $(FUZZ_BUILD)/corpus/$* $(FUZZ_SEEDS)/$* \
	  > $(FUZZ_BUILD)/$*.log 2>&1; \
	  st=$$?; grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)|^#[0-9]+.*DONE' \
	    $(FUZZ_BUILD)/$*.log | sed 's/^/  $* /'; \
	  if [ $$st -ne 0 ]; then tail -n 40 $(FUZZ_BUILD)/$*.log; exit $$st; fi

fuzz-replay: $(FUZZ_REPLAY_BINS)
	$(Q)for t in $(FUZZ_TARGETS); do $(BUILD)/fuzz-$$t $(FUZZ_SEEDS)/$$t || exit 1; done

# Source-based coverage of what the fuzz targets exercise, replaying the seeds
# and whatever `make fuzz` added to build/fuzz/corpus.
FUZZ_COV     := build/fuzz-cov
FUZZ_COV_SRC := src/parse.c src/cmdline.c src/config.c src/util.c src/pci.c src/protect.c \
                src/rules.c src/log.c src/modprobe-conf.c
FUZZ_PROFDATA ?= $(shell command -v llvm-profdata-14 2>/dev/null || echo llvm-profdata)
FUZZ_LLVM_COV ?= $(shell command -v llvm-cov-14 2>/dev/null || echo llvm-cov)

fuzz-coverage:
	$(Q)rm -rf $(FUZZ_COV) && mkdir -p $(FUZZ_COV)
	$(Q)for t in $(FUZZ_TARGETS); do \
	  $(FUZZ_CC) -std=gnu11 -D_GNU_SOURCE -O0 -g -fprofile-instr-generate -fcoverage-mapping \
	    -DVERSION='"$(VERSION)"' $(DEPS_CFLAGS) -Isrc -o $(FUZZ_COV)/fuzz-$$t \
	    tests/fuzz/fuzz-$$t.c tests/fuzz/replay.c $(FUZZ_COV_SRC) $(DEPS_LIBS) || exit 1; \
	  mkdir -p $(FUZZ_BUILD)/corpus/$$t; \
	  LLVM_PROFILE_FILE=$(FUZZ_COV)/$$t.profraw $(FUZZ_COV)/fuzz-$$t \
	    $(FUZZ_SEEDS)/$$t $(FUZZ_BUILD)/corpus/$$t || exit 1; \
	done
	$(Q)$(FUZZ_PROFDATA) merge -o $(FUZZ_COV)/all.profdata $(FUZZ_COV)/*.profraw
	$(Q)$(FUZZ_LLVM_COV) report $(FUZZ_COV)/fuzz-$(firstword $(FUZZ_TARGETS)) \
	  $(foreach t,$(wordlist 2,99,$(FUZZ_TARGETS)),-object $(FUZZ_COV)/fuzz-$(t)) \
	  -instr-profile=$(FUZZ_COV)/all.profdata $(FUZZ_COV_SRC)

.PHONY: fuzz fuzz-build fuzz-replay fuzz-coverage
