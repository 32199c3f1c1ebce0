/* test_delay.c - the "delay" block: bit-exact whole-sample delays in
 * samples, ms and mm, the sub-sample interpolator's frequency response, a
 * fractional delay against the analytic delayed signal, refusals, and the
 * config key errors.  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <complex.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "fx.h"
#include "block_test.h"
#include "fx_delay.h"

#define RATE 48000
#define MAX_FRAMES 256
#define TOTAL 8192

static float rows[FX_MAX_CHANNELS][MAX_FRAMES];
static float *bufs[FX_MAX_CHANNELS];
static float input[2][TOTAL], output[2][TOTAL];

/* Load a stereo config at rate whose pipeline is `blocks`. */
static int load_blocks(unsigned rate, const char *blocks)
{
	return bt_load(rate, 2, 2, blocks);
}

static struct fx *create_at(unsigned rate, const char *block)
{
	return bt_create(rate, MAX_FRAMES, 2, 2, block, NULL);
}

/* Constructor refusal: returns the message. */
static const char *create_fails(unsigned rate, const char *block)
{
	static char err[256];
	struct fx_env env = { rate, MAX_FRAMES, 2, NULL, 0 };
	struct fx *fx = NULL;

	assert_int_equal(load_blocks(rate, block), 0);
	err[0] = '\0';
	assert_int_equal(fx_create(&cfg.blocks[0], &env, &fx, err, sizeof(err)),
	                 -EINVAL);
	assert_null(fx);
	return err;
}

static uint32_t rng_state = 12345;

static float random_sample(void)
{
	rng_state = rng_state * 1664525u + 1013904223u;
	return (float)((int32_t)rng_state / 2147483648.0);
}

/* Run TOTAL frames of input[] through fx in periods of varying length. */
static void run(struct fx *fx)
{
	static const uint32_t periods[] = { 256, 1, 100, 255, 17, 64 };
	uint32_t done = 0;

	for (int ch = 0; ch < FX_MAX_CHANNELS; ch++)
		bufs[ch] = rows[ch];
	for (unsigned p = 0; done < TOTAL; p++) {
		uint32_t n = periods[p % 6];

		if (n > TOTAL - done)
			n = TOTAL - done;
		for (int ch = 0; ch < 2; ch++)
			memcpy(rows[ch], input[ch] + done, n * sizeof(float));
		fx->ops->process(fx, bufs, n);
		for (int ch = 0; ch < 2; ch++)
			memcpy(output[ch] + done, rows[ch], n * sizeof(float));
		done += n;
	}
}

static void fill_random(void)
{
	for (int ch = 0; ch < 2; ch++)
		for (int i = 0; i < TOTAL; i++)
			input[ch][i] = random_sample();
}

static void assert_delayed_exactly(const float *in, const float *out,
                                   unsigned n)
{
	for (unsigned i = 0; i < n && i < TOTAL; i++)
		assert_true(out[i] == 0.0f);
	assert_memory_equal(out + n, in, (TOTAL - n) * sizeof(float));
}

/* ---- unit conversions ---------------------------------------------- */

static void test_units_to_samples(void **state)
{
	struct cfg_delay d = { .value = 100, .unit = CFG_DELAY_SAMPLES,
	                       .speed_of_sound = 343 };

	assert_true(fx_delay_in_samples(&d, 48000) == 100.0);
	d.unit = CFG_DELAY_MS;
	d.value = 2.5;
	assert_true(fx_delay_in_samples(&d, 48000) == 120.0);
	assert_true(fabs(fx_delay_in_samples(&d, 44100) - 110.25) < 1e-12);
	d.unit = CFG_DELAY_MM;
	d.value = 343;                      /* 1 ms at 343 m/s */
	assert_true(fx_delay_in_samples(&d, 48000) == 48.0);
	d.value = 1000;                     /* 1 m: 2.915 ms */
	assert_true(fabs(fx_delay_in_samples(&d, 48000) - 48000.0 / 343.0) < 1e-9);
	d.speed_of_sound = 1480;            /* water */
	d.value = 1480;
	assert_true(fabs(fx_delay_in_samples(&d, 96000) - 96.0) < 1e-12);
}

/* ---- whole samples: bit-exact ---------------------------------------- */

static void check_whole_delay(const char *block, unsigned rate, unsigned n)
{
	struct fx *fx = create_at(rate, block);

	assert_int_equal(fx->latency_frames, 0);
	fill_random();
	run(fx);
	assert_delayed_exactly(input[0], output[0], n);
	assert_delayed_exactly(input[1], output[1], n);
	fx->ops->destroy(fx);
}

