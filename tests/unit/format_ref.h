/* format_ref.h - what the format tests share: an independent reference
 * packer driven by alsa-lib's description of each format (width, physical
 * width, endianness, signedness) — not by format.c — and device buffers at
 * odd addresses that end exactly at their allocation, so ASan/UBSan catch
 * any overrun or misaligned access.  Include after <cmocka.h>.
 * Single-threaded. */
#ifndef DSPD_FORMAT_REF_H
#define DSPD_FORMAT_REF_H

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"

#define MAX_CHANNELS 8
#define LEAD_GUARD 7       /* bytes before an unaligned device buffer */
#define GUARD_BYTE 0xA5

/* ---- reference layout, from alsa-lib ------------------------------------ */

struct layout {
	unsigned bytes;
	unsigned bits;
	bool big_endian;
	bool is_unsigned;
	bool is_float;
};

static inline struct layout layout_of(snd_pcm_format_t format)
{
	struct layout l = {
		.bytes = (unsigned)snd_pcm_format_physical_width(format) / 8,
		.bits = (unsigned)snd_pcm_format_width(format),
		.big_endian = snd_pcm_format_big_endian(format) == 1,
		.is_unsigned = snd_pcm_format_unsigned(format) == 1,
		.is_float = snd_pcm_format_float(format) == 1,
	};
	return l;
}

static inline uint64_t ref_get(const struct layout *l, const unsigned char *p)
{
	uint64_t u = 0;

	for (unsigned i = 0; i < l->bytes; i++) {
		unsigned shift = l->big_endian ? 8 * (l->bytes - 1 - i) : 8 * i;
		u |= (uint64_t)p[i] << shift;
	}
	return u;
}

static inline void ref_put(const struct layout *l, unsigned char *p, uint64_t u)
{
	for (unsigned i = 0; i < l->bytes; i++) {
		unsigned shift = l->big_endian ? 8 * (l->bytes - 1 - i) : 8 * i;
		p[i] = (unsigned char)(u >> shift);
	}
}

static inline int64_t half_scale(const struct layout *l)
{
	return (int64_t)1 << (l->bits - 1);
}

static inline int64_t code_max(const struct layout *l) { return half_scale(l) - 1; }
static inline int64_t code_min(const struct layout *l) { return -half_scale(l); }

/* Signed code of an integer sample; bytes above `bits` are ignored. */
static inline int64_t ref_unpack_int(const struct layout *l, const unsigned char *p)
{
	int64_t v = (int64_t)(ref_get(l, p) & ((UINT64_C(1) << l->bits) - 1));

	if (l->is_unsigned)
		return v - half_scale(l);
	return v >= half_scale(l) ? v - 2 * half_scale(l) : v;
}

/* Container bytes above `bits` get the sign extension. */
static inline void ref_pack_int(const struct layout *l, unsigned char *p, int64_t code)
{
	ref_put(l, p, (uint64_t)(l->is_unsigned ? code + half_scale(l) : code));
}

static inline double ref_unpack_float(const struct layout *l, const unsigned char *p)
{
	uint64_t u = ref_get(l, p);

	if (l->bytes == 4) {
		uint32_t u32 = (uint32_t)u;
		float f;

		memcpy(&f, &u32, sizeof(f));
		return f;
	} else {
		double d;

		memcpy(&d, &u, sizeof(d));
		return d;
	}
}

static inline void ref_pack_float(const struct layout *l, unsigned char *p, double x)
{
	if (l->bytes == 4) {
		float f = (float)x;
		uint32_t u32;

		memcpy(&u32, &f, sizeof(u32));
		ref_put(l, p, u32);
	} else {
		uint64_t u;

		memcpy(&u, &x, sizeof(u));
		ref_put(l, p, u);
	}
}

/* Expected integer code for x, computed in double: nearest (ties to even),
 * clamped; *clipped says whether the clamp was needed. */
static inline int64_t ref_expect_code(const struct layout *l, float x, bool *clipped)
{
	double r;

	*clipped = false;
	if (isnan(x))
		return 0;
	r = nearbyint(ldexp(x, (int)l->bits - 1));
	if (r > (double)code_max(l)) {
		*clipped = true;
		return code_max(l);
	}
	if (r < (double)code_min(l)) {
		*clipped = true;
		return code_min(l);
	}
	return (int64_t)r;
}

static inline float ref_expect_float(float x, bool *clipped)
{
	*clipped = fabsf(x) > 1.0f;
	if (isnan(x))
		return 0.0f;
	return x > 1.0f ? 1.0f : x < -1.0f ? -1.0f : x;
}

/* ---- buffers ------------------------------------------------------------- */

/* A device buffer starting at an odd address and ending exactly at the end
 * of its allocation; the lead bytes are canaries. */
struct dev_buf {
	unsigned char *alloc;
	unsigned char *data;
	size_t size;
};

static inline struct dev_buf dev_buf_new(size_t size, unsigned misalign)
{
	struct dev_buf b;
	size_t lead = LEAD_GUARD - misalign % LEAD_GUARD;

	b.alloc = malloc(lead + size);
	assert_non_null(b.alloc);
	memset(b.alloc, GUARD_BYTE, lead + size);
	b.data = b.alloc + lead;
	b.size = size;
	return b;
}

static inline void dev_buf_check_and_free(struct dev_buf *b)
{
	for (unsigned char *p = b->alloc; p < b->data; p++)
		assert_int_equal(*p, GUARD_BYTE);
	free(b->alloc);
}

struct planar {
	float *ch[MAX_CHANNELS];
	unsigned channels;
};

static inline struct planar planar_new(unsigned channels, size_t frames)
{
	struct planar pl = { .channels = channels };

	assert_true(channels <= MAX_CHANNELS);
	for (unsigned c = 0; c < channels; c++) {
		pl.ch[c] = malloc(frames ? frames * sizeof(float) : 1);
		assert_non_null(pl.ch[c]);
		for (size_t f = 0; f < frames; f++)
			pl.ch[c][f] = -123.0f;  /* never a decoder output here */
	}
	return pl;
}

static inline void planar_free(struct planar *pl)
{
	for (unsigned c = 0; c < pl->channels; c++)
		free(pl->ch[c]);
}

static inline const float *const *planar_in(const struct planar *pl)
{
	return (const float *const *)pl->ch;
}

/* Deterministic xorshift64*. */
static inline uint64_t rng_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * UINT64_C(2685821657736338717);
}

static inline const struct fmt_codec *codec_named(const char *name)
{
	const struct fmt_codec *c = fmt_codec_by_name(name);

	if (!c)
		fail_msg("codec %s missing", name);
	return c;
}

static inline bool same_float_bits(float a, float b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

#endif
