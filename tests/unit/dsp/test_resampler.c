/* test_resampler.c - the capture resampler (resampler.c) driven the way
 * the engine drives it (take_input: pull one period of P frames, push one
 * capture period of P frames only when the pull ran short): where an
 * impulse comes out, the frames it holds, tones through fixed ratios
 * (fitted by least squares at their known frequency), the input consumed
 * under a correction, the phase across changes of the correction, and the
 * argument checks.  Single-threaded. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>

#include "resampler.h"
#include "tone_fit.h"

#define P 256
#define AMP 0.5
#define TONE_HZ 1000.0
#define MAX_IN (48000 * 11)     /* 10 s of output at -1000 ppm, and more */
#define MAX_OUT (48000 * 10 + P)

/* cmocka 1.1 has no assert_double_equal */
#define assert_near(value, wanted, tolerance) do { \
	double v_ = (value), w_ = (wanted); \
	if (!(fabs(v_ - w_) <= (tolerance))) { \
		print_error("%s = %.10g, wanted %.10g +- %g\n", #value, v_, w_, \
		            (double)(tolerance)); \
		fail(); \
	} \
} while (0)

static const enum rs_quality qualities[] = { RS_FAST, RS_MEDIUM, RS_BEST };
#define QUALITIES (sizeof(qualities) / sizeof(qualities[0]))

static float input[MAX_IN], output[MAX_OUT];

/* The engine's side of one resampler: the input it has been fed and what
 * resampler_held() said after every push and pull. */
struct drive {
	struct resampler *rs;
	size_t fed, pushes;
	double held_min, held_max;              /* at every call */
	double boundary_min, boundary_max;      /* after each whole period */
};

static struct resampler *create(double in_rate, double out_rate,
                                enum rs_quality q)
{
	struct resampler *rs = NULL;

	assert_int_equal(resampler_create(&rs, 1, in_rate, out_rate, q, P), 0);
	assert_non_null(rs);
	return rs;
}

static void drive_init(struct drive *d, struct resampler *rs)
{
	memset(d, 0, sizeof(*d));
	d->rs = rs;
	d->held_min = d->boundary_min = INFINITY;
	d->held_max = d->boundary_max = -INFINITY;
}

static void observe(struct drive *d)
{
	double held = resampler_held(d->rs);

	d->held_min = fmin(d->held_min, held);
	d->held_max = fmax(d->held_max, held);
}

/* output[at, at + n): take_input()'s loop */
static void drive_period(struct drive *d, size_t at, uint32_t n)
{
	float *out[1] = { output + at };
	uint32_t done = 0;

	for (;;) {
		const float *in[1];

		done += resampler_pull(d->rs, out, done, n - done);
		observe(d);
		if (done == n)
			break;
		assert_true(d->fed + P <= MAX_IN);
		in[0] = input + d->fed;
		assert_int_equal(resampler_push(d->rs, in, P), 0);
		d->fed += P;
		d->pushes++;
		observe(d);
	}
	d->boundary_min = fmin(d->boundary_min, resampler_held(d->rs));
	d->boundary_max = fmax(d->boundary_max, resampler_held(d->rs));
}

static void drive_frames(struct drive *d, size_t from, size_t to)
{
	for (size_t at = from; at < to; at += P)
		drive_period(d, at, to - at < P ? (uint32_t)(to - at) : P);
}

static void make_tone(double freq, double rate, double amp)
{
	for (size_t i = 0; i < MAX_IN; i++)
		input[i] = (float)(amp * sin(2.0 * M_PI * freq * (double)i / rate));
}

static double largest_step(const float *y, size_t from, size_t to)
{
	double worst = 0.0;

	for (size_t i = from + 1; i < to; i++)
		worst = fmax(worst, fabs((double)y[i] - y[i - 1]));
	return worst;
}

/* ---- arguments ------------------------------------------------------- */

static void test_create_rejects_bad_arguments(void **state)
{
	struct resampler *rs = NULL;

	assert_int_equal(resampler_create(&rs, 0, 48000, 48000, RS_MEDIUM, P), -EINVAL);
	assert_int_equal(resampler_create(&rs, 2, 48000, 48000, RS_MEDIUM, 0), -EINVAL);
	assert_int_equal(resampler_create(&rs, 2, 0, 48000, RS_MEDIUM, P), -EINVAL);
	assert_int_equal(resampler_create(&rs, 2, 48000, 0, RS_MEDIUM, P), -EINVAL);
	assert_int_equal(resampler_create(&rs, 2, -44100, 48000, RS_MEDIUM, P), -EINVAL);
	assert_int_equal(resampler_create(&rs, 2, 48000, -44100, RS_MEDIUM, P), -EINVAL);
	assert_int_equal(resampler_create(&rs, 2, NAN, 48000, RS_MEDIUM, P), -EINVAL);
	/* beyond libsamplerate's 1/256 .. 256 with the 10 % margin */
	assert_int_equal(resampler_create(&rs, 2, 48000, 48000 * 240.0, RS_FAST, P), -EINVAL);
	assert_null(rs);
	assert_int_equal(resampler_create(&rs, 2, 48000, 44100, RS_MEDIUM, P), 0);
	assert_non_null(rs);
	assert_near(resampler_ratio(rs), 44100.0 / 48000.0, 1e-15);
	assert_string_equal(rs_quality_name(RS_FAST), "fast");
	assert_string_equal(rs_quality_name(RS_MEDIUM), "medium");
	assert_string_equal(rs_quality_name(RS_BEST), "best");
	resampler_free(rs);
	resampler_free(NULL);
}

