/* test_dither.c - the "dither" block: output on the target word length's
 * grid (and through the S16 encoder unchanged), TPDF error level LSB/2 RMS
 * whatever the signal, noise shaping measured with a DFT (less noise below
 * 4 kHz than plain TPDF, more near Nyquist), determinism, clipping, and
 * the config errors.  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "format.h"
#include "fx.h"
#include "block_test.h"

#define MAX_FRAMES 256
#define LEN 32768

static float rows[FX_MAX_CHANNELS][MAX_FRAMES];
static float *bufs[FX_MAX_CHANNELS];
static float input[2][LEN], output[2][LEN];

static int load(unsigned rate, const char *block)
{
	return bt_load(rate, 2, 2, block);
}

static struct fx *create(unsigned rate, const char *block)
{
	return bt_create(rate, MAX_FRAMES, 2, 2, block, NULL);
}

static void run(struct fx *fx, uint32_t frames)
{
	for (int ch = 0; ch < FX_MAX_CHANNELS; ch++)
		bufs[ch] = rows[ch];
	for (uint32_t done = 0; done < frames; done += MAX_FRAMES) {
		uint32_t n = frames - done < MAX_FRAMES ? frames - done : MAX_FRAMES;

		for (int ch = 0; ch < 2; ch++)
			memcpy(rows[ch], input[ch] + done, n * sizeof(float));
		fx->ops->process(fx, bufs, n);
		for (int ch = 0; ch < 2; ch++)
			memcpy(output[ch] + done, rows[ch], n * sizeof(float));
	}
}

static void fill_sine(double amplitude, double freq, unsigned rate)
{
	for (int ch = 0; ch < 2; ch++)
		for (int i = 0; i < LEN; i++)
			input[ch][i] = (float)(amplitude *
			               sin(2.0 * M_PI * freq * i / rate + ch));
}

/* Error of channel 0 in LSB of `bits`. */
static void error_lsb(unsigned bits, double *e)
{
	double scale = ldexp(1.0, (int)bits - 1);

	for (int i = 0; i < LEN; i++)
		e[i] = ((double)output[0][i] - input[0][i]) * scale;
}

static double rms_of(const double *e, int n)
{
	double s = 0.0;

	for (int i = 0; i < n; i++)
		s += e[i] * e[i];
	return sqrt(s / n);
}

static void check_on_grid(unsigned bits)
{
	double scale = ldexp(1.0, (int)bits - 1);

	for (int ch = 0; ch < 2; ch++)
		for (int i = 0; i < LEN; i++) {
			double code = (double)output[ch][i] * scale;

			assert_true(code == floor(code));
			assert_true(code >= -scale && code <= scale - 1);
		}
}

static void test_output_on_grid(void **state)
{
	static const unsigned widths[] = { 8, 12, 16, 20, 24 };
	char block[160];

	for (int kind = 0; kind < 2; kind++)
		for (unsigned w = 0; w < 5; w++) {
			struct fx *fx;

			snprintf(block, sizeof(block), "{\"type\": \"dither\","
			         " \"name\": \"d\", \"kind\": \"%s\", \"bits\": %u}",
			         kind ? "shaped" : "tpdf", widths[w]);
			fx = create(48000, block);
			fill_sine(0.7, 997, 48000);
			run(fx, LEN);
			check_on_grid(widths[w]);
			fx->ops->destroy(fx);
		}
}

/* The dithered S16 samples go through the S16 encoder unchanged. */
static void test_s16_encoding_is_exact(void **state)
{
	const struct fmt_codec *s16 = fmt_codec_by_name("S16_LE");
	static int16_t pcm[2 * LEN];
	static float back[2][LEN];
	float *dst[2] = { back[0], back[1] };
	const float *src[2] = { output[0], output[1] };
	uint64_t clips[2] = { 0, 0 };
	struct fx *fx = create(48000, "{\"type\": \"dither\", \"name\": \"d\","
	                       " \"kind\": \"shaped\"}");

	assert_non_null(s16);
	fill_sine(1.2, 440, 48000);                 /* clips too */
	run(fx, LEN);
	s16->encode(src, pcm, 2, LEN, clips);
	s16->decode(pcm, dst, 2, LEN);
	assert_memory_equal(back, output, sizeof(back));
	assert_true(clips[0] == 0 && clips[1] == 0);
	fx->ops->destroy(fx);
}

/* TPDF at +-1 LSB: dither variance 1/6, rounding 1/12, total 1/4 LSB^2,
 * so LSB/2 RMS, and the same for every signal (no noise modulation). */
