/* main.c - dspd's entry point and control thread: options, config, engine
 * lifecycle, the libevent loop (control socket, signals, the 10 ms timer that
 * drains the engine's events) and sd_notify.  Everything here runs on the
 * control thread. */
#include <errno.h>
#include <pthread.h>
#include <event2/event.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "config.h"
#include "ctl_server.h"
#include "engine.h"
#include "log.h"

#define DEFAULT_CONFIG "/etc/dspd/dspd.conf"
#define EXIT_CONFIG 78     /* EX_CONFIG: not restarted by the unit */

struct daemon {
	struct event_base *base;
	struct engine *engine;
	struct ctl_server *server;
	struct ctl_context ctx;
	struct dspd_config cfg;
	const char *config_path;
	const char *socket_override;
	struct event *tick, *sig_term, *sig_int, *sig_hup;
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: dspd [OPTIONS]\n"
		"Realtime ALSA DSP daemon: capture -> DSP pipeline -> playback, gaplessly.\n\n"
		"  -c, --config FILE    configuration file (default " DEFAULT_CONFIG ")\n"
		"      --socket PATH    control socket (overrides control.socket)\n"
		"      --check-config   validate the configuration, print every error, exit\n"
		"  -v, --verbose        debug logging\n"
		"  -h, --help           this help\n"
		"  -V, --version        print the version\n\n"
		"Signals: SIGHUP reloads the configuration, SIGTERM/SIGINT stop.\n"
		"Exit status: 0 ok, 1 runtime failure (e.g. device), 2 usage,\n"
		"78 configuration rejected.\n"
		"See dspd(8), dspd.conf(5), dspctl(1).\n");
}

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int load_config(const char *path, struct dspd_config *cfg)
{
	static struct cfg_errors errs;   /* large; control thread only */
	int r = config_load_file(path, cfg, &errs);

	if (r < 0) {
		unsigned shown = errs.count < CFG_MAX_ERRORS ? errs.count : CFG_MAX_ERRORS;

		for (unsigned i = 0; i < shown; i++)
			log_err("%s", errs.msg[i]);
		if (errs.count > shown)
			log_err("... and %u more errors", errs.count - shown);
		if (errs.count == 0)
			log_err("%s: %s", path, strerror(-r));
	}
	return r;
}

static void on_xrun(const struct eng_xrun *x, void *data)
{
	static const char *const names[] = { "?", "capture", "playback", "capture+playback" };
	static const char *const causes[] = { "xrun", "suspend", "device timeout", "I/O error" };

	log_warning("%s %s (%s): about %llu frames lost, streams re-synced",
	            names[x->directions & 3], causes[x->cause & 3],
	            strerror(-x->error), (unsigned long long)x->frames_lost);
}

static void notify_status(struct daemon *d)
{
	struct eng_status st;

	engine_status(d->engine, &st);
	sd_notifyf(0, "STATUS=%u Hz %s %uch -> %s %uch, period %u, %s, %llu xruns",
	           st.rate, st.capture->codec->name, st.capture->channels,
	           st.playback->codec->name, st.playback->channels,
	           st.period_frames, eng_state_name(st.state),
	           (unsigned long long)(st.xruns_capture + st.xruns_playback));
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	static unsigned ticks;

	engine_poll(d->engine, on_xrun, d);
	if (++ticks % 100 == 0)
		notify_status(d);
}

static int start_engine(struct daemon *d, const struct dspd_config *cfg,
                        struct engine **ret)
{
	char err[512], desc[256];
	struct eng_status st;
	int sched_err, mlock_err, r;
	struct engine *e;

	if ((r = engine_create(&e, cfg, err, sizeof(err))) < 0) {
		log_err("%s", err);
		return r;
	}
	if ((r = engine_start(e, &sched_err, &mlock_err)) < 0) {
		log_err("cannot start the audio thread: %s", strerror(-r));
		engine_destroy(e);
		return r;
	}
	if (mlock_err)
		log_warning("mlockall refused (%s): running without locked memory",
		            strerror(-mlock_err));
	if (sched_err)
		log_warning("SCHED_FIFO priority %d refused (%s): running without "
		            "realtime scheduling (status shows rt: false)",
		            cfg->realtime.priority, strerror(-sched_err));
	else if (cfg->realtime.enabled)
		log_info("audio thread runs SCHED_FIFO priority %d", cfg->realtime.priority);
	engine_status(e, &st);
	pcm_describe(st.capture, desc, sizeof(desc));
	log_info("%s", desc);
	pcm_describe(st.playback, desc, sizeof(desc));
	log_info("%s", desc);
	log_info("latency %u frames (%.2f ms) capture to playback",
	         st.latency_frames, 1000.0 * st.latency_frames / st.rate);
	*ret = e;
	return 0;
}

