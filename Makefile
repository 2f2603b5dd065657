# cdp - a customer data platform as small Unix programs.
# make            build every program in cmd/ over libcdp.a (common/)
# make check      build and run every test, also under ASan+UBSan, and a fuzz smoke
# make fuzz       run each libFuzzer target for 60 s (tests/fuzz/)
# make valgrind   the end-to-end tests under valgrind memcheck
# make demo       build and run the demo pipeline on data-samples/
# make install    PREFIX=/usr/local DESTDIR= : programs and man pages
# make bench      SCALE=N : the benchmark in tests/bench/

PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=c11 -D_GNU_SOURCE -Wall -Wextra -Icommon
CXX     ?= c++
CXXFLAGS ?= -O2 -g
CXXFLAGS += -std=c++17 -Wall -Wextra -Icommon
LDLIBS  += -lcsv -lyajl -lnettle -ldeflate -lz -lopenblas -lphonenumber -lre2 -lstdc++ -lm -lpthread
SCALE   ?= 10000

PROGS   := $(patsubst cmd/%.c,%,$(wildcard cmd/*.c))
LIBSRC  := $(wildcard common/*.c)
# C++ behind a C interface: rx.cc (RE2) in the library; phone.cc apart.
LIBCXX  := $(filter-out common/phone.cc,$(wildcard common/*.cc))
LIBOBJ  := $(LIBSRC:.c=.o) $(LIBCXX:.cc=.o)
# The programs that normalize new phone numbers take libphonenumber
# (common/phone.cc); --as-needed keeps it out of the others.
PHONE_PROGS := cdp-import cdp-forget cdp-export
LDFLAGS += -Wl,--as-needed
UNITSRC := $(wildcard tests/unit/test_*.c)
UNITS   := $(UNITSRC:.c=)
MANS    := $(wildcard man/*.[1-8])
DEPS_OK := .deps-ok

all: $(DEPS_OK) $(PROGS)

# Finds missing Debian packages and installs them when run as root.
$(DEPS_OK): .ci/deps
	sh .ci/deps
	@touch $@

common/libcdp.a: $(LIBOBJ)
	rm -f $@
	ar rcs $@ $(LIBOBJ)

$(LIBOBJ) common/phone.o: common/*.h $(DEPS_OK)

# libphonenumber is C++: common/phone.cc wraps it for normalize.c.
common/%.o: common/%.cc
	$(CXX) $(CXXFLAGS) -c -o $@ $<

$(PROGS): %: cmd/%.c common/libcdp.a common/phone.o common/*.h
	$(CC) $(CFLAGS) -o $@ $< $(if $(filter $@,$(PHONE_PROGS)),common/phone.o) common/libcdp.a \
	    $(LDFLAGS) $(LDLIBS)

tests/unit/test_%: tests/unit/test_%.c common/libcdp.a common/*.h tests/unit/*.h
	$(CC) $(CFLAGS) -o $@ $< common/libcdp.a $(LDFLAGS) $(LDLIBS)

units: $(UNITS)

# The sanitizer build lives in its own tree so it never mixes with the
# optimized objects.
SANDIR  := .build-san
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
san: $(DEPS_OK)
	@mkdir -p $(SANDIR)
	$(MAKE) --no-print-directory -f Makefile.san SANDIR=$(SANDIR) SANFLAGS="$(SANFLAGS)"

check: all units
	$(MAKE) --no-print-directory san
	sh tests/run

fuzz: $(DEPS_OK)
	sh tests/fuzz/run.sh 60

valgrind: all
	sh tests/valgrind.sh

demo: all
	sh data-samples/demo.sh

bench: all
	sh tests/bench/run.sh $(SCALE)

install: all
	mkdir -p $(DESTDIR)$(BINDIR)
	for p in $(PROGS); do install -m 0755 $$p $(DESTDIR)$(BINDIR)/$$p; done
	for m in $(MANS); do s=$${m##*.}; mkdir -p $(DESTDIR)$(MANDIR)/man$$s; \
		install -m 0644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done

fmt:
	clang-format -i cmd/*.c common/*.c common/*.h tests/unit/*.c

clean:
	rm -f $(PROGS) $(UNITS) common/*.o common/libcdp.a $(DEPS_OK)
	rm -rf $(SANDIR) tests/tmp tests/fuzz/out tests/bench/out demo.out
	rm -f data-samples/*.rejects.csv

.PHONY: all units san check fuzz valgrind demo bench install fmt clean
