# tessera: build, test, demo, sanitizer and benchmark targets.
# `make demo` and `make test` install missing Debian packages first (make deps).

CC ?= gcc
# libnice before sofia-sip-ua: both export stun_message_length, and libnice's own
# STUN code must bind to its version (else every ICE check is dropped).
# Order matters: libnice and sofia-sip both export stun_message_length; nice must
# come first or every ICE connectivity check silently fails.
PKGS := libavformat libavcodec libavfilter libswscale libswresample libavutil \
        pangocairo cairo jansson libsrtp2 libevent libevent_pthreads libcrypto libssl nice \
        sofia-sip-ua
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

BUILD ?= build
OPT ?= -O2
SAN ?=
CFLAGS_ALL := -std=c11 -D_GNU_SOURCE $(OPT) -g -Wall -Wextra -I. $(PKG_CFLAGS) $(SAN) \
              -DTESSERA_SOURCE_DIR='"$(CURDIR)"' -DTESSERA_PROMPT_DIR='"$(abspath $(BUILD))/prompts"' \
              -MMD -MP $(CFLAGS)
LDLIBS_ALL := $(PKG_LIBS) -lm -lpthread $(SAN)

LIB_SRC := $(filter-out mixer/main.c, $(wildcard mixer/*.c codecs/*.c layouts/*.c net/*.c signal/*.c))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/%.o)
UNIT_SRC := $(wildcard tests/unit/*.c)
UNIT_OBJ := $(UNIT_SRC:%.c=$(BUILD)/%.o)

.PHONY: all deps demo test unit integration asan bench bench-live bench-webrtc fuzz clean

all: $(BUILD)/tessera

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(BUILD)/tessera: $(BUILD)/mixer/main.o $(LIB_OBJ) | $(BUILD)/prompts/pin_enter.wav $(BUILD)/prompts/pin_wrong.wav
	$(CC) -o $@ $(filter %.o,$^) $(LDLIBS_ALL)

# The spoken SIP PIN prompts (sip_prompt_dir), rendered by espeak-ng; without it
# the build goes on and waiting callers hear a beep.
PROMPT_TEXT_pin_enter := Please enter the meeting PIN, followed by the hash key.
PROMPT_TEXT_pin_wrong := Wrong PIN, please try again.
$(BUILD)/prompts/%.wav:
	@mkdir -p $(dir $@)
	@if command -v espeak-ng >/dev/null 2>&1; then \
	    espeak-ng -v en-us -s 150 -w $@.tmp "$(PROMPT_TEXT_$*)" && mv $@.tmp $@ && echo "prompt $@"; \
	else echo "espeak-ng not found: no $@ (waiting SIP callers hear a beep)"; fi

$(BUILD)/unit_tests: $(UNIT_OBJ) $(LIB_OBJ)
	$(CC) -o $@ $^ $(LDLIBS_ALL)

deps:
	@sh scripts/deps.sh

demo: deps
	$(MAKE) all
	sh scripts/demo.sh $(BUILD)/tessera

unit: $(BUILD)/unit_tests
	$(BUILD)/unit_tests

integration: $(BUILD)/tessera
	TESSERA_BIN=$(CURDIR)/$(BUILD)/tessera python3 tests/integration/run.py

test: deps
	$(MAKE) unit integration

# The whole suite under AddressSanitizer + UndefinedBehaviorSanitizer. System
# libraries' process-lifetime caches (fontconfig, Pango) are suppressed.
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 G_SLICE=always-malloc \
           LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
           UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
asan: deps
	$(SAN_ENV) $(MAKE) BUILD=build-asan OPT=-O1 \
	    SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" \
	    unit integration

bench: deps
	$(MAKE) all
	python3 bench/grid9.py $(BUILD)/tessera

# Live server: input-to-output latency (hd, low) and fan-out to 1..200 RTP receivers.
bench-live: deps
	$(MAKE) all
	python3 bench/latency.py $(BUILD)/tessera
	python3 bench/fanout.py $(BUILD)/tessera

# WebRTC with headless Chromium (as root: a network namespace): WHIP publish to first
# frame in a WHEP viewer, and tessera's cost per WHEP viewer.
bench-webrtc: deps
	$(MAKE) all
	python3 bench/webrtc.py $(BUILD)/tessera

# libFuzzer targets (tests/fuzz/fuzz_*.c) for every parser of untrusted bytes;
# FUZZ_SECONDS per target (CI runs a short pass).
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_CFLAGS := -g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined \
               -std=c11 -D_GNU_SOURCE -I. -DTESSERA_SOURCE_DIR='"$(CURDIR)"' \
               -DTESSERA_PROMPT_DIR='"$(CURDIR)/build-fuzz/prompts"' $(PKG_CFLAGS)
FUZZ_OBJ := $(LIB_SRC:%.c=build-fuzz/obj/%.o)

# The library is compiled once (instrumented for coverage), each target links it.
build-fuzz/obj/%.o: %.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

build-fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJ)
	@mkdir -p build-fuzz/corpus_$*
	clang $(FUZZ_CFLAGS) -fsanitize=fuzzer $< $(FUZZ_OBJ) -o $@ $(PKG_LIBS) -lm -lpthread

fuzz: deps
	$(MAKE) $(FUZZ_TARGETS:%=build-fuzz/fuzz_%)
	@for t in $(FUZZ_TARGETS); do \
	    echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	    $(SAN_ENV) build-fuzz/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        build-fuzz/corpus_$$t $$(ls -d tests/fuzz/seeds_$$t 2>/dev/null) > build-fuzz/fuzz_$$t.log 2>&1 || \
	        { tail -40 build-fuzz/fuzz_$$t.log; echo "fuzz_$$t FAILED"; exit 1; }; \
	    grep -E "stat::number_of_executed_units|Done" build-fuzz/fuzz_$$t.log; done

clean:
	rm -rf build build-asan build-fuzz

-include $(LIB_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(BUILD)/mixer/main.d
