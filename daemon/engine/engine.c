/* engine.c - the engine's control-thread API (see engine.h): create,
 * start, stop, reopen after a device loss, destroy, and what the control
 * thread reads and sets while the RT thread (engine_rt.c) runs.
 *
 * Everything the RT thread touches is allocated in engine_create(), before
 * the thread starts; afterwards the two sides meet only through the rings,
 * the atomics and the graph hand-over (transition.h).  Control thread
 * only. */
#include "engine_internal.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "cpu.h"
#include "pipeline.h"
#include "workers.h"

#define LOAD_HISTORY 128

const char *eng_state_name(enum eng_state s)
{
	switch (s) {
	case ENG_STARTING: return "starting";
	case ENG_RUNNING: return "running";
	case ENG_RECOVERING: return "recovering";
	case ENG_STOPPED: return "stopped";
	case ENG_WAITING: return "waiting";
	case ENG_STALLED: return "stalled";
	}
	return "unknown";
}

/* ---- control thread -------------------------------------------------- */

/* Planar rows of frames floats each, 64-byte aligned, into rows[]. */
static float *alloc_planes(float **rows, unsigned count, size_t frames)
{
	size_t stride = (frames + 15) & ~(size_t)15;
	float *mem;

	if (posix_memalign((void **)&mem, 64, stride * count * sizeof(float)) != 0)
		return NULL;
	memset(mem, 0, stride * count * sizeof(float));
	for (unsigned ch = 0; ch < count; ch++)
		rows[ch] = mem + ch * stride;
	return mem;
}

/* The resampler and its control loop, when the capture is resampled. */
static int create_resampler(struct engine *e)
{
	const struct dspd_config *cfg = &e->cfg;
	struct rate_ctl_params params = {
		.rate = cfg->rate,
		.bandwidth_hz = cfg->rate_adjust.bandwidth_hz,
		.max_ppm = cfg->rate_adjust.max_ppm,
		.interval_s = 0.1,
		.steer = cfg->rate_adjust.enabled,
	};
	int r;

	if (!config_resamples(cfg)) {
		/* "pitch": the same loop, its correction written to a clock */
		e->pitch = cfg->rate_adjust.enabled &&
		           cfg->rate_adjust.method == CFG_ADJUST_PITCH;
		params.target = config_target_level(cfg);
		rate_ctl_init(&e->clocks, &params);
		return 0;
	}
	r = resampler_create(&e->rs, e->capture.channels, e->capture.rate,
	                     cfg->rate, (enum rs_quality)cfg->resampler.quality,
	                     (uint32_t)e->capture.period_frames);
	if (r < 0)
		return r;
	/* the loop holds the prefill plus the converter's own delay */
	e->resampler_delay = resampler_delay(e->rs) * resampler_ratio(e->rs);
	params.target = config_target_level(cfg) + e->resampler_delay;
	rate_ctl_init(&e->clocks, &params);
	e->capture_mem = alloc_planes(e->capture_planes, e->capture.channels,
	                              e->capture.period_frames);
	return e->capture_mem ? 0 : -ENOMEM;
}

