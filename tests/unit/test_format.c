/* test_format.c - unit tests for daemon/format.c (single-threaded).
 *
 * The expected byte layouts come from an independent reference packer in
 * this file, driven by alsa-lib's own description of each format (width,
 * physical width, endianness, signedness), not from format.c.  Buffers are
 * allocated to the exact byte and placed at odd addresses so that ASan/UBSan
 * catch any overrun or misaligned access. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

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

static struct layout layout_of(snd_pcm_format_t format)
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

static uint64_t ref_get(const struct layout *l, const unsigned char *p)
{
	uint64_t u = 0;

	for (unsigned i = 0; i < l->bytes; i++) {
		unsigned shift = l->big_endian ? 8 * (l->bytes - 1 - i) : 8 * i;
		u |= (uint64_t)p[i] << shift;
	}
	return u;
}

static void ref_put(const struct layout *l, unsigned char *p, uint64_t u)
{
	for (unsigned i = 0; i < l->bytes; i++) {
		unsigned shift = l->big_endian ? 8 * (l->bytes - 1 - i) : 8 * i;
		p[i] = (unsigned char)(u >> shift);
	}
}

static int64_t half_scale(const struct layout *l)
{
	return (int64_t)1 << (l->bits - 1);
}

static int64_t code_max(const struct layout *l) { return half_scale(l) - 1; }
static int64_t code_min(const struct layout *l) { return -half_scale(l); }

/* Signed code of an integer sample; bytes above `bits` are ignored. */
static int64_t ref_unpack_int(const struct layout *l, const unsigned char *p)
{
	int64_t v = (int64_t)(ref_get(l, p) & ((UINT64_C(1) << l->bits) - 1));

	if (l->is_unsigned)
		return v - half_scale(l);
	return v >= half_scale(l) ? v - 2 * half_scale(l) : v;
}

/* Container bytes above `bits` get the sign extension. */
static void ref_pack_int(const struct layout *l, unsigned char *p, int64_t code)
{
	ref_put(l, p, (uint64_t)(l->is_unsigned ? code + half_scale(l) : code));
}

static double ref_unpack_float(const struct layout *l, const unsigned char *p)
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

static void ref_pack_float(const struct layout *l, unsigned char *p, double x)
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
static int64_t ref_expect_code(const struct layout *l, float x, bool *clipped)
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

static float ref_expect_float(float x, bool *clipped)
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

static struct dev_buf dev_buf_new(size_t size, unsigned misalign)
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

static void dev_buf_check_and_free(struct dev_buf *b)
{
	for (unsigned char *p = b->alloc; p < b->data; p++)
		assert_int_equal(*p, GUARD_BYTE);
	free(b->alloc);
}

struct planar {
	float *ch[MAX_CHANNELS];
	unsigned channels;
};

static struct planar planar_new(unsigned channels, size_t frames)
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

static void planar_free(struct planar *pl)
{
	for (unsigned c = 0; c < pl->channels; c++)
		free(pl->ch[c]);
}

static const float *const *planar_in(const struct planar *pl)
{
	return (const float *const *)pl->ch;
}

/* Deterministic xorshift64*. */
static uint64_t rng_next(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * UINT64_C(2685821657736338717);
}

static const struct fmt_codec *codec_named(const char *name)
{
	const struct fmt_codec *c = fmt_codec_by_name(name);

	if (!c)
		fail_msg("codec %s missing", name);
	return c;
}

static bool same_float_bits(float a, float b)
{
	return memcmp(&a, &b, sizeof(a)) == 0;
}

/* ---- table and lookup ---------------------------------------------------- */

static void test_table_describes_alsa_formats(void **state)
{
	(void)state;
	size_t n = 0;
	const struct fmt_codec *t = fmt_codec_table(&n);

	assert_non_null(t);
	assert_true(n >= 7);
	for (size_t i = 0; i < n; i++) {
		struct layout l = layout_of(t[i].format);

		assert_string_equal(t[i].name, snd_pcm_format_name(t[i].format));
		assert_int_equal(t[i].bytes, l.bytes);
		assert_int_equal(t[i].bits, l.bits);
		assert_non_null(t[i].decode);
		assert_non_null(t[i].encode);
		assert_ptr_equal(fmt_codec_find(t[i].format), &t[i]);
		assert_ptr_equal(fmt_codec_by_name(t[i].name), &t[i]);
		if (l.is_float) {
			assert_true(t[i].clip_level == 1.0f);
		} else {
			float want = (float)((double)code_max(&l) /
					     (double)half_scale(&l));
			assert_true(t[i].clip_level == want);
		}
		for (size_t j = 0; j < i; j++)
			assert_int_not_equal(t[i].format, t[j].format);
	}
	/* 16 and 24 bits: full scale is one code below 1.0. */
	assert_true(codec_named("S16_LE")->clip_level == 32767.0f / 32768.0f);
	assert_true(codec_named("S24_3LE")->clip_level < 1.0f);
	assert_true(codec_named("U8")->clip_level == 127.0f / 128.0f);
}

