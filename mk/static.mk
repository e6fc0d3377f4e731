# mk/static.mk — `make static`: vfio-early-static, one fully static musl binary with libkmod
# (zstd + xz module decompression) and libblkid inside, for initramfs images.
# Included by the top-level Makefile; not part of `make all`.
#
#   make static            build ./vfio-early-static (and build/static/vfio-early-static.map)
#   make static-test       build build/static/static-test from build-aux/static-test.c
#   make static-check      run static-test on /lib/modules/$(STATIC_KVER), and on a copy of a
#                          few of its modules recompressed as .ko.zst and .ko.xz
#   make static-check-cli  run the CLI test suite (tests/run cli) on vfio-early-static
#   make static-size       print the size of the binary and the biggest archive members
#
#   make static-deps       only build the libraries
#
# The libraries are built once by build-aux/static-deps.sh into $(STATIC_DEPS)
# (rebuilt when that script or its settings change).  Parsing this file runs nothing.

# Keep `all` the default goal even if this file is read before any rule of the Makefile.
ifeq ($(.DEFAULT_GOAL),)
.DEFAULT_GOAL := all
endif

STATIC_DEPS    ?= $(HOME)/.cache/vfio-early/static
MUSL_CC        ?= musl-gcc
STRIP          ?= strip
STATIC_BUILD   ?= build/static
STATIC_BIN     ?= vfio-early-static
STATIC_DEBUG   := $(STATIC_BUILD)/$(notdir $(STATIC_BIN)).debug
STATIC_MAP     := $(STATIC_BUILD)/$(notdir $(STATIC_BIN)).map
STATIC_STAMP   := $(STATIC_DEPS)/.stamp
STATIC_SCRIPT  := build-aux/static-deps.sh

