# vmon top-level build.  `make` builds vmon and the test guest; `make test`
# runs the whole suite (unit, integration, then again under ASan+UBSan).
# SAN=1 builds an AddressSanitizer + UndefinedBehaviorSanitizer variant in
# build-san/, TSAN=1 a ThreadSanitizer variant in build-tsan/ (`make
# test-tsan`), DEBUG=1 a plain one in build-debug/; the three have vmon's
# debug checks (VMON_DEBUG: evloop_assert_owner).  ./configure installs
# what the build and tests need.
#
# The usual variables are the user's: make CC=clang CFLAGS='-O0 -g'
# CPPFLAGS=... LDFLAGS=... LDLIBS=... change the compiler, optimisation
# and extra flags; the project's own flags (VMON_*) are always added.

# make predefines CC=cc: gcc unless the user (command line, environment)
# chose another.
ifeq ($(origin CC),default)
CC      := gcc
endif
SAN     ?= 0
TSAN    ?= 0
DEBUG   ?= 0
ifeq ($(SAN)$(TSAN),11)
$(error SAN=1 and TSAN=1 exclude each other: ASan and TSan cannot share a process)
endif
# Hardening (docs/hardening.md), checked by tests/integration/hardening.sh:
# stack canaries; CET (endbr64, objects marked IBT and SHSTK: the binary
# keeps the mark only if libc has it too, and Debian 12's has not); full
# RELRO.  The static PIE carries all of RELRO: GNU_RELRO, which its own
# start-up code makes read-only once it has relocated itself, FLAGS
# BIND_NOW and FLAGS_1 NOW; and -z now is what moves .got.plt (the
# pointers to libc's ifuncs) inside GNU_RELRO.  FORTIFY comes from
# src/lib/fortify.h, forced in: _FORTIFY_SOURCE=2 only when optimising
# and only if the compiler or CPPFLAGS did not choose a level, so `make
# CFLAGS=-O0` builds (glibc warns on FORTIFY without -O; -Werror).
VMON_HARDEN_CFLAGS  := -fstack-protector-strong -fcf-protection
VMON_HARDEN_LDFLAGS := -Wl,-z,relro,-z,now
VMON_FORTIFY        := -include src/lib/fortify.h
ifeq ($(SAN),1)
BUILD   ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
CFLAGS  ?= -O1 -g
VMON_STATIC :=
# The sanitizers intercept memcpy, snprintf and friends; the fortified
# __*_chk entry points would go around them.
VMON_FORTIFY :=
DEBUG   := 1
else ifeq ($(TSAN),1)
BUILD   ?= build-tsan
# gcc warns (-Wtsan) that TSan does not model atomic_thread_fence: the
# fences in virtq.c order vmon against the guest, not vmon's threads
# against each other, so nothing is lost.  clang has no such warning.
SANFLAGS := -fsanitize=thread \
	    $(shell $(CC) -Werror -Wno-tsan -E -x c /dev/null >/dev/null 2>&1 && echo -Wno-tsan)
CFLAGS  ?= -O1 -g
VMON_STATIC :=
VMON_FORTIFY :=
DEBUG   := 1
else
ifeq ($(DEBUG),1)
BUILD   ?= build-debug
else
BUILD   ?= build
endif
SANFLAGS :=
CFLAGS  ?= -O2 -g
# vmon itself is a static PIE (ASLR kept): no libc.so and friends mapped
# whole with fault-around, less RSS and a faster start.  The sanitizers
# need a dynamic link; so does cmocka for the unit tests.
VMON_STATIC := -static-pie
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
# git's commit, or the one `git archive` wrote, or "unknown": no git needed.
GITREV  := $(shell scripts/gitrev.sh 2>/dev/null || echo unknown)

# -Wno-gnu-variable-sized-type-not-at-end: clang's name for a GNU C
# extension vmon uses on purpose (a KVM header struct with its entries
# after it, arch/x86/regs.c); gcc ignores -Wno- options it does not know.
WARN    := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes \
	   -Wformat=2 -Wshadow -Wno-unused-parameter -Wvla -Wpointer-arith \
	   -Wno-gnu-variable-sized-type-not-at-end