static void test_push_only_into_an_empty_queue(void **state)
{
	struct resampler *rs = create(48000, 48000, RS_MEDIUM);
	const float *in[1] = { input };
	float *out[1] = { output };

	memset(input, 0, P * 2 * sizeof(float));
	/* after create the look-ahead's silence is queued */
	assert_int_equal(resampler_push(rs, in, P), -ENOSPC);
	assert_true(resampler_pull(rs, out, 0, P) < P);
	assert_int_equal(resampler_push(rs, in, P + 1), -ENOSPC);
	assert_int_equal(resampler_push(rs, in, P), 0);
	/* the period just pushed is still queued */
	assert_int_equal(resampler_push(rs, in, 1), -ENOSPC);
	resampler_free(rs);
}

/* ---- position and held frames ----------------------------------------- */

/* Ratio 1: an impulse at input frame n is output frame n + delay, to the
 * frame (the filter is symmetric, so equal neighbours put the peak on the
 * sample, not between two). */
static void test_impulse_comes_out_after_delay(void **state)
{
	static const size_t at[] = { 1000, 8 * P, 13 * P - 1, 7777 };
	const size_t frames = 40 * P;

	for (size_t q = 0; q < QUALITIES; q++) {
		struct resampler *rs = create(48000, 48000, qualities[q]);
		uint32_t delay = resampler_delay(rs);
		struct drive d;

		memset(input, 0, frames * 2 * sizeof(float));
		for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++)
			input[at[k]] = 1.0f;
		drive_init(&d, rs);
		drive_frames(&d, 0, frames);
		for (size_t k = 0; k < sizeof(at) / sizeof(at[0]); k++) {
			size_t peak = at[k] - 200;

			for (size_t j = peak; j < at[k] + delay + 200; j++)
				if (fabsf(output[j]) > fabsf(output[peak]))
					peak = j;
			if (peak != at[k] + delay ||
			    fabsf(output[peak - 1] - output[peak + 1]) > 1e-6f) {
				print_error("%s: impulse at %zu: peak at %zu, wanted %zu + %u;"
				            " neighbours %g %g\n", rs_quality_name(qualities[q]),
				            at[k], peak, at[k], delay, output[peak - 1],
				            output[peak + 1]);
				fail();
			}
		}
		resampler_free(rs);
	}
}

/* Ratio 1, the engine's pattern: exactly one push per period and, after
 * each period, resampler_held() == delay exactly; within a period (after
 * the short pull, after the push) it ranges over [delay - 2, delay + P - 1]
 * (measured 20..276 fast, delay 21; 47..303 medium, delay 48; 144..400
 * best, delay 146: the converter stops a frame short of its look-ahead at
 * this ratio, then the push adds P).  A reset comes back to delay. */
static void test_held_at_ratio_one(void **state)
{
	const size_t periods = 200;

	make_tone(TONE_HZ, 48000, AMP);
	for (size_t q = 0; q < QUALITIES; q++) {
		struct resampler *rs = create(48000, 48000, qualities[q]);
		double delay = resampler_delay(rs);
		struct drive d;

		assert_near(resampler_held(rs), delay, 0.0);
		drive_init(&d, rs);
		drive_frames(&d, 0, periods * P);
		assert_int_equal(d.pushes, periods);
		assert_near(d.boundary_min, delay, 0.0);
		assert_near(d.boundary_max, delay, 0.0);
		assert_true(d.held_min >= delay - 2.0);
		assert_true(d.held_max <= delay + P - 1.0);
		resampler_reset(rs);
		assert_near(resampler_held(rs), delay, 0.0);
		/* and the same after the reset: the first period needs one push */
		drive_init(&d, rs);
		drive_frames(&d, 0, 2 * P);
		assert_int_equal(d.pushes, 2);
		assert_near(d.boundary_max, delay, 0.0);
		resampler_free(rs);
	}
}

