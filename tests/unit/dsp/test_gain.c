/* test_gain.c - gain ramps: exact landing on the target, bounded per-sample
 * step, bit-exact unity, channel masks, dB conversions. */
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

static void test_ramp_is_linear_and_lands_exactly(void **state)
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
	/* the largest step is the ramp's own slope, nothing more */
	assert_true(max_step <= (1.0f - target) / ramp * 1.001f);
	assert_true(g.current == target);
	assert_int_equal(g.remaining, 0);
	assert_true(buf_a[FRAMES - 1] == target);
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
		cmocka_unit_test(test_ramp_is_linear_and_lands_exactly),
		cmocka_unit_test(test_retarget_mid_ramp_has_no_jump),
		cmocka_unit_test(test_mask_selects_channels),
		cmocka_unit_test(test_zero_ramp_jumps),
	};

	return cmocka_run_group_tests_name("gain", tests, NULL, NULL);
}
