/* prometheus.c - dspctl stats --prometheus: the stats and levels results in
 * the Prometheus text exposition format (version 0.0.4), for
 * node_exporter's textfile collector:
 *
 *     dspctl stats --prometheus > /var/lib/node_exporter/dspd.prom.$$ &&
 *         mv /var/lib/node_exporter/dspd.prom.$$ /var/lib/node_exporter/dspd.prom
 *
 * The output passes `promtool check metrics` with no finding: a HELP and a
 * TYPE line for every family, counters end in _total, units are in the
 * names and are base units (seconds, hertz, ratio; frames and dbfs have
 * none).  dspctl(1) lists every family (tests/e2e/test_prometheus.py holds
 * the two together).  When dspd cannot be reached the output is
 * "dspd_up 0" (still a valid file) and the exit status says why.
 * Single-threaded (dspctl's main thread). */
#include "cmds.h"
#include "jvalue.h"
#include "proto.h"

#include <inttypes.h>
#include <string.h>

static void family(const char *name, const char *type, const char *help)
{
	printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample; labels is "" or `key="value",...` (values are fixed words or
 * numbers here, nothing to escape). */
static void sample(const char *name, const char *labels, json_object *value)
{
	double d;

	if (json_object_is_type(value, json_type_int))
		printf("%s%s%s%s %" PRId64 "\n", name, *labels ? "{" : "", labels,
		       *labels ? "}" : "", json_object_get_int64(value));
	else if (jv_number(value, &d))
		printf("%s%s%s%s %.9g\n", name, *labels ? "{" : "", labels,
		       *labels ? "}" : "", d);
}

/* A family whose samples are members of obj, each under label=member. */
static void labelled(json_object *obj, const char *name, const char *type,
		     const char *help, const char *label,
		     const char *const members[])
{
	if (!json_object_is_type(obj, json_type_object))
		return;
	family(name, type, help);
	for (const char *const *m = members; *m; m++) {
		char labels[64];

		snprintf(labels, sizeof(labels), "%s=\"%s\"", label, *m);
		sample(name, labels, jv_field(obj, *m));
	}
}

static void scalar(json_object *stats, const char *key, const char *name,
		   const char *type, const char *help)
{
	json_object *value = jv_field(stats, key);

	if (!value)
		return;
	family(name, type, help);
	sample(name, "", value);
}

/* A gauge from a number in microseconds, in seconds (the base unit). */
static void seconds_from_us(json_object *obj, const char *key, const char *name,
			    const char *help)
{
	double us;

	if (!jv_number(jv_field(obj, key), &us))
		return;
	family(name, "gauge", help);
	printf("%s %.9g\n", name, us / 1e6);
}

/* One-hot over every state status and stats can report (docs/protocol.md,
 * status.state): 1 for the current one, 0 for the others. */
static void put_state(json_object *stats)
{
	static const char *const states[] = { "starting", "running", "recovering",
					      "stalled", "waiting", "stopped", "idle" };
	const char *state = jv_string(jv_field(stats, "state"));

	if (!state)
		return;
	family("dspd_state", "gauge",
	       "1 for the state dspd is in (status.state), 0 for the others.");
	for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++)
		printf("dspd_state{state=\"%s\"} %d\n", states[i],
		       strcmp(state, states[i]) == 0);
}

/* stats.workers: each worker's busy time per period, labelled by worker
 * (worker 0 is the RT thread's share of the pipeline). */
static void put_workers(json_object *workers)
{
	static const struct { const char *key, *name, *help; } q[] = {
		{ "p50_us", "dspd_worker_busy_p50_seconds",
		  "Median time a pipeline worker spent per period over the last 10 s." },
		{ "p99_us", "dspd_worker_busy_p99_seconds",
		  "99th percentile of a pipeline worker's time per period over the last 10 s." },
		{ "max_us", "dspd_worker_busy_max_seconds",
		  "Longest time a pipeline worker spent in a period over the last 10 s." },
	};
	size_t n = json_object_is_type(workers, json_type_array)
	           ? json_object_array_length(workers) : 0;

	if (n == 0)
		return;
	for (size_t k = 0; k < sizeof(q) / sizeof(q[0]); k++) {
		family(q[k].name, "gauge", q[k].help);
		for (size_t i = 0; i < n; i++) {
			json_object *w = json_object_array_get_idx(workers, i);
			double us;

			if (jv_number(jv_field(w, q[k].key), &us))
				printf("%s{worker=\"%zu\"} %.9g\n", q[k].name, i, us / 1e6);
		}
	}
}

