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

# ---- layers ----------------------------------------------------------
# Each directory of app/ is one layer, built into its own archive, and
# each binary links only the layers it uses (the linker takes from an
# archive only the objects something references):
#   core    app/core/*.c except fcgi.c: arena cfg ctx log util req reply
#           route dispatch; json-c and libsodium, no store, no libfcgi
#   fcgi    app/core/fcgi.c: the libfcgi glue, worker only
#   store   app/store/*.c: hiredis (sync) and libmysqlclient, keys, jobs
#   stream  app/stream/*.c: Redis Streams over store/rds.c
#   <f>     each feature app/<f>/ (user blog feed ...), minus its consumer
#   wire    app/wire.c: route tables, hooks, event subscribers (worker)
# Binaries:
#   hmdp-worker            main wire fcgi + every feature + stream store core
#   hmdp-<f>-consumer      app/<f>/<f>_consumer.c + <f> + stream store core
#   hmdp-sse               app/sse/*.c + core + store/keys.o; libevent and
#                          hiredis (async), no libfcgi/mysql (built once
#                          app/sse/ has sources)
#   hmdp-admin             app/admin/hmdp_admin.c + stream store core (the
#                          rest of app/admin/ is the /admin/streams routes,
#                          a feature layer of the worker)
CORE_SRC   := $(sort $(filter-out app/core/fcgi.c,$(wildcard app/core/*.c)))
FCGI_SRC   := app/core/fcgi.c
STORE_SRC  := $(sort $(wildcard app/store/*.c))
STREAM_SRC := $(sort $(wildcard app/stream/*.c))
WIRE_SRC   := app/wire.c
FEATURES   := $(sort $(filter-out core store stream sse,\
                $(patsubst app/%/,%,$(wildcard app/*/))))