static int allocate_buffers(struct engine *e)
{
	size_t period = e->playback.period_frames;
	size_t capture_read = e->rs ? e->capture.period_frames : period;
	int r;

	e->prefill_frames = e->rs ? config_target_level(&e->cfg)
	                    : e->playback.buffer_frames - e->playback.period_frames;
	e->capture_raw = malloc(capture_read * e->capture.frame_bytes);
	e->playback_raw = malloc(period * e->playback.frame_bytes);
	e->prefill = malloc(e->prefill_frames * e->playback.frame_bytes);
	/* every row a mixer might write, whatever the channel counts */
	e->work_mem = alloc_planes(e->work_set[0], FX_MAX_CHANNELS, period);
	memcpy(e->work, e->work_set[0], sizeof(e->work_set[0]));
	e->work_cur = 0;
	e->work_held = -1;
	if (config_threads(&e->cfg) > 1) {
		/* a late worker's rows, and the silence played meanwhile */
		e->work_mem2 = alloc_planes(e->work_set[1], FX_MAX_CHANNELS, period);
		e->zero_mem = calloc(period, sizeof(float));
		for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++)
			e->zero_rows[ch] = e->zero_mem;
		if (!e->work_mem2 || !e->zero_mem)
			return -ENOMEM;
	}
	if (!e->capture_raw || !e->playback_raw || !e->prefill || !e->work_mem)
		return -ENOMEM;
	snd_pcm_format_set_silence(e->playback.codec->format, e->prefill,
	                           (unsigned)(e->prefill_frames * e->playback.channels));
	if ((r = ring_init(&e->events, sizeof(struct eng_event), 512)) < 0)
		return r;
	/* about a second of samples per tap */
	if ((r = ring_init(&e->taps[METER_TAP_CAPTURE], sizeof(float),
	                   e->cfg.rate * e->capture.channels)) < 0)
		return r;
	return ring_init(&e->taps[METER_TAP_PLAYBACK], sizeof(float),
	                 e->cfg.rate * e->playback.channels);
}

/* The configured pipeline, as the first graph of the transitions. */
static int start_graph(struct engine *e, char *err, size_t err_len)
{
	struct pipeline *p;
	int r = pipeline_build_for(&e->cfg, &e->master_linear, &p, err, err_len);

	if (r < 0)
		return r;
	pipeline_plan_from_config(&p->plan, &e->cfg);
	if ((r = transition_init(&e->graph, p, e->playback.channels,
	                         (unsigned)e->playback.period_frames)) < 0) {
		pipeline_free(p);
		snprintf(err, err_len, "out of memory for the pipeline");
	}
	return r;
}

static int check_pair(const struct engine *e, char *err, size_t err_len)
{
	if (e->cfg.periods < 3) {
		snprintf(err, err_len, "periods must be at least 3: one period is "
		         "in flight each way and one is the safety margin");
		return -EINVAL;
	}
	if (!config_resamples(&e->cfg) &&
	    e->capture.period_frames != e->playback.period_frames) {
		snprintf(err, err_len, "capture and playback periods differ "
		         "(%lu vs %lu frames)", e->capture.period_frames,
		         e->playback.period_frames);
		return -EINVAL;
	}
	return 0;
}

int engine_create(struct engine **ret, const struct dspd_config *cfg,
                  char *err, size_t err_len)
{
	struct engine *e = calloc(1, sizeof(*e));
	int r;

	if (!e)
		return -ENOMEM;
	e->cfg = *cfg;
	/* "auto" counted once: the rows allocated here and the workers every
	 * engine_start() makes (after a reopen too) must agree, whatever
	 * CPUs come online meanwhile */
	e->cfg.realtime.threads = config_threads(cfg);
	atomic_init(&e->state, ENG_STARTING);
	meter_history_init(&e->history);
	load_hist_init(&e->busy_hist);
	for (unsigned k = 0; k < CFG_MAX_THREADS; k++)
		load_hist_init(&e->worker_hist[k]);
	e->busy_hist_sampled_ns = clock_ns(CLOCK_MONOTONIC);
	e->max_db = cfg->volume.max_db;
	e->gain_db = fmin(cfg->volume.db, e->max_db);
	e->mute = cfg->volume.mute;
	e->default_ramp_ms = cfg->volume.ramp_ms;
	gain_ramp_init(&e->master, cfg->volume.mute ? 0.0f
	               : (float)gain_db_to_linear(e->gain_db));
	e->master_applied = pack_gain(e->master.target, 0);
	atomic_init(&e->master_target, e->master_applied);
	atomic_init(&e->master_linear, e->master.target);
	r = engine_open_streams(cfg, 0, &e->capture, &e->playback, err, err_len);
	if (r == 0)
		r = check_pair(e, err, err_len);
	if (r == 0 && (r = create_resampler(e)) < 0)
		snprintf(err, err_len, "cannot create the resampler (%u Hz -> %u Hz): %s",
		         e->capture.rate, cfg->rate, strerror(-r));
	if (r == 0) {
		e->work_channels = e->capture.channels > e->playback.channels
		                   ? e->capture.channels : e->playback.channels;
		e->capture_channels = e->capture.channels;
		/* a followed source stops and starts on its own */
		e->park_on_error = cfg->rate_follow || cfg->capture.follow;
		e->fade_in_frames = (uint32_t)lround(cfg->silence.fade_in_ms * cfg->rate / 1000.0);
		/* two clocks are never linked: each stream starts on its own */
		e->linked = !e->rs && !e->park_on_error && !e->pitch &&
		            cfg->silence.seconds <= 0 &&
		            snd_pcm_link(e->capture.handle, e->playback.handle) == 0;
		r = allocate_buffers(e);
		if (r == -ENOMEM)
			snprintf(err, err_len, "out of memory for audio buffers");
	}
	if (r == 0)
		r = start_graph(e, err, err_len);
	if (r < 0) {
		engine_destroy(e);
		return r;
	}
	*ret = e;
	return 0;
}

