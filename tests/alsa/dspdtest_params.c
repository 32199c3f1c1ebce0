/* dspdtest_params.c - the device's parameters: defaults and parsing of the
 * PCM's ALSA configuration node (formats, channels, rate, signal, sine,
 * report/record/control paths, clock speed and ppm offsets).
 *
 * Called once per open from the plugin entry point, on the opening thread,
 * before the PCM exists; touches no shared state.  The parameters are
 * documented for users in tests/alsa/README.md. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dspdtest.h"

static int parse_formats(struct dspdtest_params *p, const char *list)
{
	char buf[256];
	char *save = NULL;

	if (strlen(list) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, list);
	p->format_count = 0;
	for (char *tok = strtok_r(buf, " ,\t", &save); tok;
	     tok = strtok_r(NULL, " ,\t", &save)) {
		snd_pcm_format_t format = snd_pcm_format_value(tok);
		if (!sample_format_find(format)) {
			SNDERR("dspdtest: unsupported format '%s'", tok);
			return -EINVAL;
		}
		if (p->format_count < SAMPLE_FORMAT_COUNT)
			p->formats[p->format_count++] = (unsigned int)format;
	}
	return p->format_count ? 0 : -EINVAL;
}

void params_set_defaults(struct dspdtest_params *p)
{
	memset(p, 0, sizeof(*p));
	p->format_count = sample_format_all(p->formats);
	p->channels_min = 1;
	p->channels_max = MAX_CHANNELS;
	p->rate_min = 8000;
	p->rate_max = 768000;
	p->signal = SIGNAL_COUNTER;
	p->sine_freq = 1000.0;
	p->sine_dbfs = -6.0;
	p->clock.speed = 1.0;
}

void params_free(struct dspdtest_params *p)
{
	free(p->report_path);
	free(p->record_path);
	free(p->control_path);
}

/* A string parameter; "" leaves the path unset. */
static int param_path(snd_config_t *n, char **dst)
{
	const char *s;
	int err = snd_config_get_string(n, &s);

	if (err < 0)
		return err;
	free(*dst);
	*dst = NULL;
	if (!*s)
		return 0;
	*dst = strdup(s);
	return *dst ? 0 : -ENOMEM;
}

static int param_uint(snd_config_t *n, unsigned int lo, unsigned int hi,
		      unsigned int *dst)
{
	long v;
	int err = snd_config_get_integer(n, &v);

	if (err < 0)
		return err;
	if (v < (long)lo || v > (long)hi)
		return -ERANGE;
	*dst = (unsigned int)v;
	return 0;
}

/* A real in lo..hi, written as a real, an integer or a string holding a
 * number (an @args value that reached the definition unconverted). */
static int param_real(snd_config_t *n, double lo, double hi, double *dst)
{
	const char *s;
	char *end;
	double v;
	int err = snd_config_get_ireal(n, &v);

	if (err < 0) {
		if (snd_config_get_string(n, &s) < 0)
			return err;
		v = strtod(s, &end);
		if (end == s || *end)
			return -EINVAL;
	}
	if (!(v >= lo && v <= hi))      /* NaN too */
		return -ERANGE;
	*dst = v;
	return 0;
}

static int param_signal(snd_config_t *n, enum signal_kind *dst)
{
	const char *s;
	int err = snd_config_get_string(n, &s);

	if (err < 0)
		return err;
	if (!strcmp(s, "counter") || !*s)
		*dst = SIGNAL_COUNTER;
	else if (!strcmp(s, "sine"))
		*dst = SIGNAL_SINE;
	else if (!strcmp(s, "silence"))
		*dst = SIGNAL_SILENCE;
	else
		return -EINVAL;
	return 0;
}

static int param_source(snd_config_t *n, enum source_kind *dst)
{
	const char *s;
	int err = snd_config_get_string(n, &s);

	if (err < 0)
		return err;
	if (!strcmp(s, "none") || !*s)
		*dst = SOURCE_NONE;
	else if (!strcmp(s, "stream"))
		*dst = SOURCE_STREAM;
	else if (!strcmp(s, "loopback"))
		*dst = SOURCE_LOOPBACK;
	else if (!strcmp(s, "gadget"))
		*dst = SOURCE_GADGET;
	else
		return -EINVAL;
	return 0;
}

static int param_apply(struct dspdtest_params *p, const char *id, snd_config_t *n)
{
	const char *s;
	unsigned int rate = 0;
	int err;

	if (!strcmp(id, "formats")) {
		err = snd_config_get_string(n, &s);
		if (err < 0)
			return err;
		return *s ? parse_formats(p, s) : 0;
	}
	if (!strcmp(id, "channels_min"))
		return param_uint(n, 1, MAX_CHANNELS, &p->channels_min);
	if (!strcmp(id, "channels_max"))
		return param_uint(n, 1, MAX_CHANNELS, &p->channels_max);
	if (!strcmp(id, "rate")) {
		err = param_uint(n, 0, 768000, &rate);
		if (err < 0 || rate == 0)
			return err;
		if (rate < 8000)
			return -ERANGE;
		p->rate_min = p->rate_max = rate;
		return 0;
	}
	if (!strcmp(id, "signal"))
		return param_signal(n, &p->signal);
	if (!strcmp(id, "mmap")) {
		int on = snd_config_get_bool(n);

		if (on < 0)
			return on;
		p->mmap = on;
		return 0;
	}
	if (!strcmp(id, "sine_freq"))
		return snd_config_get_ireal(n, &p->sine_freq);
	if (!strcmp(id, "sine_dbfs"))
		return snd_config_get_ireal(n, &p->sine_dbfs);
	if (!strcmp(id, "speed"))
		return param_real(n, 1.0, 100.0, &p->clock.speed);
	if (!strcmp(id, "capture_ppm"))
		return param_real(n, -20000.0, 20000.0, &p->clock.ppm[DIR_CAPTURE]);
	if (!strcmp(id, "playback_ppm"))
		return param_real(n, -20000.0, 20000.0, &p->clock.ppm[DIR_PLAYBACK]);
	if (!strcmp(id, "report"))
		return param_path(n, &p->report_path);
	if (!strcmp(id, "record"))
		return param_path(n, &p->record_path);
	if (!strcmp(id, "control"))
		return param_path(n, &p->control_path);
	if (!strcmp(id, "source"))
		return param_source(n, &p->source);
	return -ENOENT;
}

int params_parse(struct dspdtest_params *p, snd_config_t *conf)
{
	snd_config_iterator_t i, next;

	snd_config_for_each(i, next, conf) {
		snd_config_t *n = snd_config_iterator_entry(i);
		const char *id;
		int err;

		if (snd_config_get_id(n, &id) < 0)
			continue;
		if (!strcmp(id, "comment") || !strcmp(id, "type") ||
		    !strcmp(id, "hint"))
			continue;
		err = param_apply(p, id, n);
		if (err == -ENOENT) {
			SNDERR("dspdtest: unknown parameter '%s'", id);
			return -EINVAL;
		}
		if (err < 0) {
			SNDERR("dspdtest: invalid value for '%s'", id);
			return err;
		}
	}
	if (p->channels_min > p->channels_max) {
		SNDERR("dspdtest: channels_min > channels_max");
		return -EINVAL;
	}
	return 0;
}
