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
LIB_OBJ  := $(patsubst %.c,$(BUILD)/%.o,$(LIB_SRC)) $(BUILD)/gen/scorecard_default.o
LIB_A    := $(BUILD)/libsalesops.a
PROGRAMS := $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
BINS     := $(addprefix bin/,$(PROGRAMS))
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))

.PHONY: all deps demo check unit cases bench install clean
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

$(LIB_A): $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

bin/%: $(BUILD)/cmd/%.o $(LIB_A)
	@mkdir -p bin
	$(CC) $(LDFLAGS) -o $@ $< $(LIB_A) $(LIBS)

$(BUILD)/tests/%: tests/unit/%.c $(LIB_A) $(BUILD)/flags
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $< $(LIB_A) $(LIBS) -lcmocka

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

unit: $(UNIT_BIN)
check: all $(UNIT_BIN)
	@tests/run-all $(UNIT_BIN)

bench: all
	@scripts/install-deps --bench >/dev/null 2>&1 || scripts/install-deps --bench
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