/* The pipeline's other workers (threads > 1), before the RT thread that
 * runs jobs on them; SCHED_FIFO at the RT thread's priority. */
static int start_workers(struct engine *e, int *sched_error)
{
	const struct workers_config wc = {
		.threads = config_threads(&e->cfg),
		.rt_priority = e->cfg.realtime.enabled ? e->cfg.realtime.priority : 0,
		.cpus = e->cfg.realtime.cpus,
		.n_cpus = e->cfg.realtime.n_cpus,
		.on_start = cpu_flush_denormals,
	};
	char err[128];
	int r;

	if (wc.threads <= 1)
		return 0;
	if ((r = workers_create(&wc, &e->pool, sched_error, err, sizeof(err))) < 0)
		return r;
	memset(e->worker_seen_ns, 0, sizeof(e->worker_seen_ns));
	e->work_held = -1;
	return 0;
}

int engine_start(struct engine *e, int *sched_error, int *mlock_error)
{
	int r;

	*sched_error = *mlock_error = 0;
	if (e->cfg.realtime.mlock) {
		if (mlockall(MCL_CURRENT | MCL_FUTURE) < 0)
			*mlock_error = -errno;
		else
			e->mlocked = true;
	}
	if ((r = start_workers(e, sched_error)) < 0)
		return r;
	atomic_store(&e->keep_going, true);
	r = pthread_create(&e->thread, NULL, engine_rt_main, e);
	if (r != 0) {
		workers_destroy(e->pool);
		e->pool = NULL;
		return -r;
	}
	e->thread_started = true;
	pthread_setname_np(e->thread, "dspd-rt");
	if (e->cfg.realtime.enabled) {
		struct sched_param sp = { .sched_priority = e->cfg.realtime.priority };

		r = pthread_setschedparam(e->thread, SCHED_FIFO, &sp);
		if (r != 0)
			*sched_error = -r;
		else
			e->rt = true;
	}
	if (e->cfg.realtime.n_cpus > 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(e->cfg.realtime.cpus[0], &set);
		if ((r = pthread_setaffinity_np(e->thread, sizeof(set), &set)) != 0 &&
		    *sched_error == 0)
			*sched_error = -r;
	}
	return 0;
}

void engine_stop(struct engine *e)
{
	if (!e->thread_started)
		return;
	atomic_store(&e->keep_going, false);
	pthread_join(e->thread, NULL);
	e->thread_started = false;
	/* after the RT thread: waits for a late run to end */
	workers_destroy(e->pool);
	e->pool = NULL;
}

void engine_destroy(struct engine *e)
{
	if (!e)
		return;
	engine_stop(e);
	if (e->capture.handle && e->linked)
		snd_pcm_unlink(e->capture.handle);
	pcm_close(&e->capture);
	pcm_close(&e->playback);
	transition_free(&e->graph);
	ring_free(&e->events);
	ring_free(&e->taps[METER_TAP_CAPTURE]);
	ring_free(&e->taps[METER_TAP_PLAYBACK]);
	free(e->capture_raw);
	free(e->playback_raw);
	free(e->prefill);
	free(e->work_mem);
	free(e->work_mem2);
	free(e->zero_mem);
	free(e->capture_mem);
	resampler_free(e->rs);
	free(e);
}

