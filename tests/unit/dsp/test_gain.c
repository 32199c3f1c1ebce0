/* test_gain.c - gain ramps: the raised-cosine shape (midpoint, flat ends),
 * less splatter than a linear ramp, exact landing on the target, bounded
 * per-sample step, bit-exact unity, channel masks, dB conversions. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "gain.h"

#define FRAMES 480

static float buf_a[FRAMES], buf_b[FRAMES];

static void fill(float *x, float v)
{
	for (int i = 0; i < FRAMES; i++)
		x[i] = v;
}

static void test_db_conversion(void **state)
{
	assert_true(fabs(gain_db_to_linear(-6.0) - 0.501187) < 1e-6);
	assert_true(fabs(gain_db_to_linear(0.0) - 1.0) < 1e-12);
	assert_true(fabs(gain_linear_to_db(0.5) - -6.0206) < 1e-4);
	assert_true(gain_linear_to_db(0.0) == -200.0);          /* finite floor */
	assert_true(gain_linear_to_db(NAN) == -200.0);
	assert_true(gain_linear_to_db(1e-30) == -200.0);
}

static void test_unity_is_bit_exact(void **state)
{
	struct gain_ramp g;
	float *bufs[1] = { buf_a };

	gain_ramp_init(&g, 1.0f);
	for (int i = 0; i < FRAMES; i++)
		buf_a[i] = (float)i / 8388608.0f - 0.3f;
	memcpy(buf_b, buf_a, sizeof(buf_a));
	gain_ramp_process(&g, bufs, 1, 1, FRAMES);
	assert_memory_equal(buf_a, buf_b, sizeof(buf_a));
}

static void test_ramp_lands_exactly_with_bounded_step(void **state)
{
	struct gain_ramp g;
	float *bufs[1] = { buf_a };
	const float target = (float)gain_db_to_linear(-6.0);
	const uint32_t ramp = 1000;      /* spans three calls */
	float prev = 1.0f, max_step = 0.0f;

	gain_ramp_init(&g, 1.0f);
	gain_ramp_set(&g, target, ramp);
	for (int call = 0; call < 3; call++) {
		fill(buf_a, 1.0f);
		gain_ramp_process(&g, bufs, 1, 1, FRAMES);
		for (int i = 0; i < FRAMES; i++) {
			float step = fabsf(buf_a[i] - prev);

			max_step = step > max_step ? step : max_step;
			prev = buf_a[i];
		}
	}
	/* the largest step is the raised cosine's steepest slope (pi/2 times
	 * the linear one, at its middle), nothing more */
	assert_true(max_step <= (float)M_PI / 2.0f * (1.0f - target) / ramp * 1.001f);
	assert_true(max_step >= (float)M_PI / 2.0f * (1.0f - target) / ramp * 0.99f);
	assert_true(g.current == target);
	assert_int_equal(g.remaining, 0);
	assert_true(buf_a[FRAMES - 1] == target);
}

/* Every frame of a ramp spanning several calls is a + (b-a)(1-cos(pi k/N))/2:
 * the quarter, middle and three-quarter points, and slopes of 0 at both ends
 * (the first and last steps are tiny next to the middle one). */
static void test_ramp_is_raised_cosine(void **state)
{
	static float out[1200];
	struct gain_ramp g;
	const uint32_t n = 1000;
	uint32_t at = 0;

	gain_ramp_init(&g, 0.2f);
	gain_ramp_set(&g, 1.2f, n);
	while (at < 1200) {
		uint32_t chunk = at + 256 <= 1200 ? 256 : 1200 - at;  /* not a divisor of n */
		float *bufs[1] = { out + at };

		for (uint32_t i = 0; i < chunk; i++)
			out[at + i] = 1.0f;
		gain_ramp_process(&g, bufs, 1, 1, chunk);
		at += chunk;
	}
	/* frame k of the ramp is out[k - 1] */
	for (uint32_t k = 1; k <= n; k++) {
		double want = 0.2 + 1.0 * 0.5 * (1.0 - cos(M_PI * k / n));

		assert_true(fabs(out[k - 1] - want) < 1e-6);
	}
	assert_true(fabsf(out[n / 2 - 1] - 0.7f) < 1e-6f);           /* midpoint */
	assert_true(fabsf(out[n / 4 - 1] - (0.2f + 0.5f * (1.0f - (float)M_SQRT1_2))) < 1e-6f);
	assert_true(fabsf(out[3 * n / 4 - 1] - (0.2f + 0.5f * (1.0f + (float)M_SQRT1_2))) < 1e-6f);
	/* flat at both ends: the first and last steps are below 1/100 of the
	 * middle one (a linear ramp's are equal to it) */
	{
		float first = out[0] - 0.2f, last = out[n - 1] - out[n - 2];
		float middle = out[n / 2] - out[n / 2 - 1];

		assert_true(first > 0.0f && first < middle / 100.0f);
		assert_true(last > 0.0f && last < middle / 100.0f);
	}
	assert_true(out[n - 1] == 1.2f);                 /* lands exactly */
	for (uint32_t i = n; i < 1200; i++)
		assert_true(out[i] == 1.2f);
}

