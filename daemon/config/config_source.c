/* config_source.c - the keys of a configuration that follows its source:
 * "rate": "follow" (mode a: capture, pipeline and playback reopen at the
 * source's rate), capture.rate "follow" (mode b: the playback stays,
 * the capture is resampled), the "source" object (what feeds the capture:
 * its kind, control device, elements and allowed rates) and rate_adjust's
 * "pitch" method (a clock-trim element instead of a resampler ratio).
 * Their cross-field checks run after every key is read, because the
 * defaults of one depend on another (the pitch element on source.kind).
 * Keys documented in dspd.conf(5).  Control thread only. */
#include "config_source.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CFG_OFFSET(member) offsetof(struct dspd_config, member)
#define RATE_MIN 8000
#define RATE_MAX 768000

/* -- field parsers -- */

/* An integer rate, or "follow": *follow set. */
static int parse_rate_or_follow(struct parser *p, struct json_object *val,
                                const struct field *f, unsigned *rate,
                                bool *follow)
{
	int64_t v;

	if (json_object_is_type(val, json_type_string)) {
		char quoted[CFG_SHOWN_VALUE_MAX + 8];
		const char *s = json_object_get_string(val);

		if (strcmp(s, "follow") == 0) {
			*follow = true;
			return 0;
		}
		cfg_quote(s, strlen(s), quoted, sizeof(quoted));
		cfg_error_here(p, "must be a rate in Hz between %.0f and %.0f, or "
		               "\"follow\", got %s", f->min, f->max, quoted);
		return -EINVAL;
	}
	if (cfg_get_integer(p, val, f->min, f->max, &v) < 0)
		return -EINVAL;
	*rate = (unsigned)v;
	*follow = false;
	return 0;
}

int cfg_parse_top_rate(struct parser *p, struct json_object *val,
                       const struct field *f, void *dst)
{
	struct dspd_config *cfg = (struct dspd_config *)
	                          ((char *)dst - CFG_OFFSET(rate));

	return parse_rate_or_follow(p, val, f, &cfg->rate, &cfg->rate_follow);
}

int cfg_parse_capture_rate(struct parser *p, struct json_object *val,
                           const struct field *f, void *dst)
{
	struct cfg_pcm *pcm = (struct cfg_pcm *)
	                      ((char *)dst - offsetof(struct cfg_pcm, rate));

	return parse_rate_or_follow(p, val, f, &pcm->rate, &pcm->follow);
}

int cfg_parse_device_or_none(struct parser *p, struct json_object *val,
                             const struct field *f, void *dst)
{
	if (json_object_is_type(val, json_type_string) &&
	    json_object_get_string_len(val) == 0) {
		*(char *)dst = '\0';
		return 0;
	}
	if (!json_object_is_type(val, json_type_string)) {
		cfg_error_here(p, "must be a string naming an ALSA control device "
		               "(\"\" for none), got %s", cfg_kind_name(val));
		return -EINVAL;
	}
	return cfg_parse_string(p, val, f, dst);
}

