/* test_rate_ctl.c - the clocks' control loop (rate_ctl.c) against the
 * plant rate_ctl.h describes, simulated a period at a time: the latency L
 * moves by P * (eps - adjust) per period of P output frames (eps: how fast
 * the capture clock runs against playback) and is read after each period,
 * optionally with +-1 frame of uniform measurement noise from a fixed-seed
 * generator.  Tracking of clock offsets and steps with the excursion the
 * header's formula gives, noise, the clamp without wind-up, measuring only
 * and restarts.  Single-threaded. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "rate_ctl.h"

#define RATE 48000.0
#define P 256
#define TARGET 1024.0
#define BANDWIDTH 0.05
#define MAX_PPM 2000.0
#define PPM 1e-6
/* the header's bound is 1.25 times the critically damped loop's peak
 * error (the P term's low-pass): measured 21.063 frames against 16.862 *
 * 1.25 = 21.078 for 300 ppm, 14.043 against 14.053 for 200 ppm */
#define EXCURSION_SLACK 1.03

/* cmocka 1.1 has no assert_double_equal */
#define assert_near(value, wanted, tolerance) do { \
	double v_ = (value), w_ = (wanted); \
	if (!(fabs(v_ - w_) <= (tolerance))) { \
		print_error("%s = %.10g, wanted %.10g +- %g\n", #value, v_, w_, \
		            (double)(tolerance)); \
		fail(); \
	} \
} while (0)

struct plant {
	struct rate_ctl c;
	double level;           /* true L, output frames */
	double eps;             /* capture clock offset, a fraction */
	double noise;           /* measurement noise amplitude, frames */
	uint64_t rng;
	/* over the last run() */
	double worst_error;     /* max |L - target| */
	double adjust_min, adjust_max;
	unsigned updates;
};

static const struct rate_ctl_params default_params = {
	.rate = RATE, .target = TARGET, .bandwidth_hz = BANDWIDTH,
	.max_ppm = MAX_PPM, .interval_s = 0.1, .steer = true,
};

static void plant_init(struct plant *pl, double eps, bool steer)
{
	struct rate_ctl_params params = default_params;

	memset(pl, 0, sizeof(*pl));
	params.steer = steer;
	rate_ctl_init(&pl->c, &params);
	pl->level = TARGET;
	pl->eps = eps;
	pl->rng = 0x9e3779b97f4a7c15ull;
}

/* uniform in [-1, 1) (xorshift64) */
static double uniform(struct plant *pl)
{
	pl->rng ^= pl->rng << 13;
	pl->rng ^= pl->rng >> 7;
	pl->rng ^= pl->rng << 17;
	return (double)(pl->rng >> 11) * (2.0 / 9007199254740992.0) - 1.0;
}

/* One period: the clocks move L, the engine reads it back. */
static bool step(struct plant *pl)
{
	double reading;

	pl->level += P * (pl->eps - pl->c.adjust);
	reading = pl->level + (pl->noise > 0.0 ? pl->noise * uniform(pl) : 0.0);
	return rate_ctl_measure(&pl->c, reading, P);
}

static void run(struct plant *pl, double seconds)
{
	long periods = lround(seconds * RATE / P);

	pl->worst_error = 0.0;
	pl->adjust_min = INFINITY;
	pl->adjust_max = -INFINITY;
	pl->updates = 0;
	for (long i = 0; i < periods; i++) {
		pl->updates += step(pl);
		pl->worst_error = fmax(pl->worst_error, fabs(pl->level - TARGET));
		pl->adjust_min = fmin(pl->adjust_min, pl->c.adjust);
		pl->adjust_max = fmax(pl->adjust_max, pl->c.adjust);
	}
}

/* the header's peak error for a step d_eps of the offset */
static double excursion_bound(double d_eps)
{
	return 1.25 * RATE * fabs(d_eps) / (M_E * 2.0 * M_PI * BANDWIDTH);
}

static void assert_converged(const struct plant *pl)
{
	if (fabs(pl->c.adjust - pl->eps) > 1.0 * PPM ||
	    fabs(pl->level - TARGET) > 0.5) {
		print_error("eps %+.1f ppm: adjust %+.4f ppm, L - target %+.3f\n",
		            pl->eps / PPM, pl->c.adjust / PPM, pl->level - TARGET);
		fail();
	}
}

static void assert_excursion(const struct plant *pl, double d_eps)
{
	double bound = excursion_bound(d_eps) * EXCURSION_SLACK;

	if (pl->worst_error > bound) {
		print_error("step %+.1f ppm: L moved %.3f frames, bound %.3f\n",
		            d_eps / PPM, pl->worst_error, bound);
		fail();
	}
}