VMON_CPPFLAGS := -D_GNU_SOURCE -Isrc -DVMON_VERSION='"$(VERSION)"'
ifeq ($(DEBUG),1)
VMON_CPPFLAGS += -DVMON_DEBUG
endif
VMON_CFLAGS   := -std=gnu17 $(WARN) $(VMON_HARDEN_CFLAGS) $(SANFLAGS) -MMD -MP
VMON_LDFLAGS  := $(VMON_HARDEN_LDFLAGS) $(SANFLAGS)
VMON_LDLIBS   := -lseccomp -lpthread -lz -llzma -llz4 -lzstd -ljansson -lm -luring
# The user's flags come last so they can override ours (-O0, -Wno-error).
ALL_CFLAGS  = $(VMON_CPPFLAGS) $(VMON_FORTIFY) $(CPPFLAGS) $(VMON_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(VMON_LDFLAGS) $(LDFLAGS)
ALL_LDLIBS  = $(VMON_LDLIBS) $(LDLIBS)

# src/LAYER/FILE.c, src/LAYER/PART/FILE.c, src/arch/x86/emulate/FILE.c.
SRCS    := $(sort $(wildcard src/*.c src/*/*.c src/*/*/*.c src/*/*/*/*.c))
OBJS    := $(SRCS:%.c=$(BUILD)/%.o)
LIBOBJS := $(filter-out $(BUILD)/src/main.o,$(OBJS))

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tests/tools/%)

.PHONY: all vmon guest unit tools test test-tsan test-quick demo bench clean deps linux \
	fuzz fuzz-long newcomer-test bench-nested check-layers format-check FORCE

all: vmon guest unit tools

vmon: $(BUILD)/vmon
unit: $(UNIT_BINS)
tools: $(TOOL_BINS)

$(BUILD)/vmon: $(OBJS)
	$(CC) $(ALL_LDFLAGS) $(VMON_STATIC) -o $@ $^ $(ALL_LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The seccomp reporter's table of system call names, from the headers.
$(BUILD)/src/core/sandbox.o: VMON_CPPFLAGS += -I$(BUILD)
$(BUILD)/src/core/sandbox.o: $(BUILD)/gen/syscall_names.h
$(BUILD)/gen/syscall_names.h: scripts/gen-syscall-names.sh
	@mkdir -p $(dir $@)
	scripts/gen-syscall-names.sh '$(CC)' $@

# Only main.c prints the commit; the stamp changes (and main.o is rebuilt)
# only when the commit does.
$(BUILD)/src/main.o: VMON_CPPFLAGS += -DVMON_GITREV='"$(GITREV)"'
$(BUILD)/src/main.o: $(BUILD)/gitrev
$(BUILD)/gitrev: FORCE
	@mkdir -p $(dir $@)
	@echo '$(GITREV)' | cmp -s - $@ || echo '$(GITREV)' >$@

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIBOBJS) $(ALL_LDFLAGS) $(ALL_LDLIBS) -lcmocka

$(BUILD)/tests/tools/%: tests/tools/%.c $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $< $(LIBOBJS) $(ALL_LDFLAGS) $(ALL_LDLIBS)

# The test guest is freestanding and never sanitized: it always lives in
# build/guest so both vmon variants boot the same images.
guest:
	$(MAKE) -C guest O=$(CURDIR)/build/guest

deps:
	scripts/deps.sh

linux:
	scripts/fetch-linux.sh

# Each folder of src/ includes only itself and the layers below it.
check-layers:
	scripts/check-layers.sh

# The C lines changed since the merge base with main (BASE=REV: since
# REV), or FILES="a.c b.h" whole, formatted as .clang-format says.  Not
# part of `make test`: the tree predates .clang-format (format-check.sh).
format-check:
	scripts/format-check.sh $(if $(FILES),$(FILES),$(if $(BASE),--base $(BASE)))

test: deps
	scripts/check-layers.sh
	-scripts/fetch-linux.sh >/dev/null
	$(MAKE) all
	$(MAKE) SAN=1 vmon unit tools
	tests/run.sh

# The unit and integration tests again under ThreadSanitizer (build-tsan/):
# a pass of its own, not part of `make test`, whose time it would add to.
test-tsan: deps
	$(MAKE) guest
	$(MAKE) TSAN=1 vmon unit tools
	tests/run.sh --build build-tsan

demo: deps
	$(MAKE) all
	scripts/demo.sh

bench: deps
	$(MAKE) all
	bench/run.sh

# vmon beside QEMU booting Linux to /init on the nested host (emulated).
bench-nested: deps
	$(MAKE) all
	bench/nested.sh

# The README's first commands on a fresh minimal Debian 12 in a chroot, as
# root (minutes; not part of `make test`): tests/newcomer/run.sh.
newcomer-test:
	tests/newcomer/run.sh

# libFuzzer targets (fuzz/fuzz_*.c), built with clang, ASan and UBSan into
# build/fuzz/ from their own clang objects of src/.  `make fuzz-long` runs
# each for FUZZ_TIME seconds (tests/integration/fuzz_short.sh runs ~20 s).
FUZZ_CC    ?= clang
FUZZ_TIME  ?= 600
FUZZ_DIR   := build/fuzz
FUZZ_FLAGS := -std=gnu17 -g -O1 -fno-omit-frame-pointer \
	      -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	      -Wall -Wextra -Wno-unused-parameter \
	      -Wno-gnu-variable-sized-type-not-at-end $(VMON_CPPFLAGS) \
	      -DVMON_DEBUG -MMD -MP
FUZZ_SRCS  := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_BINS  := $(FUZZ_SRCS:fuzz/%.c=$(FUZZ_DIR)/%)
FUZZ_OBJS  := $(filter-out $(FUZZ_DIR)/obj/src/main.o,$(SRCS:%.c=$(FUZZ_DIR)/obj/%.o))

fuzz: $(FUZZ_BINS)

$(FUZZ_DIR)/obj/src/core/sandbox.o: FUZZ_FLAGS += -I$(BUILD)
$(FUZZ_DIR)/obj/src/core/sandbox.o: $(BUILD)/gen/syscall_names.h

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<

$(FUZZ_DIR)/%: fuzz/%.c $(FUZZ_OBJS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer -o $@ $< $(FUZZ_OBJS) $(VMON_LDLIBS)

fuzz-long: fuzz
	FUZZ_TIME=$(FUZZ_TIME) tests/integration/fuzz_short.sh

clean:
	rm -rf build build-san build-tsan build-debug

-include $(OBJS:.o=.d) $(FUZZ_OBJS:.o=.d)