static void test_table_order_is_auto_preference(void **state)
{
	(void)state;
	static const snd_pcm_format_t first[] = {
		SND_PCM_FORMAT_S32_LE, SND_PCM_FORMAT_S24_LE,
		SND_PCM_FORMAT_S24_3LE, SND_PCM_FORMAT_FLOAT_LE,
		SND_PCM_FORMAT_FLOAT64_LE, SND_PCM_FORMAT_S16_LE,
	};
	size_t n = 0;
	const struct fmt_codec *t = fmt_codec_table(&n);

	assert_true(n > 6);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(t[i].format, first[i]);
	assert_int_equal(t[n - 1].format, SND_PCM_FORMAT_U8);
}

static void test_lookup_by_name(void **state)
{
	(void)state;
	assert_int_equal(codec_named("s24_3le")->format, SND_PCM_FORMAT_S24_3LE);
	assert_int_equal(codec_named("Float64_Le")->format, SND_PCM_FORMAT_FLOAT64_LE);
	assert_int_equal(codec_named("u8")->format, SND_PCM_FORMAT_U8);
	/* ALSA's native-endian aliases. */
	assert_int_equal(codec_named("S32")->format, SND_PCM_FORMAT_S32);
	assert_int_equal(codec_named("float")->format, SND_PCM_FORMAT_FLOAT);
	assert_int_equal(codec_named("S16")->format, SND_PCM_FORMAT_S16);
	/* Unknown or unsupported. */
	assert_null(fmt_codec_by_name("S24_3LEX"));
	assert_null(fmt_codec_by_name(""));
	assert_null(fmt_codec_by_name(NULL));
	assert_null(fmt_codec_by_name("MU_LAW"));
	assert_null(fmt_codec_find(SND_PCM_FORMAT_MU_LAW));
	assert_null(fmt_codec_find(SND_PCM_FORMAT_UNKNOWN));
}

/* ---- integer round trips ------------------------------------------------- */

#define CHUNK_FRAMES 32768
#define CHUNK_CHANNELS 2

/* Decodes codes first, first+step, ... (count of them, interleaved over two
 * channels) and checks the exact float value, then re-encodes and checks
 * the bytes come back identical without clips.  Returns mismatches. */
static size_t roundtrip_codes(const struct fmt_codec *codec, int64_t first,
			      int64_t step, size_t count)
{
	struct layout l = layout_of(codec->format);
	size_t frames = count / CHUNK_CHANNELS;
	struct dev_buf in = dev_buf_new(count * l.bytes, 1);
	struct dev_buf out = dev_buf_new(count * l.bytes, 3);
	struct planar pl = planar_new(CHUNK_CHANNELS, frames);
	uint64_t clips[CHUNK_CHANNELS] = { 0 };
	size_t bad = 0;

	assert_int_equal(count % CHUNK_CHANNELS, 0);
	for (size_t i = 0; i < count; i++)
		ref_pack_int(&l, in.data + i * l.bytes, first + (int64_t)i * step);
	codec->decode(in.data, pl.ch, CHUNK_CHANNELS, frames);
	for (size_t i = 0; i < count; i++) {
		int64_t code = first + (int64_t)i * step;
		float want = (float)ldexp((double)code, 1 - (int)l.bits);
		float got = pl.ch[i % CHUNK_CHANNELS][i / CHUNK_CHANNELS];

		if (!same_float_bits(got, want) && bad++ == 0)
			print_error("%s: code %lld decoded %a, want %a\n",
				    codec->name, (long long)code, got, want);
	}
	codec->encode(planar_in(&pl), out.data, CHUNK_CHANNELS, frames, clips);
	for (size_t i = 0; i < count; i++) {
		if (memcmp(in.data + i * l.bytes, out.data + i * l.bytes,
			   l.bytes) != 0 && bad++ == 0)
			print_error("%s: code %lld re-encoded differently\n",
				    codec->name, (long long)(first + (int64_t)i * step));
	}
	for (unsigned c = 0; c < CHUNK_CHANNELS; c++)
		bad += clips[c];
	planar_free(&pl);
	dev_buf_check_and_free(&in);
	dev_buf_check_and_free(&out);
	return bad;
}

/* Every code of every integer format up to 24 bits, and the 2^24 S32/U32
 * codes whose low 8 bits are zero (the ones a float holds exactly). */
static void test_int_roundtrip_exhaustive(void **state)
{
	(void)state;
	size_t n = 0;
	const struct fmt_codec *t = fmt_codec_table(&n);
	unsigned tested = 0;

	for (size_t i = 0; i < n; i++) {
		struct layout l = layout_of(t[i].format);
		unsigned exact_bits = l.bits < 24 ? l.bits : 24;
		int64_t step = (int64_t)1 << (l.bits - exact_bits);
		int64_t codes = (int64_t)1 << exact_bits;
		size_t bad = 0;

		if (l.is_float)
			continue;
		for (int64_t k = 0; k < codes; k += 2 * CHUNK_FRAMES) {
			size_t count = (size_t)(codes - k < 2 * CHUNK_FRAMES ?
						codes - k : 2 * CHUNK_FRAMES);
			bad += roundtrip_codes(&t[i], code_min(&l) + k * step,
					       step, count);
		}
		if (bad)
			fail_msg("%s: %zu round-trip failures", t[i].name, bad);
		tested++;
	}
	assert_true(tested >= 5);
}