static void test_whole_samples_bit_exact(void **state)
{
	check_whole_delay("{\"type\": \"delay\", \"name\": \"d\", \"value\": 37,"
	                  " \"unit\": \"samples\"}", RATE, 37);
	check_whole_delay("{\"type\": \"delay\", \"name\": \"d\", \"value\": 1,"
	                  " \"unit\": \"samples\"}", RATE, 1);
	check_whole_delay("{\"type\": \"delay\", \"name\": \"d\", \"value\": 3000,"
	                  " \"unit\": \"samples\"}", RATE, 3000);
	/* longer than a period, not a multiple of any period */
	check_whole_delay("{\"type\": \"delay\", \"name\": \"d\", \"value\": 257,"
	                  " \"unit\": \"samples\"}", RATE, 257);
}

static void test_ms_and_mm_bit_exact(void **state)
{
	/* ms is the default unit */
	check_whole_delay("{\"type\": \"delay\", \"name\": \"d\", \"value\": 1}",
	                  RATE, 48);
	check_whole_delay("{\"type\": \"delay\", \"name\": \"d\", \"value\": 10,"
	                  " \"unit\": \"ms\"}", 44100, 441);
	check_whole_delay("{\"type\": \"delay\", \"name\": \"d\", \"value\": 686,"
	                  " \"unit\": \"mm\"}", RATE, 96);
	check_whole_delay("{\"type\": \"delay\", \"name\": \"d\", \"value\": 500,"
	                  " \"unit\": \"mm\", \"speed_of_sound\": 250}", RATE, 96);
}

static void test_zero_delay_passes_through(void **state)
{
	check_whole_delay("{\"type\": \"delay\", \"name\": \"d\", \"value\": 0}",
	                  RATE, 0);
}

static void test_only_listed_channels(void **state)
{
	struct fx *fx = create_at(RATE, "{\"type\": \"delay\", \"name\": \"d\","
	                          " \"value\": 5, \"unit\": \"samples\","
	                          " \"channels\": [1]}");

	fill_random();
	run(fx);
	assert_memory_equal(output[0], input[0], sizeof(input[0]));
	assert_delayed_exactly(input[1], output[1], 5);
	fx->ops->destroy(fx);
}

static void test_reset_forgets(void **state)
{
	struct fx *fx = create_at(RATE, "{\"type\": \"delay\", \"name\": \"d\","
	                          " \"value\": 20.5, \"unit\": \"samples\"}");

	fill_random();
	run(fx);
	fx->ops->reset(fx);
	memset(input, 0, sizeof(input));
	run(fx);
	for (int i = 0; i < TOTAL; i++)
		assert_true(output[0][i] == 0.0f && output[1][i] == 0.0f);
	fx->ops->destroy(fx);
}

/* ---- fractions --------------------------------------------------------- */

#define PASSBAND 0.4        /* of the sample rate: 0.8 x Nyquist */
#define MAG_TOLERANCE_DB 0.01
#define GROUP_DELAY_TOLERANCE 0.01

static void test_fraction_response(void **state)
{
	for (int tenth = 1; tenth <= 9; tenth++) {
		double fraction = tenth / 10.0, sum = 0.0;
		double worst_mag = 0.0, worst_gd = 0.0;
		float taps[FX_DELAY_FRAC_TAPS];

		fx_delay_design_fraction(fraction, taps);
		for (int k = 0; k < FX_DELAY_FRAC_TAPS; k++)
			sum += taps[k];
		assert_true(fabs(sum - 1.0) < 1e-6);
		for (double nu = 0.001; nu <= PASSBAND; nu += 0.001) {
			double complex h = 0, dh = 0;
			double w = 2.0 * M_PI * nu, mag, gd;

			for (int k = 0; k < FX_DELAY_FRAC_TAPS; k++) {
				h += taps[k] * cexp(-I * w * k);
				dh += k * taps[k] * cexp(-I * w * k);
			}
			mag = fabs(20.0 * log10(cabs(h)));
			gd = fabs(creal(dh / h) - (FX_DELAY_FRAC_CENTRE + fraction));
			worst_mag = mag > worst_mag ? mag : worst_mag;
			worst_gd = gd > worst_gd ? gd : worst_gd;
		}
		print_message("  fraction %.1f: |H| within %.4f dB, group delay "
		              "within %.4f samples up to %.2f fs\n", fraction,
		              worst_mag, worst_gd, PASSBAND);
		assert_true(worst_mag < MAG_TOLERANCE_DB);
		assert_true(worst_gd < GROUP_DELAY_TOLERANCE);
	}
}