int cfg_parse_element(struct parser *p, struct json_object *val,
                      const struct field *f, void *dst)
{
	const char *s;

	(void)f;
	if (cfg_get_string(p, val, CFG_ELEMENT_NAME_MAX, " (the length of an "
	                   "ALSA control element's name)", &s) < 0)
		return -EINVAL;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

int cfg_parse_element_or_none(struct parser *p, struct json_object *val,
                              const struct field *f, void *dst)
{
	if (json_object_is_type(val, json_type_string) &&
	    json_object_get_string_len(val) == 0) {
		*(char *)dst = '\0';
		return 0;
	}
	return cfg_parse_element(p, val, f, dst);
}

int cfg_parse_scale(struct parser *p, struct json_object *val,
                    const struct field *f, void *dst)
{
	int64_t v;

	if (cfg_get_integer(p, val, f->min, f->max, &v) < 0)
		return -EINVAL;
	*(long *)dst = (long)v;
	return 0;
}

/* source.rates: 1..CFG_MAX_RATES different rates. */
static int parse_rates(struct parser *p, struct json_object *val,
                       const struct field *f, void *dst)
{
	struct dspd_config *cfg = (struct dspd_config *)
	                          ((char *)dst - CFG_OFFSET(source.rates));
	unsigned rates[CFG_MAX_RATES];
	size_t n;
	int r = 0;

	if (!json_object_is_type(val, json_type_array)) {
		cfg_error_here(p, "must be an array of rates in Hz, got %s",
		               cfg_kind_name(val));
		return -EINVAL;
	}
	n = json_object_array_length(val);
	if (n == 0 || n > CFG_MAX_RATES) {
		cfg_error_here(p, "has %zu rates, 1 to %d are allowed", n,
		               CFG_MAX_RATES);
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		size_t mark = cfg_pointer_push_index(p, i);
		int64_t v;

		if (cfg_get_integer(p, json_object_array_get_idx(val, i), f->min,
		                    f->max, &v) < 0) {
			r = -EINVAL;
		} else {
			rates[i] = (unsigned)v;
			for (size_t j = 0; j < i; j++)
				if (rates[j] == rates[i]) {
					cfg_error_here(p, "%u Hz is listed twice "
					               "(also at /source/rates/%zu)",
					               rates[i], j);
					r = -EINVAL;
					break;
				}
		}
		cfg_pointer_pop(p, mark);
	}
	if (r < 0)
		return r;
	memcpy(cfg->source.rates, rates, n * sizeof(rates[0]));
	cfg->source.n_rates = (unsigned)n;
	return 0;
}

/* the order of enum cfg_source_kind */
static const char *const source_kinds[] = { "stream", "loopback", "gadget", NULL };
/* the order of enum cfg_adjust_method */
const char *const cfg_adjust_methods[] = { "resample", "pitch", NULL };
const char *const cfg_trim_senses[] = { "auto", "faster", "slower", NULL };

const struct field cfg_source_fields[] = {
	{ .key = "kind", .parse = cfg_parse_choice,
	  .offset = CFG_OFFSET(source.kind), .choices = source_kinds,
	  .flags = TAINTS_FOLLOW },
	{ .key = "control", .parse = cfg_parse_device_or_none,
	  .offset = CFG_OFFSET(source.control), .size = CFG_DEVICE_MAX,
	  .flags = TAINTS_FOLLOW },
	{ .key = "subdevice", .parse = cfg_parse_unsigned,
	  .offset = CFG_OFFSET(source.subdevice), .min = 0, .max = 31 },
	{ .key = "device", .parse = cfg_parse_unsigned,
	  .offset = CFG_OFFSET(source.device), .min = 0, .max = 31 },
	{ .key = "rates", .parse = parse_rates, .offset = CFG_OFFSET(source.rates),
	  .min = RATE_MIN, .max = RATE_MAX, .flags = TAINTS_FOLLOW },
	{ .key = "initial_rate", .parse = cfg_parse_unsigned,
	  .offset = CFG_OFFSET(source.initial_rate), .min = RATE_MIN,
	  .max = RATE_MAX, .flags = TAINTS_FOLLOW },
	{ 0 }
};

/* -- cross-field checks -- */

void cfg_error_key(struct parser *p, const char *key, const char *sub,
                   const char *fmt, ...)
{
	size_t mark = cfg_pointer_push(p, key, strlen(key));
	char msg[320];
	va_list ap;

	if (sub)
		cfg_pointer_push(p, sub, strlen(sub));
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cfg_error_here(p, "%s", msg);
	cfg_pointer_pop(p, mark);
}

static bool has_key(struct json_object *root, const char *obj, const char *key)
{
	struct json_object *o;

	return json_object_object_get_ex(root, obj, &o) &&
	       json_object_is_type(o, json_type_object) &&
	       json_object_object_get_ex(o, key, NULL);
}

static void list_rates(const struct dspd_config *cfg, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < cfg->source.n_rates; i++)
		cfg_msg_append(buf, size, &len, "%s%u", i ? " " : "",
		               cfg->source.rates[i]);
}

/* The two modes exclude each other; source.initial_rate is one of
 * source.rates, and becomes the rate of the side that follows. */
static void check_modes(struct parser *p, struct json_object *root,
                        struct dspd_config *cfg)
{
	bool given = has_key(root, "source", "initial_rate");
	unsigned want = cfg->capture.follow ? cfg->rate : 48000;
	char rates[160];

	if (cfg->rate_follow && cfg->capture.follow)
		cfg_error_key(p, "capture", "rate", "\"follow\" together with \"rate\": "
		              "\"follow\": choose one (\"rate\": \"follow\" reopens the "
		              "playback at the source's rate; capture.rate \"follow\" "
		              "keeps the playback at \"rate\" and resamples)");
	else if (cfg->rate_follow && cfg->capture.rate)
		cfg_error_key(p, "capture", "rate", "must not be set when \"rate\" is "
		              "\"follow\": the capture runs at the source's rate");
	if (given && !config_source_has_rate(cfg, cfg->source.initial_rate)) {
		list_rates(cfg, rates, sizeof(rates));
		cfg_error_key(p, "source", "initial_rate", "%u Hz is not one of "
		              "source.rates (%s)", cfg->source.initial_rate, rates);
		return;
	}
	if (!given)
		cfg->source.initial_rate =
			config_source_has_rate(cfg, want) ? want :
			config_source_has_rate(cfg, 48000) ? 48000 :
			cfg->source.rates[0];
	if (cfg->rate_follow)
		cfg->rate = cfg->source.initial_rate;
	else if (cfg->capture.follow)
		cfg->capture.rate = cfg->source.initial_rate;
}

