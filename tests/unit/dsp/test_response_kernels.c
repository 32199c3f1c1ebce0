/* test_response.c - the exact-response kernels (dsp/response.h) against
 * values computed here another way: the FIR's DTFT and its derivative by
 * a naive sum with cexp() per tap (long filters too, across the phasor
 * re-anchoring), biquad cascades by their polynomials, a delay by
 * e^(-jwd), every derivative by a central difference of H, the JSON
 * values (dB, wrapped phase, group delay); and the FIR's speed, printed
 * (taps x points -> ms).  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <complex.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "response.h"

#define N_W 37

static void freqs(double *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		w[i] = M_PI * (0.001 + 0.998 * i / (n - 1.0));
}

static double complex naive_fir(const float *t, size_t n, double w, double complex *d)
{
	double complex h = 0.0, dh = 0.0;

	for (size_t k = 0; k < n; k++) {
		double complex e = cexp(-I * w * (double)k);

		h += t[k] * e;
		dh += -I * (double)k * t[k] * e;
	}
	*d = dh;
	return h;
}

static void fill_taps(float *t, size_t n, unsigned seed)
{
	srand(seed);
	for (size_t k = 0; k < n; k++)
		t[k] = (float)((rand() / (double)RAND_MAX - 0.5) * exp(-(double)k / (n / 4.0 + 1)));
}

static void check_fir(size_t n_taps)
{
	float *t = malloc(n_taps * sizeof(*t));
	double w[N_W];
	double complex h[N_W], dh[N_W];

	assert_non_null(t);
	fill_taps(t, n_taps, (unsigned)n_taps);
	freqs(w, N_W);
	resp_identity(N_W, h, dh);
	resp_fir(t, n_taps, w, N_W, h, dh);
	for (size_t i = 0; i < N_W; i++) {
		double complex d, want = naive_fir(t, n_taps, w[i], &d);

		assert_true(cabs(h[i] - want) <= 1e-9 * (1.0 + cabs(want)));
		assert_true(cabs(dh[i] - d) <= 1e-9 * (1.0 + cabs(d)));
	}
	free(t);
}

static void test_fir_against_naive_dtft(void **state)
{
	(void)state;
	check_fir(1);
	check_fir(7);                   /* fewer taps than lanes */
	check_fir(1023);
	check_fir(1025);                /* across one re-anchoring */
	check_fir(5000);
}

/* Every frequency count: the lanes' tail is right too. */
static void test_fir_any_number_of_freqs(void **state)
{
	float t[40];
	double w[19];

	(void)state;
	fill_taps(t, 40, 3);
	for (size_t n = 1; n <= 19; n++) {
		double complex h[19], dh[19];

		for (size_t i = 0; i < n; i++)
			w[i] = 0.1 + 0.15 * i;
		resp_identity(n, h, dh);
		resp_fir(t, 40, w, n, h, dh);
		for (size_t i = 0; i < n; i++) {
			double complex d, want = naive_fir(t, 40, w[i], &d);

			assert_true(cabs(h[i] - want) < 1e-12);
			assert_true(cabs(dh[i] - d) < 1e-10);
		}
	}
}

static double complex section(const struct biquad_coef *c, double w)
{
	double complex z = cexp(I * w);

	return (c->b0 * z * z + c->b1 * z + c->b2) / (z * z + c->a1 * z + c->a2);
}

static void test_biquads_and_derivative(void **state)
{
	const struct biquad_coef c[3] = {
		{ 0.2, 0.4, 0.2, -0.5, 0.3 },
		{ 1.1, -1.9, 0.85, -1.85, 0.9 },
		{ 0.9, 0.0, -0.3, 0.1, -0.2 },
	};
	double w[N_W];
	double complex h[N_W], dh[N_W];

	(void)state;
	freqs(w, N_W);
	resp_identity(N_W, h, dh);
	resp_biquads(c, 3, w, N_W, h, dh);
	for (size_t i = 0; i < N_W; i++) {
		double e = 1e-6;
		double complex want = section(&c[0], w[i]) * section(&c[1], w[i]) *
		                      section(&c[2], w[i]);
		double complex up = section(&c[0], w[i] + e) * section(&c[1], w[i] + e) *
		                    section(&c[2], w[i] + e);
		double complex down = section(&c[0], w[i] - e) * section(&c[1], w[i] - e) *
		                      section(&c[2], w[i] - e);
		double complex d = (up - down) / (2 * e);

		assert_true(cabs(h[i] - want) < 1e-12 * (1 + cabs(want)));
		assert_true(cabs(dh[i] - d) < 1e-5 * (1 + cabs(d)));
	}
}

static void test_delay_gain_values(void **state)
{
	double w[N_W], db, ph, gd;
	double complex h[N_W], dh[N_W];

	(void)state;
	freqs(w, N_W);
	resp_constant(-0.5, N_W, h, dh);
	resp_delay(12.25, w, N_W, h, dh);
	resp_gain(2.0, N_W, h, dh);
	for (size_t i = 0; i < N_W; i++) {
		double complex want = -cexp(-I * w[i] * 12.25);
		double deg;

		assert_true(cabs(h[i] - want) < 1e-12);
		assert_int_equal(resp_values(h[i], dh[i], &db, &ph, &gd), 0);
		assert_true(fabs(db) < 1e-9);
		assert_true(fabs(gd - 12.25) < 1e-9);
		deg = carg(want) * 180 / M_PI;
		assert_true(fabs(ph - (deg <= -180 ? deg + 360 : deg)) < 1e-9);
		assert_true(ph > -180.0 && ph <= 180.0);
	}
	/* -1 is +180, never -180 */
	assert_int_equal(resp_values(-1.0 - 0.0 * I, 0.0, &db, &ph, &gd), 0);
	assert_true(ph == 180.0);
	assert_int_equal(resp_values(CMPLX(-1.0, -0.0), 0.0, &db, &ph, &gd), 0);
	assert_true(ph == 180.0);
	/* nothing to show where H is 0 */
	assert_int_equal(resp_values(0.0, 1.0, &db, &ph, &gd), -EDOM);
}

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Not a pass/fail figure (the machine is shared): what a FIR's response
 * costs, for the documentation and RESP_LOOP_WORK. */
static void test_fir_speed(void **state)
{
	static const size_t taps[] = { 4096, 65536 }, points[] = { 256, 2000 };

	(void)state;
	for (size_t a = 0; a < 2; a++)
		for (size_t b = 0; b < 2; b++) {
			size_t n = points[b];
			float *t = calloc(taps[a], sizeof(*t));
			double *w = malloc(n * sizeof(*w));
			double complex *h = malloc(n * sizeof(*h)), *dh = malloc(n * sizeof(*dh));
			double t0;

			assert_true(t && w && h && dh);
			fill_taps(t, taps[a], 1);
			for (size_t i = 0; i < n; i++)
				w[i] = M_PI * i / n;
			resp_identity(n, h, dh);
			t0 = now_ms();
			resp_fir(t, taps[a], w, n, h, dh);
			t0 = now_ms() - t0;
			print_message("    fir response: %zu taps x %zu points: %.1f ms "
			              "(%.2f G multiply-adds/s)\n", taps[a], n, t0,
			              taps[a] * n / t0 / 1e6);
			free(t), free(w), free(h), free(dh);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fir_against_naive_dtft),
		cmocka_unit_test(test_fir_any_number_of_freqs),
		cmocka_unit_test(test_biquads_and_derivative),
		cmocka_unit_test(test_delay_gain_values),
		cmocka_unit_test(test_fir_speed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
