# dspd - realtime ALSA DSP daemon.  Plain GNU make.
#   make            build daemon/dspd and ctl/dspctl
#   make check      install missing test packages, run every test (unit, sanitizers, e2e)
#   make install    PREFIX=/usr/local DESTDIR=
#   make bench      benchmarks (not part of check)
#   make soak-parallel  10 minutes of 8 x 65536-tap FIR on 2 threads, 0 xruns

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
DOCDIR    ?= $(PREFIX)/share/doc/dspd
# the web page's files; compiled in as http.root's default: give make and
# make install the same PREFIX (or WEBDIR)
WEBDIR    ?= $(PREFIX)/share/dspd/web
SYSCONFDIR ?= /etc
# systemd's directories: with PREFIX=/usr (a distribution package) where
# pkg-config's systemd.pc says; with any other PREFIX $(PREFIX)/lib/..., which
# systemd searches too for /usr/local (/usr/local/lib/systemd/system,
# /usr/local/lib/sysusers.d, /usr/local/lib/tmpfiles.d) and which keeps a
# local install out of the directories dpkg owns (/lib/systemd/system).
systemd_dir = $(if $(filter /usr,$(PREFIX)),$(or $(shell pkg-config --variable=$(1) systemd 2>/dev/null),/usr/lib/$(2)),$(PREFIX)/lib/$(2))
UNITDIR     ?= $(call systemd_dir,systemdsystemunitdir,systemd/system)
SYSUSERSDIR ?= $(call systemd_dir,sysusersdir,sysusers.d)
TMPFILESDIR ?= $(call systemd_dir,tmpfilesdir,tmpfiles.d)
VERSION   := 0.1.0

CC        ?= cc
PKGS      := alsa json-c libevent libsystemd fftw3f sndfile libebur128 samplerate
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS  := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter
BASE_CFLAGS := -std=gnu11 -g -pthread $(WARN) -D_GNU_SOURCE -DDSPD_VERSION=\"$(VERSION)\" \
               -DDSPD_WEB_DIR=\"$(WEBDIR)\" $(PKG_CFLAGS) $(CPPFLAGS) $(CFLAGS)
LIBS      := $(PKG_LIBS) -lm -pthread $(LDFLAGS)
CTL_LIBS  := $(shell pkg-config --libs json-c 2>/dev/null) -lm $(LDFLAGS)

# Build variants: rel (what ships), asan (ASan+UBSan), tsan (ThreadSanitizer).
FLAGS_rel  := -O2
FLAGS_asan := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FLAGS_tsan := -O1 -fsanitize=thread

# ---- layers (layers.conf, docs/ARCHITECTURE.md) ------------------------------
# Each folder compiles with -iquote for its own folder and the folders of the
# layers it may use (IQUOTE_<folder>), so a wrong-way #include "x.h" does not
# compile.  There is no -I for project folders.
build/layers.mk: layers.conf scripts/layers-mk.sh
	@mkdir -p $(dir $@)
	scripts/layers-mk.sh $< > $@
include build/layers.mk
iquote = $(IQUOTE_$(patsubst %/,%,$(dir $(1))))

# Every .c of a layer folder is built: a new file needs no Makefile edit.
COMMON_SRC     := $(wildcard lib/*.c proto/*.c)
DAEMON_LIB_SRC := $(foreach d,dsp config fx engine control,$(wildcard daemon/$(d)/*.c)) \
                  $(filter-out daemon/main.c,$(wildcard daemon/*.c))
CTL_SRC        := $(wildcard ctl/*.c)
UNIT_SRC       := $(wildcard tests/unit/*/test_*.c)
UNIT_TESTS     := $(patsubst %.c,%,$(UNIT_SRC))
PLUGIN         := build/alsa/libasound_module_pcm_dspdtest.so

# `make demo`: dspd on the virtual paced device with live levels (README)
.PHONY: all clean check check-run check-layers demo deps unit unit-asan unit-tsan e2e e2e-asan e2e-tsan install bench bench-parallel plugin rig valgrind-check soak soak-parallel vec-report
.SECONDARY:

all: daemon/dspd ctl/dspctl

# ---- objects per variant ---------------------------------------------------
# -MMD -MP: each object depends on the headers it includes, no more.
DEPFLAGS = -MMD -MP
build/rel/%.o: %.c build/layers.mk
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(FLAGS_rel) $(DEPFLAGS) $(call iquote,$<) -c $< -o $@
build/asan/%.o: %.c build/layers.mk
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(FLAGS_asan) $(DEPFLAGS) $(call iquote,$<) -c $< -o $@
build/tsan/%.o: %.c build/layers.mk
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(FLAGS_tsan) $(DEPFLAGS) $(call iquote,$<) -c $< -o $@
-include $(shell find build -name '*.d' 2>/dev/null)