/* S32 codes that a float cannot hold decode to the nearest float and come
 * back within 64 codes (half the float spacing near full scale). */
static void check_s32_nearest(const struct fmt_codec *codec)
{
	static const int64_t edges[] = {
		INT32_MAX, INT32_MAX - 63, INT32_MAX - 64, INT32_MAX - 65,
		INT32_MAX - 127, INT32_MIN, INT32_MIN + 1, INT32_MIN + 64,
		INT32_MIN + 65, -1, 1, 127, 128, 129, 0x40000040, 0x400000C0,
		-0x40000040, 0x00FFFFFF, 0x01000001,
	};
	enum { N_EDGES = sizeof(edges) / sizeof(edges[0]), COUNT = 200000 };
	struct layout l = layout_of(codec->format);
	struct dev_buf in = dev_buf_new(COUNT * l.bytes, 5);
	struct dev_buf out = dev_buf_new(COUNT * l.bytes, 0);
	struct planar pl = planar_new(1, COUNT);
	int64_t *codes = malloc(COUNT * sizeof(*codes));
	uint64_t rng = 0x9E3779B97F4A7C15ull, clips = 0, want_clips = 0;
	size_t bad = 0;

	assert_non_null(codes);
	for (size_t i = 0; i < COUNT; i++) {
		codes[i] = i < N_EDGES ? edges[i] :
			   (int64_t)(int32_t)(uint32_t)rng_next(&rng);
		ref_pack_int(&l, in.data + i * l.bytes, codes[i]);
	}
	codec->decode(in.data, pl.ch, 1, COUNT);
	for (size_t i = 0; i < COUNT; i++) {
		float x = pl.ch[0][i];
		double err = fabs(ldexp(x, 31) - (double)codes[i]);
		double err_down = fabs(ldexp(nextafterf(x, -2.0f), 31) - (double)codes[i]);
		double err_up = fabs(ldexp(nextafterf(x, 2.0f), 31) - (double)codes[i]);

		if ((err > err_down || err > err_up) && bad++ == 0)
			print_error("%s: %lld decoded to %a, not the nearest float\n",
				    codec->name, (long long)codes[i], x);
		want_clips += x >= 1.0f;
	}
	codec->encode(planar_in(&pl), out.data, 1, COUNT, &clips);
	for (size_t i = 0; i < COUNT; i++) {
		int64_t back = ref_unpack_int(&l, out.data + i * l.bytes);

		if (llabs(back - codes[i]) > 64 && bad++ == 0)
			print_error("%s: %lld came back as %lld\n", codec->name,
				    (long long)codes[i], (long long)back);
	}
	assert_int_equal(bad, 0);
	/* Codes within 64 of INT32_MAX decode to 1.0, which had to be clamped. */
	assert_true(pl.ch[0][0] == 1.0f);
	assert_int_equal(ref_unpack_int(&l, out.data), INT32_MAX);
	assert_true(want_clips >= 2);
	assert_int_equal(clips, want_clips);
	free(codes);
	planar_free(&pl);
	dev_buf_check_and_free(&in);
	dev_buf_check_and_free(&out);
}

static void test_s32_nearest_float(void **state)
{
	(void)state;
	check_s32_nearest(codec_named("S32_LE"));
	check_s32_nearest(codec_named("S32_BE"));
	check_s32_nearest(codec_named("U32_LE"));
}

/* ---- float formats ------------------------------------------------------- */

static void check_float_roundtrip(const struct fmt_codec *codec)
{
	enum { COUNT = 4096 };
	struct layout l = layout_of(codec->format);
	struct dev_buf buf = dev_buf_new(COUNT * l.bytes, 3);
	struct planar in = planar_new(1, COUNT), back = planar_new(1, COUNT);
	uint64_t rng = 42, clips = 0;
	static const float edges[] = {
		0.0f, -0.0f, 1.0f, -1.0f, 0.5f, FLT_MIN, -FLT_MIN, 0x1p-149f,
		1.0f - 0x1p-24f, -1.0f + 0x1p-24f, 0x1p-31f,
	};

	for (size_t i = 0; i < COUNT; i++) {
		float r = (float)(rng_next(&rng) >> 40) * 0x1p-23f - 1.0f;

		in.ch[0][i] = i < sizeof(edges) / sizeof(edges[0]) ? edges[i] : r;
	}
	codec->encode(planar_in(&in), buf.data, 1, COUNT, &clips);
	assert_int_equal(clips, 0);
	for (size_t i = 0; i < COUNT; i++) {
		unsigned char want[8];

		ref_pack_float(&l, want, in.ch[0][i]);
		assert_memory_equal(buf.data + i * l.bytes, want, l.bytes);
	}
	codec->decode(buf.data, back.ch, 1, COUNT);
	assert_memory_equal(in.ch[0], back.ch[0], COUNT * sizeof(float));
	planar_free(&in);
	planar_free(&back);
	dev_buf_check_and_free(&buf);
}

