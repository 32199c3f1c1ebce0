/* main.c - dspd's entry point and control thread: options, startup, the
 * libevent loop (control sockets, signals, the 10 ms tick that drains the
 * engine's events, feeds subscribers and pets the systemd watchdog) and
 * shutdown.  Everything here runs on the control thread.
 *
 * The watchdog (WatchdogSec= in dspd.service) guards the audio thread, not
 * this one: WATCHDOG=1 goes out every half interval only while the RT
 * thread shows progress, i.e. its processed-frames or re-sync counter
 * moved within two periods plus WATCHDOG_SLACK_NS.  While the engine is
 * starting or re-syncing after an xrun (bounded backoff, at most 2 s
 * between attempts) nothing moves until a restart succeeds; that counts
 * as progress for up to WATCHDOG_RECOVERY_NS.  A DSP thread that hangs, or
 * a device that stays unrecoverable that long, stops the pings and systemd
 * restarts the service, which reopens the devices from scratch. */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <systemd/sd-journal.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "change.h"
#include "daemon.h"
#include "clock_trim.h"
#include "device_wait.h"
#include "volume_link.h"
#include "dispatch.h"
#include "http.h"
#include "silence.h"
#include "source.h"
#include "subscriptions.h"
#include "log.h"
#include "fftw_wisdom.h"
#include "ir_policy.h"
#include "build.h"
#include "response_job.h"
#include "render.h"
#include "loudness.h"

#define DEFAULT_CONFIG "/etc/dspd/dspd.conf"

#define WATCHDOG_SLACK_NS    200000000ull        /* scheduler hiccups */
#define WATCHDOG_RECOVERY_NS 60000000000ull      /* re-syncing that long: restart */

/* journalctl MESSAGE_ID=... lists every xrun */
#define XRUN_MESSAGE_ID "5d1c0e7b3a8f4c2e9b6d4a1f0e2c7b93"

struct watchdog {
	uint64_t interval_ns;        /* WATCHDOG_USEC; 0: no watchdog */
	uint64_t next_ping_ns;
	uint64_t last_progress_ns;   /* when the counters last moved */
	uint64_t processed, resyncs; /* the counters as last seen */
	bool withheld;               /* pings stopped: the RT thread is stuck */
};

static struct watchdog watchdog;
static bool journal_attached;    /* stderr is a journald stream */

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: dspd [OPTIONS]\n"
		"       dspd --render [-c FILE] [--threads N|auto] IN OUT\n"
		"Realtime ALSA DSP daemon: capture -> DSP pipeline -> playback, gaplessly.\n\n"
		"  -c, --config FILE    configuration file (default " DEFAULT_CONFIG ")\n"
		"      --socket PATH    control socket (overrides control.socket)\n"
		"      --check-config   validate the configuration, print every error, exit\n"
		"      --render IN OUT  process the audio file IN into OUT with the\n"
		"                       configured pipeline, as fast as possible; \"-\" is\n"
		"                       raw samples on stdin/stdout in capture/playback.format\n"
		"      --threads N|auto with --render: the pipeline's threads (overrides\n"
		"                       threads; the output is the same bit for bit)\n"
		"  -v, --verbose        debug logging\n"
		"  -h, --help           this help\n"
		"  -V, --version        print the version\n\n"
		"Signals: SIGHUP reloads the configuration, SIGTERM/SIGINT stop.\n"
		"Exit status: 0 ok, 1 runtime failure (e.g. device), 2 usage,\n"
		"78 configuration rejected.\n"
		"See dspd(8), dspd.conf(5), dspctl(1), dspd-protocol(7).\n");
}

/* JOURNAL_STREAM names the device and inode of the stream systemd
 * connected to stderr (systemd.exec(5)). */