/* Mode b resamples every source rate to "rate". */
static void check_follow_ratios(struct parser *p, const struct dspd_config *cfg)
{
	if (!cfg->capture.follow || (p->tainted & TAINTS_RATES))
		return;
	for (unsigned i = 0; i < cfg->source.n_rates; i++) {
		unsigned in = cfg->source.rates[i], out = cfg->rate;
		char idx[16];

		if ((uint64_t)in * CFG_MAX_RATE_RATIO >= out &&
		    (uint64_t)out * CFG_MAX_RATE_RATIO >= in)
			continue;
		snprintf(idx, sizeof(idx), "%u", i);
		cfg_error_key(p, "source", "rates", "%u Hz (entry %s) is more than %u "
		              "times away from the rate %u Hz the capture is resampled "
		              "to", in, idx, CFG_MAX_RATE_RATIO, out);
	}
}

static const char *kind_name(int kind)
{
	return source_kinds[kind];
}

/* "PCM Rate Shift 100000" -> 100000; 0 when the name ends in no number. */
static long trailing_number(const char *name)
{
	size_t n = strlen(name), i = n;

	while (i > 0 && name[i - 1] >= '0' && name[i - 1] <= '9')
		i--;
	if (i == n || n - i > 9 || name[i] == '0')
		return 0;
	return strtol(name + i, NULL, 10);
}

/* Method "pitch": bit-perfect, so the rates must be equal; the element's
 * device, name and scale from source.kind when not given. */
static void check_pitch(struct parser *p, struct dspd_config *cfg)
{
	typeof(cfg->rate_adjust) *ra = &cfg->rate_adjust;

	if (ra->method != CFG_ADJUST_PITCH)
		return;
	if (cfg->capture.follow)
		cfg_error_key(p, "rate_adjust", "method", "\"pitch\" cannot be used "
		              "with capture.rate \"follow\": that capture is resampled "
		              "(use \"rate\": \"follow\" to stay bit-perfect, or method "
		              "\"resample\")");
	else if (config_capture_rate(cfg) != cfg->rate)
		cfg_error_key(p, "rate_adjust", "method", "\"pitch\" trims the source's "
		              "clock without resampling, but capture.rate %u Hz differs "
		              "from rate %u Hz", config_capture_rate(cfg), cfg->rate);
	if (!ra->control[0])
		memcpy(ra->control, cfg->source.control, sizeof(ra->control));
	if (!ra->control[0])
		cfg_error_key(p, "rate_adjust", NULL, "method \"pitch\" needs "
		              "\"control\", the ALSA control device of the clock-trim "
		              "element (e.g. \"hw:Loopback\"), or source.control");
	if (!ra->element[0] && cfg->source.kind == CFG_SOURCE_LOOPBACK)
		snprintf(ra->element, sizeof(ra->element), "PCM Rate Shift 100000");
	else if (!ra->element[0] && cfg->source.kind == CFG_SOURCE_GADGET)
		snprintf(ra->element, sizeof(ra->element), "Capture Pitch 1000000");
	if (!ra->element[0]) {
		cfg_error_key(p, "rate_adjust", NULL, "method \"pitch\" needs "
		              "\"element\", the integer control element that trims the "
		              "source's clock (source.kind \"%s\" has no default)",
		              kind_name(cfg->source.kind));
		return;
	}
	if (ra->larger == CFG_TRIM_AUTO)
		ra->larger = strncmp(ra->element, "PCM Rate Shift", 14) == 0
		             ? CFG_TRIM_SLOWER : CFG_TRIM_FASTER;
	if (!ra->scale)
		ra->scale = trailing_number(ra->element);
	if (!ra->scale)
		cfg_error_key(p, "rate_adjust", NULL, "method \"pitch\" needs \"scale\", "
		              "the value of \"%s\" for a ratio of 1.0 (its name ends in "
		              "no number to take it from)", ra->element);
}

void cfg_check_source(struct parser *p, struct json_object *root,
                      struct dspd_config *cfg)
{
	if (p->tainted & TAINTS_FOLLOW)
		return;
	check_modes(p, root, cfg);
	check_follow_ratios(p, cfg);
	if (cfg->source.kind != CFG_SOURCE_STREAM && !cfg->source.control[0])
		cfg_error_key(p, "source", NULL, "missing required key \"control\": "
		              "source.kind \"%s\" reads the card's control elements "
		              "(e.g. \"hw:%s\")", kind_name(cfg->source.kind),
		              cfg->source.kind == CFG_SOURCE_LOOPBACK ? "Loopback" :
		              "UAC2Gadget");
	check_pitch(p, cfg);
}