STATIC_SRCS    := $(wildcard src/*.c)
STATIC_OBJS    := $(STATIC_SRCS:src/%.c=$(STATIC_BUILD)/%.o)
STATIC_HDRS    := $(wildcard src/*.h)

# Size first: -Os, one section per function/object so that --gc-sections drops what is
# not called, no unwind tables (C, nothing unwinds), no PIE (a static non-PIE binary
# needs no relocations).  Warnings are errors here too: the same sources build
# clean against musl's headers.
STATIC_OPT     ?= -Os
STATIC_CFLAGS  ?=
STATIC_LDFLAGS ?=
STATIC_ALL_CFLAGS = -std=gnu11 -D_GNU_SOURCE $(WARNINGS) $(STATIC_OPT) \
	-ffunction-sections -fdata-sections -fno-asynchronous-unwind-tables -fno-unwind-tables \
	-fno-pie -DVERSION='"$(VERSION)"' -DVFIO_EARLY_STATIC=1 -isystem $(STATIC_DEPS)/include \
	$(STATIC_CFLAGS)
STATIC_ALL_LDFLAGS = -static -no-pie -Wl,--gc-sections -Wl,-z,noexecstack $(STATIC_LDFLAGS)
STATIC_LIBS    := -L$(STATIC_DEPS)/lib -lkmod -lblkid -lzstd -llzma

static: $(STATIC_BIN)

# The script runs every time (it returns at once when its stamp matches) and rewrites the
# stamp only when it rebuilt the libraries, so only then is vfio-early-static relinked.
$(STATIC_STAMP): static-deps
static-deps:
	@MUSL_CC='$(MUSL_CC)' bash $(STATIC_SCRIPT) '$(STATIC_DEPS)'

$(STATIC_BUILD):
	mkdir -p $@

$(STATIC_BUILD)/%.o: src/%.c $(STATIC_HDRS) $(STATIC_STAMP) | $(STATIC_BUILD)
	$(MUSL_CC) $(STATIC_ALL_CFLAGS) -c -o $@ $<

# The unstripped binary stays in $(STATIC_BUILD) for debugging; the map names every
# archive member that was linked in and what each section costs.
$(STATIC_DEBUG): $(STATIC_OBJS) $(STATIC_STAMP)
	$(MUSL_CC) $(STATIC_ALL_CFLAGS) $(STATIC_ALL_LDFLAGS) -Wl,-Map,$(STATIC_MAP) \
	  -o $@ $(STATIC_OBJS) $(STATIC_LIBS)

$(STATIC_BIN): $(STATIC_DEBUG)
	$(STRIP) --strip-all -R .comment -o $@ $<
	@echo "$@: $$(wc -c < $@) bytes (map: $(STATIC_MAP))"

$(STATIC_BUILD)/static-test: build-aux/static-test.c $(STATIC_STAMP) | $(STATIC_BUILD)
	$(MUSL_CC) $(STATIC_ALL_CFLAGS) $(STATIC_ALL_LDFLAGS) -Wl,-Map,$@.map -o $@.debug $< $(STATIC_LIBS)
	$(STRIP) --strip-all -R .comment -o $@ $@.debug

static-test: $(STATIC_BUILD)/static-test

# static-check: the kernel whose modules are used; by default the first one installed.
STATIC_KVER    ?= $(firstword $(notdir $(wildcard /lib/modules/*)))
STATIC_MODTEST := $(STATIC_BUILD)/modtest
STATIC_TESTMODS ?= vfio-pci vfio_pci_core vfio vfio_iommu_type1 irqbypass

static-check: $(STATIC_BUILD)/static-test
	@test -n '$(STATIC_KVER)' || { echo 'static-check: no /lib/modules/*; set STATIC_KVER' >&2; exit 1; }
	$(STATIC_BUILD)/static-test kmod /lib/modules/$(STATIC_KVER) $(STATIC_TESTMODS)
	@set -e; root='$(STATIC_MODTEST)'; src=/lib/modules/$(STATIC_KVER); \
	dst="$$root/lib/modules/$(STATIC_KVER)"; rm -rf "$$root"; mkdir -p "$$dst"; \
	for f in modules.order modules.builtin modules.builtin.modinfo; do \
	  [ ! -e "$$src/$$f" ] || cp "$$src/$$f" "$$dst/"; done; \
	n=0; for m in $(STATIC_TESTMODS); do \
	  p=$$(modinfo -k $(STATIC_KVER) -n "$$m"); rel=$${p#$$src/}; \
	  case "$$p" in \
	    /*.ko) cat=cat;; /*.ko.zst) cat='zstd -dc';; /*.ko.xz) cat='xz -dc';; \
	    /*.ko.gz) cat='gzip -dc';; *) continue;; esac; \
	  rel=$${rel%.zst}; rel=$${rel%.xz}; rel=$${rel%.gz}; mkdir -p "$$dst/$${rel%/*}"; \
	  if [ $$((n % 2)) = 0 ]; then $$cat "$$p" | zstd -q -c > "$$dst/$$rel.zst"; \
	  else $$cat "$$p" | xz --check=crc32 --lzma2=dict=1MiB -c > "$$dst/$$rel.xz"; fi; \
	  n=$$((n + 1)); \
	done; \
	depmod -b "$$root" $(STATIC_KVER); \
	echo "$(STATIC_BUILD)/static-test kmod $$dst $(STATIC_TESTMODS)"; \
	$(STATIC_BUILD)/static-test kmod "$$dst" $(STATIC_TESTMODS) > "$$root.out" || \
	  { cat "$$root.out"; exit 1; }; \
	cat "$$root.out"; \
	grep -q '\.ko\.zst ' "$$root.out" && grep -q '\.ko\.xz ' "$$root.out" || \
	  { echo 'static-check: no .ko.zst and .ko.xz module was read' >&2; exit 1; }

# The CLI suite (bats) on the static binary instead of ./vfio-early.
static-check-cli: $(STATIC_BIN) $(FIXGEN)
	VFIO_EARLY=$(abspath $(STATIC_BIN)) BUILD=$(abspath $(BUILD)) \
	  MKFAKESYS=$(abspath $(FIXGEN)) tests/run cli

static-size: $(STATIC_BIN)
	@ls -l $(STATIC_BIN); size $(STATIC_DEBUG)
	@echo "biggest archive members (bytes of allocated input sections, from $(STATIC_MAP)):"
	@awk '$(STATIC_MAPSUM_AWK)' $(STATIC_MAP)

# Sums the sizes of the allocated input sections of the link map, per archive and per
# archive member (plain POSIX awk: mawk has no strtonum).
STATIC_MAPSUM_AWK := \
  function hex(s,  i, v) { v = 0; s = tolower(s); sub(/^0x/, "", s); \
    for (i = 1; i <= length(s); i++) v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1; \
    return v } \
  /^Linker script and memory map/ { m = 1; next } \
  m && /^ [.](text|rodata|data|bss)[^ ]*$$/ { sec = 1; next } \
  m && (sec || /^ [.](text|rodata|data|bss)[^ ]* +0x/) { \
    sec = 0; n = split($$0, f, " "); if (n < 3) next; \
    a = f[n - 2]; z = f[n - 1]; o = f[n]; \
    if (a !~ /^0x/ || z !~ /^0x/ || hex(a) == 0 || hex(z) == 0) next; \
    sub(/.*\//, "", o); l = o; if (l ~ /[(]/) sub(/[(].*/, "", l); else l = "(objects)"; \
    per[o] += hex(z); lib[l] += hex(z); tot += hex(z); next } \
  { sec = 0 } \
  END { printf "%8d total\n", tot; \
    for (l in lib) printf "%8d %s\n", lib[l], l | "sort -rn"; close("sort -rn"); \
    print "--"; for (o in per) printf "%8d %s\n", per[o], o | "sort -rn | head -n 25" }

.PHONY: static static-deps static-test static-check static-check-cli static-size
