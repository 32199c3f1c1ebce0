/* pcm.c - ALSA stream negotiation: opening, closing and describing a
 * stream (see pcm.h).  Control thread only; the I/O is pcm_io.c's.
 *
 * Negotiation never accepts a silent fallback: every parameter is tested
 * against the device's configuration space and set exactly, then read back
 * after snd_pcm_hw_params() and compared.  The PCM is opened with
 * SND_PCM_NO_AUTO_{RESAMPLE,CHANNELS,FORMAT}, so that no conversion is
 * ever an accident; but a plug layer the user names (plughw:1, plug:x, a
 * PCM of `type plug`: snd_pcm_type() says SND_PCM_TYPE_PLUG once open) is
 * an explicit choice, so that one is opened again without the flags and
 * converts.  What its slave (the hardware side) then runs is read from
 * snd_pcm_dump(): the setup after the last "Slave:" line (pcm_slave). */
#include "pcm.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void append(char *out, size_t len, const char *fmt, const char *word)
{
	size_t used = strlen(out);

	if (used < len)
		snprintf(out + used, len - used, fmt, word);
}

/* Space-separated names of every format the device accepts. */
static void device_formats(snd_pcm_t *h, snd_pcm_hw_params_t *space,
                           char *out, size_t len)
{
	out[0] = '\0';
	for (int f = 0; f <= SND_PCM_FORMAT_LAST; f++) {
		const char *name = snd_pcm_format_name((snd_pcm_format_t)f);

		if (name && snd_pcm_hw_params_test_format(h, space, (snd_pcm_format_t)f) == 0)
			append(out, len, out[0] ? " %s" : "%s", name);
	}
	if (!out[0])
		snprintf(out, len, "none");
}

static int choose_format(struct pcm_stream *s, snd_pcm_t *h,
                         snd_pcm_hw_params_t *hw, snd_pcm_format_t wanted,
                         char *err, size_t err_len)
{
	char supported[512];
	size_t n;
	const struct fmt_codec *table = fmt_codec_table(&n);

	if (wanted == CFG_FORMAT_AUTO) {
		for (size_t i = 0; i < n; i++)
			if (snd_pcm_hw_params_test_format(h, hw, table[i].format) == 0) {
				s->codec = &table[i];
				return 0;
			}
		device_formats(h, hw, supported, sizeof(supported));
		snprintf(err, err_len, "%s device \"%s\" offers no format dspd can "
		         "convert (device supports: %s)", s->name, s->device, supported);
		return -EINVAL;
	}
	s->codec = fmt_codec_find(wanted);
	if (!s->codec) {
		snprintf(err, err_len, "format %s is not supported by dspd",
		         snd_pcm_format_name(wanted));
		return -EINVAL;
	}
	if (snd_pcm_hw_params_test_format(h, hw, wanted) < 0) {
		device_formats(h, hw, supported, sizeof(supported));
		snprintf(err, err_len, "%s device \"%s\" cannot do format %s "
		         "(device supports: %s; or use \"format\": \"auto\")",
		         s->name, s->device, s->codec->name, supported);
		return -EINVAL;
	}
	return 0;
}