# libcommon.a (lib/ and proto/: what dspd and dspctl share), libdspd.a (the
# daemon's layers), dspd, dspctl and the unit tests of one variant
define variant
build/$(1)/libcommon.a: $(patsubst %.c,build/$(1)/%.o,$(COMMON_SRC))
	@rm -f $$@
	ar rcs $$@ $$^
build/$(1)/libdspd.a: $(patsubst %.c,build/$(1)/%.o,$(DAEMON_LIB_SRC))
	@rm -f $$@
	ar rcs $$@ $$^
build/$(1)/dspd: build/$(1)/daemon/main.o build/$(1)/libdspd.a build/$(1)/libcommon.a
	$$(CC) $$(BASE_CFLAGS) $$(FLAGS_$(1)) $$^ -o $$@ $$(LIBS)
build/$(1)/dspctl: $(patsubst %.c,build/$(1)/%.o,$(CTL_SRC)) build/$(1)/libcommon.a
	$$(CC) $$(BASE_CFLAGS) $$(FLAGS_$(1)) $$^ -o $$@ $$(CTL_LIBS)
endef
# a unit test program: $(1) variant, $(2) tests/unit/LAYER/test_NAME
define unit_test
build/$(1)/tests/$(notdir $(2)): build/$(1)/$(2).o build/$(1)/libdspd.a build/$(1)/libcommon.a
	$$(CC) $$(BASE_CFLAGS) $$(FLAGS_$(1)) $$^ -o $$@ $$(LIBS) -lcmocka
endef
$(foreach v,rel asan tsan,$(eval $(call variant,$(v)))$(foreach t,$(UNIT_TESTS),$(eval $(call unit_test,$(v),$(t)))))

daemon/dspd: build/rel/dspd
	cp $< $@
ctl/dspctl: build/rel/dspctl
	cp $< $@

# ---- unit tests (cmocka) ---------------------------------------------------
UNIT_BINS = $(addprefix build/$(1)/tests/,$(notdir $(UNIT_TESTS)))