/* Energy of x[0..len) at normalised frequency f (cycles a sample), in dB. */
static double dft_db(const float *x, int len, double f)
{
	double re = 0.0, im = 0.0;

	for (int i = 0; i < len; i++) {
		re += x[i] * cos(2.0 * M_PI * f * i);
		im -= x[i] * sin(2.0 * M_PI * f * i);
	}
	return 10.0 * log10(re * re + im * im + 1e-30);
}

/* A 1 kHz tone faded in over 10 ms, held, faded out: the spectrum away from
 * the tone (the splatter of the two ramps) is far lower with the raised
 * cosine than with a linear ramp of the same length. */
#define TONE_LEN 4800
static void test_less_splatter_than_linear(void **state)
{
	static float ours[TONE_LEN], linear[TONE_LEN];
	const uint32_t n = 480;          /* 10 ms at 48 kHz */
	const double f0 = 1000.0 / 48000.0;
	struct gain_ramp g;
	float *bufs[1];
	double worst_ours = -400.0, worst_linear = -400.0;

	for (int i = 0; i < TONE_LEN; i++) {
		double lin = i < (int)n ? (i + 1.0) / n
		           : i >= TONE_LEN - (int)n ? (TONE_LEN - i - 1.0) / n : 1.0;

		ours[i] = (float)sin(2.0 * M_PI * f0 * i);
		linear[i] = (float)(ours[i] * lin);
	}
	gain_ramp_init(&g, 0.0f);
	gain_ramp_set(&g, 1.0f, n);
	bufs[0] = ours;
	gain_ramp_process(&g, bufs, 1, 1, TONE_LEN - n);
	gain_ramp_set(&g, 0.0f, n);
	bufs[0] = ours + TONE_LEN - n;
	gain_ramp_process(&g, bufs, 1, 1, n);
	assert_true(ours[TONE_LEN - 1] == 0.0f);
	/* from 2 kHz to 20 kHz off the tone */
	for (double f = 3000.0; f <= 21000.0; f += 250.0) {
		double a = dft_db(ours, TONE_LEN, f / 48000.0);
		double b = dft_db(linear, TONE_LEN, f / 48000.0);

		worst_ours = a > worst_ours ? a : worst_ours;
		worst_linear = b > worst_linear ? b : worst_linear;
	}
	print_message("splatter 2-20 kHz off a 1 kHz tone: raised cosine %.1f dB, linear %.1f dB\n",
	              worst_ours, worst_linear);
	assert_true(worst_ours < worst_linear - 30.0);
}

static void test_retarget_mid_ramp_has_no_jump(void **state)
{
	struct gain_ramp g;
	float *bufs[1] = { buf_a };
	float before;

	gain_ramp_init(&g, 0.0f);
	gain_ramp_set(&g, 1.0f, 960);
	fill(buf_a, 1.0f);
	gain_ramp_process(&g, bufs, 1, 1, 100);
	before = buf_a[99];
	gain_ramp_set(&g, 0.25f, 960);          /* reverse direction halfway */
	fill(buf_a, 1.0f);
	gain_ramp_process(&g, bufs, 1, 1, 1);
	assert_true(fabsf(buf_a[0] - before) < 0.002f);
}

static void test_mask_selects_channels(void **state)
{
	struct gain_ramp g;
	float *bufs[2] = { buf_a, buf_b };

	gain_ramp_init(&g, 0.5f);
	fill(buf_a, 1.0f);
	fill(buf_b, 1.0f);
	gain_ramp_process(&g, bufs, 2, 2, FRAMES);  /* only channel 1 */
	assert_true(buf_a[10] == 1.0f);
	assert_true(buf_b[10] == 0.5f);
}

static void test_zero_ramp_jumps(void **state)
{
	struct gain_ramp g;
	float *bufs[1] = { buf_a };

	gain_ramp_init(&g, 1.0f);
	gain_ramp_set(&g, 0.0f, 0);
	fill(buf_a, 0.7f);
	gain_ramp_process(&g, bufs, 1, 1, FRAMES);
	assert_true(buf_a[0] == 0.0f && buf_a[FRAMES - 1] == 0.0f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_db_conversion),
		cmocka_unit_test(test_unity_is_bit_exact),
		cmocka_unit_test(test_ramp_lands_exactly_with_bounded_step),
		cmocka_unit_test(test_ramp_is_raised_cosine),
		cmocka_unit_test(test_less_splatter_than_linear),
		cmocka_unit_test(test_retarget_mid_ramp_has_no_jump),
		cmocka_unit_test(test_mask_selects_channels),
		cmocka_unit_test(test_zero_ramp_jumps),
	};

	return cmocka_run_group_tests_name("gain", tests, NULL, NULL);
}