static int set_hw_params(struct pcm_stream *s, snd_pcm_t *h,
                         const struct cfg_pcm *cfg, unsigned period_frames,
                         unsigned periods, char *err, size_t err_len)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_uframes_t min_f = 0, max_f = 0;
	unsigned min_u = 0, max_u = 0;
	int r;

	snd_pcm_hw_params_alloca(&hw);
	if ((r = snd_pcm_hw_params_any(h, hw)) < 0) {
		snprintf(err, err_len, "%s device \"%s\": no configurations: %s",
		         s->name, s->device, snd_strerror(r));
		return r;
	}
	if ((r = snd_pcm_hw_params_set_access(h, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0) {
		snprintf(err, err_len, "%s device \"%s\" does not support interleaved "
		         "read/write access", s->name, s->device);
		return r;
	}
	if ((r = choose_format(s, h, hw, cfg->format, err, err_len)) < 0)
		return r;
	snd_pcm_hw_params_set_format(h, hw, s->codec->format);
	if (snd_pcm_hw_params_test_channels(h, hw, cfg->channels) < 0) {
		snd_pcm_hw_params_get_channels_min(hw, &min_u);
		snd_pcm_hw_params_get_channels_max(hw, &max_u);
		snprintf(err, err_len, "%s device \"%s\" cannot do %u channels "
		         "(supports %u..%u)", s->name, s->device, cfg->channels,
		         min_u, max_u);
		return -EINVAL;
	}
	snd_pcm_hw_params_set_channels(h, hw, cfg->channels);
	snd_pcm_hw_params_set_rate_resample(h, hw, 0);
	if (snd_pcm_hw_params_test_rate(h, hw, s->rate, 0) < 0) {
		snd_pcm_hw_params_get_rate_min(hw, &min_u, NULL);
		snd_pcm_hw_params_get_rate_max(hw, &max_u, NULL);
		snprintf(err, err_len, "%s device \"%s\" cannot run at %u Hz in %s "
		         "(supports %u..%u Hz; dspd never resamples silently)",
		         s->name, s->device, s->rate, s->codec->name, min_u, max_u);
		return -EINVAL;
	}
	snd_pcm_hw_params_set_rate(h, hw, s->rate, 0);
	if (snd_pcm_hw_params_set_period_size(h, hw, period_frames, 0) < 0) {
		snd_pcm_hw_params_get_period_size_min(hw, &min_f, NULL);
		snd_pcm_hw_params_get_period_size_max(hw, &max_f, NULL);
		snprintf(err, err_len, "%s device \"%s\" cannot use a period of %u "
		         "frames (supports %lu..%lu)", s->name, s->device,
		         period_frames, min_f, max_f);
		return -EINVAL;
	}
	if (snd_pcm_hw_params_set_buffer_size(h, hw, (snd_pcm_uframes_t)period_frames * periods) < 0) {
		snd_pcm_hw_params_get_buffer_size_min(hw, &min_f);
		snd_pcm_hw_params_get_buffer_size_max(hw, &max_f);
		snprintf(err, err_len, "%s device \"%s\" cannot use a buffer of %u "
		         "periods = %u frames (supports %lu..%lu frames)", s->name,
		         s->device, periods, period_frames * periods, min_f, max_f);
		return -EINVAL;
	}
	if ((r = snd_pcm_hw_params(h, hw)) < 0) {
		snprintf(err, err_len, "%s device \"%s\": cannot apply parameters: %s",
		         s->name, s->device, snd_strerror(r));
		return r;
	}
	return 0;
}

/* Read back what the device really runs with; refuse any difference. */
static int verify_negotiated(struct pcm_stream *s, snd_pcm_t *h,
                             unsigned channels, unsigned period_frames,
                             unsigned periods, char *err, size_t err_len)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_format_t format;
	unsigned rate, ch;
	snd_pcm_uframes_t period, buffer;

	snd_pcm_hw_params_alloca(&hw);
	if (snd_pcm_hw_params_current(h, hw) < 0 ||
	    snd_pcm_hw_params_get_format(hw, &format) < 0 ||
	    snd_pcm_hw_params_get_rate(hw, &rate, NULL) < 0 ||
	    snd_pcm_hw_params_get_channels(hw, &ch) < 0 ||
	    snd_pcm_hw_params_get_period_size(hw, &period, NULL) < 0 ||
	    snd_pcm_hw_params_get_buffer_size(hw, &buffer) < 0) {
		snprintf(err, err_len, "%s device \"%s\": cannot read back parameters",
		         s->name, s->device);
		return -EIO;
	}
	if (format != s->codec->format || rate != s->rate || ch != channels ||
	    period != period_frames || buffer != (snd_pcm_uframes_t)period_frames * periods) {
		snprintf(err, err_len, "%s device \"%s\" silently changed the "
		         "parameters: got %s %u Hz %u ch period %lu buffer %lu, asked "
		         "%s %u Hz %u ch period %u buffer %u", s->name, s->device,
		         snd_pcm_format_name(format), rate, ch, period, buffer,
		         s->codec->name, s->rate, channels, period_frames,
		         period_frames * periods);
		return -EINVAL;
	}
	s->period_frames = period;
	s->buffer_frames = buffer;
	return 0;
}

static int set_sw_params(struct pcm_stream *s, snd_pcm_t *h, char *err,
                         size_t err_len)
{
	snd_pcm_sw_params_t *sw;
	snd_pcm_uframes_t boundary;
	int r;

	snd_pcm_sw_params_alloca(&sw);
	if ((r = snd_pcm_sw_params_current(h, sw)) < 0 ||
	    (r = snd_pcm_sw_params_get_boundary(sw, &boundary)) < 0 ||
	    (r = snd_pcm_sw_params_set_avail_min(h, sw, s->period_frames)) < 0 ||
	    /* dspd starts both streams itself, at a known moment */
	    (r = snd_pcm_sw_params_set_start_threshold(h, sw, boundary)) < 0 ||
	    (r = snd_pcm_sw_params_set_stop_threshold(h, sw, s->buffer_frames)) < 0 ||
	    (r = snd_pcm_sw_params(h, sw)) < 0) {
		snprintf(err, err_len, "%s device \"%s\": cannot set software "
		         "parameters: %s", s->name, s->device, snd_strerror(r));
		return r;
	}
	return 0;
}