/* A sum of sines up to 0.38 fs, evaluated at fractional times. */
static const double tone_freq[] = { 0.011, 0.052, 0.13, 0.21, 0.29, 0.38 };
static const double tone_phase[] = { 0.3, 1.7, 2.9, 0.8, 4.1, 5.5 };

static double band_limited(double t)
{
	double s = 0.0;

	for (int k = 0; k < 6; k++)
		s += 0.15 * sin(2.0 * M_PI * tone_freq[k] * t + tone_phase[k]);
	return s;
}

/* Largest |output - analytic input delayed by `delay`| once settled. */
static double fractional_error(const char *block, unsigned rate, double delay)
{
	struct fx *fx = create_at(rate, block);
	double worst = 0.0;

	assert_int_equal(fx->latency_frames, 0);
	for (int i = 0; i < TOTAL; i++)
		input[0][i] = input[1][i] = (float)band_limited(i);
	run(fx);
	for (int i = (int)delay + FX_DELAY_FRAC_TAPS; i < TOTAL; i++) {
		double e = fabs(output[0][i] - band_limited(i - delay));

		worst = e > worst ? e : worst;
		assert_true(output[1][i] == output[0][i]);
	}
	fx->ops->destroy(fx);
	return worst;
}

/* The response errors above (about 0.003 dB and 0.0025 samples) give
 * about 6e-5 on this sum of amplitude 0.9; the bound leaves room for float
 * rounding only.  Rounding to a whole sample would be off by 0.3. */
#define FRACTION_TOLERANCE 2e-4

static void test_half_sample_against_analytic(void **state)
{
	double e = fractional_error("{\"type\": \"delay\", \"name\": \"d\","
	                            " \"value\": 100.5, \"unit\": \"samples\"}",
	                            RATE, 100.5);

	print_message("  100.5 samples: max error %.2e\n", e);
	assert_true(e < FRACTION_TOLERANCE);
	/* the shortest fractional delay allowed */
	e = fractional_error("{\"type\": \"delay\", \"name\": \"d\","
	                     " \"value\": 15.5, \"unit\": \"samples\"}",
	                     RATE, 15.5);
	print_message("  15.5 samples: max error %.2e\n", e);
	assert_true(e < FRACTION_TOLERANCE);
	/* 2.5 ms at 44.1 kHz is 110.25 samples */
	e = fractional_error("{\"type\": \"delay\", \"name\": \"d\","
	                     " \"value\": 2.5}", 44100, 110.25);
	print_message("  2.5 ms at 44.1 kHz: max error %.2e\n", e);
	assert_true(e < FRACTION_TOLERANCE);
}

/* The interpolator is needed: a whole-sample neighbour is far off. */
static void test_fraction_is_not_rounded(void **state)
{
	struct fx *fx = create_at(RATE, "{\"type\": \"delay\", \"name\": \"d\","
	                          " \"value\": 100.5, \"unit\": \"samples\"}");
	double worst = 0.0;

	for (int i = 0; i < TOTAL; i++)
		input[0][i] = input[1][i] = (float)band_limited(i);
	run(fx);
	for (int i = 200; i < TOTAL; i++) {
		double e = fabs(output[0][i] - band_limited(i - 100.0));

		worst = e > worst ? e : worst;
	}
	assert_true(worst > 100 * FRACTION_TOLERANCE);
	fx->ops->destroy(fx);
}

static void test_refusals(void **state)
{
	const char *msg;

	msg = create_fails(RATE, "{\"type\": \"delay\", \"name\": \"short\","
	                   " \"value\": 4.8, \"unit\": \"samples\"}");
	assert_non_null(strstr(msg, "block \"short\""));
	assert_non_null(strstr(msg, "fractional part"));
	assert_non_null(strstr(msg, "15 samples"));
	/* 0.1 ms at 48 kHz is 4.8 samples */
	create_fails(RATE, "{\"type\": \"delay\", \"name\": \"d\", \"value\": 0.1}");
	msg = create_fails(RATE, "{\"type\": \"delay\", \"name\": \"long\","
	                   " \"value\": 10001}");
	assert_non_null(strstr(msg, "exceeds the maximum of 10 s"));
	msg = create_fails(8000, "{\"type\": \"delay\", \"name\": \"long\","
	                   " \"value\": 80001, \"unit\": \"samples\"}");
	assert_non_null(strstr(msg, "10.000 s at 8000 Hz"));
}