static void put_stats(json_object *st)
{
	static const char *const stages[] = { "captured", "processed", "played",
					      "dropped", NULL };
	static const char *const directions[] = { "capture", "playback", NULL };
	static const char *const kinds[] = { "last", "avg", "max", NULL };

	family("dspd_up", "gauge", "1 when dspd answered.");
	printf("dspd_up 1\n");
	put_state(st);
	scalar(st, "uptime_s", "dspd_uptime_seconds", "gauge",
	       "Seconds since dspd started.");
	labelled(jv_field(st, "frames"), "dspd_frames_total", "counter",
		 "Frames moved through each stage of the engine.", "stage", stages);
	labelled(jv_field(st, "xruns"), "dspd_xruns_total", "counter",
		 "Overruns (capture) and underruns (playback).", "direction",
		 directions);
	scalar(st, "recoveries", "dspd_recoveries_total", "counter",
	       "Recoveries of the audio streams after an xrun or error.");
	scalar(st, "reopens", "dspd_reopens_total", "counter",
	       "Times the audio devices were reopened.");
	scalar(st, "device_losses", "dspd_device_losses_total", "counter",
	       "Times a device was lost and dspd went waiting for it.");
	labelled(jv_field(st, "clipped"), "dspd_clipped_samples_total", "counter",
		 "Samples at or beyond full scale (capture) or saturated on "
		 "output (playback).", "tap", directions);
	labelled(jv_field(st, "load"), "dspd_load_ratio", "gauge",
		 "Processing time over period time.", "kind", kinds);
	scalar(st, "clients", "dspd_clients", "gauge",
	       "Clients connected to the control and monitor sockets.");
	scalar(st, "events_lost", "dspd_events_lost_total", "counter",
	       "Events from the audio thread lost because the ring was full.");
	scalar(st, "levels_skipped", "dspd_levels_skipped_total", "counter",
	       "Level notifications skipped for slow clients.");
	scalar(st, "rate", "dspd_sample_rate_hertz", "gauge",
	       "Sample rate of the engine.");
	scalar(st, "latency_frames", "dspd_latency_frames", "gauge",
	       "Capture to playback latency in frames.");
	seconds_from_us(jv_field(st, "busy"), "p50_us", "dspd_period_busy_p50_seconds",
			"Median processing time per period over the last 10 s.");
	seconds_from_us(jv_field(st, "busy"), "p99_us", "dspd_period_busy_p99_seconds",
			"99th percentile of the processing time per period over the last 10 s.");
	seconds_from_us(jv_field(st, "busy"), "max_us", "dspd_period_busy_max_seconds",
			"Longest processing time of a period over the last 10 s.");
	scalar(st, "threads", "dspd_threads", "gauge",
	       "Threads the pipeline runs on (the RT thread and its workers).");
	scalar(st, "late_periods", "dspd_late_periods_total", "counter",
	       "Periods played as silence because a pipeline worker was late.");
	put_workers(jv_field(st, "workers"));
	/* null unless the capture is resampled: then the two clocks */
	scalar(jv_field(st, "clocks"), "drift_ppm", "dspd_clock_drift_ppm", "gauge",
	       "How much faster the capture clock runs than playback, as rate_adjust measures it.");
	scalar(jv_field(st, "clocks"), "level_frames", "dspd_buffer_level_frames", "gauge",
	       "Capture to playback latency the rate adjustment holds.");
	scalar(jv_field(st, "clocks"), "target_frames", "dspd_buffer_target_frames", "gauge",
	       "The level rate_adjust steers to.");
}

/* One family over both taps and every channel. */
static void level_family(json_object *levels, const char *key, const char *name,
			 const char *help)
{
	family(name, "gauge", help);
	for (size_t t = 0; t < PROTO_TAPS; t++) {
		json_object *channels = jv_field(levels, proto_tap_names[t]);

		for (size_t i = 0; i < jv_length(channels); i++) {
			json_object *ch = json_object_array_get_idx(channels, i);
			char index[32], labels[64];

			if (!jv_count(jv_field(ch, "channel"), index, sizeof(index)))
				snprintf(index, sizeof(index), "%zu", i);
			snprintf(labels, sizeof(labels), "tap=\"%s\",channel=\"%s\"",
				 proto_tap_names[t], index);
			sample(name, labels, jv_field(ch, key));
		}
	}
}

static void put_levels(json_object *levels)
{
	level_family(levels, "peak_dbfs", "dspd_level_peak_dbfs",
		     "Peak level per channel over the last window (-200: silence).");
	level_family(levels, "rms_dbfs", "dspd_level_rms_dbfs",
		     "RMS level per channel over the last window (-200: silence).");
	if (jv_field(json_object_array_get_idx(jv_field(levels, "capture"), 0),
		     "peak_hold_dbfs"))
		level_family(levels, "peak_hold_dbfs", "dspd_level_peak_hold_dbfs",
			     "Highest peak per channel of the last 2 s.");
}

static void put_down(void)
{
	family("dspd_up", "gauge", "1 when dspd answered.");
	printf("dspd_up 0\n");
}

int stats_prometheus(const struct options *o)
{
	struct rpc_reply stats, levels;
	struct rpc_conn conn;
	int r = ctl_connect(o, &conn);

	if (r != EXIT_OK) {
		put_down();
		return r;
	}
	r = ctl_call(o, &conn, PROTO_METHOD_STATS, NULL, &stats);
	if (r == EXIT_OK) {
		r = ctl_call(o, &conn, PROTO_METHOD_LEVELS, NULL, &levels);
		if (r == EXIT_OK) {
			put_stats(stats.result);
			put_levels(levels.result);
			rpc_reply_free(&levels);
		}
		rpc_reply_free(&stats);
	}
	if (r == EXIT_UNREACHABLE)
		put_down();
	rpc_close(&conn);
	return r;
}