static void test_gains_and_windows(void **state)
{
	struct plant pl;
	double wn = 2.0 * M_PI * BANDWIDTH;
	unsigned calls = 0;

	plant_init(&pl, 0.0, true);
	assert_near(pl.c.kp, 2.0 * wn / RATE, 1e-18);
	assert_near(pl.c.ki, wn * wn / RATE, 1e-18);
	assert_near(pl.c.tau, 0.25 / wn, 1e-12);
	assert_near(pl.c.level, TARGET, 0.0);
	assert_near(pl.c.adjust, 0.0, 0.0);
	/* a window is the first whole number of periods >= 0.1 s: 19 * 256 */
	while (!step(&pl))
		calls++;
	assert_int_equal(calls + 1, 19);
	assert_int_equal(pl.c.updates, 1);
	/* one window read 1 frame high moves adjust by kp through the
	 * low-pass's first step, plus ki * window */
	for (calls = 0; calls < 19; calls++)
		assert_int_equal(rate_ctl_measure(&pl.c, TARGET + 1.0, P), calls == 18);
	assert_near(pl.c.adjust, pl.c.kp * (19.0 * P / RATE) / (pl.c.tau + 19.0 * P / RATE) +
	            pl.c.ki * 19 * P / RATE, 1e-15);
	assert_near(pl.c.level, TARGET + 1.0, 1e-12);
}

/* From adjust 0, an offset of +-300 or +-1000 ppm: L moves by at most the
 * header's 1.25*rate*eps/(e*wn) (21.1 / 70.3 frames; measured 21.06 / 70.2)
 * and 60 s later adjust is eps within 1 ppm (measured 1e-4 / 3e-4 ppm). */
static void test_tracks_an_offset(void **state)
{
	static const double offsets[] = { 300 * PPM, -300 * PPM, 1000 * PPM, -1000 * PPM };

	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		struct plant pl;

		plant_init(&pl, offsets[i], true);
		run(&pl, 60.0);
		assert_excursion(&pl, offsets[i]);
		assert_converged(&pl);
		assert_false(pl.c.clamped);
	}
}

/* Converged, then the offset steps by +-200 ppm: L moves by 14.05 frames
 * at most by the formula (measured 14.04), and converges again (|e| < 0.5
 * frame 25 s after the step; 0.55 frame after 20 s). */
static void test_tracks_a_step(void **state)
{
	static const double offsets[] = { 300 * PPM, -1000 * PPM };
	static const double steps[] = { 200 * PPM, -200 * PPM };

	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++)
		for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
			struct plant pl;

			plant_init(&pl, offsets[i], true);
			run(&pl, 60.0);
			assert_converged(&pl);
			pl.eps += steps[s];
			run(&pl, 25.0);
			assert_excursion(&pl, steps[s]);
			if (fabs(pl.level - TARGET) > 0.5) {
				print_error("%+.0f ppm %+.0f: L - target %.3f after 25 s\n",
				            offsets[i] / PPM, steps[s] / PPM, pl.level - TARGET);
				fail();
			}
			run(&pl, 40.0);
			assert_converged(&pl);
		}
}

/* +-1 frame of uniform noise on each reading, converged at 300 ppm:
 * adjust stays within 20 ppm of eps (measured 5.9 ppm peak over 60 s: the
 * window mean of 19 readings has 0.13 frame RMS, times kp's 13.1 ppm per
 * frame) and L within a frame of its target. */
static void test_measurement_noise(void **state)
{
	struct plant pl;
	double jitter;

	plant_init(&pl, 300 * PPM, true);
	run(&pl, 60.0);
	pl.noise = 1.0;
	run(&pl, 60.0);
	jitter = fmax(pl.adjust_max - pl.eps, pl.eps - pl.adjust_min);
	if (jitter > 20 * PPM || pl.worst_error > 1.0) {
		print_error("noise: adjust jitter %.2f ppm, L off by %.3f\n",
		            jitter / PPM, pl.worst_error);
		fail();
	}
	assert_true(jitter > 0.5 * PPM);        /* the noise did get through */
}

/* Leave the clamp after eps drops to 0; returns the seconds it took and
 * the error when it left. */
static double leave_clamp(struct plant *pl, double *error_at_leave)
{
	double limit = MAX_PPM * PPM, t = 0.0;

	pl->eps = 0.0;
	while (pl->c.adjust >= limit && t < 120.0) {
		step(pl);
		t += P / RATE;
	}
	*error_at_leave = pl->level - TARGET;
	return t;
}

/* Clamped at 2000 ppm while the integral stops growing for `seconds`. */
static double hold_clamp(struct plant *pl, double seconds)
{
	double limit = MAX_PPM * PPM, t = 0.0, integral, error_at_clamp;

	while (!pl->c.clamped && t < 10.0) {
		step(pl);
		t += P / RATE;
	}
	assert_true(pl->c.clamped);
	assert_true(pl->c.adjust == limit);
	integral = pl->c.integral;
	error_at_clamp = pl->level - TARGET;
	for (long i = 0; i < lround(seconds * RATE / P); i++) {
		step(pl);
		if (!pl->c.clamped || pl->c.adjust != limit ||
		    fabs(pl->c.integral) > fabs(integral)) {
			print_error("clamp: clamped %d, adjust %.3f ppm, integral %.3f"
			            " ppm (was %.3f)\n", pl->c.clamped, pl->c.adjust / PPM,
			            pl->c.integral / PPM, integral / PPM);
			fail();
		}
	}
	return error_at_clamp;
}