static void test_tpdf_noise_level(void **state)
{
	static const double offsets_lsb[] = { 0.0, 0.25, 0.5, 0.77 };
	static double e[LEN];
	struct fx *fx = create(48000, "{\"type\": \"dither\", \"name\": \"d\","
	                       " \"bits\": 16}");

	for (unsigned k = 0; k < 4; k++) {
		double mean = 0.0, r;

		for (int ch = 0; ch < 2; ch++)
			for (int i = 0; i < LEN; i++)
				input[ch][i] = (float)((100.0 + offsets_lsb[k]) /
				                       32768.0);
		run(fx, LEN);
		error_lsb(16, e);
		r = rms_of(e, LEN);
		for (int i = 0; i < LEN; i++)
			mean += e[i] / LEN;
		print_message("  DC +%.2f LSB: error %.4f LSB RMS (expected "
		              "0.5), mean %+.4f\n", offsets_lsb[k], r, mean);
		assert_true(fabs(r - 0.5) < 0.01);
		assert_true(fabs(mean) < 0.01);
	}
	fill_sine(0.3, 1000, 48000);
	run(fx, LEN);
	error_lsb(16, e);
	assert_true(fabs(rms_of(e, LEN) - 0.5) < 0.01);
	fx->ops->destroy(fx);
}

/* Power of e (averaged over blocks of DFT_N, Hann window) in [f0, f1),
 * by a plain DFT with tabulated twiddles. */
#define DFT_N 4096

static double twiddle_cos[DFT_N], twiddle_sin[DFT_N], hann[DFT_N];

static void dft_tables(void)
{
	for (int n = 0; n < DFT_N; n++) {
		twiddle_cos[n] = cos(2.0 * M_PI * n / DFT_N);
		twiddle_sin[n] = sin(2.0 * M_PI * n / DFT_N);
		hann[n] = 0.5 - 0.5 * twiddle_cos[n];
	}
}

static double band_power(const double *e, unsigned rate, double f0, double f1)
{
	static double x[DFT_N];
	double total = 0.0;
	int k0 = (int)ceil(f0 * DFT_N / rate), k1 = (int)ceil(f1 * DFT_N / rate);

	if (k0 < 1)
		k0 = 1;
	for (int block = 0; block + DFT_N <= LEN; block += DFT_N) {
		for (int n = 0; n < DFT_N; n++)
			x[n] = hann[n] * e[block + n];
		for (int k = k0; k < k1 && k < DFT_N / 2; k++) {
			double re = 0.0, im = 0.0;

			for (int n = 0, m = 0; n < DFT_N; n++, m = (m + k) % DFT_N) {
				re += x[n] * twiddle_cos[m];
				im -= x[n] * twiddle_sin[m];
			}
			total += re * re + im * im;
		}
	}
	return total;
}

static void test_shaped_noise_spectrum(void **state)
{
	static const unsigned rates[] = { 44100, 48000 };
	static double e_flat[LEN], e_shaped[LEN];

	dft_tables();
	for (unsigned r = 0; r < 2; r++) {
		unsigned rate = rates[r];
		struct fx *flat = create(rate, "{\"type\": \"dither\","
		                         " \"name\": \"a\", \"kind\": \"tpdf\"}");
		struct fx *shaped = create(rate, "{\"type\": \"dither\","
		                           " \"name\": \"a\", \"kind\": \"shaped\"}");
		double low_flat, low_shaped, high_flat, high_shaped;

		fill_sine(0.25, 1234, rate);
		run(flat, LEN);
		error_lsb(16, e_flat);
		run(shaped, LEN);
		error_lsb(16, e_shaped);
		low_flat = band_power(e_flat, rate, 0, 4000);
		low_shaped = band_power(e_shaped, rate, 0, 4000);
		high_flat = band_power(e_flat, rate, 16000, rate / 2.0);
		high_shaped = band_power(e_shaped, rate, 16000, rate / 2.0);
		print_message("  %u Hz: shaped vs TPDF below 4 kHz %+.1f dB, "
		              "16 kHz..Nyquist %+.1f dB\n", rate,
		              10 * log10(low_shaped / low_flat),
		              10 * log10(high_shaped / high_flat));
		/* the filter's response: -12..-19 dB below 4 kHz */
		assert_true(10 * log10(low_shaped / low_flat) < -10.0);
		assert_true(10 * log10(high_shaped / high_flat) > 6.0);
		flat->ops->destroy(flat);
		shaped->ops->destroy(shaped);
	}
}

static void test_deterministic_and_independent(void **state)
{
	static float first[2][LEN];
	struct fx *fx = create(48000, "{\"type\": \"dither\", \"name\": \"d\"}");

	for (int ch = 0; ch < 2; ch++)
		for (int i = 0; i < LEN; i++)
			input[ch][i] = 0.0f;
	run(fx, LEN);
	memcpy(first, output, sizeof(first));
	fx->ops->destroy(fx);
	fx = create(48000, "{\"type\": \"dither\", \"name\": \"d\"}");
	run(fx, LEN);
	assert_memory_equal(first, output, sizeof(first));
	/* reset starts the same sequence again */
	fx->ops->reset(fx);
	run(fx, LEN);
	assert_memory_equal(first, output, sizeof(first));
	fx->ops->destroy(fx);
	/* channels get their own noise */
	assert_memory_not_equal(first[0], first[1], sizeof(first[0]));
}

