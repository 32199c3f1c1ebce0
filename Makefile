# dspd - realtime ALSA DSP daemon.  Plain GNU make.
#   make            build daemon/dspd and ctl/dspctl
#   make check      install missing test packages, run every test (unit, sanitizers, e2e)
#   make install    PREFIX=/usr/local DESTDIR=
#   make bench      benchmarks (not part of check)

PREFIX    ?= /usr/local
BINDIR    ?= $(PREFIX)/bin
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
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
               -Idaemon $(PKG_CFLAGS) $(CFLAGS)
LIBS      := $(PKG_LIBS) -lm -pthread

# Build variants: rel (what ships), asan (ASan+UBSan), tsan (ThreadSanitizer).
FLAGS_rel  := -O2
FLAGS_asan := -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FLAGS_tsan := -O1 -fsanitize=thread

# one line per block family, so each can grow on its own
FX_FILTERS_SRC := daemon/fx_filters.c daemon/config_fx_filters.c daemon/biquad_design.c daemon/fx_biquad.c daemon/fx_biquad_wave.c
FX_FIR_SRC     := daemon/fx_fir.c daemon/config_fx_fir.c daemon/conv_filter.c daemon/conv_process.c daemon/conv_kernel.c daemon/ir_load.c
FX_BASIC_SRC   := daemon/fx_basic.c daemon/config_fx_basic.c daemon/fx_delay.c daemon/fx_mixer.c daemon/fx_dynamics.c daemon/fx_dither.c
FX_LADSPA_SRC  := daemon/fx_ladspa.c daemon/config_fx_ladspa.c daemon/ladspa_host.c
DAEMON_LIB_SRC := $(FX_FILTERS_SRC) $(FX_FIR_SRC) $(FX_BASIC_SRC) $(FX_LADSPA_SRC) daemon/log.c daemon/config.c daemon/config_syntax.c daemon/config_schema.c daemon/config_blocks.c daemon/format.c daemon/ring.c daemon/transition.c \
                  daemon/gain.c daemon/meter.c daemon/pipeline.c daemon/fx.c daemon/fx_gain.c daemon/fx_meter.c daemon/fx_loudcomp.c daemon/pcm.c daemon/engine.c daemon/engine_recover.c daemon/resampler.c daemon/rate_ctl.c daemon/load_hist.c daemon/fftw_wisdom.c \
                  daemon/proto.c daemon/methods.c daemon/methods_engine.c \
                  daemon/methods_config.c daemon/methods_effect.c daemon/methods_plugins.c daemon/device_wait.c daemon/apply.c daemon/state_file.c daemon/config_diff.c daemon/config_edit.c daemon/json_pointer.c daemon/json_patch.c daemon/subscriptions.c daemon/ctl_server.c \
                  daemon/sha256.c daemon/lifecycle.c daemon/render.c daemon/loudness.c
DAEMON_MAIN    := daemon/main.c
CTL_SRC        := ctl/dspctl.c ctl/rpc_client.c ctl/render.c ctl/render_pipeline.c ctl/jvalue.c \
                  ctl/cli.c ctl/cmd_basic.c ctl/cmd_config.c ctl/cmd_effect.c ctl/cmd_plugins.c ctl/cmd_stream.c ctl/cmd_record.c \
                  ctl/events.c ctl/meter_view.c ctl/wav.c ctl/prometheus.c ctl/completion.c
UNIT_TESTS     := format format_edges ring gain meter config config_errors proto sha256 delay mixer biquad biquad_response filters_config dynamics fir dither loudcomp transition config_edit json_patch state_file ladspa resampler rate_ctl load_hist
PLUGIN         := build/alsa/libasound_module_pcm_dspdtest.so

# `make demo`: dspd on the virtual paced device with live levels (README)
.PHONY: all clean check check-run demo deps unit unit-asan unit-tsan e2e e2e-asan e2e-tsan install bench plugin rig valgrind-check soak vec-report
.SECONDARY:

all: daemon/dspd ctl/dspctl