static bool stderr_is_journal(void)
{
	const char *stream = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return stream && sscanf(stream, "%llu:%llu", &dev, &ino) == 2 &&
	       fstat(STDERR_FILENO, &st) == 0 &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

static void on_xrun(const struct eng_xrun *x, void *data)
{
	static const char *const names[] = { "?", "capture", "playback", "capture+playback" };
	static const char *const causes[] = { "xrun", "suspend", "device timeout", "I/O error",
	                                      "device lost", "late period" };
	struct ctl_context *ctx = data;
	const char *dir = names[x->directions & 3];
	const char *cause = causes[x->cause >= 0 && x->cause <= ENG_XRUN_LATE ? x->cause : 3];
	unsigned long long lost = (unsigned long long)x->frames_lost;
	char msg[256];

	if (x->cause == ENG_XRUN_LATE)
		snprintf(msg, sizeof(msg), "late period: a pipeline worker %s block \"%s\"; "
		         "%llu frames played as silence, streams kept running",
		         x->error == -EBUSY ? "was still in" : "did not finish",
		         x->block[0] ? x->block : "?", lost);
	else if (x->cause == ENG_XRUN_LOST)
		snprintf(msg, sizeof(msg), "%s %s (%s): output stopped, waiting for the device",
		         dir, cause, strerror(-x->error));
	else
		snprintf(msg, sizeof(msg), "%s %s (%s): %llu frames lost, streams re-synced",
		         dir, cause, strerror(-x->error), lost);
	/* under journald the same line, with fields to filter and count by */
	if (!journal_attached ||
	    sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", LOG_WARNING,
	                    "SYSLOG_IDENTIFIER=dspd", "MESSAGE_ID=" XRUN_MESSAGE_ID,
	                    "DSPD_XRUN_DIRECTIONS=%s", dir, "DSPD_XRUN_CAUSE=%s", cause,
	                    "DSPD_XRUN_ERRNO=%d", -x->error,
	                    "DSPD_XRUN_FRAMES_LOST=%llu", lost, NULL) < 0)
		log_warning("%s", msg);
	if (ctx)
		ctl_notify_xrun(ctx, x);
}

static void watchdog_init(struct watchdog *w)
{
	uint64_t usec;

	if (sd_watchdog_enabled(0, &usec) <= 0)
		return;
	w->interval_ns = usec * 1000u;
	w->last_progress_ns = w->next_ping_ns = monotonic_ns();
	log_info("systemd watchdog: %.1f s, pinged while the audio thread makes progress",
	         usec / 1e6);
}

/* How long the RT thread may show no progress and still be healthy. */
static uint64_t watchdog_patience_ns(const struct eng_status *st)
{
	uint64_t period_ns = (uint64_t)st->period_frames * 1000000000u / st->rate;

	/* stalled: the thread waits out bounded timeouts, then the device
	 * is reopened (ENG_STALL_LIMIT) */
	if (st->state == ENG_STARTING || st->state == ENG_RECOVERING ||
	    st->state == ENG_STALLED)
		return WATCHDOG_RECOVERY_NS;
	return 2 * period_ns + WATCHDOG_SLACK_NS;
}

static void watchdog_withhold(struct watchdog *w, const struct eng_status *st,
                              uint64_t quiet_ns)
{
	if (w->withheld)
		return;
	w->withheld = true;
	log_err("audio thread stuck (%s): no period processed for %llu ms; "
	        "watchdog pings withheld, systemd restarts dspd if it stays so",
	        eng_state_name(st->state), (unsigned long long)(quiet_ns / 1000000u));
	sd_notifyf(0, "STATUS=audio thread stuck (%s): no period processed for %llu ms",
	           eng_state_name(st->state), (unsigned long long)(quiet_ns / 1000000u));
}

