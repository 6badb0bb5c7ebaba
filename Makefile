# salesops - one entry point: make, make demo, make check, make bench,
# make install PREFIX=..., make clean.  SANITIZE=1 builds with ASan+UBSan.

CC      ?= cc
PREFIX  ?= /usr/local
BUILD   := build
VERSION := 0.1.0

WARN    := -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes -Wmissing-prototypes \
           -Wformat=2 -Wundef
CFLAGS  ?= -O2 -g
ifeq ($(SANITIZE),1)
CFLAGS  := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=address,undefined
endif
CFLAGS_EXTRA ?=
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DSOP_VERSION='"$(VERSION)"' $(WARN) $(CFLAGS) $(CFLAGS_EXTRA) \
             $(addprefix -I,$(INCDIRS)) -MMD -MP
LIBS    := -lcsv -ljansson -lz -lutf8proc -lpcre2-8 -lm

INCDIRS  := lib/core lib/io lib/models
LIB_SRC  := $(wildcard lib/core/*.c lib/io/*.c lib/models/*.c)
GEN_OBJ  := gen/scorecard_default.o gen/t2s_table.o
LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) $(addprefix $(BUILD)/,$(GEN_OBJ))
LIB_A    := $(BUILD)/libsalesops.a
PROGRAMS := $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
BINS     := $(addprefix bin/,$(PROGRAMS))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all deps demo check unit cases bench install clean memcheck
.SECONDARY:
all: $(BINS)

# make runs the installer only when a dependency is missing
deps:
	@scripts/install-deps --check >/dev/null 2>&1 || scripts/install-deps

# rebuild everything when the flags change (e.g. SANITIZE=1 and back)
$(BUILD)/flags: deps FORCE
	@mkdir -p $(BUILD)
	@echo '$(CC) $(ALL_CFLAGS) $(LDFLAGS)' | cmp -s - $@ || echo '$(CC) $(ALL_CFLAGS) $(LDFLAGS)' > $@
FORCE:

$(BUILD)/%.o: %.c $(BUILD)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# the built-in scorecard is samples/scorecard.json, compiled in
$(BUILD)/gen/scorecard_default.c: samples/scorecard.json scripts/embed-json
	@mkdir -p $(dir $@)
	scripts/embed-json sop_scorecard_default_json < $< > $@
$(BUILD)/gen/scorecard_default.o: $(BUILD)/gen/scorecard_default.c $(BUILD)/flags
	$(CC) $(ALL_CFLAGS) -c $< -o $@

# OpenCC's t2s as a table of characters, made here so that no program loads
# OpenCC (C++) when it runs; the generator is the only thing linked with it
$(BUILD)/gen-t2s: scripts/gen-t2s.c lib/models/t2s_table.h | deps
	@mkdir -p $(BUILD)
	$(CC) -std=c11 -O1 $(WARN) -Ilib/models -o $@ $< -lopencc -lutf8proc
$(BUILD)/gen/t2s_table.c: $(BUILD)/gen-t2s
	@mkdir -p $(dir $@)
	$(BUILD)/gen-t2s > $@.tmp && mv $@.tmp $@
$(BUILD)/gen/t2s_table.o: $(BUILD)/gen/t2s_table.c $(BUILD)/flags
	$(CC) $(ALL_CFLAGS) -c $< -o $@

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

bin/%: $(BUILD)/cmd/%.o $(LIB_A)
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $< $(LIB_A) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_A) $(BUILD)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_A) $(LIBS) -lcmocka -lopencc

# the samples' reference time: their history and outcomes end there
DEMO_NOW := --now 2026-11-30T18:00+08:00 --tz Asia/Shanghai
DEMO_AUDIT := $(DEMO_NOW) --no-progress --reps samples/reps.csv --events samples/stage_events.csv \
              samples/activities.csv
DEMO_PHI := $(DEMO_NOW) --leads $(BUILD)/demo-assigned.csv --activities samples/activities.csv \
            --events samples/stage_events.csv --reps samples/reps.csv
DEMO_FUNNEL := $(DEMO_NOW) -q --no-progress --activities samples/activities.csv samples/stage_events.csv
demo: all
	@echo '== lead-score samples/leads.csv (first 12 leads, as a table) =='
	@bin/lead-score --no-progress samples/leads.csv -f table | head -n 13
	@echo
	@echo '== one lead explained =='
	@bin/lead-score --no-progress --explain -f jsonl samples/leads.csv | head -n 1
	@echo
	@echo '== a GBK export with Chinese headers, hot leads only =='
	@bin/lead-score --no-progress samples/dirty/leads-gbk.csv -f csv | awk -F, 'NR==1 || $$NF=="true"' | head -n 6
	@echo
	@echo '== how well the built-in scorecard ranks 2000 past leads (samples/lead_history.csv) =='
	@bin/lead-score --no-progress --evaluate --label converted -f table samples/lead_history.csv | head -n 20
	@echo
	@echo '== lead-assign: the scored samples handed out to samples/reps.csv (first 12, owner and why) =='
	@rm -f $(BUILD)/demo-assign.state $(BUILD)/demo-assign.state.lock
	@bin/lead-score -q --no-progress $(DEMO_NOW) samples/leads.csv | \
	  bin/lead-assign --no-progress $(DEMO_NOW) --reps samples/reps.csv --history samples/outcomes.csv \
	  --state $(BUILD)/demo-assign.state -f tsv | cut -f 1,4,14,17,19,20 | head -n 13
	@echo
	@echo '== lead-assign --report fairness: how fair that split was =='
	@bin/lead-assign $(DEMO_NOW) --report fairness --state $(BUILD)/demo-assign.state -f table
	@echo
	@echo '== followup-audit: to-dos from samples/activities.csv (count by type, then the first 3) =='
	@bin/followup-audit $(DEMO_AUDIT) -f csv | tail -n +2 | cut -d, -f1 | sort | uniq -c | sort -rn
	@bin/followup-audit $(DEMO_AUDIT) | head -n 3
	@echo
	@echo '== followup-audit --report heatmap: minutes per activity, next steps done, count =='
	@bin/followup-audit $(DEMO_AUDIT) --report heatmap -f table
	@echo
	@echo '== followup-audit --report coaching: who to coach on which stage =='
	@bin/followup-audit $(DEMO_AUDIT) --report coaching -f table
	@echo
	@echo '== funnel-diag: where the sample deals leak (stage events, any order) =='
	@bin/funnel-diag $(DEMO_NOW) --no-progress -f table samples/stage_events.csv
	@echo
	@echo '== funnel-diag --report reasons: why they were lost, per stage (first 8) =='
	@bin/funnel-diag $(DEMO_NOW) --no-progress --report reasons -f table samples/stage_events.csv | head -n 9
	@echo
	@echo '== funnel-diag --report evidence: won deals without the evidence chain, price losses without a value comparison =='
	@bin/funnel-diag $(DEMO_FUNNEL) --report evidence -f table
	@echo
	@echo '== funnel-diag --report actions: the improvement list =='
	@bin/funnel-diag $(DEMO_FUNNEL) --report actions
	@echo
	@echo '== funnel-diag --report attribution --model markov: which touches drive closes =='
	@bin/funnel-diag $(DEMO_FUNNEL) --report attribution --model markov -f table
	@echo
	@echo '== phi-calc --by team: the process health index per team and week (the last 4 weeks of each team) =='
	@bin/lead-score -q --no-progress $(DEMO_NOW) samples/leads.csv | \
	  bin/lead-assign -q --no-progress $(DEMO_NOW) --reps samples/reps.csv --history samples/outcomes.csv \
	  > $(BUILD)/demo-assigned.csv
	@bin/phi-calc $(DEMO_PHI) --by team -f csv | \
	  awk -F, 'NR == 1 || $$1 != t { if (NR > 1) for (i = n - 3; i <= n; i++) if (i > 0) print r[i]; t = $$1; n = 0 } \
	           NR == 1 { print; next } { r[++n] = $$0 } END { for (i = n - 3; i <= n; i++) print r[i] }' | \
	  cut -d, -f1,2,6,7,10,13,14,15,16,17,18,19
	@echo
	@echo '== phi-calc --report lead: does PHI lead the won amounts of samples/outcomes.csv? =='
	@bin/phi-calc $(DEMO_PHI) -q --report lead --performance samples/outcomes.csv -f csv | \
	  awk -F, 'NR == 1 || $$7 == "true"'
	@echo
	@echo '== funnel-diag --report breakpoints: 20000 generated stage events with a jump planted in the last week =='
	@python3 scripts/gen-samples --stage-events 20000 --jump 22 --out $(BUILD)/demo-events.csv
	@bin/funnel-diag --now 2026-11-30T00:00+08:00 --tz Asia/Shanghai --no-progress --report breakpoints \
	  -f csv $(BUILD)/demo-events.csv | cut -d, -f1,6,9,10,13,14
	@echo '   (the same size of pure noise flags nothing:)'
	@python3 scripts/gen-samples --stage-events 20000 --out $(BUILD)/demo-noise.csv
	@bin/funnel-diag --now 2026-11-30T00:00+08:00 --tz Asia/Shanghai --no-progress --report breakpoints \
	  -f csv $(BUILD)/demo-noise.csv | cut -d, -f1,6,9,10,13,14
	@echo
	@echo '== dedupe-clean --truth entity_id: samples/customers.csv (300 records of 197 customers, planted duplicates) =='
	@bin/dedupe-clean --no-progress --truth entity_id -f tsv samples/customers.csv > $(BUILD)/demo-tagged.tsv
	@echo '   (tagged: every record with its cluster; the first clusters of more than one record:)'
	@awk -F'\t' 'NR == 1 || $$12 > 1' $(BUILD)/demo-tagged.tsv | sort -t'	' -k11,11 -s | head -n 8 | \
	  cut -f2,4,5,11-14
	@echo
	@echo '== dedupe-clean --mode golden --log: one record per customer, and where each field came from =='
	@bin/dedupe-clean --no-progress -q --mode golden --log $(BUILD)/demo-lineage.jsonl -f tsv \
	  samples/customers.csv | awk -F'\t' 'NR == 1 || $$12 > 2' | head -n 4 | cut -f2-7,11,12
	@grep -m 1 '"size":3' $(BUILD)/demo-lineage.jsonl | cut -c 1-400
	@echo
	@echo '== dedupe-clean --master: the last 100 records against a master made of the first 200 (golden, cluster_id as customer_id) =='
	@head -n 201 samples/customers.csv | bin/dedupe-clean --no-progress -q --mode golden | \
	  sed '1s/cluster_id/customer_id/' > $(BUILD)/demo-master.csv
	@(head -n 1 samples/customers.csv; tail -n 100 samples/customers.csv) | \
	  bin/dedupe-clean --no-progress -q --master $(BUILD)/demo-master.csv -f tsv | \
	  awk -F'\t' 'NR > 1 { n[$$12]++ } END { printf "   %d records: %d of known customers, %d new\n", n["true"] + n["false"], n["false"], n["true"] }'
	@echo
	@echo '== dedupe-clean --normalize: cleaning without merging (company, phone, email; originals kept) =='
	@bin/dedupe-clean --no-progress -q --normalize company,phone,email --keep-raw -f tsv \
	  samples/customers.csv | head -n 4 | cut -f2,4,5,11-13

unit: $(UNIT_BIN)
check: all $(UNIT_BIN)
	@tests/run-all $(UNIT_BIN)

# every end-to-end case again, each program under valgrind memcheck: an
# error or a definite leak changes the status and stderr, so the case fails
memcheck: all
	@command -v valgrind >/dev/null || scripts/install-deps --memcheck
	@rm -rf $(BUILD)/memcheck && mkdir -p $(BUILD)/memcheck
	@for p in $(PROGRAMS); do \
	    printf '#!/bin/sh\nexec valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "%s" "$$@"\n' \
	        "$(CURDIR)/bin/$$p" > $(BUILD)/memcheck/$$p; chmod +x $(BUILD)/memcheck/$$p; done
	@SOP_BIN=$(CURDIR)/$(BUILD)/memcheck tests/run-cases

bench: all
	@scripts/install-deps --check --bench >/dev/null 2>&1 || scripts/install-deps --bench
	@scripts/bench

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	           $(DESTDIR)$(PREFIX)/share/man/man5 $(DESTDIR)$(PREFIX)/share/man/man7
	install -m 755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	install -m 644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 man/*.5 $(DESTDIR)$(PREFIX)/share/man/man5/
	install -m 644 man/*.7 $(DESTDIR)$(PREFIX)/share/man/man7/

clean:
	rm -rf $(BUILD) bin

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

# ===========================================================================
# fuzz: libFuzzer drivers in tests/fuzz/ (issue 9, item 1).
#   make fuzz [FUZZ_SECONDS=30] [FUZZ_RUNS=N] [-j2]
# Builds every tests/fuzz/fuzz_*.c with clang -fsanitize=fuzzer,address,undefined
# against the library sources compiled with the same flags (into build/fuzz/,
# apart from the normal build), then runs each driver for FUZZ_SECONDS on a
# copy of tests/fuzz/corpus/<driver>/ in build/fuzz/run/<driver>/.  Fails if
# any driver crashes; the reproducer is left in build/fuzz/run/<driver>/.
# FUZZ_RUNS stops a driver after N executions (whichever comes first): the
# long local hunt is `make fuzz FUZZ_SECONDS=7200 FUZZ_RUNS=10000000 -j2`.
# Needs clang's libFuzzer runtime (Debian: libclang-rt-14-dev, installed by
# scripts/install-deps --fuzz).
# ===========================================================================
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 30
FUZZ_RUNS    ?= -1   # -1: no limit but the time
FUZZ_SEED    ?= 1    # fixed, so a CI run is repeatable; vary it for longer hunts
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_PKG     := libclang-rt-14-dev
FUZZ_SAN     := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS   = -std=c11 -D_GNU_SOURCE -DSOP_VERSION='"$(VERSION)"' $(WARN) -O1 -g $(FUZZ_SAN) \
                -DSOP_READ_CHUNK=32768 \
                $(addprefix -I,$(INCDIRS)) -MMD -MP
FUZZ_DRIVERS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(addprefix $(FUZZ_DIR)/,$(FUZZ_DRIVERS))
FUZZ_LIB_OBJ := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRC)) $(addprefix $(FUZZ_DIR)/obj/,$(GEN_OBJ))

.PHONY: fuzz fuzz-build fuzz-runtime $(addprefix fuzz-run-,$(FUZZ_DRIVERS))
fuzz: $(addprefix fuzz-run-,$(FUZZ_DRIVERS))
	@echo 'fuzz: all drivers ran without a crash'
fuzz-build: $(FUZZ_BINS)

# clang and its libFuzzer runtime must be there (scripts/install-deps --fuzz)
fuzz-runtime: deps
	@scripts/install-deps --check --fuzz >/dev/null 2>&1 || scripts/install-deps --fuzz
	@mkdir -p $(FUZZ_DIR)
	@printf 'int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
	    > $(FUZZ_DIR)/runtime-check.c
	@$(FUZZ_CC) -fsanitize=fuzzer,address,undefined $(FUZZ_DIR)/runtime-check.c -o $(FUZZ_DIR)/runtime-check \
	    2>$(FUZZ_DIR)/runtime-check.log || { \
	    echo "fuzz: '$(FUZZ_CC) -fsanitize=fuzzer' cannot link: clang's libFuzzer runtime is missing." >&2; \
	    echo "fuzz: install the Debian package $(FUZZ_PKG) (and clang), e.g. sudo apt-get install clang $(FUZZ_PKG)" >&2; \
	    cat $(FUZZ_DIR)/runtime-check.log >&2; exit 1; }

$(FUZZ_DIR)/obj/%.o: %.c | fuzz-runtime
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_DIR)/obj/gen/%.o: $(BUILD)/gen/%.c | fuzz-runtime
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c $< -o $@

$(FUZZ_BINS): $(FUZZ_DIR)/%: $(FUZZ_DIR)/obj/tests/fuzz/%.o $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) $(FUZZ_SAN) -o $@ $^ $(LIBS)

$(addprefix fuzz-run-,$(FUZZ_DRIVERS)): fuzz-run-%: $(FUZZ_DIR)/%
	@rm -rf $(FUZZ_DIR)/run/$* && mkdir -p $(FUZZ_DIR)/run/$*
	@cp -r tests/fuzz/corpus/$* $(FUZZ_DIR)/run/$*/corpus
	@echo 'fuzz: $* for $(FUZZ_SECONDS)s (log: $(FUZZ_DIR)/run/$*/log)'
	@$(FUZZ_DIR)/$* -seed=$(FUZZ_SEED) -max_len=65536 -timeout=10 -max_total_time=$(FUZZ_SECONDS) -runs=$(FUZZ_RUNS) -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_DIR)/run/$*/ $(FUZZ_DIR)/run/$*/corpus > $(FUZZ_DIR)/run/$*/log 2>&1 \
	    && grep -h '^stat::number_of_executed_units' $(FUZZ_DIR)/run/$*/log | sed 's/^/fuzz: $*: /' \
	    || { echo 'fuzz: $* FAILED (crash or sanitizer report):' >&2; tail -n 60 $(FUZZ_DIR)/run/$*/log >&2; \
	         ls $(FUZZ_DIR)/run/$*/crash-* $(FUZZ_DIR)/run/$*/leak-* $(FUZZ_DIR)/run/$*/timeout-* \
	            $(FUZZ_DIR)/run/$*/oom-* 2>/dev/null >&2; exit 1; }
