/* config_schema.c - pass 3 of a config load: the meaning of the tree.  The
 * top level's key tables map each key to a field parser (config_fields.c,
 * or its own below) and a destination in struct dspd_config; "pipeline" is
 * handed to config_blocks.c.  Cross-field checks (buffer size, socket
 * paths, block channels) run last and are skipped when a field they depend
 * on already failed.  Control thread only. */
#include "config_schema.h"
#include "config_blocks.h"
#include "config_fields.h"
#include "config_source.h"
#include "config_volume.h"
#include "config_http.h"
#include "format.h"

#include <errno.h>
#include <string.h>
#include <strings.h>

#define CFG_MAX_BUFFER_FRAMES (1u << 20) /* period_frames * periods */
#define CFG_MAX_CLIENTS 4096            /* control.max_clients */
#define SUN_PATH_HINT " (the size of a Unix socket's sun_path)"

/* -- the top level's own field parsers -- */

static int parse_int(struct parser *p, struct json_object *val,
                     const struct field *f, void *dst)
{
	int64_t v;

	if (cfg_get_integer(p, val, f->min, f->max, &v) < 0)
		return -EINVAL;
	*(int *)dst = (int)v;
	return 0;
}

/* A group name, or "" to leave the sockets' group alone. */
static int parse_group(struct parser *p, struct json_object *val,
                       const struct field *f, void *dst)
{
	const char *s = "";

	if (!json_object_is_type(val, json_type_string)) {
		cfg_error_here(p, "must be a string naming a group (\"\" to leave "
		               "the group alone), got %s", cfg_kind_name(val));
		return -EINVAL;
	}
	if (json_object_get_string_len(val) > 0 &&
	    (cfg_get_string(p, val, f->size, NULL, &s) < 0 ||
	     cfg_check_name_chars(p, s, "group name") < 0))
		return -EINVAL;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static int parse_format(struct parser *p, struct json_object *val,
                        const struct field *f, void *dst)
{
	const struct fmt_codec *codec, *table;
	char quoted[CFG_SHOWN_VALUE_MAX + 8], names[256];
	size_t count, len = 0;
	const char *s;

	(void)f;
	if (cfg_get_string(p, val, SIZE_MAX, NULL, &s) < 0)
		return -EINVAL;
	if (strcasecmp(s, "auto") == 0) {
		*(snd_pcm_format_t *)dst = CFG_FORMAT_AUTO;
		return 0;
	}
	codec = fmt_codec_by_name(s);
	if (codec) {
		*(snd_pcm_format_t *)dst = codec->format;
		return 0;
	}
	table = fmt_codec_table(&count);
	names[0] = '\0';
	cfg_msg_append(names, sizeof(names), &len, "auto");
	for (size_t i = 0; i < count; i++)
		cfg_msg_append(names, sizeof(names), &len, ", %s", table[i].name);
	cfg_quote(s, strlen(s), quoted, sizeof(quoted));
	cfg_error_here(p, "unknown format %s (supported: %s)", quoted, names);
	return -EINVAL;
}

static int parse_object(struct parser *p, struct json_object *val,
                        const struct field *f, void *dst)
{
	return cfg_parse_fields(p, val, f->fields, dst);
}

/* -- the top level -- */

#define CFG_OFFSET(member) offsetof(struct dspd_config, member)

#define PCM_FIELDS \
	{ .key = "device", .parse = cfg_parse_string, \
	  .offset = offsetof(struct cfg_pcm, device), .size = CFG_DEVICE_MAX }, \
	{ .key = "channels", .parse = cfg_parse_unsigned, \
	  .offset = offsetof(struct cfg_pcm, channels), \
	  .min = 1, .max = CFG_MAX_CHANNELS, .flags = TAINTS_CHANNELS }, \
	{ .key = "format", .parse = parse_format, \
	  .offset = offsetof(struct cfg_pcm, format) }

static const struct field playback_fields[] = { PCM_FIELDS, { 0 } };

/* the capture alone may run at another rate: it is resampled */
static const struct field capture_fields[] = {
	PCM_FIELDS,
	{ .key = "rate", .parse = cfg_parse_capture_rate,
	  .offset = offsetof(struct cfg_pcm, rate), .min = 8000, .max = 768000,
	  .flags = TAINTS_RATES | TAINTS_FOLLOW },
	{ 0 }
};

static const struct field rate_adjust_fields[] = {
	{ .key = "enabled", .parse = cfg_parse_bool,
	  .offset = CFG_OFFSET(rate_adjust.enabled) },
	{ .key = "target_level", .parse = cfg_parse_unsigned,
	  .offset = CFG_OFFSET(rate_adjust.target_level), .min = 0,
	  .max = CFG_MAX_BUFFER_FRAMES, .flags = TAINTS_RATES },
	{ .key = "max_ppm", .parse = cfg_parse_number,
	  .offset = CFG_OFFSET(rate_adjust.max_ppm), .min = 1, .max = 10000 },
	{ .key = "bandwidth_hz", .parse = cfg_parse_number,
	  .offset = CFG_OFFSET(rate_adjust.bandwidth_hz), .min = 0.005, .max = 1 },
	CFG_RATE_ADJUST_PITCH_FIELDS,
	{ 0 }
};

/* the order of enum rs_quality */
static const char *const resampler_qualities[] = { "fast", "medium", "best", NULL };

static const struct field resampler_fields[] = {
	{ .key = "quality", .parse = cfg_parse_choice,
	  .offset = CFG_OFFSET(resampler.quality), .choices = resampler_qualities },
	{ 0 }
};

/* control.ir_dirs: an array of absolute directories. */
static int parse_ir_dirs(struct parser *p, struct json_object *val,
                         const struct field *f, void *dst)
{
	struct dspd_config *cfg = (struct dspd_config *)((char *)dst - f->offset);
	size_t n;
	int r = 0;

	if (!json_object_is_type(val, json_type_array)) {
		cfg_error_here(p, "must be an array of absolute directories, "
		               "got %s", cfg_kind_name(val));
		return -EINVAL;
	}
	n = json_object_array_length(val);
	if (n > CFG_MAX_IR_DIRS) {
		cfg_error_here(p, "has %zu directories, at most %d are allowed",
		               n, CFG_MAX_IR_DIRS);
		return -EINVAL;
	}
	cfg->n_ir_dirs = 0;
	for (size_t i = 0; i < n; i++) {
		size_t mark = cfg_pointer_push_index(p, i);
		const char *d;

		if (cfg_get_string(p, json_object_array_get_idx(val, i),
		                   CFG_FIR_PATH_MAX, NULL, &d) < 0) {
			r = -EINVAL;
		} else if (d[0] != '/') {
			cfg_error_here(p, "must be an absolute directory");
			r = -EINVAL;
		} else {
			memcpy(cfg->ir_dirs[cfg->n_ir_dirs++], d, strlen(d) + 1);
		}
		cfg_pointer_pop(p, mark);
	}
	if (r < 0)
		cfg->n_ir_dirs = 0;
	return r;
}

static const struct field limits_fields[] = {
	{ .key = "max_taps_total", .parse = cfg_parse_unsigned,
	  .offset = CFG_OFFSET(limits.max_taps_total), .min = 1,
	  .max = CFG_MAX_TAPS_TOTAL_LIMIT },
	{ .key = "filter_memory_mb", .parse = cfg_parse_unsigned,
	  .offset = CFG_OFFSET(limits.filter_memory_mb), .min = 1,
	  .max = CFG_FILTER_MEMORY_MB_LIMIT },
	{ 0 }
};

static const struct field control_fields[] = {
	{ .key = "socket", .parse = cfg_parse_string,
	  .offset = CFG_OFFSET(socket_path), .size = CFG_PATH_MAX,
	  .hint = SUN_PATH_HINT, .flags = TAINTS_SOCKETS },
	{ .key = "monitor_socket", .parse = cfg_parse_string,
	  .offset = CFG_OFFSET(monitor_socket_path), .size = CFG_PATH_MAX,
	  .hint = SUN_PATH_HINT, .flags = TAINTS_SOCKETS },
	{ .key = "group", .parse = parse_group,
	  .offset = CFG_OFFSET(socket_group), .size = CFG_NAME_MAX },
	{ .key = "max_clients", .parse = cfg_parse_unsigned,
	  .offset = CFG_OFFSET(max_clients), .min = 1, .max = CFG_MAX_CLIENTS },
	{ .key = "ir_dirs", .parse = parse_ir_dirs,
	  .offset = CFG_OFFSET(ir_dirs) },
	{ .key = "max_clients_per_uid", .parse = cfg_parse_unsigned,
	  .offset = CFG_OFFSET(max_clients_per_uid), .min = 1, .max = 2 * CFG_MAX_CLIENTS },
	{ .key = "output_budget", .parse = cfg_parse_unsigned,
	  .offset = CFG_OFFSET(output_budget), .min = 1 << 20, .max = 1 << 30 },
	{ .key = "max_client_output", .parse = cfg_parse_unsigned,
	  .offset = CFG_OFFSET(max_client_output), .min = 64 << 10, .max = 64 << 20 },
	{ .key = "monitor_record", .parse = cfg_parse_bool,
	  .offset = CFG_OFFSET(monitor_record) },
	{ 0 }
};

/* threads: a count 1..CFG_MAX_THREADS, or "auto" (stored as 0): the
 * CPUs online when the engine starts. */
static int parse_threads(struct parser *p, struct json_object *val,
                         const struct field *f, void *dst)
{
	int64_t v;

	(void)f;
	if (json_object_is_type(val, json_type_string)) {
		if (strcasecmp(json_object_get_string(val), "auto") == 0) {
			*(unsigned *)dst = 0;
			return 0;
		}
		cfg_error_here(p, "must be a thread count 1..%d or \"auto\" (the "
		               "online CPUs)", CFG_MAX_THREADS);
		return -EINVAL;
	}
	if (cfg_get_integer(p, val, 1, CFG_MAX_THREADS, &v) < 0)
		return -EINVAL;
	*(unsigned *)dst = (unsigned)v;
	return 0;
}

/* realtime.cpus: the CPUs to pin the RT thread and the workers to. */
static int parse_cpus(struct parser *p, struct json_object *val,
                      const struct field *f, void *dst)
{
	struct dspd_config *cfg = (struct dspd_config *)((char *)dst - f->offset);
	size_t n;
	int r = 0;

	if (!json_object_is_type(val, json_type_array)) {
		cfg_error_here(p, "must be an array of CPU numbers (the RT thread's, "
		               "then each worker's), got %s", cfg_kind_name(val));
		return -EINVAL;
	}
	n = json_object_array_length(val);
	if (n > CFG_MAX_THREADS) {
		cfg_error_here(p, "has %zu CPUs, at most %d are used", n,
		               CFG_MAX_THREADS);
		return -EINVAL;
	}
	cfg->realtime.n_cpus = 0;
	for (size_t i = 0; i < n; i++) {
		size_t mark = cfg_pointer_push_index(p, i);
		int64_t cpu;

		if (cfg_get_integer(p, json_object_array_get_idx(val, i), 0,
		                    CFG_MAX_CPU, &cpu) < 0)
			r = -EINVAL;
		else
			cfg->realtime.cpus[cfg->realtime.n_cpus++] = (unsigned short)cpu;
		cfg_pointer_pop(p, mark);
	}
	if (r < 0)
		cfg->realtime.n_cpus = 0;
	return r;
}

static const struct field realtime_fields[] = {
	{ .key = "enabled", .parse = cfg_parse_bool,
	  .offset = CFG_OFFSET(realtime.enabled) },
	{ .key = "priority", .parse = parse_int,
	  .offset = CFG_OFFSET(realtime.priority), .min = 1, .max = 99 },
	{ .key = "mlock", .parse = cfg_parse_bool,
	  .offset = CFG_OFFSET(realtime.mlock) },
	{ .key = "cpus", .parse = parse_cpus,
	  .offset = CFG_OFFSET(realtime.cpus) },
	{ 0 }
};

static const char *const loudness_taps[] = { "capture", "playback", NULL };

static const struct field loudness_fields[] = {
	{ .key = "tap", .parse = cfg_parse_choice,
	  .offset = CFG_OFFSET(loudness.tap), .choices = loudness_taps,
	  .flags = FIELD_REQUIRED },
	{ 0 }
};

/* An absolute path, or "" for none. */
static int parse_state_path(struct parser *p, struct json_object *val,
                            const struct field *f, void *dst)
{
	const char *s;

	(void)f;
	if (json_object_is_type(val, json_type_string) &&
	    json_object_get_string_len(val) == 0) {
		*(char *)dst = '\0';
		return 0;
	}
	if (cfg_get_string(p, val, CFG_PATH_MAX * 2, NULL, &s) < 0)
		return -EINVAL;
	if (s[0] != '/') {
		cfg_error_here(p, "must be an absolute path (or \"\" for none)");
		return -EINVAL;
	}
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

static const char *const fade_curves[] = { "equal_gain", "equal_power", NULL };

static const struct field transition_fields[] = {
	{ .key = "crossfade_ms", .parse = cfg_parse_number,
	  .offset = CFG_OFFSET(transition.crossfade_ms), .min = 0, .max = 1000 },
	{ .key = "curve", .parse = cfg_parse_choice,
	  .offset = CFG_OFFSET(transition.curve), .choices = fade_curves },
	{ .key = "max_warmup_ms", .parse = cfg_parse_number,
	  .offset = CFG_OFFSET(transition.max_warmup_ms), .min = 0, .max = 10000 },
	{ 0 }
};

/* control, realtime, volume, source and silence fill members of the top-level struct, so
 * their nested tables use top-level offsets and a base offset of 0. */
static const struct field top_fields[] = {
	{ .key = "rate", .parse = cfg_parse_top_rate, .offset = CFG_OFFSET(rate),
	  .min = 8000, .max = 768000, .flags = TAINTS_RATES | TAINTS_FOLLOW },
	{ .key = "period_frames", .parse = cfg_parse_unsigned,
	  .offset = CFG_OFFSET(period_frames), .min = 16, .max = 65536,
	  .flags = TAINTS_PERIOD },
	{ .key = "periods", .parse = cfg_parse_unsigned,
	  .offset = CFG_OFFSET(periods), .min = 2, .max = 64,
	  .flags = TAINTS_PERIOD },
	{ .key = "threads", .parse = parse_threads,
	  .offset = CFG_OFFSET(realtime.threads) },
	{ .key = "capture", .parse = parse_object,
	  .offset = CFG_OFFSET(capture), .fields = capture_fields },
	{ .key = "playback", .parse = parse_object,
	  .offset = CFG_OFFSET(playback), .fields = playback_fields },
	{ .key = "rate_adjust", .parse = parse_object, .fields = rate_adjust_fields },
	{ .key = "resampler", .parse = parse_object, .fields = resampler_fields },
	{ .key = "control", .parse = parse_object, .fields = control_fields },
	{ .key = "http", .parse = cfg_parse_http },
	{ .key = "realtime", .parse = parse_object, .fields = realtime_fields },
	{ .key = "limits", .parse = parse_object, .fields = limits_fields },
	{ .key = "volume", .parse = parse_object, .fields = cfg_volume_fields },
	{ .key = "source", .parse = parse_object, .fields = cfg_source_fields },
	{ .key = "silence", .parse = parse_object, .fields = cfg_silence_fields },
	{ .key = "loudness", .parse = parse_object, .fields = loudness_fields },
	{ .key = "transition", .parse = parse_object, .fields = transition_fields },
	{ .key = "state_file", .parse = parse_state_path,
	  .offset = CFG_OFFSET(state_file) },
	{ .key = "fftw_wisdom", .parse = parse_state_path,
	  .offset = CFG_OFFSET(fftw_wisdom) },
	{ .key = "pipeline", .parse = cfg_parse_pipeline },
	{ 0 }
};

/* -- cross-field checks, once every key has been read -- */

static void check_buffer_size(struct parser *p, struct json_object *root,
                              const struct dspd_config *cfg)
{
	uint64_t frames = (uint64_t)cfg->period_frames * cfg->periods;
	const char *key;
	size_t mark;

	if ((p->tainted & TAINTS_PERIOD) || frames <= CFG_MAX_BUFFER_FRAMES)
		return;
	key = json_object_object_get_ex(root, "periods", NULL) ?
	      "periods" : "period_frames";
	mark = cfg_pointer_push(p, key, strlen(key));
	cfg_error_here(p, "the buffer period_frames * periods = %u * %u = %llu "
	               "frames exceeds %u frames", cfg->period_frames, cfg->periods,
	               (unsigned long long)frames, CFG_MAX_BUFFER_FRAMES);
	cfg_pointer_pop(p, mark);
}

static void error_at(struct parser *p, const char *key, const char *sub,
                     const char *fmt, unsigned a, unsigned b, unsigned c)
{
	size_t mark = cfg_pointer_push(p, key, strlen(key));

	if (sub)
		cfg_pointer_push(p, sub, strlen(sub));
	cfg_error_here(p, fmt, a, b, c);
	cfg_pointer_pop(p, mark);
}

/* What the resampler needs: a ratio it can do, a period to absorb the
 * capture's slips, a latency target the buffer can hold. */
static void check_resampling(struct parser *p, const struct dspd_config *cfg)
{
	unsigned in = config_capture_rate(cfg), out = cfg->rate;
	unsigned target = cfg->rate_adjust.target_level;
	unsigned lo = 3 * cfg->period_frames, hi = (cfg->periods - 1) * cfg->period_frames;

	if ((p->tainted & (TAINTS_RATES | TAINTS_PERIOD)) || !config_resamples(cfg))
		return;
	if ((uint64_t)in * CFG_MAX_RATE_RATIO < out ||
	    (uint64_t)out * CFG_MAX_RATE_RATIO < in) {
		error_at(p, "capture", "rate", "%u Hz is more than %u times away "
		         "from the rate %u Hz", in, CFG_MAX_RATE_RATIO, out);
		return;
	}
	if (cfg->periods < 4) {
		error_at(p, "periods", NULL, "must be at least 4 when the capture "
		         "is resampled (capture.rate %u Hz, rate %u Hz, rate_adjust "
		         "%u): one period more absorbs the capture clock's slips",
		         in, out, cfg->rate_adjust.enabled);
		return;
	}
	if (target && (target < lo || target > hi))
		error_at(p, "rate_adjust", "target_level", "must be 0 (auto) or "
		         "between 3 periods (%u) and periods - 1 periods (%u) "
		         "frames, got %u", lo, hi, target);
}

/* Two listeners cannot share one path: the second bind would fail, or
 * remove the first's socket. */
static void check_socket_paths(struct parser *p, const struct dspd_config *cfg)
{
	char quoted[CFG_SHOWN_VALUE_MAX + 8];
	const char *path = cfg->monitor_socket_path;
	size_t mark;

	if ((p->tainted & TAINTS_SOCKETS) || !path[0] ||
	    strcmp(path, cfg->socket_path) != 0)
		return;
	mark = cfg_pointer_push(p, "control", 7);
	cfg_pointer_push(p, "monitor_socket", 14);
	cfg_quote(path, strlen(path), quoted, sizeof(quoted));
	cfg_error_here(p, "must differ from /control/socket (both are %s)",
	               quoted);
	cfg_pointer_pop(p, mark);
}

void cfg_validate(struct parser *p, struct json_object *root,
                  struct dspd_config *cfg)
{
	cfg_parse_fields(p, root, top_fields, cfg);
	check_buffer_size(p, root, cfg);
	check_socket_paths(p, cfg);
	cfg_check_source(p, root, cfg);
	cfg_check_volume(p, root, cfg);
	check_resampling(p, cfg);
	cfg_check_block_channels(p, cfg);
}
