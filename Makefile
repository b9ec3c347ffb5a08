# hmdp-c: plain Makefile. `make` builds the release binaries into
# build/rel; `make test` builds the ASan+UBSan binaries into build/test and
# runs unit + integration tests against a private stack.

CC      ?= cc
PKGS    := hiredis json-c mysqlclient fcgi libsodium
WARN    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -Wall -Wextra \
           -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wwrite-strings -Wpointer-arith -Wcast-qual -Wformat=2 \
           -fno-common -MMD -MP
REL     := -O2 -g -D_FORTIFY_SOURCE=2 -fstack-protector-strong
TESTF   := -O1 -g -fno-omit-frame-pointer -DARENA_DEBUG \
           -fsanitize=address,undefined -fno-sanitize-recover=all
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lm

# Library code shared by the worker and the consumers: everything in app/
# except mains, the SSE gateway and stream consumers' entry points.
LIB_SRC  := $(sort $(filter-out app/sse/% %_consumer.c app/admin/hmdp_admin.c,$(wildcard app/*/*.c)))
# hmdp-admin links core (without the FastCGI glue), store and stream only
ADMIN_SRC := app/admin/hmdp_admin.c $(addprefix app/core/,arena.c cfg.c ctx.c log.c util.c) \
             $(wildcard app/store/*.c) $(wildcard app/stream/*.c)
ADMIN_LIBS := $(shell pkg-config --libs hiredis json-c mysqlclient libsodium 2>/dev/null) -lm
CONSUMER_SRC := $(wildcard app/*/*_consumer.c)
SSE_SRC  := $(wildcard app/sse/*.c)

CONSUMERS := $(foreach f,$(CONSUMER_SRC),$(word 2,$(subst /, ,$(f))))
BINS     := hmdp-worker $(CONSUMERS:%=hmdp-%-consumer) $(if $(SSE_SRC),hmdp-sse) noop-fcgi \
            hmdp-admin
UNIT_SRC := $(wildcard tests/unit/test_*.c)
INTEG_SRC := $(wildcard tests/integ/test_*.c)

.PHONY: all rel testbin unit test run stop status clean fmt fmt-check deps bench \
        fuzz fuzzbin

all: rel
rel: $(addprefix build/rel/,$(BINS))
testbin: $(addprefix build/test/,$(BINS)) build/test/stream-fixture \
         $(patsubst tests/unit/%.c,build/test/unit/%,$(UNIT_SRC)) \
         $(patsubst tests/integ/%.c,build/test/integ/%,$(INTEG_SRC))

build/rel/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC $<"
	@$(CC) $(WARN) $(REL) $(PKG_CFLAGS) -c $< -o $@
build/test/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC [test] $<"
	@$(CC) $(WARN) $(TESTF) $(PKG_CFLAGS) -c $< -o $@

LIB_REL  := $(patsubst %.c,build/rel/%.o,$(LIB_SRC))
LIB_TEST := $(patsubst %.c,build/test/%.o,$(LIB_SRC))

build/rel/hmdp-worker: build/rel/app/main.o $(LIB_REL)
	@echo "  LD $@"
	@$(CC) $(REL) $^ $(PKG_LIBS) -o $@
build/test/hmdp-worker: build/test/app/main.o $(LIB_TEST)
	@echo "  LD $@"
	@$(CC) $(TESTF) $^ $(PKG_LIBS) -o $@

# a consumer app/<f>/<f>_consumer.c (its own main) becomes hmdp-<f>-consumer
define CONSUMER_RULE
build/rel/hmdp-$(1)-consumer: build/rel/app/$(1)/$(1)_consumer.o $$(LIB_REL)
	@echo "  LD $$@"
	@$$(CC) $$(REL) $$^ $$(PKG_LIBS) -o $$@
build/test/hmdp-$(1)-consumer: build/test/app/$(1)/$(1)_consumer.o $$(LIB_TEST)
	@echo "  LD $$@"
	@$$(CC) $$(TESTF) $$^ $$(PKG_LIBS) -o $$@
endef
$(foreach c,$(CONSUMERS),$(eval $(call CONSUMER_RULE,$(c))))

build/rel/hmdp-sse: $(patsubst %.c,build/rel/%.o,$(SSE_SRC)) $(LIB_REL)
	@echo "  LD $@"
	@$(CC) $(REL) $^ $(PKG_LIBS) -levent -o $@
build/test/hmdp-sse: $(patsubst %.c,build/test/%.o,$(SSE_SRC)) $(LIB_TEST)
	@echo "  LD $@"
	@$(CC) $(TESTF) $^ $(PKG_LIBS) -levent -o $@

build/rel/hmdp-admin: $(patsubst %.c,build/rel/%.o,$(ADMIN_SRC))
	@echo "  LD $@"
	@$(CC) $(REL) $^ $(ADMIN_LIBS) -o $@
build/test/hmdp-admin: $(patsubst %.c,build/test/%.o,$(ADMIN_SRC))
	@echo "  LD $@"
	@$(CC) $(TESTF) $^ $(ADMIN_LIBS) -o $@

# test-only consumer on the stream runtime (tests/integ/test_streams.c)
build/test/stream-fixture: build/test/tests/integ/stream_fixture.o $(LIB_TEST)
	@echo "  LD $@"
	@$(CC) $(TESTF) $^ $(PKG_LIBS) -o $@

build/rel/noop-fcgi: build/rel/tests/bench/noop_fcgi.o
	@echo "  LD $@"
	@$(CC) $(REL) $^ $(PKG_LIBS) -o $@
build/test/noop-fcgi: build/test/tests/bench/noop_fcgi.o
	@echo "  LD $@"
	@$(CC) $(TESTF) $^ $(PKG_LIBS) -o $@

# benchmark driver for the feed fan-out (tests/bench/feed_fanout.sh)
build/rel/feed-fanout-bench: build/rel/tests/bench/feed_fanout.o $(LIB_REL)
	@echo "  LD $@"
	@$(CC) $(REL) $^ $(PKG_LIBS) -o $@

build/test/unit/%: build/test/tests/unit/%.o $(LIB_TEST)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(TESTF) $^ $(PKG_LIBS) -o $@
build/test/integ/%: build/test/tests/integ/%.o build/test/tests/integ/h.o
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(TESTF) $^ $(PKG_LIBS) $(shell pkg-config --libs libcurl 2>/dev/null) -lpthread -o $@

# libFuzzer harnesses (tests/fuzz/fuzz_*.c): clang only, not part of
# `make test`. `make fuzz` runs each for FUZZ_SECONDS on a corpus in
# build/fuzz/corpus/<name> seeded from tests/fuzz/corpus/<name>; crash
# inputs land in build/fuzz/ (reproduce: build/fuzz/<name> <file>).
FUZZ_SECONDS ?= 30
FUZZ_CC   ?= clang
FUZZF     := -O1 -g -fno-omit-frame-pointer -DARENA_DEBUG \
             -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRC))
LIB_FUZZ  := $(patsubst %.c,build/fuzz/%.o,$(LIB_SRC))

build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	@echo "  CC [fuzz] $<"
	@$(FUZZ_CC) $(filter-out -Werror,$(WARN)) -Wno-format-nonliteral $(FUZZF) \
	    -fsanitize=fuzzer-no-link $(PKG_CFLAGS) -c $< -o $@
build/fuzz/fuzz_%: build/fuzz/tests/fuzz/fuzz_%.o $(LIB_FUZZ)
	@echo "  LD $@"
	@$(FUZZ_CC) $(FUZZF) -fsanitize=fuzzer $^ $(PKG_LIBS) -o $@

.PRECIOUS: build/fuzz/%.o
fuzzbin: $(FUZZ_BINS)
fuzz: fuzzbin
	@set -e; for f in $(FUZZ_BINS); do \
	    n=$$(basename $$f); mkdir -p build/fuzz/corpus/$$n; \
	    echo "== $$n for $(FUZZ_SECONDS)s"; \
	    $$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix=build/fuzz/$$n- \
	        build/fuzz/corpus/$$n tests/fuzz/corpus/$$n \
	        >build/fuzz/$$n.log 2>&1 || { tail -n 60 build/fuzz/$$n.log; \
	        echo "!! $$n failed (log build/fuzz/$$n.log)"; exit 1; }; \
	    grep -E '^stat::number_of_executed_units|^Done' build/fuzz/$$n.log; \
	done

# Debian packages, then the npm packages of the API page and its tests
# (tests/npm_deps.sh: into build/npm, offline after the first install)
deps:
	@sh tests/deps.sh
	@sh tests/npm_deps.sh

unit: deps testbin
	@bash tests/run.sh unit

test: deps
	@$(MAKE) --no-print-directory testbin
	@bash tests/run.sh all

run: deps
	@$(MAKE) --no-print-directory rel
	@bash conf/stack.sh start $(CURDIR)/run

stop:
	@bash conf/stack.sh stop $(CURDIR)/run

status:
	@bash conf/stack.sh status $(CURDIR)/run

bench: deps rel
	@bash tests/bench/run.sh

fmt:
	clang-format -i $(wildcard app/*.c app/*/*.c app/*/*.h tests/*/*.c tests/*/*.h)
fmt-check:
	clang-format --dry-run --Werror $(wildcard app/*.c app/*/*.c app/*/*.h tests/*/*.c tests/*/*.h)

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