feat_src    = $(sort $(filter-out %_consumer.c app/admin/hmdp_admin.c,$(wildcard app/$(1)/*.c)))
CONSUMER_SRC := $(sort $(wildcard app/*/*_consumer.c))
SSE_SRC    := $(sort $(wildcard app/sse/*.c))
ADMIN_SRC  := $(wildcard app/admin/hmdp_admin.c)

CORE_LIBS  := $(shell pkg-config --libs json-c libsodium 2>/dev/null) -lm
STORE_LIBS := $(shell pkg-config --libs hiredis mysqlclient 2>/dev/null)
FCGI_LIBS  := $(shell pkg-config --libs fcgi 2>/dev/null)
SSE_LIBS   := $(shell pkg-config --libs hiredis 2>/dev/null) -levent $(CORE_LIBS)

# every library source (fuzzers and the feed benchmark link all of it)
LIB_SRC  := $(CORE_SRC) $(FCGI_SRC) $(STORE_SRC) $(STREAM_SRC) $(WIRE_SRC) \
            $(foreach f,$(FEATURES),$(call feat_src,$(f)))

CONSUMERS := $(foreach f,$(CONSUMER_SRC),$(word 2,$(subst /, ,$(f))))
BINS     := hmdp-worker $(CONSUMERS:%=hmdp-%-consumer) $(if $(SSE_SRC),hmdp-sse) \
            $(if $(ADMIN_SRC),hmdp-admin) noop-fcgi
UNIT_SRC := $(wildcard tests/unit/test_*.c)
INTEG_SRC := $(wildcard tests/integ/test_*.c)

.PHONY: all rel testbin unit test run stop status clean fmt fmt-check deps bench \
        fuzz fuzzbin deps-graph demo-data

all: rel
rel: $(addprefix build/rel/,$(BINS))
testbin: $(addprefix build/test/,$(BINS)) build/test/stream-fixture \
         build/test/demo-data \
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

# LAYER_RULES(variant, flags): the archives and binaries of build/<variant>
define LAYER_RULES
build/$(1)/lib/core.a: $$(patsubst %.c,build/$(1)/%.o,$$(CORE_SRC))
build/$(1)/lib/store.a: $$(patsubst %.c,build/$(1)/%.o,$$(STORE_SRC))
build/$(1)/lib/stream.a: $$(patsubst %.c,build/$(1)/%.o,$$(STREAM_SRC))
build/$(1)/lib/%.a:
	@mkdir -p $$(dir $$@)
	@echo "  AR $$@"
	@rm -f $$@ && ar rcs $$@ $$^

$(1)_BASE  := build/$(1)/lib/stream.a build/$(1)/lib/store.a build/$(1)/lib/core.a
$(1)_FEATS := $$(FEATURES:%=build/$(1)/lib/feat_%.a)

build/$(1)/hmdp-worker: build/$(1)/app/main.o build/$(1)/app/wire.o \
        build/$(1)/app/core/fcgi.o $$($(1)_FEATS) $$($(1)_BASE)
	@echo "  LD $$@"
	@$$(CC) $(2) $$(filter %.o,$$^) -Wl,--start-group $$(filter %.a,$$^) \
	    -Wl,--end-group $$(FCGI_LIBS) $$(STORE_LIBS) $$(CORE_LIBS) -o $$@

build/$(1)/hmdp-sse: $$(patsubst %.c,build/$(1)/%.o,$$(SSE_SRC)) \
        build/$(1)/app/store/keys.o build/$(1)/lib/core.a
	@echo "  LD $$@"
	@$$(CC) $(2) $$^ $$(SSE_LIBS) -o $$@

build/$(1)/hmdp-admin: $$(patsubst %.c,build/$(1)/%.o,$$(ADMIN_SRC)) \
        $$($(1)_BASE)
	@echo "  LD $$@"
	@$$(CC) $(2) $$(filter %.o,$$^) -Wl,--start-group $$(filter %.a,$$^) \
	    -Wl,--end-group $$(STORE_LIBS) $$(CORE_LIBS) -o $$@
endef
# CONSUMER_RULE(variant, flags, f): app/<f>/<f>_consumer.c (its own main)
# becomes hmdp-<f>-consumer, linking its feature's layer and stream,
# store, core only
define CONSUMER_RULE
build/$(1)/hmdp-$(3)-consumer: build/$(1)/app/$(3)/$(3)_consumer.o \
        build/$(1)/lib/feat_$(3).a $$($(1)_BASE)
	@echo "  LD $$@"
	@$$(CC) $(2) $$(filter %.o,$$^) -Wl,--start-group $$(filter %.a,$$^) \
	    -Wl,--end-group $$(STORE_LIBS) $$(CORE_LIBS) -o $$@
endef

# FEAT_AR(variant, feature): the archive of one feature
define FEAT_AR
build/$(1)/lib/feat_$(2).a: $$(patsubst %.c,build/$(1)/%.o,$$(call feat_src,$(2)))
endef
$(foreach v,rel test,$(foreach f,$(FEATURES),$(eval $(call FEAT_AR,$(v),$(f)))))
$(eval $(call LAYER_RULES,rel,$(REL)))
$(eval $(call LAYER_RULES,test,$(TESTF)))
$(foreach c,$(CONSUMERS),$(eval $(call CONSUMER_RULE,rel,$(REL),$(c))))
$(foreach c,$(CONSUMERS),$(eval $(call CONSUMER_RULE,test,$(TESTF),$(c))))
.PRECIOUS: build/rel/lib/%.a build/test/lib/%.a build/rel/%.o build/test/%.o

# test-only consumer on the stream runtime (tests/integ/test_streams.c)
build/test/stream-fixture: build/test/tests/integ/stream_fixture.o $(test_BASE)
	@echo "  LD $@"
	@$(CC) $(TESTF) $(filter %.o,$^) -Wl,--start-group $(filter %.a,$^) \
	    -Wl,--end-group $(STORE_LIBS) $(CORE_LIBS) -o $@

# The SSE gateway's pure files (http_parse.c, frame.c) are also linked
# into their unit test and fuzzer (with the core parsers they use).
SSE_PURE := app/sse/http_parse.c app/sse/frame.c app/core/str.c
build/test/unit/test_sse_parse: $(patsubst %.c,build/test/%.o,$(SSE_PURE))
build/fuzz/fuzz_sse_http: $(patsubst %.c,build/fuzz/%.o,$(SSE_PURE))

build/rel/noop-fcgi: build/rel/tests/bench/noop_fcgi.o
	@echo "  LD $@"
	@$(CC) $(REL) $^ $(PKG_LIBS) -o $@
build/test/noop-fcgi: build/test/tests/bench/noop_fcgi.o
	@echo "  LD $@"
	@$(CC) $(TESTF) $^ $(PKG_LIBS) -o $@

# benchmark driver for the feed fan-out (tests/bench/feed_fanout.sh)
build/rel/feed-fanout-bench: build/rel/tests/bench/feed_fanout.o \
        $(patsubst %.c,build/rel/%.o,$(LIB_SRC))
	@echo "  LD $@"
	@$(CC) $(REL) $^ $(PKG_LIBS) -o $@

# load client for the SSE benchmarks (tests/bench/sse_hold.sh, sse_latency.sh)
build/rel/sse-bench: build/rel/tests/bench/sse_bench.o
	@echo "  LD $@"
	@$(CC) $(REL) $^ $(SSE_LIBS) -o $@

# the demo-data generator (tests/bench/demo_data.c): `make demo-data
# SCALE=n` loads it into the stack of run/env (DEMO_ENV=file for another
# stack); the ids the benchmarks need go to the stack's demo.env
# (core and store only)
build/rel/demo-data: build/rel/tests/bench/demo_data.o $(rel_BASE)
	@echo "  LD $@"
	@$(CC) $(REL) $(filter %.o,$^) -Wl,--start-group $(filter %.a,$^) \
	    -Wl,--end-group $(STORE_LIBS) $(CORE_LIBS) -o $@
build/test/demo-data: build/test/tests/bench/demo_data.o $(test_BASE)
	@echo "  LD $@"
	@$(CC) $(TESTF) $(filter %.o,$^) -Wl,--start-group $(filter %.a,$^) \
	    -Wl,--end-group $(STORE_LIBS) $(CORE_LIBS) -o $@

SCALE    ?= 1
DEMO_ENV ?= run/env
demo-data: deps
	@$(MAKE) --no-print-directory build/rel/demo-data
	@test -r $(DEMO_ENV) || { echo "no $(DEMO_ENV): start a stack first (make run)"; exit 1; }
	@set -a; . ./$(DEMO_ENV); set +a; \
	    build/rel/demo-data $(SCALE) "$${HMDP_RUN_DIR:-run}/demo.env"

# unit tests: the worker's layers without the libfcgi glue
build/test/unit/%: build/test/tests/unit/%.o build/test/app/wire.o \
        $(test_FEATS) $(test_BASE)
	@mkdir -p $(dir $@)
	@echo "  LD $@"
	@$(CC) $(TESTF) $(filter %.o,$^) -Wl,--start-group $(filter %.a,$^) \
	    -Wl,--end-group $(STORE_LIBS) $(CORE_LIBS) -o $@
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