static void account_load(struct engine *e, const struct eng_event *ev)
{
	double period_ns = 1e9 * (double)e->playback.period_frames / e->cfg.rate;
	double block_avg, block_max;

	if (ev->periods == 0)
		return;
	block_avg = (double)ev->busy_ns_sum / ev->periods / period_ns;
	block_max = (double)ev->busy_ns_max / period_ns;
	e->load_last = (double)ev->busy_ns_last / period_ns;
	e->load_avg = e->load_avg == 0.0 ? block_avg
	              : 0.95 * e->load_avg + 0.05 * block_avg;
	e->load_hist[e->load_pos++ % LOAD_HISTORY] = block_max;
}

void engine_poll(struct engine *e,
                 void (*on_xrun)(const struct eng_xrun *x, void *data),
                 void *data)
{
	struct eng_event ev;

	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	transition_collect(&e->graph);
	if (now - e->busy_hist_sampled_ns >= 1000000000u) {
		load_hist_sample(&e->busy_hist);
		for (unsigned k = 0; k < CFG_MAX_THREADS; k++)
			load_hist_sample(&e->worker_hist[k]);
		e->busy_hist_sampled_ns = now;
	}
	while (ring_pop(&e->events, &ev)) {
		switch (ev.type) {
		case ENG_EVENT_METERS:
			meter_history_push(&e->history, &ev.u.meters);
			account_load(e, &ev);
			e->clocks_last = ev.clocks;
			/* fall through: the positions */
			__attribute__((fallthrough));
		case ENG_EVENT_POSITIONS:
			if (ev.positions.valid)
				e->positions_last = ev.positions;
			e->positions_epoch = ev.positions.epoch;
			break;
		case ENG_EVENT_XRUN:
			e->xrun_log[e->xrun_total++ % ENG_XRUN_LOG] = ev.u.xrun;
			if (on_xrun)
				on_xrun(&ev.u.xrun, data);
			break;
		}
	}
}

void engine_status(struct engine *e, struct eng_status *out)
{
	double load_max = 0.0;

	memset(out, 0, sizeof(*out));
	out->state = atomic_load_explicit(&e->state, memory_order_relaxed);
	out->rate = e->cfg.rate;
	out->period_frames = (unsigned)e->playback.period_frames;
	out->periods = e->cfg.periods;
	out->capture = &e->capture;
	out->playback = &e->playback;
	out->captured = atomic_load_explicit(&e->captured, memory_order_relaxed);
	out->processed = atomic_load_explicit(&e->processed, memory_order_relaxed);
	out->played = atomic_load_explicit(&e->played, memory_order_relaxed);
	out->dropped = atomic_load_explicit(&e->dropped, memory_order_relaxed);
	out->xruns_capture = atomic_load_explicit(&e->xruns[0], memory_order_relaxed);
	out->xruns_playback = atomic_load_explicit(&e->xruns[1], memory_order_relaxed);
	out->resyncs = atomic_load_explicit(&e->resyncs, memory_order_relaxed);
	out->latency_frames = (unsigned)lround((double)e->prefill_frames + e->resampler_delay);
	out->resampler_delay = e->resampler_delay;
	out->rt = e->rt;
	out->rt_priority = e->rt ? e->cfg.realtime.priority : 0;
	out->mlock = e->mlocked;
	for (unsigned i = 0; i < LOAD_HISTORY; i++)
		if (e->load_hist[i] > load_max)
			load_max = e->load_hist[i];
	out->load_last = e->load_last;
	out->load_avg = e->load_avg;
	out->load_max = load_max;
	load_hist_read(&e->busy_hist, &out->busy);
	out->threads = config_threads(&e->cfg);
	out->workers_rt = workers_realtime(e->pool);
	out->late_periods = atomic_load_explicit(&e->late_periods, memory_order_relaxed);
	for (unsigned k = 0; k < out->threads && k < CFG_MAX_THREADS; k++)
		load_hist_read(&e->worker_hist[k], &out->worker_busy[k]);
	out->gain_db = e->gain_db;
	out->mute = e->mute;
	out->ramp_ms = e->default_ramp_ms;
	out->max_db = e->max_db;
	for (unsigned ch = 0; ch < METER_MAX_CHANNELS; ch++) {
		out->clipped_capture += e->history.clipped_total[METER_TAP_CAPTURE][ch];
		out->clipped_playback += e->history.clipped_total[METER_TAP_PLAYBACK][ch];
	}
	out->events_lost = atomic_load_explicit(&e->events_lost, memory_order_relaxed);
	out->losses = atomic_load_explicit(&e->losses, memory_order_relaxed);
	out->stall_losses = atomic_load_explicit(&e->stall_losses, memory_order_relaxed);
	out->stall_timeouts = atomic_load_explicit(&e->stall_timeouts, memory_order_relaxed);
	out->reopens = e->reopens;
	out->resampling = e->rs != NULL;
	out->pitch = e->pitch;
	out->rate_adjust = e->cfg.rate_adjust.enabled;
	out->capture_rate = e->capture.rate;
	out->capture_period = (unsigned)e->capture.period_frames;
	out->clocks = e->clocks_last;
	out->positions = e->positions_last;
	out->positions_epoch = e->positions_epoch;
	if ((e->rs || e->pitch) && e->clocks_last.updates == 0) {
		out->clocks.target = e->clocks.p.target;
		out->clocks.ratio = e->rs ? (double)e->cfg.rate / e->capture.rate : 1.0;
	}
}

