/* test_min_phase.c - the minimum-phase FIR of a GraphicEQ curve
 * (dsp/min_phase.c): the AutoEq HD 600 GraphicEQ (tests/data/eq/, run from
 * the top of the tree) designed at 48 kHz and 96 kHz, its magnitude at
 * every point against the point's gain (EqualizerAPO's curve), its energy
 * at the start (minimum phase, not a linear-phase FIR centred on its
 * middle), and flat curves, which must give a scaled unit impulse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eq_text.h"
#include "min_phase.h"

static struct eq_text *graphic(void)
{
	FILE *f = fopen("tests/data/eq/Sennheiser HD 600 GraphicEQ.txt", "rb");
	struct eq_text *t = malloc(sizeof(*t));
	char text[8192], err[EQ_TEXT_ERR_MAX];
	size_t n;

	assert_non_null(f);
	assert_non_null(t);
	n = fread(text, 1, sizeof(text), f);
	fclose(f);
	assert_int_equal(eq_text_parse(text, n, t, err, sizeof(err)), 0);
	assert_int_equal(t->n_points, 127);
	return t;
}

static double db_at(const float *h, unsigned n, double freq, double rate)
{
	double re = 0, im = 0, w = 2 * M_PI * freq / rate;

	for (unsigned i = 0; i < n; i++) {
		re += h[i] * cos(w * i);
		im -= h[i] * sin(w * i);
	}
	return 10 * log10(re * re + im * im);
}

static void check_design(double rate, double max_err)
{
	struct eq_text *t = graphic();
	unsigned n = min_phase_taps(rate);
	float *h = malloc(n * sizeof(float));
	double worst = 0, sum = 0, head = 0, all = 0;
	unsigned counted = 0;

	assert_non_null(h);
	assert_int_equal(min_phase_design(t->points, t->n_points, rate, h, n), 0);
	for (unsigned i = 0; i < t->n_points; i++) {
		double e;

		if (t->points[i].freq >= rate / 2)
			continue;
		e = fabs(db_at(h, n, t->points[i].freq, rate) - t->points[i].gain_db);
		worst = fmax(worst, e);
		sum += e;
		counted++;
	}
	for (unsigned i = 0; i < n; i++) {
		all += (double)h[i] * h[i];
		if (i < n / 8)
			head += (double)h[i] * h[i];
	}
	printf("    %g Hz, %u taps: max |error| %.4f dB, mean %.4f dB at %u "
	       "points; energy in the first 1/8: %.6f\n", rate, n, worst,
	       sum / counted, counted, head / all);
	assert_true(worst < max_err);
	assert_true(sum / counted < 0.01);
	assert_true(head / all > 0.9999);
	free(h);
	free(t);
}

static void test_autoeq_48k(void **state __attribute__((unused)))
{
	assert_int_equal(min_phase_taps(48000), 8192);
	check_design(48000, 0.2);
}

static void test_autoeq_96k(void **state __attribute__((unused)))
{
	assert_int_equal(min_phase_taps(96000), 16384);
	check_design(96000, 0.2);
}

static void test_flat_is_an_impulse(void **state __attribute__((unused)))
{
	static const struct eq_point flat[] = { { 20, -6 }, { 20000, -6 } };
	unsigned n = min_phase_taps(44100);
	float *h = malloc(n * sizeof(float));
	double rest = 0;

	assert_non_null(h);
	assert_int_equal(n, 8192);
	assert_int_equal(min_phase_design(flat, 2, 44100, h, n), 0);
	assert_float_equal(h[0], pow(10, -6 / 20.0), 1e-5);
	for (unsigned i = 1; i < n; i++)
		rest = fmax(rest, fabs(h[i]));
	assert_true(rest < 1e-5);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_autoeq_48k),
		cmocka_unit_test(test_autoeq_96k),
		cmocka_unit_test(test_flat_is_an_impulse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