/* SIGHUP: validate the new file fully; on any error keep the old config
 * running untouched.  A valid config restarts the engine with it; if the new
 * engine cannot start, the old config is started again. */
static void reload(struct daemon *d)
{
	static struct dspd_config next;
	struct engine *e;

	sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu",
	           (unsigned long long)(monotonic_ns() / 1000));
	log_info("reloading %s", d->config_path);
	if (load_config(d->config_path, &next) < 0) {
		log_err("reload rejected; the running configuration stays");
	} else if (memcmp(&next, &d->cfg, sizeof(next)) == 0) {
		log_info("configuration unchanged");
	} else {
		engine_stop(d->engine);
		engine_destroy(d->engine);
		d->engine = NULL;
		if (start_engine(d, &next, &e) == 0) {
			d->cfg = next;
			log_info("new configuration running");
		} else if (start_engine(d, &d->cfg, &e) < 0) {
			log_err("cannot restart the previous configuration either; exiting");
			event_base_loopbreak(d->base);
			return;
		}
		d->engine = e;
		d->ctx.engine = e;
	}
	sd_notify(0, "READY=1");
	notify_status(d);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct daemon *d = arg;

	if (sig == SIGHUP) {
		reload(d);
		return;
	}
	log_info("%s received, stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
	sd_notify(0, "STOPPING=1");
	event_base_loopbreak(d->base);
}

static int setup_loop(struct daemon *d)
{
	const struct timeval tick = { 0, 10000 };
	char err[256];
	int r;

	d->base = event_base_new();
	if (!d->base)
		return -ENOMEM;
	d->tick = event_new(d->base, -1, EV_PERSIST, on_tick, d);
	d->sig_term = evsignal_new(d->base, SIGTERM, on_signal, d);
	d->sig_int = evsignal_new(d->base, SIGINT, on_signal, d);
	d->sig_hup = evsignal_new(d->base, SIGHUP, on_signal, d);
	if (!d->tick || !d->sig_term || !d->sig_int || !d->sig_hup)
		return -ENOMEM;
	event_add(d->tick, &tick);
	event_add(d->sig_term, NULL);
	event_add(d->sig_int, NULL);
	event_add(d->sig_hup, NULL);
	r = ctl_server_open(&d->server, d->base, d->cfg.socket_path, &d->ctx,
	                    err, sizeof(err));
	if (r < 0)
		log_err("%s", err);
	return r;
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
	ctl_server_close(d->server);
	if (d->engine) {
		log_final_counters(d->engine);
		engine_destroy(d->engine);
	}
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "socket", required_argument, NULL, 's' },
		{ "check-config", no_argument, NULL, 'C' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	static struct daemon d;
	bool check_only = false;
	int verbosity = 0, c, status = 0;
	sigset_t rt_mask;

	d.config_path = DEFAULT_CONFIG;
	while ((c = getopt_long(argc, argv, "c:vhV", opts, NULL)) != -1) {
		switch (c) {
		case 'c': d.config_path = optarg; break;
		case 's': d.socket_override = optarg; break;
		case 'C': check_only = true; break;
		case 'v': verbosity++; break;
		case 'h': usage(stdout); return 0;
		case 'V': printf("dspd %s\n", DSPD_VERSION); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "dspd: unexpected argument \"%s\"\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	log_init(verbosity);
	if (load_config(d.config_path, &d.cfg) < 0)
		return EXIT_CONFIG;
	if (d.socket_override)
		snprintf(d.cfg.socket_path, sizeof(d.cfg.socket_path), "%s", d.socket_override);
	if (check_only) {
		printf("%s: configuration OK\n", d.config_path);
		return 0;
	}
	/* the RT thread and libevent's signal handling: only the control
	 * thread receives signals */
	sigemptyset(&rt_mask);
	sigaddset(&rt_mask, SIGHUP);
	sigaddset(&rt_mask, SIGTERM);
	sigaddset(&rt_mask, SIGINT);
	signal(SIGPIPE, SIG_IGN);
	pthread_sigmask(SIG_BLOCK, &rt_mask, NULL);

	d.ctx.config_path = d.config_path;
	d.ctx.started_ns = monotonic_ns();
	if (start_engine(&d, &d.cfg, &d.engine) < 0) {
		status = 1;
		goto out;
	}
	pthread_sigmask(SIG_UNBLOCK, &rt_mask, NULL);
	d.ctx.engine = d.engine;
	if (setup_loop(&d) < 0) {
		status = 1;
		goto out;
	}
	log_info("dspd %s ready; control socket %s", DSPD_VERSION, d.cfg.socket_path);
	sd_notify(0, "READY=1");
	notify_status(&d);
	event_base_dispatch(d.base);
out:
	teardown(&d);
	return status;
}