const struct pipeline *engine_pipeline(const struct engine *e)
{
	return e->graph.latest;
}

const _Atomic float *engine_master_linear(const struct engine *e)
{
	return &e->master_linear;
}

uint64_t engine_submit_pipeline(struct engine *e, struct pipeline *p)
{
	return transition_submit(&e->graph, p);
}

void engine_transition_status(struct engine *e, struct transition_status *out)
{
	transition_status(&e->graph, out);
}

void engine_set_default_ramp(struct engine *e, double ramp_ms)
{
	e->default_ramp_ms = ramp_ms;
}

void engine_set_ceiling(struct engine *e, double max_db)
{
	e->max_db = max_db;
	if (e->gain_db > max_db)
		engine_set_gain(e, max_db, e->mute, -1.0);
}

const struct dspd_config *engine_config(const struct engine *e)
{
	return &e->cfg;
}

void engine_tap_start(struct engine *e, enum meter_tap tap)
{
	if (e->tap_users[tap]++ > 0)
		return;
	ring_discard(&e->taps[tap]);
	atomic_store_explicit(&e->tap_on[tap], true, memory_order_relaxed);
}

void engine_tap_stop(struct engine *e, enum meter_tap tap)
{
	if (e->tap_users[tap] == 0 || --e->tap_users[tap] > 0)
		return;
	atomic_store_explicit(&e->tap_on[tap], false, memory_order_relaxed);
}

uint32_t engine_tap_read(struct engine *e, enum meter_tap tap, float *out,
                         uint32_t max_samples)
{
	return ring_read(&e->taps[tap], out, max_samples);
}

uint64_t engine_tap_dropped(struct engine *e, enum meter_tap tap)
{
	return atomic_load_explicit(&e->tap_dropped[tap], memory_order_relaxed);
}

unsigned engine_tap_channels(struct engine *e, enum meter_tap tap)
{
	return tap == METER_TAP_CAPTURE ? e->capture.channels : e->playback.channels;
}

int engine_set_gain(struct engine *e, double db, bool mute, double ramp_ms)
{
	float gain;
	uint32_t ramp_frames;

	if (!isfinite(db) || db < GAIN_DB_MIN || db > GAIN_DB_MAX)
		return -EINVAL;
	if (db > e->max_db)
		db = e->max_db;
	if (ramp_ms < 0)
		ramp_ms = e->default_ramp_ms;
	if (!isfinite(ramp_ms) || ramp_ms > 10000.0)
		return -EINVAL;
	gain = mute ? 0.0f : (float)gain_db_to_linear(db);
	ramp_frames = (uint32_t)lround(ramp_ms * e->cfg.rate / 1000.0);
	atomic_store_explicit(&e->master_target, pack_gain(gain, ramp_frames),
	                      memory_order_release);
	atomic_store_explicit(&e->master_linear, gain, memory_order_relaxed);
	e->gain_db = db;
	e->mute = mute;
	return 0;
}