/* Every tick: note progress, ping at half the interval while healthy. */
static void watchdog_tick(struct watchdog *w, struct daemon *d)
{
	uint64_t now = monotonic_ns(), quiet_ns;
	struct eng_status st;

	if (!w->interval_ns)
		return;
	engine_status(d->engine, &st);
	/* != rather than >: a reload starts a new engine from zero; waiting
	 * for a lost device is this loop's job, not a hang */
	if (st.processed != w->processed || st.resyncs != w->resyncs ||
	    st.state == ENG_WAITING) {
		w->processed = st.processed;
		w->resyncs = st.resyncs;
		w->last_progress_ns = now;
	}
	quiet_ns = now - w->last_progress_ns;
	if (quiet_ns > watchdog_patience_ns(&st)) {
		watchdog_withhold(w, &st, quiet_ns);
		return;
	}
	if (w->withheld) {
		w->withheld = false;
		log_warning("audio thread moves again; watchdog pings resume");
		daemon_notify_status(d);
	}
	if (now >= w->next_ping_ns) {
		sd_notify(0, "WATCHDOG=1");
		w->next_ping_ns = now + w->interval_ns / 2;
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	static unsigned ticks;

	engine_poll(d->engine, on_xrun, &d->ctx);
	ctl_build_tick(&d->ctx);    /* a pipeline built off the loop */
	ctl_response_tick(&d->ctx); /* a pipeline.response computed off the loop */
	ctl_tick(&d->ctx);
	ctl_device_tick(&d->ctx);
	ctl_source_tick(&d->ctx);
	ctl_silence_tick(&d->ctx);
	ctl_clock_trim_tick(&d->ctx);
	volume_link_tick(&d->ctx);
	daemon_save_state(d, false);
	daemon_watch_clocks(d);
	watchdog_tick(&watchdog, d);
	/* while stuck, STATUS= keeps saying so */
	if (++ticks % 100 == 0 && !watchdog.withheld)
		daemon_notify_status(d);
	/* what new FIR plans measured, for the next start (every 5 s) */
	if (ticks % 500 == 1)
		fftw_wisdom_save(d->cfg.fftw_wisdom);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	static struct cfg_errors errs;
	struct daemon *d = arg;

	if (sig == SIGHUP) {
		struct ctl_origin by = { .method = "SIGHUP", .what = "SIGHUP reload" };
		struct ctl_change_result res;

		daemon_reload(&d->ctx, NULL, &by, &errs, &res);
		return;
	}
	log_info("%s received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1\nSTATUS=stopping");
	event_base_loopbreak(d->base);
}

/* Sockets passed by systemd (socket activation): "monitor" and "http"
 * (a TCP socket, dspd-http.socket) by name, any other is the control
 * socket.  Returns how many were taken. */
static int inherited_sockets(int *control_fd, int *monitor_fd, int *http_fd)
{
	char **names = NULL;
	int n = sd_listen_fds_with_names(1, &names);

	*control_fd = *monitor_fd = *http_fd = -1;
	for (int i = 0; i < n; i++) {
		int fd = SD_LISTEN_FDS_START + i;

		if (names && names[i] && strcmp(names[i], "http") == 0) {
			if (sd_is_socket_inet(fd, 0, SOCK_STREAM, 1, 0) <= 0)
				log_warning("inherited fd %d named http is not a listening TCP socket; ignored", fd);
			else
				*http_fd = fd;
		} else if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0)
			log_warning("inherited fd %d is not a listening Unix stream socket; ignored", fd);
		else if (names && names[i] && strcmp(names[i], "monitor") == 0)
			*monitor_fd = fd;
		else
			*control_fd = fd;
	}
	for (int i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	return n < 0 ? 0 : n;
}

/* The web page: the "http" section, or a socket systemd passes. */
static int open_http(struct daemon *d, int fd)
{
	char err[512];
	int r;

	if (!d->cfg.http.enabled) {
		if (fd >= 0)
			log_warning("systemd passed an http socket but the configuration "
			            "has no \"http\" section: the web page stays off");
		return 0;
	}
	if ((r = ctl_http_open(&d->ctx.http, d->base, &d->ctx, &d->cfg, fd, err,
	                       sizeof(err))) < 0)
		log_err("%s", err);
	return r;
}

static int open_servers(struct daemon *d)
{
	struct ctl_listen control = {
		.path = d->cfg.socket_path, .mode = 0660, .group = d->cfg.socket_group,
		.limits = &d->ctx.limits,
	};
	struct ctl_listen monitor = {
		.path = d->cfg.monitor_socket_path, .read_only = true, .mode = 0666,
		.group = "", .limits = &d->ctx.limits,
	};
	struct ctl_server_handler handler = dispatch_handler(&d->ctx);
	char err[256];
	int r, http_fd;

	if (inherited_sockets(&control.fd, &monitor.fd, &http_fd) > 0)
		log_info("using sockets passed by systemd");
	ctl_limits_init(&d->ctx.limits, &d->cfg,
	                monitor.fd >= 0 || monitor.path[0] ? 2 : 1);
	if (control.fd >= 0)
		control.path = "(socket activation)";
	if ((r = ctl_server_open(&d->ctx.servers[0], d->base, &control, &handler,
	                         err, sizeof(err))) < 0) {
		log_err("%s", err);
		return r;
	}
	if ((r = open_http(d, http_fd)) < 0)
		return r;
	if (monitor.fd < 0 && !monitor.path[0])
		return 0;
	if (monitor.fd >= 0)
		monitor.path = "(socket activation)";
	if ((r = ctl_server_open(&d->ctx.servers[1], d->base, &monitor, &handler,
	                         err, sizeof(err))) < 0)
		log_err("%s", err);
	return r;
}

/* Two priorities: the tick and the signals (0) before the clients' socket
 * events (1, the default).  After 10 ms of client callbacks libevent looks
 * for a due tick again, so that many clients with heavy requests at once
 * delay the meters, record data and the watchdog by one request at most,
 * not by all of them. */
static struct event_base *new_base(void)
{
	const struct timeval slice = { 0, 10000 };
	struct event_config *cfg = event_config_new();
	struct event_base *base;

	if (!cfg)
		return NULL;
	event_config_set_max_dispatch_interval(cfg, &slice, -1, 1);
	base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	if (base && event_base_priority_init(base, 2) < 0) {
		event_base_free(base);
		return NULL;
	}
	return base;
}

static int setup_loop(struct daemon *d)
{
	const struct timeval tick = { 0, 10000 };

	d->base = new_base();
	if (!d->base)
		return -ENOMEM;
	d->tick = event_new(d->base, -1, EV_PERSIST, on_tick, d);
	d->sig_term = evsignal_new(d->base, SIGTERM, on_signal, d);
	d->sig_int = evsignal_new(d->base, SIGINT, on_signal, d);
	d->sig_hup = evsignal_new(d->base, SIGHUP, on_signal, d);
	if (!d->tick || !d->sig_term || !d->sig_int || !d->sig_hup)
		return -ENOMEM;
	event_priority_set(d->tick, 0);
	event_priority_set(d->sig_term, 0);
	event_priority_set(d->sig_int, 0);
	event_priority_set(d->sig_hup, 0);
	event_add(d->tick, &tick);
	event_add(d->sig_term, NULL);
	event_add(d->sig_int, NULL);
	event_add(d->sig_hup, NULL);
	return open_servers(d);
}

static void log_final_counters(struct engine *e)
{
	struct eng_status st;

	engine_stop(e);
	engine_poll(e, on_xrun, NULL);
	engine_status(e, &st);
	log_info("stopped: frames captured %llu processed %llu played %llu "
	         "dropped %llu; xruns capture %llu playback %llu",
	         (unsigned long long)st.captured, (unsigned long long)st.processed,
	         (unsigned long long)st.played, (unsigned long long)st.dropped,
	         (unsigned long long)st.xruns_capture,
	         (unsigned long long)st.xruns_playback);
}

static void teardown(struct daemon *d)
{
	ctl_build_free(&d->ctx);    /* a build in progress ends (and answers) */
	ctl_http_close(d->ctx.http);
	d->ctx.http = NULL;
	ctl_response_free(&d->ctx);
	ctl_server_close(d->ctx.servers[0]);
	ctl_server_close(d->ctx.servers[1]);
	volume_link_stop(&d->ctx);
	loudness_stop(d->ctx.loudness);
	ctl_source_free(&d->ctx);
	ctl_silence_free(&d->ctx);
	ctl_clock_trim_free(&d->ctx);
	daemon_save_state(d, true);
	/* plans measured since the last tick's save (it runs every 5 s) */
	fftw_wisdom_save(d->cfg.fftw_wisdom);
	ctl_ir_policy_free(&d->ctx);
	if (d->engine) {
		log_final_counters(d->engine);
		engine_destroy(d->engine);
	}
	json_object_put(d->ctx.config.json);
	if (d->tick)
		event_free(d->tick);
	if (d->sig_term)
		event_free(d->sig_term);
	if (d->sig_int)
		event_free(d->sig_int);
	if (d->sig_hup)
		event_free(d->sig_hup);
	if (d->base)
		event_base_free(d->base);
}

/* Many control clients need many descriptors: use the hard limit. */
static void raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* --threads: "auto" (0) or 1..CFG_MAX_THREADS. */
static int parse_threads_option(const char *s, int *ret)
{
	char *end;
	long n;

	if (strcmp(s, "auto") == 0) {
		*ret = 0;
		return 0;
	}
	n = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || n < 1 || n > CFG_MAX_THREADS) {
		fprintf(stderr, "dspd: --threads %s: give 1 to %d, or auto\n", s,
		        CFG_MAX_THREADS);
		return -EINVAL;
	}
	*ret = (int)n;
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "render", no_argument, NULL, 'R' },
		{ "threads", required_argument, NULL, 'T' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct daemon d;
	static struct dspd_config first;
	struct state_restored restored = { .has_volume = false };
	static struct cfg_errors errs;
	const char *config_path = DEFAULT_CONFIG;
	bool check_only = false, render = false;
	int threads = -1;                 /* --threads: 0 auto, -1 not given */
	int verbosity = 0, c, r, status = 0;
	sigset_t signals;

	while ((c = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': config_path = optarg; break;
		case 's': d.ctx.socket_override = optarg; break;
		case 'C': check_only = true; break;
		case 'R': render = true; break;
		case 'T':
			if (parse_threads_option(optarg, &threads) < 0)
				return 2;
			break;
		case 'v': verbosity++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("dspd %s\n", DSPD_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (render && argc - optind != 2) {
		fprintf(stderr, "dspd: --render needs IN and OUT\n");
		usage(stderr);
		return 2;
	}
	if (threads >= 0 && !render) {
		fprintf(stderr, "dspd: --threads goes with --render (the daemon takes "
		        "\"threads\" from its configuration)\n");
		return 2;
	}
	if (!render && optind < argc) {
		fprintf(stderr, "dspd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	log_init(verbosity);
	journal_attached = stderr_is_journal();
	/* Signals wait (blocked) until the loop handles them: a SIGHUP or
	 * SIGTERM while starting is acted on once ready, never fatal.  The RT
	 * thread inherits the mask, so only the control thread takes them. */
	sigemptyset(&signals);
	sigaddset(&signals, SIGHUP);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &signals, NULL);
	/* results are rounded to a resolution; print them without binary noise */
	json_c_set_serialization_double_format("%.10g", JSON_C_OPTION_GLOBAL);
	/* plans once and exits: concurrent runs take turns planning */
	if (check_only || render)
		fftw_wisdom_one_shot();
	if ((r = daemon_load_config(config_path, &d.cfg, &d.ctx.config, &errs,
	                            !render)) < 0) {
		ctl_log_config_errors(&errs, r, config_path);
		return EXIT_CONFIG;
	}
	/* the file's IR files and limits are the administrator's */
	if (ctl_ir_policy_trust(&d.ctx, config_path, &d.cfg) < 0)
		return 1;
	if (!check_only && !render)
		daemon_restore_state(&d, &restored);
	if (d.ctx.socket_override) {
		if (strcmp(d.ctx.socket_override, d.cfg.monitor_socket_path) == 0) {
			log_err("--socket %s is the monitor socket of %s", d.ctx.socket_override, config_path);
			return 2;
		}
		snprintf(d.cfg.socket_path, sizeof(d.cfg.socket_path), "%s", d.ctx.socket_override);
	}
	if (threads >= 0)
		d.cfg.realtime.threads = (unsigned)threads;
	if (check_only || render) {
		pthread_sigmask(SIG_UNBLOCK, &signals, NULL);
		if (check_only)
			printf("%s: configuration OK\n", config_path);
		else
			status = render_files(&d.cfg, argv[optind], argv[optind + 1]) < 0;
		/* what planning measured, for the next run */
		fftw_wisdom_save(d.cfg.fftw_wisdom);
		ctl_ir_policy_free(&d.ctx);
		json_object_put(d.ctx.config.json);
		return status;
	}
	raise_fd_limit();
	signal(SIGPIPE, SIG_IGN);

	d.ctx.ops = (struct ctl_daemon_ops){ .restart = daemon_restart_engine,
	                                     .reload = daemon_reload, .daemon = &d };
	d.ctx.running = &d.cfg;
	d.ctx.started_ns = monotonic_ns();
	/* the sockets first: a second dspd must fail on the socket it cannot
	 * have, not on a busy sound card */
	if (setup_loop(&d) < 0) {
		sd_notify(0, "STATUS=cannot listen on the control socket or the http port");
		status = 1;
		goto out;
	}
	sd_notifyf(0, "STATUS=opening capture %s and playback %s",
	           d.cfg.capture.device, d.cfg.playback.device);
	/* the saved volume is where the user left it, not the file's: the
	 * engine starts there, the file's value stays the one reloads compare */
	first = d.cfg;
	if (restored.has_volume) {
		first.volume.db = restored.db;
		first.volume.mute = restored.mute;
	}
	if ((r = daemon_start_engine(&first, &d.engine)) < 0) {
		sd_notifyf(0, "STATUS=cannot start the audio devices: %s", strerror(-r));
		status = 1;
		goto out;
	}
	d.ctx.engine = d.engine;
	d.ctx.last_state = ENG_STARTING;
	daemon_start_loudness(&d);
	if (volume_link_start(&d.ctx, d.base) < 0)
		log_warning("volume link: out of memory; running without it");
	pthread_sigmask(SIG_UNBLOCK, &signals, NULL);
	log_info("dspd %s ready; control socket %s", DSPD_VERSION, d.cfg.socket_path);
	sd_notify(0, "READY=1");
	daemon_notify_status(&d);
	watchdog_init(&watchdog);
	event_base_dispatch(d.base);
	/* a reload that could start neither configuration left no engine */
	if (!d.engine)
		status = 1;
out:
	teardown(&d);
	return status;
}
