/* test_format.c - unit tests for daemon/dsp/format.c, the conversions
 * themselves: the codec table and lookup, exhaustive integer round trips,
 * float formats, known byte patterns.  Endianness, saturation, NaN and
 * buffer edges are in test_format_edges.c; the reference packer both use is
 * format_ref.h.  Single-threaded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "format_ref.h"

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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