void engine_levels(struct engine *e, uint64_t *since, double window_ms,
                   struct meter_reading *out)
{
	uint32_t frames = (uint32_t)(window_ms * e->cfg.rate / 1000.0);
	uint32_t hold = (uint32_t)(ENG_PEAK_HOLD_MS * e->cfg.rate / 1000.0);

	*since = meter_history_read(&e->history, *since, frames, hold, out);
	/* known even before the first meter block arrives */
	out->channels[METER_TAP_CAPTURE] = e->capture.channels;
	out->channels[METER_TAP_PLAYBACK] = e->playback.channels;
}

unsigned engine_xrun_log(struct engine *e, struct eng_xrun *out, unsigned max)
{
	uint64_t n = e->xrun_total < ENG_XRUN_LOG ? e->xrun_total : ENG_XRUN_LOG;
	unsigned copied = 0;

	if (n > max)
		n = max;
	for (uint64_t i = e->xrun_total - n; i < e->xrun_total; i++)
		out[copied++] = e->xrun_log[i % ENG_XRUN_LOG];
	return copied;
}

int engine_reopen(struct engine *e, char *err, size_t err_len)
{
	struct pcm_stream capture = { .handle = NULL }, playback = { .handle = NULL };
	int sched_err, mlock_err, r;
	uint32_t ramp_frames;
	float target;

	if (atomic_load_explicit(&e->state, memory_order_acquire) != ENG_WAITING) {
		snprintf(err, err_len, "the engine is not waiting for its devices");
		return -EALREADY;
	}
	engine_stop(e);                  /* the thread has ended: join it */
	/* let go of the lost card first: the kernel frees it only then */
	if (e->capture.handle) {
		if (e->linked)
			snd_pcm_unlink(e->capture.handle);
		e->linked = false;
		pcm_close(&e->capture);
		pcm_close(&e->playback);
	}
	/* a followed capture comes back at the rate it had (engine_follow.c) */
	if ((r = engine_open_streams(&e->cfg, e->capture.rate, &capture, &playback,
	                             err, err_len)) < 0)
		return r;
	if (!engine_same_stream(&capture, &e->capture) || !engine_same_stream(&playback, &e->playback)) {
		snprintf(err, err_len, "the devices came back with other parameters "
		         "(format, period or buffer); restart dspd or reload");
		pcm_close(&capture);
		pcm_close(&playback);
		return -EPROTO;
	}
	e->capture = capture;
	e->playback = playback;
	e->linked = !e->rs && !e->park_on_error && !e->pitch &&
	            e->cfg.silence.seconds <= 0 &&
	            snd_pcm_link(e->capture.handle, e->playback.handle) == 0;
	atomic_store(&e->park[0], ENG_LIVE);
	atomic_store(&e->park[1], ENG_LIVE);
	/* fade in from silence to where the volume was */
	target = unpack_gain(atomic_load_explicit(&e->master_target, memory_order_acquire),
	                     &ramp_frames);
	e->master.current = 0.0f;
	gain_ramp_set(&e->master, target, (uint32_t)lround(e->default_ramp_ms * e->cfg.rate / 1000.0));
	atomic_store_explicit(&e->state, ENG_STARTING, memory_order_relaxed);
	atomic_store_explicit(&e->stall_timeouts, 0, memory_order_relaxed);
	e->reopens++;
	return engine_start(e, &sched_err, &mlock_err);
}

int engine_stall_worker(struct engine *e, unsigned worker, unsigned ms,
                        unsigned periods)
{
	if (!e->pool || worker < 1 || worker >= workers_count(e->pool))
		return -EINVAL;
	workers_stall(e->pool, worker, (uint64_t)ms * 1000000u, periods);
	return 0;
}