/* After clipping, the shaped error feedback is still bounded. */
static void test_clipping_stays_stable(void **state)
{
	static double e[LEN];
	float top = 0.0f, bottom = 0.0f;
	struct fx *fx = create(48000, "{\"type\": \"dither\", \"name\": \"d\","
	                       " \"kind\": \"shaped\", \"bits\": 8}");

	fill_sine(2.0, 100, 48000);
	for (int ch = 0; ch < 2; ch++)
		for (int i = LEN / 2; i < LEN; i++)
			input[ch][i] *= 0.25f;          /* +-0.5 from here */
	run(fx, LEN);
	for (int i = 0; i < LEN / 2; i++) {
		top = fmaxf(top, output[0][i]);
		bottom = fminf(bottom, output[0][i]);
	}
	assert_true(top == 127.0f / 128.0f && bottom == -1.0f);
	error_lsb(8, e);
	for (int i = LEN / 2; i < LEN; i++)
		assert_true(fabs(e[i]) <= 1.5 * (1 + 1.623 + 0.982 + 0.109));
	fx->ops->destroy(fx);
}

static void test_only_listed_channels(void **state)
{
	struct fx *fx = create(48000, "{\"type\": \"dither\", \"name\": \"d\","
	                       " \"channels\": [1]}");

	fill_sine(0.3, 1000, 48000);
	run(fx, LEN);
	assert_memory_equal(output[0], input[0], sizeof(input[0]));
	assert_memory_not_equal(output[1], input[1], sizeof(input[1]));
	fx->ops->destroy(fx);
}

/* ---- config ----------------------------------------------------------- */

static void test_config_values(void **state)
{
	assert_int_equal(load(48000, "{\"type\": \"dither\", \"name\": \"d\"}"), 0);
	assert_int_equal(cfg.blocks[0].type, CFG_BLOCK_DITHER);
	assert_int_equal(cfg.blocks[0].u.dither.kind, CFG_DITHER_TPDF);
	assert_int_equal(cfg.blocks[0].u.dither.bits, 16);
	assert_int_equal(load(48000, "{\"type\": \"dither\", \"name\": \"d\","
	                     " \"kind\": \"shaped\", \"bits\": 24}"), 0);
	assert_int_equal(cfg.blocks[0].u.dither.kind, CFG_DITHER_SHAPED);
	assert_int_equal(cfg.blocks[0].u.dither.bits, 24);
}

struct error_case {
	const char *keys;
	const char *needle;
};

static const struct error_case error_cases[] = {
	{ "\"kind\": \"rpdf\"",
	  "/pipeline/0/kind: unknown value \"rpdf\" (one of: tpdf, shaped)" },
	{ "\"kind\": 1", "/pipeline/0/kind: must be a string (one of: tpdf, shaped)" },
	{ "\"bits\": 7", "/pipeline/0/bits: must be an integer between 8 and 24, got 7" },
	{ "\"bits\": 25", "/pipeline/0/bits: must be an integer between 8 and 24, got 25" },
	{ "\"bits\": 16.5", "/pipeline/0/bits: must be an integer, got 16.5" },
	{ "\"bits\": \"16\"", "/pipeline/0/bits: must be an integer, got string" },
	{ "\"depth\": 16", "/pipeline/0/depth: unknown key (known: type, name,"
	  " channels, bypass, kind, bits)" },
};

static void test_config_errors(void **state)
{
	char block[256];

	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		snprintf(block, sizeof(block), "{\"type\": \"dither\", \"name\":"
		         " \"d\", %s}", error_cases[i].keys);
		if (load(48000, block) != -EINVAL || errs.count != 1 ||
		    !strstr(errs.msg[0], error_cases[i].needle)) {
			print_error("case %zu: %s\n  wanted: %s\n", i, block,
			            error_cases[i].needle);
			bt_dump_errors();
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_on_grid),
		cmocka_unit_test(test_s16_encoding_is_exact),
		cmocka_unit_test(test_tpdf_noise_level),
		cmocka_unit_test(test_shaped_noise_spectrum),
		cmocka_unit_test(test_deterministic_and_independent),
		cmocka_unit_test(test_clipping_stays_stable),
		cmocka_unit_test(test_only_listed_channels),
		cmocka_unit_test(test_config_values),
		cmocka_unit_test(test_config_errors),
	};

	return cmocka_run_group_tests_name("dither", tests, NULL, NULL);
}
