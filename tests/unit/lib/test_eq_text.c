/* test_eq_text.c - the EQ text parser (lib/eq_text.c) on the real AutoEq
 * files (tests/data/eq/, run from the top of the tree), REW's padded
 * export, OFF and None filters, every EqualizerAPO kind resolved to dspd
 * band parameters (lib/eq_text_band.c: corner-frequency shelves, slopes,
 * BW Oct), comments, CRLF, a byte order mark, decimal commas, every
 * malformed line with its line number, the limits, and the ParametricEQ
 * form written back and read again. */
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

#include "eq_text.h"

#define DATA "tests/data/eq/"

static struct eq_text *parse_ok(const char *text)
{
	struct eq_text *t = malloc(sizeof(*t));
	char err[EQ_TEXT_ERR_MAX] = "";
	int r;

	assert_non_null(t);
	r = eq_text_parse(text, strlen(text), t, err, sizeof(err));
	if (r != 0)
		fail_msg("parse failed: %s", err);
	return t;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(1 << 20);

	assert_non_null(f);
	assert_non_null(buf);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static struct eq_text *parse_file(const char *name)
{
	size_t len;
	char *text = read_file(name, &len);
	struct eq_text *t = parse_ok(text);

	free(text);
	return t;
}

static void band_of(const struct eq_filter *f, double rate, struct eq_band *b)
{
	char err[EQ_TEXT_ERR_MAX];

	if (eq_filter_band(f, rate, b, err, sizeof(err)) != 0)
		fail_msg("band: %s", err);
}

/* ---- real files ----------------------------------------------------------- */

static void test_autoeq_parametric(void **state __attribute__((unused)))
{
	struct eq_text *t = parse_file(DATA "Sennheiser HD 600 ParametricEQ.txt");
	struct eq_band b;

	assert_float_equal(t->preamp_db, -6.3, 1e-12);
	assert_int_equal(t->n_filters, 10);
	assert_int_equal(t->n_points, 0);
	assert_int_equal(t->filters[0].kind, EQ_LS);
	assert_false(t->filters[0].corner);
	assert_float_equal(t->filters[0].freq, 105, 0);
	assert_float_equal(t->filters[0].gain_db, 6.5, 1e-12);
	assert_float_equal(t->filters[0].q, 0.70, 1e-12);
	assert_int_equal(t->filters[0].line, 2);
	band_of(&t->filters[0], 48000, &b);
	assert_string_equal(b.kind, "lowshelf");
	assert_float_equal(b.freq, 105, 0);   /* LSC: the centre, unchanged */
	assert_float_equal(b.q, 0.70, 1e-12);
	assert_float_equal(b.slope_db, 0, 0);
	assert_int_equal(t->filters[5].kind, EQ_HS);
	assert_float_equal(t->filters[5].freq, 10000, 0);
	assert_int_equal(t->filters[9].kind, EQ_PK);
	assert_float_equal(t->filters[9].freq, 5434, 0);
	assert_float_equal(t->filters[9].gain_db, -1.2, 1e-12);
	assert_float_equal(t->filters[9].q, 5.70, 1e-12);
	assert_int_equal(t->filters[9].line, 11);
	free(t);
}

static void test_autoeq_graphic(void **state __attribute__((unused)))
{
	struct eq_text *t = parse_file(DATA "Sennheiser HD 600 GraphicEQ.txt");

	assert_int_equal(t->n_filters, 0);
	assert_int_equal(t->n_points, 127);
	assert_int_equal(t->graphic_line, 1);
	assert_float_equal(t->points[0].freq, 20, 0);
	assert_float_equal(t->points[0].gain_db, -0.2, 1e-12);
	assert_float_equal(t->points[126].freq, 19871, 0);
	assert_float_equal(t->points[126].gain_db, -16.6, 1e-12);
	free(t);
}

/* ---- forms ---------------------------------------------------------------- */

static void test_rew_padded_off_none(void **state __attribute__((unused)))
{
	struct eq_text *t;

	t = parse_ok(
		"# Filter Settings file\n"
		"\n"
		"Filter  1: ON  PK       Fc   63.0 Hz  Gain  -5.0 dB  Q  4.000\n"
		"Filter  2: OFF PK       Fc   125 Hz  Gain  -3.0 dB  Q  2.000\n"
		"Filter  3: ON  None\n"
		"\tFilter 10:\tON\tLS\tFc\t80.0 Hz Gain 3.0 dB\n");
	assert_int_equal(t->n_filters, 2);
	assert_int_equal(t->n_off, 2);
	assert_float_equal(t->filters[0].freq, 63, 1e-12);
	assert_float_equal(t->filters[0].gain_db, -5, 0);
	assert_float_equal(t->filters[0].q, 4, 0);
	assert_int_equal(t->filters[0].line, 3);
	assert_int_equal(t->filters[1].kind, EQ_LS);
	assert_true(t->filters[1].corner);
	assert_int_equal(t->filters[1].line, 6);
	free(t);
}

static void test_crlf_bom_comma_tight(void **state __attribute__((unused)))
{
	struct eq_text *t = parse_ok(
		"\xef\xbb\xbfPreamp: -3,5 dB\r\n"
		"# a comment\r\n"
		"   \r\n"
		"Preamp: -1 dB\r\n"
		"Filter: ON PK Fc 1000Hz Gain -2,25dB Q 1,5\r\n"
		"Filter 2: ON PK Fc 1.000 Hz Gain 1 dB Q 1");   /* REW's 1.000 = 1000 */

	assert_float_equal(t->preamp_db, -4.5, 1e-12);
	assert_int_equal(t->n_filters, 2);
	assert_float_equal(t->filters[0].freq, 1000, 0);
	assert_float_equal(t->filters[0].gain_db, -2.25, 1e-12);
	assert_float_equal(t->filters[0].q, 1.5, 1e-12);
	assert_int_equal(t->filters[0].line, 5);
	assert_float_equal(t->filters[1].freq, 1000, 0);
	free(t);
}

/* Every kind, resolved as EqualizerAPO defines it (eq_text_band.c). */
static void test_every_kind(void **state __attribute__((unused)))
{
	struct eq_text *t = parse_ok(
		"Filter 1: ON PK Fc 100 Hz Gain 3 dB Q 2\n"
		"Filter 2: ON PEQ Fc 100 Hz Gain 3 dB Q 2\n"
		"Filter 3: ON Modal Fc 100 Hz Gain 3 dB Q 2\n"
		"Filter 4: ON LP Fc 5000 Hz\n"
		"Filter 5: ON LPQ Fc 5000 Hz Q 0.5\n"
		"Filter 6: ON HP Fc 30 Hz\n"
		"Filter 7: ON HPQ Fc 30 Hz Q 0.9\n"
		"Filter 8: ON BP Fc 1000 Hz Q 3\n"
		"Filter 9: ON NO Fc 50 Hz\n"
		"Filter 10: ON AP Fc 700 Hz Q 0.6\n"
		"Filter 11: ON LS 6dB Fc 100 Hz Gain 6 dB\n"
		"Filter 12: ON HS 12 dB Fc 8000 Hz Gain -4 dB\n"
		"Filter 13: ON LSC Fc 100 Hz Gain 6 dB Q 0.8\n"
		"Filter 14: ON HSC 6 dB Fc 8000 Hz Gain 4 dB\n"
		"Filter 15: ON LS Fc 100 Hz Gain 6 dB Q 0.7071067811865476\n"
		"Filter 16: ON LS Fc 100 Hz Gain 6 dB\n"
		"Filter 17: ON PK Fc 1000 Hz Gain 3 dB BW Oct 1\n"
		"Filter 18: ON LP Fc 5000 Hz Gain 9 dB\n");
	static const char *const kinds[] = {
		"peaking", "peaking", "peaking", "lowpass", "lowpass", "highpass",
		"highpass", "bandpass", "notch", "allpass", "lowshelf",
		"highshelf", "lowshelf", "highshelf", "lowshelf", "lowshelf",
		"peaking", "lowpass",
	};
	struct eq_band b[18];
	double a, s, w0;

	assert_int_equal(t->n_filters, 18);
	for (unsigned i = 0; i < 18; i++) {
		band_of(&t->filters[i], 48000, &b[i]);
		assert_string_equal(b[i].kind, kinds[i]);
	}
	assert_float_equal(b[0].q, 2, 0);
	assert_true(b[0].has_gain);
	assert_float_equal(b[3].q, M_SQRT1_2, 0);       /* LP default */
	assert_float_equal(b[4].q, 0.5, 0);
	assert_float_equal(b[5].q, M_SQRT1_2, 0);
	assert_float_equal(b[8].q, 30, 0);              /* NO default */
	assert_false(b[3].has_gain);
	/* LS 6dB at a corner: S = 0.5, centre = Fc 10^(|G| / (80 S)) */
	assert_float_equal(b[10].slope_db, 6, 0);
	assert_float_equal(b[10].q, 0, 0);
	assert_float_equal(b[10].freq, 100 * pow(10, 6 / 80.0 / 0.5), 1e-9);
	/* HS 12 dB: S = 1, divided */
	assert_float_equal(b[11].slope_db, 12, 0);
	assert_float_equal(b[11].freq, 8000 / pow(10, 4 / 80.0 / 1.0), 1e-9);
	/* LSC/HSC: the centre as written */
	assert_float_equal(b[12].freq, 100, 0);
	assert_float_equal(b[12].q, 0.8, 0);
	assert_float_equal(b[13].freq, 8000, 0);
	assert_float_equal(b[13].slope_db, 6, 0);
	/* LS with Q at a corner: S from Q; Q = 1/sqrt 2 is S = 1 */
	a = pow(10, 6 / 40.0);
	s = 1.0 / ((2.0 - 2.0) / (a + 1 / a) + 1.0);
	assert_float_equal(s, 1.0, 1e-12);
	assert_float_equal(b[14].q, M_SQRT1_2, 0);
	assert_float_equal(b[14].freq, 100 * pow(10, 6 / 80.0), 1e-9);
	/* LS with neither: S = 0.9 at Fc as written */
	assert_float_equal(b[15].slope_db, 10.8, 1e-12);
	assert_float_equal(b[15].freq, 100, 0);
	/* BW Oct 1 at 48 kHz: Q = 1 / (2 sinh(ln2/2 w0 / sin w0)) */
	w0 = 2 * M_PI * 1000 / 48000;
	assert_float_equal(b[16].q, 1 / (2 * sinh(M_LN2 / 2 * w0 / sin(w0))),
	                   1e-12);
	assert_true(fabs(b[16].q - 1.4142) < 0.01);
	/* a gain on LP is ignored, as EqualizerAPO does */
	assert_float_equal(b[17].gain_db, 0, 0);
	free(t);
}

/* ---- errors --------------------------------------------------------------- */

static void expect_error(const char *text, const char *want)
{
	struct eq_text *t = malloc(sizeof(*t));
	char err[EQ_TEXT_ERR_MAX] = "";
	int r;

	assert_non_null(t);
	r = eq_text_parse(text, strlen(text), t, err, sizeof(err));
	if (r != -EINVAL || !strstr(err, want))
		fail_msg("for %.60s: got %d \"%s\", want \"%s\"", text, r, err, want);
	free(t);
}

static void test_errors(void **state __attribute__((unused)))
{
	static const char ok1[] = "Preamp: -1 dB\nFilter 1: ON PK Fc 100 Hz Gain 1 dB Q 1\n";
	char text[512];
	static const struct {
		const char *line, *want;
	} cases[] = {
		{ "Filter 2: ON XY Fc 100 Hz Gain 1 dB Q 1", "line 3: unknown filter type 'XY'" },
		{ "Filter 2: ON PK Fc 100 Hz Q 1", "line 3: Gain expected" },
		{ "Filter 2: ON PK Gain 1 dB Q 1", "line 3: Fc expected" },
		{ "Filter 2: ON PK Fc 100 Hz Gain 1 dB", "line 3: Q expected" },
		{ "Filter 2: ON AP Fc 100 Hz", "line 3: Q expected" },
		{ "Filter 2: ON PK Fc abc Hz Gain 1 dB Q 1", "line 3: Fc: a number expected, got 'abc'" },
		{ "Filter 2: ON PK Fc 1e3e3 Hz Gain 1 dB Q 1", "line 3: Fc: '1e3e3' is not a number" },
		{ "Filter 2: ON PK Fc 100 kHz Gain 1 dB Q 1", "line 3: Fc: 'Hz' expected" },
		{ "Filter 2: ON PK Fc 100 Hz Gain 1 Q 1", "line 3: Gain: 'dB' expected" },
		{ "Filter 2: ON PK Fc 100 Hz Gain 1 dB Q 1 Foo 3", "line 3: unexpected 'Foo'" },
		{ "Filter 2: ON PK Fc 100 Hz Fc 200 Hz Gain 1 dB Q 1", "line 3: Fc given twice" },
		{ "Filter 2: ON PK Fc 100 Hz Gain 1 dB Q 1 BW Oct 1", "line 3: give one Q or BW" },
		{ "Filter 2: ON PK Fc 100 Hz Gain 1 dB BW 1", "line 3: BW: 'Oct' expected" },
		{ "Filter 2: ON PK 6 dB Fc 100 Hz Gain 1 dB Q 1", "line 3: a slope applies only to LS" },
		{ "Filter 2: ON LS 6 dB Fc 100 Hz Gain 1 dB Q 1", "line 3: give either a slope or Q" },
		{ "Filter 2: ON LS Fc 100 Hz Gain 1 dB BW Oct 1", "line 3: BW does not apply" },
		{ "Filter 2: ON LS 13 dB Fc 100 Hz Gain 1 dB", "line 3: slope 13 is out of range" },
		{ "Filter 2: ON PK Fc 100 Hz Gain 1 dB Q 500", "line 3: Q 500 is out of range" },
		{ "Filter 2: ON PK Fc 0 Hz Gain 1 dB Q 1", "line 3: Fc 0 is out of range" },
		{ "Filter 2: ON PK Fc 100 Hz Gain 99 dB Q 1", "line 3: Gain 99 is out of range" },
		{ "Filter 2: MAYBE PK Fc 100 Hz", "line 3: ON or OFF expected" },
		{ "Filter 2: ON", "line 3: filter type expected" },
		{ "Filter 2: ON IIR Order 2 Coefficients 1 0 0 1 0 0", "line 3: unknown filter type 'IIR'" },
		{ "Channel: L", "line 3: unsupported command 'Channel'" },
		{ "Include: other.txt", "line 3: unsupported command 'Include'" },
		{ "Filter 2 ON PK Fc 100 Hz Gain 1 dB Q 1", "line 3: 'Filter 2 ON PK Fc 100 Hz Gain' is not a command" },
		{ "Preamp: -6", "line 3: Preamp: 'dB' expected" },
		{ "Preamp: -6 dB extra", "line 3: unexpected 'extra' after the preamp" },
		{ "Preamp: -200 dB", "line 3: Preamp -201 dB is out of range" },
		{ "GraphicEQ: 20 0; 10 1", "line 3: GraphicEQ point 2: frequency 10 Hz is not above" },
		{ "GraphicEQ: 20 0 30 1", "line 3: GraphicEQ point 1: ';' expected" },
		{ "GraphicEQ: 20 0; 30", "line 3: GraphicEQ point 2: a number expected" },
		{ "GraphicEQ: 20 0", "line 3: GraphicEQ needs at least 2 points" },
		{ "GraphicEQ: 20 0; 30 -200", "line 3: GraphicEQ point 2: gain -200 dB is out of range" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "%s%s\n", ok1, cases[i].line);
		expect_error(text, cases[i].want);
		/* and with CRLF */
		snprintf(text, sizeof(text), "Preamp: -1 dB\r\nFilter 1: ON PK Fc "
		         "100 Hz Gain 1 dB Q 1\r\n%s\r\n", cases[i].line);
		expect_error(text, cases[i].want);
	}
	expect_error("", "no Preamp, Filter or GraphicEQ line");
	expect_error("# only a comment\n\n", "no Preamp, Filter or GraphicEQ");
	expect_error("GraphicEQ: 20 0; 30 1\nGraphicEQ: 20 0; 30 1\n",
	             "line 2: a second GraphicEQ line (the first is line 1)");
	/* REW's header line is not a command */
	expect_error("Filter Settings file\n\nFilter 1: ON PK Fc 63 Hz Gain -5 "
	             "dB Q 4\n", "line 1: 'Filter Settings file' is not a "
	             "command");
}

static void test_nul_byte(void **state __attribute__((unused)))
{
	static const char text[] = "Preamp: 1 dB\nFilter 1: ON PK\0 Fc 1 Hz\n";
	struct eq_text *t = malloc(sizeof(*t));
	char err[EQ_TEXT_ERR_MAX] = "";

	assert_non_null(t);
	assert_int_equal(eq_text_parse(text, sizeof(text) - 1, t, err,
	                               sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 2: holds a NUL byte: not a text file");
	free(t);
}

static void test_limits(void **state __attribute__((unused)))
{
	size_t size = EQ_TEXT_MAX_BYTES + 2, n = 0;
	char *text = malloc(size), err[EQ_TEXT_ERR_MAX];
	struct eq_text *t = malloc(sizeof(*t));

	assert_non_null(text);
	assert_non_null(t);
	/* 32 filters read, the 33rd refused on its line */
	for (unsigned i = 0; i < 33; i++)
		n += (size_t)snprintf(text + n, size - n, "Filter %u: ON PK Fc %u "
		                      "Hz Gain 1 dB Q 1\n", i + 1, 100 + i);
	assert_int_equal(eq_text_parse(text, n - strlen("Filter 33: ON PK Fc 132 "
	                               "Hz Gain 1 dB Q 1\n"), t, err,
	                               sizeof(err)), 0);
	assert_int_equal(t->n_filters, 32);
	assert_int_equal(eq_text_parse(text, n, t, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 33: more than 32 filters (a peq block's "
	                    "bands)");
	/* GraphicEQ points */
	n = (size_t)snprintf(text, size, "GraphicEQ: ");
	for (unsigned i = 0; i < EQ_TEXT_MAX_POINTS + 1; i++)
		n += (size_t)snprintf(text + n, size - n, "%u 0; ", 10 + i);
	assert_int_equal(eq_text_parse(text, n, t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "line 1: more than 1024 GraphicEQ points"));
	/* a line too long */
	memset(text, ' ', EQ_TEXT_MAX_LINE + 1);
	memcpy(text + EQ_TEXT_MAX_LINE + 1, "\nPreamp: 1 dB\n", 15);
	assert_int_equal(eq_text_parse(text, EQ_TEXT_MAX_LINE + 15, t, err,
	                               sizeof(err)), -EINVAL);
	assert_string_equal(err, "line 1: longer than 16384 bytes");
	/* a file too large */
	memset(text, '#', size);
	assert_int_equal(eq_text_parse(text, EQ_TEXT_MAX_BYTES + 1, t, err,
	                               sizeof(err)), -E2BIG);
	assert_non_null(strstr(err, "at most 262144 are read"));
	free(text);
	free(t);
}

/* ---- writing back --------------------------------------------------------- */

static void test_format_round_trip(void **state __attribute__((unused)))
{
	struct eq_text *t = parse_file(DATA "Sennheiser HD 600 ParametricEQ.txt");
	struct eq_text *t2;
	struct eq_band b[EQ_TEXT_MAX_FILTERS + 4], b2;
	char buf[4096], err[EQ_TEXT_ERR_MAX];
	unsigned n = t->n_filters;
	int len;

	for (unsigned i = 0; i < n; i++)
		band_of(&t->filters[i], 48000, &b[i]);
	/* a slope shelf, a notch, a frequency EqualizerAPO would read as
	 * thousands ("8445.125"), and values needing 17 digits */
	b[n++] = (struct eq_band){ "highshelf", 9000, -2.5, true, 0, 6 };
	b[n++] = (struct eq_band){ "notch", 50, 0, false, 30, 0 };
	b[n++] = (struct eq_band){ "peaking", 8445.125, 0.1 + 0.2, true, 1.0 / 3,
	                           0 };
	len = eq_text_format(-6.3, b, n, buf, sizeof(buf), err, sizeof(err));
	assert_true(len > 0);
	assert_non_null(strstr(buf, "Preamp: -6.3 dB\nFilter 1: ON LSC Fc 105 Hz "
	                       "Gain 6.5 dB Q 0.7\n"));
	assert_non_null(strstr(buf, "Filter 11: ON HSC 6 dB Fc 9000 Hz Gain -2.5 "
	                       "dB\n"));
	assert_non_null(strstr(buf, "Filter 12: ON NO Fc 50 Hz Q 30\n"));
	assert_non_null(strstr(buf, "Fc 8445.1250 Hz"));
	t2 = parse_ok(buf);
	assert_float_equal(t2->preamp_db, -6.3, 0);
	assert_int_equal(t2->n_filters, n);
	for (unsigned i = 0; i < n; i++) {
		band_of(&t2->filters[i], 48000, &b2);
		assert_string_equal(b2.kind, b[i].kind);
		assert_true(b2.freq == b[i].freq);
		assert_true(b2.q == b[i].q);
		assert_true(b2.slope_db == b[i].slope_db);
		assert_true(b2.has_gain == b[i].has_gain);
		if (b[i].has_gain)
			assert_true(b2.gain_db == b[i].gain_db);
	}
	free(t);
	free(t2);
}

static void test_format_errors(void **state __attribute__((unused)))
{
	struct eq_band b[2] = {
		{ "peaking", 100, 1, true, 1, 0 },
		{ "lowshelf1", 100, 3, true, 0, 0 },
	};
	char buf[512], err[EQ_TEXT_ERR_MAX] = "";

	assert_int_equal(eq_text_format(0, b, 2, buf, sizeof(buf), err,
	                                sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "band 1 (lowshelf1): no EqualizerAPO form"));
	assert_int_equal(eq_text_format(0, b, 1, buf, 20, err, sizeof(err)),
	                 -ENOSPC);
}

static void test_graphic_interpolation(void **state __attribute__((unused)))
{
	static const struct eq_point p[] = {
		{ 100, 0 }, { 1000, 10 }, { 2000, 10 }, { 4000, -2 },
	};

	assert_float_equal(eq_graphic_gain_at(p, 4, 10), 0, 0);
	assert_float_equal(eq_graphic_gain_at(p, 4, 100), 0, 0);
	assert_float_equal(eq_graphic_gain_at(p, 4, sqrt(100.0 * 1000)), 5, 1e-12);
	assert_float_equal(eq_graphic_gain_at(p, 4, 1000), 10, 1e-12);
	assert_float_equal(eq_graphic_gain_at(p, 4, 1500), 10, 0);
	assert_float_equal(eq_graphic_gain_at(p, 4, sqrt(2000.0 * 4000)), 4, 1e-12);
	assert_float_equal(eq_graphic_gain_at(p, 4, 20000), -2, 0);
	assert_float_equal(eq_graphic_gain_at(p, 0, 20000), 0, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_autoeq_parametric),
		cmocka_unit_test(test_autoeq_graphic),
		cmocka_unit_test(test_rew_padded_off_none),
		cmocka_unit_test(test_crlf_bom_comma_tight),
		cmocka_unit_test(test_every_kind),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_nul_byte),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_format_errors),
		cmocka_unit_test(test_graphic_interpolation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