# ---- ALSA test device ------------------------------------------------------
$(PLUGIN): tests/alsa/pcm_dspdtest.c $(wildcard tests/alsa/dspdtest_*.c tests/alsa/dspdtest*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g $(WARN) -fPIC -DPIC -shared $(filter %.c,$^) -o $@ $(shell pkg-config --cflags --libs alsa) -lm
build/alsa/tests.conf: tests/alsa/tests.conf.in
	@mkdir -p $(dir $@)
	sed 's|@PLUGIN@|$(abspath $(PLUGIN))|g' $< > $@
build/alsa/rig_selftest: tests/alsa/rig_selftest.c tests/alsa/rig_faults.c tests/alsa/rig_clock.c tests/alsa/rig_source.c tests/alsa/rig.h
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g $(WARN) $(filter %.c,$^) -o $@ $(shell pkg-config --cflags --libs alsa) -lm
plugin: $(PLUGIN) build/alsa/tests.conf build/alsa/rig_selftest

# ---- check -----------------------------------------------------------------
deps:
	tests/install-deps.sh

demo:
	tests/install-deps.sh
	$(MAKE) all plugin
	scripts/demo.sh

check: deps
	$(MAKE) check-run

check-run: check-layers unit unit-asan unit-tsan rig e2e e2e-asan e2e-tsan valgrind-check
	@echo "make check: all suites passed"

# The layers hold (layers.conf): no wrong-way include or call, no call cycle
# between .c files, no json-c or libevent below control/.  The checker's
# own test runs first: it must fail on a tree with one violation of each kind.
# Error codes are spelled as numbers in proto/proto.h only.
check-layers: build/rel/dspd build/rel/dspctl $(call UNIT_BINS,rel)
	sh tests/layers/run.sh
	python3 scripts/check-layers.py --objects build/rel
	@! grep -rnE --include='*.[ch]' -e '-32[0-9]{3}' daemon ctl lib proto | grep -v '^proto/proto.h:' \
		|| { echo "check-layers: JSON-RPC error codes belong in proto/proto.h (enum rpc_code) only"; exit 1; }

unit: $(call UNIT_BINS,rel)
	tests/run-unit.sh build/rel
unit-asan: $(call UNIT_BINS,asan)
	tests/run-unit.sh build/asan
unit-tsan: build/tsan/tests/test_ring build/tsan/tests/test_schedule
	tests/run-unit.sh build/tsan test_ring test_schedule

rig: plugin
	ALSA_CONFIG_PATH=/usr/share/alsa/alsa.conf:$(abspath build/alsa/tests.conf) build/alsa/rig_selftest
e2e: all plugin rig
	python3 tests/e2e/run.py --dspd daemon/dspd --dspctl ctl/dspctl
# the engine and control thread under ThreadSanitizer, end to end
e2e-tsan: all build/tsan/dspd plugin
	python3 tests/e2e/run.py --dspd build/tsan/dspd --dspctl ctl/dspctl --quick
e2e-asan: build/asan/dspd build/asan/dspctl plugin
	python3 tests/e2e/run.py --dspd build/asan/dspd --dspctl build/asan/dspctl --quick
# an hour of operation and faults on the paced device (not in make check):
# SOAK_SECONDS=600 make soak for a shorter one
soak: all plugin
	python3 tests/soak/soak.py
# 8 channels x 65536 taps on 2 threads for 10 minutes of device time on the
# paced device: 0 xruns (issue 19; not in make check or make bench)
SOAK_PARALLEL_SECONDS ?= 600
soak-parallel: all plugin
	python3 bench/bench_parallel_live.py --soak $(SOAK_PARALLEL_SECONDS)
# the smoke tour under valgrind memcheck: no error, no definite leak
valgrind-check: all plugin
	python3 tests/e2e/run.py --dspd tests/valgrind/dspd-memcheck --quick smoke_tour

BENCH_BINS := $(addprefix build/rel/bench/,bench_fir bench_biquad bench_period bench_resampler bench_pipeline)
$(BENCH_BINS): build/rel/bench/%: build/rel/bench/%.o build/rel/libdspd.a build/rel/libcommon.a
	$(CC) $(BASE_CFLAGS) $(FLAGS_rel) $^ -o $@ $(LIBS)
# Which loops of the RT kernels the compiler vectorised, per file (bench).
VEC_FILES := daemon/dsp/format.c daemon/dsp/meter.c daemon/dsp/gain.c daemon/dsp/biquad.c daemon/dsp/biquad_scalar.c daemon/dsp/conv_kernel.c daemon/dsp/conv_process.c daemon/fx/fx_dynamics.c daemon/fx/fx_delay.c daemon/fx/fx_mixer.c daemon/engine/transition_rt.c
vec-report:
	@$(foreach f,$(VEC_FILES),\
		n=$$($(CC) $(BASE_CFLAGS) $(FLAGS_rel) $(call iquote,$(f)) -fopt-info-vec-optimized -c $(f) -o /dev/null 2>&1 | grep -c "loop vectorized"); \
		printf '  %-32s %3s loops vectorised\n' $(f) $$n;)
build/rel/bench/passthrough: bench/passthrough.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE $< -o $@ $(shell pkg-config --cflags --libs alsa) -pthread
bench: all plugin $(BENCH_BINS) build/rel/bench/passthrough
	bench/run.sh
# the parallel pipeline's figures alone (also part of make bench)
bench-parallel: all plugin
	python3 bench/bench_parallel.py
	python3 bench/bench_parallel_live.py

# ---- install ---------------------------------------------------------------
# dspd.service names /usr/local/sbin and /etc as installed by default; the
# copy installed names $(SBINDIR) and $(SYSCONFDIR).  The existing
# dspd.conf is never overwritten.
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR) $(DESTDIR)$(SYSCONFDIR)/dspd \
		$(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 build/units
	install -m 0755 daemon/dspd $(DESTDIR)$(SBINDIR)/dspd
	install -m 0755 ctl/dspctl $(DESTDIR)$(BINDIR)/dspctl
	sed -e 's|/usr/local/sbin/|$(SBINDIR)/|g' -e 's|/etc/dspd/|$(SYSCONFDIR)/dspd/|g' \
		units/dspd.service > build/units/dspd.service
	install -m 0644 build/units/dspd.service $(DESTDIR)$(UNITDIR)/dspd.service
	install -m 0644 units/dspd.socket units/dspd-monitor.socket units/dspd-http.socket \
		$(DESTDIR)$(UNITDIR)/
	install -d $(DESTDIR)$(WEBDIR)
	install -m 0644 web/index.html web/app.js web/app.css $(DESTDIR)$(WEBDIR)/
	install -m 0644 units/dspd.sysusers $(DESTDIR)$(SYSUSERSDIR)/dspd.conf
	install -m 0644 units/dspd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/dspd.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/dspd/dspd.conf || \
		install -m 0644 etc/dspd.conf $(DESTDIR)$(SYSCONFDIR)/dspd/dspd.conf
	install -m 0644 man/dspd.8 $(DESTDIR)$(MANDIR)/man8/dspd.8
	install -m 0644 man/dspctl.1 $(DESTDIR)$(MANDIR)/man1/dspctl.1
	install -m 0644 man/dspd.conf.5 $(DESTDIR)$(MANDIR)/man5/dspd.conf.5
	install -d $(DESTDIR)$(DOCDIR)/examples
	install -m 0644 etc/examples/*.conf etc/examples/*.wav etc/examples/*.py \
		$(DESTDIR)$(DOCDIR)/examples/
	@test -n "$(DESTDIR)" || echo "installed; to run it: systemd-sysusers && " \
		"systemd-tmpfiles --create && systemctl daemon-reload && systemctl enable --now dspd"

# ---- Debian package (debian/) -------------------------------------------------
# `make deb`: dpkg-buildpackage -us -uc -b in a copy of the tree, the .deb in
# build/deb/, lintian with no error.  `make check-deb`: that, then the package
# installed, started, removed and purged under a real systemd in a
# throwaway container (also part of e2e, as test_systemd_deb).
.PHONY: deb check-deb
deb:
	scripts/build-deb.sh build/deb
check-deb: plugin
	tests/systemd/deb_e2e.sh

# only the systemd tests (also part of e2e): sd_notify, the units, and the
# service under a real systemd in a throwaway container (~15 s)
.PHONY: check-systemd
check-systemd: all plugin
	python3 tests/e2e/run.py --dspd daemon/dspd --dspctl ctl/dspctl systemd

clean:
	rm -rf build daemon/dspd ctl/dspctl

# ---- dspctl: bash completion and protocol man page --------------------------
# etc/bash-completion/dspctl is committed; `make completion` regenerates it
# from dspctl's command table and ctl-check (part of check) fails when stale.
.PHONY: completion ctl-check install-ctl-extras
completion: ctl/dspctl
	ctl/dspctl --complete-script > etc/bash-completion/dspctl
ctl-check: ctl/dspctl
	tests/ctl/test_completion.sh ctl/dspctl
	tests/ctl/test_effect_args.sh ctl/dspctl
check-run: ctl-check
install: install-ctl-extras
install-ctl-extras: all
	install -d $(DESTDIR)$(MANDIR)/man7 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 0644 man/dspd-protocol.7 $(DESTDIR)$(MANDIR)/man7/dspd-protocol.7
	install -m 0644 etc/bash-completion/dspctl \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/dspctl

# ---- fuzzing (clang libFuzzer; ASan, UBSan, LeakSanitizer) -----------------
# The daemon sources are compiled with clang in the one link: gcc's ASan
# objects cannot be mixed with clang's libFuzzer runtime.
.PHONY: fuzz fuzz-check
FUZZ_CC    ?= clang
FUZZ_FLAGS := -std=gnu11 -g -O1 -fno-omit-frame-pointer \
              -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_RUN    = mkdir -p build/fuzz/corpus build/fuzz/artifacts && \
              build/fuzz/fuzz_dispatch -timeout=10 -print_final_stats=1 \
              -artifact_prefix=build/fuzz/artifacts/ build/fuzz/corpus tests/fuzz/corpus

build/fuzz/fuzz_dispatch: tests/fuzz/fuzz_dispatch.c $(COMMON_SRC) $(DAEMON_LIB_SRC) $(foreach d,$(LAYER_DIRS),$(wildcard $(d)/*.h)) build/layers.mk
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(WARN) -D_GNU_SOURCE -DDSPD_VERSION=\"$(VERSION)\" $(IQUOTE_tests/fuzz) \
		$(PKG_CFLAGS) $(filter %.c,$^) -o $@ $(PKG_LIBS) -lm -pthread
fuzz-check: build/fuzz/fuzz_dispatch
	$(FUZZ_RUN) -max_total_time=60
fuzz: build/fuzz/fuzz_dispatch
	$(FUZZ_RUN) -max_total_time=600
check-run: fuzz-check

# ---- malloc-counting interposer: tests/e2e/test_rt_alloc.py preloads it ----
build/malloc/libmalloc_count.so: tests/malloc/malloc_count.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE -fPIC -shared $< -o $@ -ldl
e2e: build/malloc/libmalloc_count.so