# ---- objects per variant ---------------------------------------------------
build/rel/%.o: %.c $(wildcard daemon/*.h ctl/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(FLAGS_rel) -c $< -o $@
build/asan/%.o: %.c $(wildcard daemon/*.h ctl/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(FLAGS_asan) -c $< -o $@
build/tsan/%.o: %.c $(wildcard daemon/*.h ctl/*.h tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(BASE_CFLAGS) $(FLAGS_tsan) -c $< -o $@

# libdspd.a, dspd, dspctl and the unit tests of one variant
define variant
build/$(1)/libdspd.a: $(patsubst %.c,build/$(1)/%.o,$(DAEMON_LIB_SRC))
	@rm -f $$@
	ar rcs $$@ $$^
build/$(1)/dspd: build/$(1)/daemon/main.o build/$(1)/libdspd.a
	$$(CC) $$(BASE_CFLAGS) $$(FLAGS_$(1)) $$^ -o $$@ $$(LIBS)
build/$(1)/dspctl: $(patsubst %.c,build/$(1)/%.o,$(CTL_SRC)) build/$(1)/libdspd.a
	$$(CC) $$(BASE_CFLAGS) $$(FLAGS_$(1)) $$^ -o $$@ $$(LIBS)
$(foreach t,$(UNIT_TESTS),build/$(1)/tests/test_$(t)): build/$(1)/tests/test_%: build/$(1)/tests/unit/test_%.o build/$(1)/libdspd.a
	$$(CC) $$(BASE_CFLAGS) $$(FLAGS_$(1)) $$^ -o $$@ $$(LIBS) -lcmocka
endef
$(foreach v,rel asan tsan,$(eval $(call variant,$(v))))

daemon/dspd: build/rel/dspd
	cp $< $@
ctl/dspctl: build/rel/dspctl
	cp $< $@

# ---- unit tests (cmocka) ---------------------------------------------------
UNIT_BINS = $(addprefix build/$(1)/tests/test_,$(UNIT_TESTS))

# ---- ALSA test device ------------------------------------------------------
$(PLUGIN): tests/alsa/pcm_dspdtest.c $(wildcard tests/alsa/dspdtest_*.c tests/alsa/dspdtest*.h)
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g $(WARN) -fPIC -DPIC -shared $(filter %.c,$^) -o $@ $(shell pkg-config --cflags --libs alsa) -lm
build/alsa/tests.conf: tests/alsa/tests.conf.in
	@mkdir -p $(dir $@)
	sed 's|@PLUGIN@|$(abspath $(PLUGIN))|g' $< > $@
build/alsa/rig_selftest: tests/alsa/rig_selftest.c tests/alsa/rig_faults.c tests/alsa/rig_clock.c tests/alsa/rig.h
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

check-run: unit unit-asan unit-tsan rig e2e e2e-asan e2e-tsan valgrind-check
	@echo "make check: all suites passed"

unit: $(call UNIT_BINS,rel)
	tests/run-unit.sh build/rel
unit-asan: $(call UNIT_BINS,asan)
	tests/run-unit.sh build/asan
unit-tsan: build/tsan/tests/test_ring
	tests/run-unit.sh build/tsan test_ring

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
# the smoke tour under valgrind memcheck: no error, no definite leak
valgrind-check: all plugin
	python3 tests/e2e/run.py --dspd tests/valgrind/dspd-memcheck --quick smoke_tour

build/rel/bench/bench_fir: build/rel/bench/bench_fir.o build/rel/libdspd.a
	$(CC) $(BASE_CFLAGS) $(FLAGS_rel) $^ -o $@ $(LIBS)
build/rel/bench/bench_biquad: build/rel/bench/bench_biquad.o build/rel/libdspd.a
	$(CC) $(BASE_CFLAGS) $(FLAGS_rel) $^ -o $@ $(LIBS)
build/rel/bench/bench_period: build/rel/bench/bench_period.o build/rel/libdspd.a
	$(CC) $(BASE_CFLAGS) $(FLAGS_rel) $^ -o $@ $(LIBS)
build/rel/bench/bench_resampler: build/rel/bench/bench_resampler.o build/rel/libdspd.a
	$(CC) $(BASE_CFLAGS) $(FLAGS_rel) $^ -o $@ $(LIBS)
build/rel/bench/bench_pipeline: build/rel/bench/bench_pipeline.o build/rel/libdspd.a
	$(CC) $(BASE_CFLAGS) $(FLAGS_rel) $^ -o $@ $(LIBS)
# Which loops of the RT kernels the compiler vectorised, per file (bench).
VEC_FILES := daemon/format.c daemon/meter.c daemon/gain.c daemon/fx_biquad.c daemon/conv_kernel.c daemon/conv_process.c daemon/fx_dynamics.c daemon/fx_delay.c daemon/fx_mixer.c daemon/transition.c
vec-report:
	@for f in $(VEC_FILES); do \
		n=$$($(CC) $(BASE_CFLAGS) $(FLAGS_rel) -fopt-info-vec-optimized -c $$f -o /dev/null 2>&1 | grep -c "loop vectorized"); \
		printf '  %-24s %3s loops vectorised\n' $$f $$n; \
	done
build/rel/bench/passthrough: bench/passthrough.c
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 -O2 -g $(WARN) -D_GNU_SOURCE $< -o $@ $(shell pkg-config --cflags --libs alsa) -pthread
bench: all plugin build/rel/bench/bench_period build/rel/bench/bench_biquad build/rel/bench/bench_fir build/rel/bench/bench_resampler build/rel/bench/bench_pipeline build/rel/bench/passthrough
	bench/run.sh

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
	install -m 0644 units/dspd.socket units/dspd-monitor.socket $(DESTDIR)$(UNITDIR)/
	install -m 0644 units/dspd.sysusers $(DESTDIR)$(SYSUSERSDIR)/dspd.conf
	install -m 0644 units/dspd.tmpfiles $(DESTDIR)$(TMPFILESDIR)/dspd.conf
	test -e $(DESTDIR)$(SYSCONFDIR)/dspd/dspd.conf || \
		install -m 0644 etc/dspd.conf $(DESTDIR)$(SYSCONFDIR)/dspd/dspd.conf
	install -m 0644 man/dspd.8 $(DESTDIR)$(MANDIR)/man8/dspd.8
	install -m 0644 man/dspctl.1 $(DESTDIR)$(MANDIR)/man1/dspctl.1
	install -m 0644 man/dspd.conf.5 $(DESTDIR)$(MANDIR)/man5/dspd.conf.5
	@test -n "$(DESTDIR)" || echo "installed; to run it: systemd-sysusers && " \
		"systemd-tmpfiles --create && systemctl daemon-reload && systemctl enable --now dspd"

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

build/fuzz/fuzz_dispatch: tests/fuzz/fuzz_dispatch.c $(DAEMON_LIB_SRC) $(wildcard daemon/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_FLAGS) $(WARN) -D_GNU_SOURCE -DDSPD_VERSION=\"$(VERSION)\" -Idaemon \
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