/* The value of "  KEY : VALUE" lines of a dump's setup block. */
static bool setup_value(const char *line, const char *key, char *out, size_t len)
{
	size_t n = strlen(key);
	const char *colon;

	line += strspn(line, " \t");
	if (strncmp(line, key, n) != 0 || (line[n] != ' ' && line[n] != ':'))
		return false;
	if (!(colon = strchr(line + n, ':')))
		return false;
	colon += 1 + strspn(colon + 1, " \t");
	snprintf(out, len, "%.*s", (int)strcspn(colon, " \t\n"), colon);
	return true;
}

/* A plug PCM's dump names each layer below it after "Slave:"; the last
 * one is the hardware side: its setup block says what it runs. */
void pcm_parse_slave(const char *dump, struct pcm_slave *out)
{
	const char *p = dump, *last = NULL, *line;
	char value[32];
	bool fmt = false, rate = false, ch = false;

	while ((p = strstr(p, "Slave:")) != NULL) {
		if (p == dump || p[-1] == '\n')
			last = p;
		p += 6;
	}
	if (!last)
		return;
	for (line = last; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (!fmt && setup_value(line, "format", value, sizeof(value))) {
			snprintf(out->format, sizeof(out->format), "%s", value);
			fmt = true;
		} else if (!rate && setup_value(line, "rate", value, sizeof(value))) {
			out->rate = (unsigned)strtoul(value, NULL, 10);
			rate = true;
		} else if (!ch && setup_value(line, "channels", value, sizeof(value))) {
			out->channels = (unsigned)strtoul(value, NULL, 10);
			ch = true;
		}
	}
	out->known = fmt && rate && ch;
}

static void pcm_read_slave(snd_pcm_t *h, struct pcm_slave *out)
{
	snd_output_t *o;
	char *text;

	if (snd_output_buffer_open(&o) < 0)
		return;
	if (snd_pcm_dump(h, o) == 0 && snd_output_buffer_string(o, &text) > 0) {
		/* the buffer is not terminated: copy it */
		size_t n = snd_output_buffer_string(o, &text);
		char *copy = malloc(n + 1);

		if (copy) {
			memcpy(copy, text, n);
			copy[n] = '\0';
			pcm_parse_slave(copy, out);
			free(copy);
		}
	}
	snd_output_close(o);
}

int pcm_open(struct pcm_stream *s, snd_pcm_stream_t direction,
             const struct cfg_pcm *cfg, unsigned rate, unsigned period_frames,
             unsigned periods, char *err, size_t err_len)
{
	snd_pcm_t *h = NULL;
	int r;

	memset(s, 0, sizeof(*s));
	s->direction = direction;
	s->name = direction == SND_PCM_STREAM_CAPTURE ? "capture" : "playback";
	snprintf(s->device, sizeof(s->device), "%s", cfg->device);
	s->channels = cfg->channels;
	s->rate = rate;
	r = snd_pcm_open(&h, cfg->device, direction,
	                 SND_PCM_NONBLOCK | SND_PCM_NO_AUTO_RESAMPLE |
	                 SND_PCM_NO_AUTO_CHANNELS | SND_PCM_NO_AUTO_FORMAT);
	if (r == 0 && snd_pcm_type(h) == SND_PCM_TYPE_PLUG) {
		/* the user asked for conversions: let the plug make them */
		snd_pcm_close(h);
		h = NULL;
		s->slave.plug = true;
		r = snd_pcm_open(&h, cfg->device, direction, SND_PCM_NONBLOCK);
	}
	if (r < 0) {
		snprintf(err, err_len, "cannot open %s device \"%s\": %s",
		         s->name, cfg->device, snd_strerror(r));
		return r;
	}
	if ((r = set_hw_params(s, h, cfg, period_frames, periods, err, err_len)) < 0 ||
	    (r = verify_negotiated(s, h, cfg->channels, period_frames, periods, err, err_len)) < 0 ||
	    (r = set_sw_params(s, h, err, err_len)) < 0) {
		snd_pcm_close(h);
		return r;
	}
	s->handle = h;
	s->frame_bytes = (size_t)s->codec->bytes * s->channels;
	if (s->slave.plug)
		pcm_read_slave(h, &s->slave);
	return 0;
}

void pcm_close(struct pcm_stream *s)
{
	if (s->handle)
		snd_pcm_close(s->handle);
	s->handle = NULL;
}

void pcm_describe(const struct pcm_stream *s, char *out, size_t len)
{
	snprintf(out, len, "%s %s: %s %u ch %u Hz, period %lu frames (%.2f ms), "
	         "buffer %lu frames (%.2f ms)", s->device, s->name, s->codec->name,
	         s->channels, s->rate, s->period_frames,
	         1000.0 * s->period_frames / s->rate, s->buffer_frames,
	         1000.0 * s->buffer_frames / s->rate);
}