static void test_float_roundtrip(void **state)
{
	(void)state;
	check_float_roundtrip(codec_named("FLOAT_LE"));
	check_float_roundtrip(codec_named("FLOAT_BE"));
	check_float_roundtrip(codec_named("FLOAT64_LE"));
	check_float_roundtrip(codec_named("FLOAT64_BE"));
}

/* Device floats: overs pass, NaN -> 0, +-Inf -> +-1, doubles round. */
static void test_float_decode_sanitizes(void **state)
{
	(void)state;
	static const double in[] = {
		1.5, -2.0, NAN, -NAN, INFINITY, -INFINITY, 1e300, -1e300,
		1e-50, 0.1,
	};
	static const float want[] = {
		1.5f, -2.0f, 0.0f, 0.0f, 1.0f, -1.0f, 1.0f, -1.0f, 0.0f, 0.1f,
	};
	enum { COUNT = sizeof(in) / sizeof(in[0]) };
	static const char *const names[] = { "FLOAT_LE", "FLOAT_BE",
					     "FLOAT64_LE", "FLOAT64_BE" };

	for (size_t k = 0; k < 4; k++) {
		const struct fmt_codec *codec = codec_named(names[k]);
		struct layout l = layout_of(codec->format);
		struct dev_buf buf = dev_buf_new(COUNT * l.bytes, 1);
		struct planar out = planar_new(1, COUNT);

		for (size_t i = 0; i < COUNT; i++)
			ref_pack_float(&l, buf.data + i * l.bytes, in[i]);
		codec->decode(buf.data, out.ch, 1, COUNT);
		for (size_t i = 0; i < COUNT; i++) {
			/* 1e300 is already Inf as a FLOAT sample. */
			if (!same_float_bits(out.ch[0][i], want[i]))
				fail_msg("%s: sample %zu decoded %a, want %a",
					 codec->name, i, out.ch[0][i], want[i]);
		}
		planar_free(&out);
		dev_buf_check_and_free(&buf);
	}
}

/* ---- known byte patterns ------------------------------------------------- */

struct pattern {
	const char *format;
	unsigned char bytes[8];
	float value;
};

static void test_decode_known_patterns(void **state)
{
	(void)state;
	static const struct pattern cases[] = {
		{ "S16_LE", { 0x00, 0x80 }, -1.0f },
		{ "S16_LE", { 0xFF, 0x7F }, 32767.0f / 32768.0f },
		{ "S16_LE", { 0xFF, 0xFF }, -0x1p-15f },
		{ "S16_BE", { 0x80, 0x00 }, -1.0f },
		{ "S16_BE", { 0x00, 0x01 }, 0x1p-15f },
		{ "S24_3LE", { 0x00, 0x00, 0x80 }, -1.0f },
		{ "S24_3LE", { 0xFF, 0xFF, 0x7F }, 1.0f - 0x1p-23f },
		{ "S24_3LE", { 0xFF, 0xFF, 0xFF }, -0x1p-23f },
		{ "S24_3BE", { 0x80, 0x00, 0x00 }, -1.0f },
		{ "S24_3BE", { 0x00, 0x00, 0x01 }, 0x1p-23f },
		/* S24_LE: the top byte is padding, whatever it holds. */
		{ "S24_LE", { 0xFF, 0xFF, 0x7F, 0x12 }, 1.0f - 0x1p-23f },
		{ "S24_LE", { 0x00, 0x00, 0x80, 0x00 }, -1.0f },
		{ "S24_LE", { 0x01, 0x00, 0x00, 0xFF }, 0x1p-23f },
		{ "S24_LE", { 0xFF, 0xFF, 0xFF, 0x00 }, -0x1p-23f },
		{ "S24_BE", { 0x12, 0xFF, 0xFF, 0xFF }, -0x1p-23f },
		{ "S24_BE", { 0xFF, 0x40, 0x00, 0x00 }, 0.5f },
		{ "S32_LE", { 0x00, 0x00, 0x00, 0x80 }, -1.0f },
		{ "S32_LE", { 0x00, 0x00, 0x00, 0xC0 }, -0.5f },
		{ "S32_LE", { 0x00, 0x01, 0x00, 0x00 }, 0x1p-23f },
		{ "S32_BE", { 0x80, 0x00, 0x00, 0x00 }, -1.0f },
		{ "U8", { 0x80 }, 0.0f },
		{ "U8", { 0x00 }, -1.0f },
		{ "U8", { 0xFF }, 127.0f / 128.0f },
		{ "U8", { 0x7F }, -1.0f / 128.0f },
		{ "U16_LE", { 0x00, 0x80 }, 0.0f },
		{ "U16_LE", { 0x00, 0x00 }, -1.0f },
		{ "U16_BE", { 0xC0, 0x00 }, 0.5f },
		{ "U32_LE", { 0x00, 0x00, 0x00, 0x80 }, 0.0f },
		{ "U32_BE", { 0x00, 0x00, 0x00, 0x00 }, -1.0f },
		{ "FLOAT_LE", { 0x00, 0x00, 0x80, 0xBF }, -1.0f },
		{ "FLOAT_BE", { 0x3F, 0x00, 0x00, 0x00 }, 0.5f },
		{ "FLOAT64_LE", { 0, 0, 0, 0, 0, 0, 0xF0, 0xBF }, -1.0f },
		{ "FLOAT64_BE", { 0x3F, 0xE0, 0, 0, 0, 0, 0, 0 }, 0.5f },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fmt_codec *codec = codec_named(cases[i].format);
		struct dev_buf buf = dev_buf_new(codec->bytes, 1);
		struct planar out = planar_new(1, 1);

		memcpy(buf.data, cases[i].bytes, codec->bytes);
		codec->decode(buf.data, out.ch, 1, 1);
		if (!same_float_bits(out.ch[0][0], cases[i].value))
			fail_msg("case %zu (%s): decoded %a, want %a", i,
				 cases[i].format, out.ch[0][0], cases[i].value);
		planar_free(&out);
		dev_buf_check_and_free(&buf);
	}
}

