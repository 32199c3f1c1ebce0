/* dspdtest_signal.c - what dspdtest's samples mean: the supported sample
 * formats, the frame-counter encoding and its decoding, the sine, and the
 * capture signal generator built from them.
 *
 * Channel c of frame k holds v = k + c * CHANNEL_OFFSET wrapped to B bits;
 * each format stores v its own way (see sample_encode()).  Every sample is
 * exact in float32.  Pure functions of their arguments, callable from any
 * thread; capture_generate() is called from the capture transfer callback.
 * The encoding is documented for users in tests/alsa/README.md. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "dspdtest.h"

#define CHANNEL_OFFSET 0x3C3C    /* counter offset between channels */

static const struct sample_format sample_formats[] = {
	{ SND_PCM_FORMAT_S16_LE, 2, 16 },
	{ SND_PCM_FORMAT_S24_LE, 4, 24 },
	{ SND_PCM_FORMAT_S24_3LE, 3, 24 },
	{ SND_PCM_FORMAT_S32_LE, 4, 24 },
	{ SND_PCM_FORMAT_FLOAT_LE, 4, 24 },
	{ SND_PCM_FORMAT_FLOAT64_LE, 8, 24 },
	{ SND_PCM_FORMAT_U8, 1, 8 },
};
_Static_assert(sizeof(sample_formats) / sizeof(sample_formats[0]) ==
	       SAMPLE_FORMAT_COUNT, "SAMPLE_FORMAT_COUNT out of date");

const struct sample_format *sample_format_find(snd_pcm_format_t format)
{
	for (size_t i = 0; i < SAMPLE_FORMAT_COUNT; i++)
		if (sample_formats[i].format == format)
			return &sample_formats[i];
	return NULL;
}

unsigned int sample_format_all(unsigned int formats[SAMPLE_FORMAT_COUNT])
{
	for (size_t i = 0; i < SAMPLE_FORMAT_COUNT; i++)
		formats[i] = (unsigned int)sample_formats[i].format;
	return SAMPLE_FORMAT_COUNT;
}

/* ---- encoding ---------------------------------------------------------- */

int64_t wrap_bits(int64_t x, unsigned int bits)
{
	uint64_t mask = (1ull << bits) - 1;
	uint64_t sign = 1ull << (bits - 1);
	return (int64_t)(((uint64_t)x & mask) ^ sign) - (int64_t)sign;
}

static void store_le(unsigned char *dst, uint64_t value, unsigned int bytes)
{
	for (unsigned int i = 0; i < bytes; i++)
		dst[i] = (unsigned char)(value >> (8 * i));
}

static uint64_t load_le(const unsigned char *src, unsigned int bytes)
{
	uint64_t value = 0;
	for (unsigned int i = 0; i < bytes; i++)
		value |= (uint64_t)src[i] << (8 * i);
	return value;
}

static int64_t sign_extend(uint64_t value, unsigned int bits)
{
	return wrap_bits((int64_t)value, bits);
}

/* Store v, a signed value of fmt->bits bits, as one sample of fmt. */
static void sample_encode(const struct sample_format *fmt, unsigned char *dst,
			  int64_t v)
{
	float f;
	double d;
	uint32_t u32;
	uint64_t u64;

	switch (fmt->format) {
	case SND_PCM_FORMAT_S32_LE:
		store_le(dst, (uint64_t)v << 8, 4);
		break;
	case SND_PCM_FORMAT_FLOAT_LE:
		f = (float)v / 8388608.0f;
		memcpy(&u32, &f, 4);
		store_le(dst, u32, 4);
		break;
	case SND_PCM_FORMAT_FLOAT64_LE:
		d = (double)v / 8388608.0;
		memcpy(&u64, &d, 8);
		store_le(dst, u64, 8);
		break;
	case SND_PCM_FORMAT_U8:
		dst[0] = (unsigned char)(v + 128);
		break;
	default:        /* S16_LE, S24_LE (sign-extended), S24_3LE */
		store_le(dst, (uint64_t)v, fmt->bytes);
		break;
	}
}

double sample_decode(const struct sample_format *fmt, const unsigned char *src)
{
	float f;
	double d;
	uint32_t u32;
	uint64_t u64;

	switch (fmt->format) {
	case SND_PCM_FORMAT_S16_LE:
		return (double)sign_extend(load_le(src, 2), 16);
	case SND_PCM_FORMAT_S24_LE:
	case SND_PCM_FORMAT_S24_3LE:
		return (double)sign_extend(load_le(src, 3), 24);
	case SND_PCM_FORMAT_S32_LE:
		return (double)sign_extend(load_le(src, 4), 32) / 256.0;
	case SND_PCM_FORMAT_FLOAT_LE:
		u32 = (uint32_t)load_le(src, 4);
		memcpy(&f, &u32, 4);
		return (double)f * 8388608.0;
	case SND_PCM_FORMAT_FLOAT64_LE:
		u64 = load_le(src, 8);
		memcpy(&d, &u64, 8);
		return d * 8388608.0;
	case SND_PCM_FORMAT_U8:
		return (double)src[0] - 128.0;
	default:
		return 0.0;
	}
}

int64_t counter_value(int64_t k, unsigned int channel, unsigned int bits)
{
	return wrap_bits(k + (int64_t)channel * CHANNEL_OFFSET, bits);
}

/* ---- capture signal ---------------------------------------------------- */

/* The sine at global frame k, phase continuous in G, saturated to bits. */
static int64_t sine_value(const struct dspdtest *t, int64_t k, unsigned int bits)
{
	double amplitude = pow(10.0, t->params.sine_dbfs / 20.0);
	double phase = 2.0 * M_PI * fmod((double)k * t->params.sine_freq /
					 t->io.rate, 1.0);
	double full = (double)(1ll << (bits - 1));
	double v = nearbyint(amplitude * sin(phase) * full);

	if (v > full - 1)
		v = full - 1;
	if (v < -full)
		v = -full;
	return (int64_t)v;
}

void capture_generate(struct dspdtest *t, const snd_pcm_channel_area_t *areas,
		      snd_pcm_uframes_t offset, snd_pcm_uframes_t size)
{
	unsigned int bits = t->fmt->bits;
	bool silent = source_silent(t);        /* nothing plays: zeros */

	for (snd_pcm_uframes_t i = 0; i < size; i++) {
		int64_t k = t->run_origin + (int64_t)(t->run_frames + i);
		int64_t sine = t->params.signal == SIGNAL_SINE ?
			       sine_value(t, k, bits) : 0;

		for (unsigned int c = 0; c < t->io.channels; c++) {
			int64_t v = 0;
			if (silent)
				v = 0;
			else if (t->params.signal == SIGNAL_COUNTER)
				v = counter_value(k, c, bits);
			else if (t->params.signal == SIGNAL_SINE)
				v = sine;
			sample_encode(t->fmt, area_frame(&areas[c], offset + i), v);
		}
	}
}