struct held_case {
	double in_rate, out_rate, adjust;
};

/* Any other ratio: held after each period no longer sits at delay but
 * moves over up to a period, within [delay - 1 - 1/ratio - (delay/100 + 1),
 * delay + P].  The converter stops when it holds its look-ahead H (at the
 * ratio in use) + less than a frame; the last output of a period may take
 * 1/ratio more; delay = H + 1 at the lowest ratio the correction may reach
 * (nominal / 1.01), a percent and a rounding above H at nominal.  Measured
 * over 3 s (period ends): 44.1k->48k fast 19.40..273.80 (delay 21), medium
 * 46.40..300.80 (48), best 143.40..397.80 (145); 48k->44.1k fast
 * 21.26..275.52 (23), medium 50.26..304.52 (52), best 157.26..411.52 (159);
 * 48k +300 ppm fast 19.00..274.93 (21), best 143.00..398.93 (146); 96k->48k
 * +1000 ppm fast 38.44..293.93 (41), medium 90.42..345.90 (94), best
 * 285.37..540.86 (291). */
static void test_held_at_other_ratios(void **state)
{
	static const struct held_case cases[] = {
		{ 44100, 48000, 0.0 }, { 48000, 44100, 0.0 },
		{ 48000, 48000, 300e-6 }, { 48000, 48000, -2000e-6 },
		{ 96000, 48000, 1000e-6 },
	};
	const size_t frames = 48000 * 3;

	make_tone(TONE_HZ, 48000, AMP);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (size_t q = 0; q < QUALITIES; q++) {
			struct resampler *rs = create(cases[c].in_rate, cases[c].out_rate,
			                              qualities[q]);
			double delay = resampler_delay(rs), low;
			struct drive d;

			resampler_set_adjust(rs, cases[c].adjust);
			low = delay - 1.0 - 1.0 / resampler_ratio(rs) - (delay / 100 + 1.0);
			drive_init(&d, rs);
			drive_frames(&d, 0, frames);
			if (d.boundary_min < low || d.boundary_max > delay + P) {
				print_error("%g -> %g %+g %s: held %.4f..%.4f, delay %g\n",
				            cases[c].in_rate, cases[c].out_rate,
				            cases[c].adjust, rs_quality_name(qualities[q]),
				            d.boundary_min, d.boundary_max, delay);
				fail();
			}
			/* the position accounts for every frame pushed */
			assert_near(d.fed + delay - resampler_held(rs),
			                    frames / resampler_ratio(rs), 1e-6);
			resampler_free(rs);
		}
}

/* ---- tones through fixed ratios ------------------------------------- */

struct tone_limit {
	enum rs_quality q;
	double thdn_db;
};

/* THD+N of a 1 kHz tone at -6 dBFS, 0.5 s fitted after settling; measured
 * 44.1k->48k / 48k->44.1k: fast -119.0 / -103.5, medium -142.0 / -135.8,
 * best -149.4 / -146.0 dB (gain error below 0.0005 dB for all). */
static const struct tone_limit tone_limits[] = {
	{ RS_FAST, -100.0 }, { RS_MEDIUM, -130.0 }, { RS_BEST, -140.0 },
};

static void tone_through(double in_rate, double out_rate, const struct tone_limit *lim)
{
	struct resampler *rs = create(in_rate, out_rate, lim->q);
	size_t settle = (size_t)(resampler_delay(rs) * resampler_ratio(rs)) + 4 * P;
	size_t window = (size_t)out_rate / 2;
	double amp, residual, gain_db, thdn_db;
	struct drive d;

	make_tone(TONE_HZ, in_rate, AMP);
	drive_init(&d, rs);
	drive_frames(&d, 0, settle + window);
	fit_tone(output + settle, window, 2.0 * M_PI * TONE_HZ / out_rate, &amp,
	         &residual);
	gain_db = 20.0 * log10(amp / AMP);
	thdn_db = 20.0 * log10(residual / (amp / sqrt(2.0)));
	if (fabs(gain_db) > 0.01 || thdn_db > lim->thdn_db) {
		print_error("%g -> %g %s: gain %.5f dB, THD+N %.1f dB (limit %.1f)\n",
		            in_rate, out_rate, rs_quality_name(lim->q), gain_db,
		            thdn_db, lim->thdn_db);
		fail();
	}
	resampler_free(rs);
}

static void test_tone_44100_to_48000(void **state)
{
	for (size_t i = 0; i < sizeof(tone_limits) / sizeof(tone_limits[0]); i++)
		tone_through(44100, 48000, &tone_limits[i]);
}

static void test_tone_48000_to_44100(void **state)
{
	for (size_t i = 0; i < sizeof(tone_limits) / sizeof(tone_limits[0]); i++)
		tone_through(48000, 44100, &tone_limits[i]);
}

