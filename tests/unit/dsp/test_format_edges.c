/* test_format_edges.c - unit tests for daemon/dsp/format.c at the edges:
 * BE vs LE byte order, saturation and clip counts, NaN, interleave order
 * with odd sizes at unaligned addresses, zero frames, writes that stay in
 * bounds.  The reference packer is format_ref.h.  Single-threaded. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "format_ref.h"

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
		cmocka_unit_test(test_be_is_byte_swapped_le),
		cmocka_unit_test(test_saturation_and_clip_counts),
		cmocka_unit_test(test_nan_encodes_silence),
		cmocka_unit_test(test_interleave_order_odd_sizes_unaligned),
		cmocka_unit_test(test_zero_frames),
		cmocka_unit_test(test_encode_stays_in_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