/* eps 3000 ppm against a 2000 ppm limit: clamped at +2000 ppm (after
 * 1.5 s, L 141 frames high), the integral frozen; eps back to 0 after 2 s
 * more: adjust leaves the clamp within 3 s (measured 2.56 s: the P term's
 * low-pass is slow to fall) and converges.  After a long clamp (20 s) it
 * leaves before L is back on its target (measured after 11.6 s, L 38
 * frames high, clamped at 193): no overshoot; a wound-up integral holds
 * the clamp 25.5 s, until L is 1347 frames short. */
static void test_clamp_without_windup(void **state)
{
	struct plant pl;
	double error_at_clamp, error_at_leave, t;

	plant_init(&pl, 3000 * PPM, true);
	hold_clamp(&pl, 2.0);
	t = leave_clamp(&pl, &error_at_leave);
	if (t > 3.0) {
		print_error("left the clamp after %.2f s\n", t);
		fail();
	}
	assert_false(pl.c.clamped);
	run(&pl, 60.0);
	assert_converged(&pl);

	plant_init(&pl, 3000 * PPM, true);
	error_at_clamp = hold_clamp(&pl, 20.0);
	t = leave_clamp(&pl, &error_at_leave);
	if (error_at_leave < 0.0 || t > 15.0) {
		print_error("long clamp: left after %.2f s at L - target %.1f,"
		            " clamped at %.1f\n", t, error_at_leave, error_at_clamp);
		fail();
	}
	run(&pl, 60.0);
	assert_converged(&pl);

	/* and the other way */
	plant_init(&pl, -3000 * PPM, true);
	run(&pl, 5.0);
	assert_true(pl.c.clamped);
	assert_true(pl.c.adjust == -MAX_PPM * PPM);
	pl.eps = 0.0;
	run(&pl, 60.0);
	assert_false(pl.c.clamped);
	assert_converged(&pl);
}

/* steer false: adjust stays 0 while level, its range and the windows are
 * still tracked. */
static void test_measure_only(void **state)
{
	struct plant pl;
	double window_sum = 0.0;

	plant_init(&pl, 300 * PPM, false);
	run(&pl, 10.0);
	assert_true(pl.adjust_min == 0.0 && pl.adjust_max == 0.0);
	assert_false(pl.c.clamped);
	assert_near(pl.c.integral, 0.0, 0.0);
	assert_true(pl.updates > 90);
	assert_int_equal(pl.c.updates, pl.updates);
	assert_near(pl.c.level_min, TARGET + P * pl.eps, 1e-9);
	assert_near(pl.c.level_max, pl.level, 1e-9);
	/* the next window's level is the mean of its readings */
	while (!step(&pl))
		;
	for (int i = 0; i < 19; i++) {
		pl.level += P * pl.eps;
		window_sum += pl.level;
		assert_int_equal(rate_ctl_measure(&pl.c, pl.level, P), i == 18);
	}
	assert_near(pl.c.level, window_sum / 19, 1e-9);
	assert_true(pl.c.adjust == 0.0);
}

/* A restart drops the window and the level range but keeps the
 * correction and the integral: the loop carries on without a jump. */
static void test_restart_keeps_the_correction(void **state)
{
	struct plant pl;
	double adjust, integral;
	unsigned calls = 0;

	plant_init(&pl, 300 * PPM, true);
	run(&pl, 60.0);
	assert_converged(&pl);
	for (int i = 0; i < 7; i++)     /* part of a window */
		step(&pl);
	adjust = pl.c.adjust;
	integral = pl.c.integral;
	rate_ctl_restart(&pl.c);
	assert_true(pl.c.adjust == adjust);
	assert_true(pl.c.integral == integral);
	assert_false(pl.c.have_level);
	assert_int_equal(pl.c.samples, 0);
	/* a whole new window, and the range starts again from the new reading */
	pl.level = TARGET + 40.0;
	while (!step(&pl))
		calls++;
	assert_int_equal(calls + 1, 19);
	assert_near(pl.c.level_min, TARGET + 40.0, 0.01);
	assert_true(fabs(pl.c.adjust - adjust) < 40.0 * 1.1 * pl.c.kp);
	run(&pl, 60.0);
	assert_converged(&pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gains_and_windows),
		cmocka_unit_test(test_tracks_an_offset),
		cmocka_unit_test(test_tracks_a_step),
		cmocka_unit_test(test_measurement_noise),
		cmocka_unit_test(test_clamp_without_windup),
		cmocka_unit_test(test_measure_only),
		cmocka_unit_test(test_restart_keeps_the_correction),
	};

	return cmocka_run_group_tests_name("rate_ctl", tests, NULL, NULL);
}
