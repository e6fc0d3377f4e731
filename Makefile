# vfio-early — see README.md.  `make`, `make check`, `make install`.
VERSION    := 0.1
PREFIX     ?= /usr
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
DESTDIR    ?=

CC         ?= cc
PKG_CONFIG ?= pkg-config
CFLAGS     ?= -O2 -g
WARNINGS   := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
              -Wformat=2 -Wno-format-nonliteral -Wvla -Wpointer-arith
HARDEN     := -D_FORTIFY_SOURCE=2 -fstack-protector-strong -fPIE
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags libkmod blkid 2>/dev/null)
DEPS_LIBS   := $(shell $(PKG_CONFIG) --libs libkmod blkid 2>/dev/null || echo -lkmod -lblkid)
ALL_CFLAGS = -std=gnu11 $(WARNINGS) $(HARDEN) $(SAN_FLAGS) -DVERSION='"$(VERSION)"' \
             $(DEPS_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = -pie -Wl,-z,relro,-z,now $(SAN_FLAGS) $(LDFLAGS)

# make check SANITIZE=1: ASan + UBSan builds into build/san.
ifeq ($(SANITIZE),1)
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
BUILD     ?= build/san
else
BUILD     ?= build/default
endif

SRCS      := $(wildcard src/*.c)
LIB_SRCS  := $(filter-out src/main.c,$(SRCS))
LIB_OBJS  := $(LIB_SRCS:src/%.c=$(BUILD)/%.o)
BIN       := $(if $(filter 1,$(SANITIZE)),$(BUILD)/vfio-early,vfio-early)

UNIT_SRCS := $(wildcard tests/unit/test-*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/%)
FIXGEN    := $(BUILD)/mkfakesys

# make V=1 shows the commands.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2)
endif

all: $(BIN)

$(BUILD)/%.o: src/%.c src/*.h | $(BUILD)
	$(call say,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libvfio-early.a: $(LIB_OBJS)
	$(call say,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BIN): $(BUILD)/main.o $(BUILD)/libvfio-early.a
	$(call say,LINK,$@)
	$(Q)$(CC) $(ALL_LDFLAGS) -o $@ $^ $(DEPS_LIBS)

$(BUILD)/test-%: tests/unit/test-%.c tests/unit/*.h $(BUILD)/libvfio-early.a
	$(call say,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) -Isrc $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libvfio-early.a $(DEPS_LIBS)

$(FIXGEN): tests/fixtures/mkfakesys.c | $(BUILD)
	$(call say,CC,$@)
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $<

$(BUILD):
	mkdir -p $@

# Everything `make check` needs, built but not run.
check-build: $(BIN) $(UNIT_BINS) $(FIXGEN)

# The README's test command runs this.  SUITES limits it (unit, cli, boot...).
check: check-build
	$(Q)VFIO_EARLY=$(abspath $(BIN)) BUILD=$(abspath $(BUILD)) \
	  MKFAKESYS=$(abspath $(FIXGEN)) tests/run $(SUITES)

# The README's test command: installs what is missing (as root), builds the
# default and the sanitizer builds, runs every suite, prints one verdict.
# The static build too, for the boot tests that embed it; when it cannot be
# built (no Debian source mirror), those tests skip and say why.
test:
	$(Q)tests/deps
	$(Q)$(MAKE) --no-print-directory check-build
	$(Q)$(MAKE) --no-print-directory SANITIZE=1 check-build
	$(Q)$(MAKE) --no-print-directory static || \
	  echo "make static failed: the boot tests of the static binary will skip" >&2
	$(Q)VFIO_EARLY=$(abspath vfio-early) BUILD=$(abspath build/default) \
	  BUILD_SAN=$(abspath build/san) MKFAKESYS=$(abspath build/default/mkfakesys) \
	  tests/run unit cli mkinitcpio unit-san cli-san fuzz faults faults-san boot deb dist $(EXTRA_SUITES)

# Benchmarks (bench/run): a table on stdout; see BENCHMARKS.md.
BENCH_TOOLS := build/bench-tools
$(BENCH_TOOLS)/%: bench/%.c | $(BENCH_TOOLS)
	$(call say,CC,$@)
	$(Q)$(CC) -O2 -std=gnu11 $(WARNINGS) -o $@ $<
$(BENCH_TOOLS):
	mkdir -p $@

bench: $(BIN) $(FIXGEN) $(BENCH_TOOLS)/runstat $(BENCH_TOOLS)/floor
	$(Q)VFIO_EARLY=$(abspath $(BIN)) MKFAKESYS=$(abspath $(FIXGEN)) \
	  BENCH_TOOLS=$(abspath $(BENCH_TOOLS)) bench/run

clean:
	rm -rf build vfio-early vfio-early-static

.PHONY: all check check-build test bench clean

-include mk/*.mk
