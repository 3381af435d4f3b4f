# vmon top-level build.  `make` builds vmon and the test guest; `make test`
# runs the whole suite (unit, integration, then again under ASan+UBSan).
# SAN=1 builds an AddressSanitizer + UndefinedBehaviorSanitizer variant in
# build-san/.

CC      ?= gcc
SAN     ?= 0
ifeq ($(SAN),1)
BUILD   ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT     := -O1 -g
else
BUILD   ?= build
SANFLAGS :=
OPT     := -O2 -g
endif

VERSION := $(shell cat VERSION 2>/dev/null || echo 0.0.0)
GITREV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

WARN    := -Wall -Wextra -Werror -Wmissing-prototypes -Wstrict-prototypes \
	   -Wformat=2 -Wshadow -Wno-unused-parameter -Wvla -Wpointer-arith
CFLAGS  := -std=gnu17 $(OPT) $(WARN) $(SANFLAGS) -D_GNU_SOURCE -Isrc \
	   -DVMON_VERSION='"$(VERSION)"' -DVMON_GITREV='"$(GITREV)"' -MMD -MP
LDFLAGS := $(SANFLAGS)
LDLIBS  := -lpthread -lz -llzma -llz4 -lzstd

SRCS    := $(sort $(wildcard src/*.c src/*/*.c src/*/*/*.c))
OBJS    := $(SRCS:%.c=$(BUILD)/%.o)
LIBOBJS := $(filter-out $(BUILD)/src/main.o,$(OBJS))

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
TOOL_SRCS := $(sort $(wildcard tests/tools/*.c))
TOOL_BINS := $(TOOL_SRCS:tests/tools/%.c=$(BUILD)/tests/tools/%)

.PHONY: all vmon guest unit tools test test-quick demo bench clean deps linux

all: vmon guest unit tools

vmon: $(BUILD)/vmon
unit: $(UNIT_BINS)
tools: $(TOOL_BINS)

$(BUILD)/vmon: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/tests/test_%: tests/unit/test_%.c $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(LIBOBJS) $(LDFLAGS) $(LDLIBS) -lcmocka

$(BUILD)/tests/tools/%: tests/tools/%.c $(LIBOBJS)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -Itests -o $@ $< $(LIBOBJS) $(LDFLAGS) $(LDLIBS)

# The test guest is freestanding and never sanitized: it always lives in
# build/guest so both vmon variants boot the same images.
guest:
	$(MAKE) -C guest O=$(CURDIR)/build/guest

deps:
	scripts/deps.sh

linux:
	scripts/fetch-linux.sh

test: deps
	-scripts/fetch-linux.sh >/dev/null
	$(MAKE) all
	$(MAKE) SAN=1 vmon unit tools
	tests/run.sh

demo: deps
	$(MAKE) all
	scripts/demo.sh

bench: deps
	$(MAKE) all
	bench/run.sh

clean:
	rm -rf build build-san

-include $(OBJS:.o=.d)
