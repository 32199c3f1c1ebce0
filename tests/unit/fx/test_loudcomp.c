/* test_loudcomp.c - the loudness_comp block follows the master volume:
 * transparent (bit-exact) at the reference volume, +boost shelves 20 dB
 * below it, flat mids, a bounded per-period move, and config errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <string.h>

#include "config.h"
#include "fx.h"
#include "block_test.h"
#include "gain.h"

#define RATE 48000
#define PERIOD 256

static float rows[FX_MAX_CHANNELS][PERIOD];
static float *bufs[FX_MAX_CHANNELS];
static _Atomic float master;

static struct fx *create(const char *block)
{
	for (int ch = 0; ch < FX_MAX_CHANNELS; ch++)
		bufs[ch] = rows[ch];
	return bt_create(RATE, PERIOD, 2, 2, block, &master);
}

/* Steady-state gain in dB of a sine at freq (after 1 s of settling). */
static double gain_at(struct fx *fx, double freq)
{
	double in_ss = 0, out_ss = 0, phase = 0;

	for (int p = 0; p < 2 * RATE / PERIOD; p++) {
		float in[PERIOD];

		for (int i = 0; i < PERIOD; i++) {
			in[i] = rows[0][i] = (float)(0.25 * sin(phase));
			phase += 2 * M_PI * freq / RATE;
		}
		fx->ops->process(fx, bufs, PERIOD);
		if (p >= RATE / PERIOD)
			for (int i = 0; i < PERIOD; i++) {
				in_ss += (double)in[i] * in[i];
				out_ss += (double)rows[0][i] * rows[0][i];
			}
	}
	return 10 * log10(out_ss / in_ss);
}

static void test_transparent_at_reference(void **state)
{
	struct fx *fx;
	float before[PERIOD];

	atomic_store(&master, (float)gain_db_to_linear(-25.0));
	fx = create("{\"type\": \"loudness_comp\", \"name\": \"lc\"}");
	for (int i = 0; i < PERIOD; i++)
		before[i] = rows[0][i] = (float)sin(i * 0.1) * 0.5f;
	fx->ops->process(fx, bufs, PERIOD);
	assert_memory_equal(before, rows[0], sizeof(before));
	/* louder than the reference: still nothing */
	atomic_store(&master, 1.0f);
	assert_true(fabs(gain_at(fx, 40)) < 1e-6);
	fx->ops->destroy(fx);
}

static void test_boost_twenty_db_below(void **state)
{
	struct fx *fx;
	double lo, mid, hi;

	atomic_store(&master, (float)gain_db_to_linear(-45.0));
	fx = create("{\"type\": \"loudness_comp\", \"name\": \"lc\", \"reference_db\": -25,"
	            " \"low_boost_db\": 8, \"high_boost_db\": 6}");
	lo = gain_at(fx, 30);
	mid = gain_at(fx, 700);
	hi = gain_at(fx, 15000);
	print_message("    30 Hz %+.2f dB, 700 Hz %+.2f dB, 15 kHz %+.2f dB\n", lo, mid, hi);
	assert_true(lo > 6.5 && lo < 8.01);
	assert_true(fabs(mid) < 1.0);
	assert_true(hi > 5.0 && hi < 6.01);
	fx->ops->destroy(fx);
}

/* Largest sample step of the block's output over n periods of a 50 Hz
 * sine (continuing phase). */
static float run_sine(struct fx *fx, double *phase, int periods, float *prev)
{
	float max_step = 0.0f;

	for (int p = 0; p < periods; p++) {
		for (int i = 0; i < PERIOD; i++) {
			rows[0][i] = (float)(0.5 * sin(*phase));
			*phase += 2 * M_PI * 50.0 / RATE;
		}
		fx->ops->process(fx, bufs, PERIOD);
		for (int i = 0; i < PERIOD; i++) {
			float step = fabsf(rows[0][i] - *prev);

			max_step = step > max_step ? step : max_step;
			*prev = rows[0][i];
		}
	}
	return max_step;
}

static void test_halfway_and_moves_gradually(void **state)
{
	struct fx *fx;
	double lo, phase = 0;
	float prev = 0.0f, boosted, moving, plain;

	atomic_store(&master, (float)gain_db_to_linear(-35.0));   /* 10 dB below */
	fx = create("{\"type\": \"loudness_comp\", \"name\": \"lc\", \"low_boost_db\": 10}");
	lo = gain_at(fx, 20);
	print_message("    20 Hz at half boost: %+.2f dB\n", lo);
	assert_true(lo > 4.0 && lo < 5.01);   /* half of 10 dB, at most */
	fx->ops->reset(fx);
	run_sine(fx, &phase, 200, &prev);               /* settle on 50 Hz */
	boosted = run_sine(fx, &phase, 40, &prev);
	/* back to the reference: the boost leaves over 20 periods */
	atomic_store(&master, (float)gain_db_to_linear(-25.0));
	moving = run_sine(fx, &phase, 40, &prev);
	plain = run_sine(fx, &phase, 40, &prev);
	print_message("    largest step: boosted %.5f, while moving %.5f, plain %.5f\n",
	              boosted, moving, plain);
	/* no click: moving never steps further than the steady signal does */
	assert_true(moving <= 1.02f * (boosted > plain ? boosted : plain));
	assert_true(fabs(gain_at(fx, 20)) < 1e-6);
	fx->ops->destroy(fx);
}

static void test_config_errors(void **state)
{
	const char *bad[] = {
		"{\"type\": \"loudness_comp\", \"name\": \"x\", \"low_boost_db\": 21}",
		"{\"type\": \"loudness_comp\", \"name\": \"x\", \"reference_db\": -101}",
		"{\"type\": \"loudness_comp\", \"name\": \"x\", \"high_boost_db\": \"a\"}",
		"{\"type\": \"loudness_comp\", \"name\": \"x\", \"freq\": 70}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[512];

		snprintf(text, sizeof(text), "{\"pipeline\": [%s]}", bad[i]);
		assert_int_equal(config_load_string(text, strlen(text), "t.conf", &cfg, &errs), -EINVAL);
		assert_non_null(strstr(errs.msg[0], "/pipeline/0/"));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_transparent_at_reference),
		cmocka_unit_test(test_boost_twenty_db_below),
		cmocka_unit_test(test_halfway_and_moves_gradually),
		cmocka_unit_test(test_config_errors),
	};

	return cmocka_run_group_tests_name("loudcomp", tests, NULL, NULL);
}