struct encoding {
	const char *format;
	float value;
	unsigned char bytes[8];
	uint64_t clips;
};

static void test_encode_known_patterns(void **state)
{
	(void)state;
	static const struct encoding cases[] = {
		{ "S16_LE", 0.5f, { 0x00, 0x40 }, 0 },
		{ "S16_LE", -1.0f, { 0x00, 0x80 }, 0 },
		{ "S16_LE", 1.0f, { 0xFF, 0x7F }, 1 },
		/* Ties go to even codes. */
		{ "S16_LE", 0x1p-16f, { 0x00, 0x00 }, 0 },
		{ "S16_LE", 3 * 0x1p-16f, { 0x02, 0x00 }, 0 },
		{ "S16_LE", -3 * 0x1p-16f, { 0xFE, 0xFF }, 0 },
		/* 32767.5 rounds up to 32768: clamped; -32768.5 rounds to
		 * -32768: not clamped. */
		{ "S16_LE", 1.0f - 0x1p-16f, { 0xFF, 0x7F }, 1 },
		{ "S16_LE", 1.0f - 0x1p-15f - 0x1p-18f, { 0xFF, 0x7F }, 0 },
		{ "S16_LE", -1.0f - 0x1p-16f, { 0x00, 0x80 }, 0 },
		{ "S16_LE", -1.0f - 0x1p-15f, { 0x00, 0x80 }, 1 },
		{ "S16_BE", 0.5f, { 0x40, 0x00 }, 0 },
		{ "S24_LE", 0x1p-23f, { 0x01, 0x00, 0x00, 0x00 }, 0 },
		{ "S24_LE", -0x1p-23f, { 0xFF, 0xFF, 0xFF, 0xFF }, 0 },
		{ "S24_LE", -1.0f, { 0x00, 0x00, 0x80, 0xFF }, 0 },
		{ "S24_LE", 1.0f, { 0xFF, 0xFF, 0x7F, 0x00 }, 1 },
		{ "S24_BE", -1.0f, { 0xFF, 0x80, 0x00, 0x00 }, 0 },
		{ "S24_3LE", -0.5f, { 0x00, 0x00, 0xC0 }, 0 },
		{ "S24_3BE", -0.5f, { 0xC0, 0x00, 0x00 }, 0 },
		{ "S32_LE", 1.0f, { 0xFF, 0xFF, 0xFF, 0x7F }, 1 },
		{ "S32_LE", -1.0f, { 0x00, 0x00, 0x00, 0x80 }, 0 },
		{ "S32_LE", 1.0f - 0x1p-24f, { 0x80, 0xFF, 0xFF, 0x7F }, 0 },
		{ "S32_BE", 0x1p-31f, { 0x00, 0x00, 0x00, 0x01 }, 0 },
		{ "U8", 0.0f, { 0x80 }, 0 },
		{ "U8", -1.0f, { 0x00 }, 0 },
		{ "U8", 1.0f, { 0xFF }, 1 },
		{ "U16_LE", -1.0f, { 0x00, 0x00 }, 0 },
		{ "U32_BE", 0.0f, { 0x80, 0x00, 0x00, 0x00 }, 0 },
		{ "U32_LE", -2.0f, { 0x00, 0x00, 0x00, 0x00 }, 1 },
		{ "FLOAT_LE", 1.0f, { 0x00, 0x00, 0x80, 0x3F }, 0 },
		{ "FLOAT_BE", 2.0f, { 0x3F, 0x80, 0x00, 0x00 }, 1 },
		{ "FLOAT64_LE", -1.0f, { 0, 0, 0, 0, 0, 0, 0xF0, 0xBF }, 0 },
		{ "FLOAT64_BE", -3.0f, { 0xBF, 0xF0, 0, 0, 0, 0, 0, 0 }, 1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct fmt_codec *codec = codec_named(cases[i].format);
		struct dev_buf buf = dev_buf_new(codec->bytes, 2);
		struct planar in = planar_new(1, 1);
		uint64_t clips = 10;

		in.ch[0][0] = cases[i].value;
		codec->encode(planar_in(&in), buf.data, 1, 1, &clips);
		if (memcmp(buf.data, cases[i].bytes, codec->bytes) != 0)
			fail_msg("case %zu (%s %a): wrong bytes", i,
				 cases[i].format, cases[i].value);
		if (clips != 10 + cases[i].clips)
			fail_msg("case %zu (%s %a): clips %llu", i, cases[i].format,
				 cases[i].value, (unsigned long long)clips);
		planar_free(&in);
		dev_buf_check_and_free(&buf);
	}
}

/* ---- endianness ---------------------------------------------------------- */

static void check_byte_swapped_pair(const char *le_name, const char *be_name)
{
	enum { FRAMES = 101, CHANNELS = 2, COUNT = FRAMES * CHANNELS };
	const struct fmt_codec *le = codec_named(le_name), *be = codec_named(be_name);
	struct dev_buf le_buf = dev_buf_new(COUNT * le->bytes, 1);
	struct dev_buf be_buf = dev_buf_new(COUNT * be->bytes, 2);
	struct planar in = planar_new(CHANNELS, FRAMES);
	struct planar le_out = planar_new(CHANNELS, FRAMES);
	struct planar be_out = planar_new(CHANNELS, FRAMES);
	uint64_t rng = 7;
	unsigned n = le->bytes;

	assert_int_equal(le->bytes, be->bytes);
	for (unsigned c = 0; c < CHANNELS; c++)
		for (size_t f = 0; f < FRAMES; f++)
			in.ch[c][f] = (float)(rng_next(&rng) >> 40) * 0x1p-23f - 1.0f;
	le->encode(planar_in(&in), le_buf.data, CHANNELS, FRAMES, NULL);
	be->encode(planar_in(&in), be_buf.data, CHANNELS, FRAMES, NULL);
	for (size_t i = 0; i < COUNT; i++) {
		const unsigned char *a = le_buf.data + i * n, *b = be_buf.data + i * n;

		for (unsigned k = 0; k < n; k++)
			if (a[k] != b[n - 1 - k])
				fail_msg("%s/%s sample %zu: byte %u not swapped",
					 le_name, be_name, i, k);
	}
	le->decode(le_buf.data, le_out.ch, CHANNELS, FRAMES);
	be->decode(be_buf.data, be_out.ch, CHANNELS, FRAMES);
	for (unsigned c = 0; c < CHANNELS; c++)
		assert_memory_equal(le_out.ch[c], be_out.ch[c], FRAMES * sizeof(float));
	planar_free(&in);
	planar_free(&le_out);
	planar_free(&be_out);
	dev_buf_check_and_free(&le_buf);
	dev_buf_check_and_free(&be_buf);
}

static void test_be_is_byte_swapped_le(void **state)
{
	(void)state;
	check_byte_swapped_pair("S16_LE", "S16_BE");
	check_byte_swapped_pair("S24_LE", "S24_BE");
	check_byte_swapped_pair("S24_3LE", "S24_3BE");
	check_byte_swapped_pair("S32_LE", "S32_BE");
	check_byte_swapped_pair("U16_LE", "U16_BE");
	check_byte_swapped_pair("U32_LE", "U32_BE");
	check_byte_swapped_pair("FLOAT_LE", "FLOAT_BE");
	check_byte_swapped_pair("FLOAT64_LE", "FLOAT64_BE");
}

/* ---- saturation, NaN ----------------------------------------------------- */

#define SAT_FRAMES 6
#define SAT_CHANNELS 3

static const float sat_input[SAT_CHANNELS][SAT_FRAMES] = {
	{ 1.5f, -1.5f, INFINITY, -INFINITY, 0.25f, 1e30f },
	{ 1.0f, -1.0f, 0.0f, 1.0f + 0x1p-23f, 0.5f, -0.75f },
	{ -1.0f - 0x1p-23f, FLT_MAX, -FLT_MAX, NAN, -NAN, 0.125f },
};

/* Clips per channel, worked out by hand.  Channel 0: all but 0.25.
 * Channel 1: 1 + 2^-23 always, +1.0 only for integers (a float holds it).
 * Channel 2: +-FLT_MAX always, never the NaNs, and -1 - 2^-23 except at 8
 * and 16 bits, where it still rounds to the min code. */
static void sat_expected_clips(const struct layout *l,
			       uint64_t want[SAT_CHANNELS])
{
	want[0] = 5;
	want[1] = l->is_float ? 1 : 2;
	want[2] = l->is_float || l->bits >= 24 ? 3 : 2;
}

static void check_saturation(const struct fmt_codec *codec)
{
	struct layout l = layout_of(codec->format);
	struct dev_buf buf = dev_buf_new(SAT_FRAMES * SAT_CHANNELS * l.bytes, 4);
	struct dev_buf nulls = dev_buf_new(SAT_FRAMES * SAT_CHANNELS * l.bytes, 5);
	struct planar in = planar_new(SAT_CHANNELS, SAT_FRAMES);
	uint64_t clips[SAT_CHANNELS] = { 3, 0, 1000 }, want[SAT_CHANNELS];

	for (unsigned c = 0; c < SAT_CHANNELS; c++)
		memcpy(in.ch[c], sat_input[c], sizeof(sat_input[c]));
	codec->encode(planar_in(&in), buf.data, SAT_CHANNELS, SAT_FRAMES, clips);
	codec->encode(planar_in(&in), nulls.data, SAT_CHANNELS, SAT_FRAMES, NULL);
	assert_memory_equal(buf.data, nulls.data, buf.size);

	sat_expected_clips(&l, want);
	assert_int_equal(clips[0], 3 + want[0]);
	assert_int_equal(clips[1], 0 + want[1]);
	assert_int_equal(clips[2], 1000 + want[2]);

	for (unsigned c = 0; c < SAT_CHANNELS; c++) {
		uint64_t ref_clips = 0;

		for (unsigned f = 0; f < SAT_FRAMES; f++) {
			const unsigned char *p = buf.data + (f * SAT_CHANNELS + c) * l.bytes;
			float x = sat_input[c][f];
			bool clipped;

			if (l.is_float) {
				float w = ref_expect_float(x, &clipped);
				double got = ref_unpack_float(&l, p);

				if (!same_float_bits((float)got, w))
					fail_msg("%s ch%u frame %u: %a encoded as %a",
						 codec->name, c, f, x, got);
			} else {
				int64_t w = ref_expect_code(&l, x, &clipped);
				int64_t got = ref_unpack_int(&l, p);

				if (got != w)
					fail_msg("%s ch%u frame %u: %a encoded as %lld, want %lld",
						 codec->name, c, f, x,
						 (long long)got, (long long)w);
			}
			ref_clips += clipped;
		}
		assert_int_equal(ref_clips, want[c]);
	}
	/* Never wrapped: the extreme inputs are the extreme codes. */
	if (!l.is_float) {
		assert_int_equal(ref_unpack_int(&l, buf.data), code_max(&l));
		assert_int_equal(ref_unpack_int(&l, buf.data + SAT_CHANNELS * l.bytes),
				 code_min(&l));
	}
	planar_free(&in);
	dev_buf_check_and_free(&buf);
	dev_buf_check_and_free(&nulls);
}

static void test_saturation_and_clip_counts(void **state)
{
	(void)state;
	size_t n = 0;
	const struct fmt_codec *t = fmt_codec_table(&n);

	for (size_t i = 0; i < n; i++)
		check_saturation(&t[i]);
}

static void test_nan_encodes_silence(void **state)
{
	(void)state;
	enum { FRAMES = 5 };
	uint32_t payload_bits = 0x7FC12345u, neg_bits = 0xFFC00001u;
	float payload_nan, neg_nan;
	size_t n = 0;
	const struct fmt_codec *t = fmt_codec_table(&n);

	memcpy(&payload_nan, &payload_bits, sizeof(float));
	memcpy(&neg_nan, &neg_bits, sizeof(float));
	for (size_t i = 0; i < n; i++) {
		struct layout l = layout_of(t[i].format);
		struct dev_buf buf = dev_buf_new(FRAMES * l.bytes, 1);
		struct planar in = planar_new(1, FRAMES);
		const float nans[FRAMES] = { NAN, -NAN, payload_nan, neg_nan, NAN };
		unsigned char zero[8];
		uint64_t clips = 0;

		memcpy(in.ch[0], nans, sizeof(nans));
		t[i].encode(planar_in(&in), buf.data, 1, FRAMES, &clips);
		if (l.is_float)
			ref_pack_float(&l, zero, 0.0);
		else
			ref_pack_int(&l, zero, 0);
		for (size_t f = 0; f < FRAMES; f++)
			if (memcmp(buf.data + f * l.bytes, zero, l.bytes) != 0)
				fail_msg("%s: NaN %zu not encoded as silence",
					 t[i].name, f);
		assert_int_equal(clips, 0);
		planar_free(&in);
		dev_buf_check_and_free(&buf);
	}
}

/* ---- interleaving, odd sizes, alignment ---------------------------------- */

/* A distinct, exactly representable value for every (channel, frame). */
static float interleave_value(unsigned c, size_t f, unsigned channels)
{
	int code = (int)(f * channels + c) % 120 - 60;

	return (float)code / 128.0f + (float)c * 0x1p-12f;
}

static void check_interleave(const struct fmt_codec *codec, unsigned channels,
			     size_t frames, unsigned misalign)
{
	struct layout l = layout_of(codec->format);
	struct dev_buf buf = dev_buf_new(frames * channels * l.bytes, misalign);
	struct planar in = planar_new(channels, frames);
	struct planar out = planar_new(channels, frames);
	uint64_t clips[MAX_CHANNELS] = { 0 };

	for (unsigned c = 0; c < channels; c++)
		for (size_t f = 0; f < frames; f++)
			in.ch[c][f] = interleave_value(c, f, channels);
	codec->encode(planar_in(&in), buf.data, channels, frames, clips);
	for (unsigned c = 0; c < channels; c++) {
		assert_int_equal(clips[c], 0);
		for (size_t f = 0; f < frames; f++) {
			const unsigned char *p = buf.data + (f * channels + c) * l.bytes;
			bool clipped;
			double want, got;

			if (l.is_float) {
				want = in.ch[c][f];
				got = ref_unpack_float(&l, p);
			} else {
				want = (double)ref_expect_code(&l, in.ch[c][f], &clipped);
				got = (double)ref_unpack_int(&l, p);
			}
			if (want != got)
				fail_msg("%s %uch %zu frames: ch%u frame %zu is %g, want %g",
					 codec->name, channels, frames, c, f, got, want);
		}
	}
	codec->decode(buf.data, out.ch, channels, frames);
	for (unsigned c = 0; c < channels; c++) {
		for (size_t f = 0; f < frames; f++) {
			double want;

			if (l.is_float)
				want = in.ch[c][f];
			else
				want = ldexp((double)ref_unpack_int(&l,
					buf.data + (f * channels + c) * l.bytes),
					1 - (int)l.bits);
			if ((double)out.ch[c][f] != want)
				fail_msg("%s %uch: decode ch%u frame %zu is %a, want %a",
					 codec->name, channels, c, f,
					 out.ch[c][f], want);
		}
	}
	planar_free(&in);
	planar_free(&out);
	dev_buf_check_and_free(&buf);
}

static void test_interleave_order_odd_sizes_unaligned(void **state)
{
	(void)state;
	static const unsigned channel_counts[] = { 1, 2, 3, 5, 8 };
	static const size_t frame_counts[] = { 1, 3, 7, 255 };
	size_t n = 0;
	const struct fmt_codec *t = fmt_codec_table(&n);

	for (size_t i = 0; i < n; i++)
		for (size_t a = 0; a < 5; a++)
			for (size_t b = 0; b < 4; b++)
				check_interleave(&t[i], channel_counts[a],
						 frame_counts[b], (unsigned)(a + b));
}

/* Zero frames touch nothing, not even the clip counters. */
static void test_zero_frames(void **state)
{
	(void)state;
	size_t n = 0;
	const struct fmt_codec *t = fmt_codec_table(&n);
	unsigned char buf[16];
	float sample = 1.5f, *planes[2] = { &sample, &sample };
	uint64_t clips[2] = { 1, 2 };

	for (size_t i = 0; i < n; i++) {
		memset(buf, GUARD_BYTE, sizeof(buf));
		t[i].encode((const float *const *)planes, buf, 2, 0, clips);
		t[i].decode(buf, planes, 2, 0);
		for (size_t k = 0; k < sizeof(buf); k++)
			assert_int_equal(buf[k], GUARD_BYTE);
		assert_true(sample == 1.5f);
		assert_int_equal(clips[0], 1);
		assert_int_equal(clips[1], 2);
	}
}

/* The encoder writes exactly frames * channels * bytes, no more. */
static void test_encode_stays_in_bounds(void **state)
{
	(void)state;
	enum { FRAMES = 3, CHANNELS = 3, TAIL = 16 };
	size_t n = 0;
	const struct fmt_codec *t = fmt_codec_table(&n);

	for (size_t i = 0; i < n; i++) {
		size_t size = FRAMES * CHANNELS * t[i].bytes;
		struct dev_buf buf = dev_buf_new(size + TAIL, 1);
		struct planar in = planar_new(CHANNELS, FRAMES);

		for (unsigned c = 0; c < CHANNELS; c++)
			for (size_t f = 0; f < FRAMES; f++)
				in.ch[c][f] = -0.5f;
		t[i].encode(planar_in(&in), buf.data, CHANNELS, FRAMES, NULL);
		for (size_t k = size; k < size + TAIL; k++)
			assert_int_equal(buf.data[k], GUARD_BYTE);
		planar_free(&in);
		dev_buf_check_and_free(&buf);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_describes_alsa_formats),
		cmocka_unit_test(test_table_order_is_auto_preference),
		cmocka_unit_test(test_lookup_by_name),
		cmocka_unit_test(test_int_roundtrip_exhaustive),
		cmocka_unit_test(test_s32_nearest_float),
		cmocka_unit_test(test_float_roundtrip),
		cmocka_unit_test(test_float_decode_sanitizes),
		cmocka_unit_test(test_decode_known_patterns),
		cmocka_unit_test(test_encode_known_patterns),
		cmocka_unit_test(test_be_is_byte_swapped_le),
		cmocka_unit_test(test_saturation_and_clip_counts),
		cmocka_unit_test(test_nan_encodes_silence),
		cmocka_unit_test(test_interleave_order_odd_sizes_unaligned),
		cmocka_unit_test(test_zero_frames),
		cmocka_unit_test(test_encode_stays_in_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