static void test_ten_seconds_allowed(void **state)
{
	struct fx *fx = create_at(RATE, "{\"type\": \"delay\", \"name\": \"d\","
	                          " \"value\": 10000}");

	fx->ops->destroy(fx);
}

/* ---- config errors ---------------------------------------------------- */

struct error_case {
	const char *block;
	const char *needles[3];
};

static const struct error_case error_cases[] = {
	{ "{\"type\": \"delay\", \"name\": \"d\"}",
	  { "/pipeline/0: missing required key \"value\"" } },
	{ "{\"type\": \"delay\", \"name\": \"d\", \"value\": -1}",
	  { "/pipeline/0/value: must be a number between 0 and 1e+07, got -1" } },
	{ "{\"type\": \"delay\", \"name\": \"d\", \"value\": 1e8}",
	  { "/pipeline/0/value: must be a number between" } },
	{ "{\"type\": \"delay\", \"name\": \"d\", \"value\": \"5\"}",
	  { "/pipeline/0/value: must be a number, got string" } },
	{ "{\"type\": \"delay\", \"name\": \"d\", \"value\": 1, \"unit\": \"s\"}",
	  { "/pipeline/0/unit: unknown value \"s\"", "samples, ms, mm" } },
	{ "{\"type\": \"delay\", \"name\": \"d\", \"value\": 1, \"unit\": 3}",
	  { "/pipeline/0/unit: must be a string (one of: samples, ms, mm)" } },
	{ "{\"type\": \"delay\", \"name\": \"d\", \"value\": 1,"
	  " \"speed_of_sound\": 50}",
	  { "/pipeline/0/speed_of_sound: must be a number between 100 and 2000" } },
	{ "{\"type\": \"delay\", \"name\": \"d\", \"value\": 1,"
	  " \"speed_of_sound\": true}",
	  { "/pipeline/0/speed_of_sound: must be a number, got boolean" } },
	{ "{\"type\": \"delay\", \"name\": \"d\", \"value\": 1, \"delay\": 2}",
	  { "/pipeline/0/delay: unknown key",
	    "known: type, name, channels, bypass, value, unit, speed_of_sound" } },
	{ "{\"type\": \"delay\", \"name\": \"d\", \"value\": 1, \"channels\": [5]}",
	  { "/pipeline/0/channels/0: channel 5 does not exist" } },
};

static void test_config_errors(void **state)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];

		if (load_blocks(RATE, c->block) != -EINVAL || errs.count != 1) {
			print_error("case %zu: %s\n", i, c->block);
			bt_dump_errors();
			fail();
		}
		for (int k = 0; k < 3 && c->needles[k]; k++)
			if (!strstr(errs.msg[0], c->needles[k])) {
				print_error("case %zu lacks \"%s\"\n", i,
				            c->needles[k]);
				bt_dump_errors();
				fail();
			}
	}
}

static void test_config_defaults(void **state)
{
	assert_int_equal(load_blocks(RATE, "{\"type\": \"delay\", \"name\": \"d\","
	                             " \"value\": 3}"), 0);
	assert_int_equal(cfg.blocks[0].type, CFG_BLOCK_DELAY);
	assert_int_equal(cfg.blocks[0].u.delay.unit, CFG_DELAY_MS);
	assert_true(cfg.blocks[0].u.delay.speed_of_sound == 343.0);
	assert_true(cfg.blocks[0].u.delay.value == 3.0);
	assert_int_equal(cfg.blocks[0].channel_mask, UINT32_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units_to_samples),
		cmocka_unit_test(test_whole_samples_bit_exact),
		cmocka_unit_test(test_ms_and_mm_bit_exact),
		cmocka_unit_test(test_zero_delay_passes_through),
		cmocka_unit_test(test_only_listed_channels),
		cmocka_unit_test(test_reset_forgets),
		cmocka_unit_test(test_fraction_response),
		cmocka_unit_test(test_half_sample_against_analytic),
		cmocka_unit_test(test_fraction_is_not_rounded),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_ten_seconds_allowed),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_config_defaults),
	};

	return cmocka_run_group_tests_name("delay", tests, NULL, NULL);
}