/* ---- the correction ---------------------------------------------------- */

/* 10 s of output consume output * (1 + adjust) input frames within
 * +-(delay + P); measured pushed - output * (1 + adjust): 112 at +300 ppm
 * and 224 at -1000 ppm for every quality (what is left in the queue). */
static void consumption(enum rs_quality q, double adjust)
{
	struct resampler *rs = create(48000, 48000, q);
	const size_t frames = 480000;
	double expected = frames * (1.0 + adjust);
	double slack = resampler_delay(rs) + P;
	struct drive d;

	make_tone(TONE_HZ, 48000, AMP);
	resampler_set_adjust(rs, adjust);
	assert_near(resampler_ratio(rs), 1.0 / (1.0 + adjust), 1e-15);
	drive_init(&d, rs);
	drive_frames(&d, 0, frames);
	if (fabs((double)d.fed - expected) > slack) {
		print_error("%s %+g: %zu frames pushed for %zu out, wanted %.1f +- %.0f\n",
		            rs_quality_name(q), adjust, d.fed, frames, expected, slack);
		fail();
	}
	resampler_free(rs);
}

static void test_correction_consumes_more_or_less(void **state)
{
	for (size_t q = 0; q < QUALITIES; q++) {
		consumption(qualities[q], 300e-6);
		consumption(qualities[q], -1000e-6);
	}
}

/* A step of the correction mid-tone: no sample step beyond what the sine
 * itself does (2 * A * sin(pi f / rate), at the faster of the two) +1e-4. */
static void test_adjust_step_keeps_phase(void **state)
{
	const size_t change = 48000 / 2 + 37, frames = 48000;
	double bound = 2.0 * AMP * sin(M_PI * TONE_HZ * 1.001 / 48000) + 1e-4;

	make_tone(TONE_HZ, 48000, AMP);
	for (size_t q = 0; q < QUALITIES; q++) {
		struct resampler *rs = create(48000, 48000, qualities[q]);
		size_t settle = resampler_delay(rs) + 2 * P;
		struct drive d;
		double step;

		drive_init(&d, rs);
		drive_frames(&d, 0, change);
		resampler_set_adjust(rs, 1000e-6);
		drive_frames(&d, change, frames);
		step = largest_step(output, settle, frames);
		if (step > bound) {
			print_error("%s: step %g, bound %g\n",
			            rs_quality_name(qualities[q]), step, bound);
			fail();
		}
		resampler_free(rs);
	}
}

/* The correction changed every period (up to +-2000 ppm): output frame j
 * is the tone at input position X_j - delay, X_{j+1} = X_j + 1/ratio of
 * the period that made frame j, to within the filter's own error: measured
 * 6.8e-6 fast, 7.5e-7 medium, 8.2e-8 best; a slip of 0.001 frame would
 * show as 6.5e-5. */
static void test_adjust_changes_follow_the_position(void **state)
{
	const size_t frames = 48000;
	const double w = 2.0 * M_PI * TONE_HZ / 48000;

	make_tone(TONE_HZ, 48000, AMP);
	for (size_t q = 0; q < QUALITIES; q++) {
		struct resampler *rs = create(48000, 48000, qualities[q]);
		double delay = resampler_delay(rs), x = 0.0, worst = 0.0;
		size_t settle = (size_t)delay + 2 * P;
		struct drive d;

		drive_init(&d, rs);
		for (size_t at = 0, k = 0; at < frames; at += P, k++) {
			resampler_set_adjust(rs, 2000e-6 * sin(0.7 * (double)k));
			drive_period(&d, at, P);
			for (size_t j = at; j < at + P; j++) {
				if (j >= settle)
					worst = fmax(worst, fabs(output[j] -
					             AMP * sin(w * (x - delay))));
				x += 1.0 / resampler_ratio(rs);
			}
		}
		if (worst > 3e-5) {
			print_error("%s: off the position by %g\n",
			            rs_quality_name(qualities[q]), worst);
			fail();
		}
		resampler_free(rs);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_rejects_bad_arguments),
		cmocka_unit_test(test_push_only_into_an_empty_queue),
		cmocka_unit_test(test_impulse_comes_out_after_delay),
		cmocka_unit_test(test_held_at_ratio_one),
		cmocka_unit_test(test_held_at_other_ratios),
		cmocka_unit_test(test_tone_44100_to_48000),
		cmocka_unit_test(test_tone_48000_to_44100),
		cmocka_unit_test(test_correction_consumes_more_or_less),
		cmocka_unit_test(test_adjust_step_keeps_phase),
		cmocka_unit_test(test_adjust_changes_follow_the_position),
	};

	return cmocka_run_group_tests_name("resampler", tests, NULL, NULL);
}
