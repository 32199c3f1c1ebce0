/* test_biquad.c - the filter blocks as they run: the kernel measured with
 * sines against the analog prototypes (biquad_test.h), free coefficients,
 * the channel mask and reset; Linkwitz-Riley and Butterworth blocks from a
 * configuration; 20 Hz at 192 kHz (impulse decay, no DC drift); peq and geq
 * bands; the constructors' errors that need the rate; non-finite recovery
 * through the pipeline guard; denormal safety.  The designs' coefficients
 * against the textbook are test_biquad_response.c's.  Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <complex.h>
#include <errno.h>
#include <float.h>
#include <limits.h>
#include <math.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "biquad_design.h"
#include "biquad_test.h"
#include "config.h"
#include "fx.h"
#include "biquad.h"
#include "pipeline.h"

#define PERIOD 256

/* ---- the running kernel --------------------------------------------------- */

struct block {
	struct dspd_config cfg;
	struct fx *fx;
};

static struct block *block_from_text(const char *block_json, unsigned rate,
                                     unsigned channels)
{
	struct block *b = calloc(1, sizeof(*b));
	struct cfg_errors errs;
	struct fx_env env = { rate, PERIOD, channels, NULL, 0 };
	char text[4096], err[256];

	assert_non_null(b);
	snprintf(text, sizeof(text), "{\"rate\": %u, \"pipeline\": [%s]}", rate,
	         block_json);
	if (config_load_string(text, strlen(text), "t.conf", &b->cfg, &errs) < 0)
		fail_msg("config rejected: %s", errs.msg[0]);
	if (fx_create(&b->cfg.blocks[0], &env, &b->fx, err, sizeof(err)) < 0)
		fail_msg("fx_create: %s", err);
	return b;
}

static void block_free(struct block *b)
{
	b->fx->ops->destroy(b->fx);
	free(b);
}

/* Amplitude and phase of the steady-state response to a sine of f Hz
 * (integer Hz: one second holds whole cycles): settle, then correlate one
 * second of output with sin and cos. */
static cplx measure(struct fx *fx, double f, unsigned rate, double settle_s)
{
	static float buf[PERIOD];
	float *bufs[FX_MAX_CHANNELS] = { buf };
	uint64_t n = 0, settle = (uint64_t)(settle_s * rate), end = settle + rate;
	double si = 0, co = 0;

	fx->ops->reset(fx);
	while (n < end) {
		for (unsigned i = 0; i < PERIOD; i++)
			buf[i] = (float)sin(2 * M_PI * f * (double)((n + i) % rate) / rate);
		fx->ops->process(fx, bufs, PERIOD);
		for (unsigned i = 0; i < PERIOD && n + i < end; i++) {
			double ph = 2 * M_PI * f * (double)((n + i) % rate) / rate;

			if (n + i < settle)
				continue;
			si += buf[i] * sin(ph);
			co += buf[i] * cos(ph);
		}
		n += PERIOD;
	}
	/* y = A sin(ph + phi): sum y sin = A N/2 cos phi, sum y cos = A N/2 sin phi */
	return 2.0 / rate * (si + I * co);
}

static void test_kernel_measured_response(void **state)
{
	static const struct {
		const char *json;
		struct shape sh;
	} cases[] = {
		{ "{\"type\": \"biquad\", \"name\": \"p\", \"kind\": \"peaking\","
		  " \"freq\": 1000, \"q\": 2, \"gain_db\": 6}",
		  { BQ_PEAKING, 1000, 2.0, 6.0, 0, .rate = 48000 } },
		{ "{\"type\": \"biquad\", \"name\": \"s\", \"kind\": \"lowshelf\","
		  " \"freq\": 150, \"slope\": 6, \"gain_db\": -8}",
		  { BQ_LOWSHELF, 150, 0, -8.0, 6.0, .rate = 48000 } },
		{ "{\"type\": \"biquad\", \"name\": \"h\", \"kind\": \"highpass1\","
		  " \"freq\": 300}",
		  { BQ_HIGHPASS1, 300, .rate = 48000 } },
		{ "{\"type\": \"biquad\", \"name\": \"lt\", \"kind\": "
		  "\"linkwitz_transform\", \"freq_act\": 50, \"q_act\": 0.9, "
		  "\"freq_target\": 25, \"q_target\": 0.5}",
		  { BQ_LINKWITZ_TRANSFORM, .f_act = 50, .q_act = 0.9,
		    .f_target = 25, .q_target = 0.5, .rate = 48000 } },
	};
	static const double freqs[] = { 31, 150, 1000, 4000, 15000 };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct block *b = block_from_text(cases[i].json, 48000, 1);

		for (size_t k = 0; k < sizeof(freqs) / sizeof(freqs[0]); k++)
			expect_response(measure(b->fx, freqs[k], 48000, 0.5),
			                analytic(&cases[i].sh, freqs[k]), freqs[k],
			                cases[i].json, DB_TOL, DEG_TOL);
		block_free(b);
	}
}

static void test_free_coefficients(void **state)
{
	struct block *b = block_from_text(
		"{\"type\": \"biquad\", \"name\": \"f\", \"kind\": \"free\", "
		"\"b0\": 0.5, \"b1\": 0.25, \"b2\": -0.125, \"a1\": -1.2, "
		"\"a2\": 0.5}", 48000, 1);
	static const double freqs[] = { 50, 1000, 9000 };

	for (size_t k = 0; k < 3; k++) {
		cplx z1 = cexp(-I * 2 * M_PI * freqs[k] / 48000);
		cplx want = (0.5 + 0.25 * z1 - 0.125 * z1 * z1) /
		            (1.0 - 1.2 * z1 + 0.5 * z1 * z1);

		expect_response(measure(b->fx, freqs[k], 48000, 0.2), want,
		                freqs[k], "free", DB_TOL, DEG_TOL);
	}
	block_free(b);
}

static void test_channel_mask_and_reset(void **state)
{
	struct block *b = block_from_text(
		"{\"type\": \"biquad\", \"name\": \"lp\", \"kind\": \"lowpass\", "
		"\"freq\": 500, \"channels\": [1]}", 48000, 2);
	static float x0[PERIOD], x1[PERIOD], first[PERIOD];
	float *bufs[FX_MAX_CHANNELS] = { x0, x1 };

	for (int i = 0; i < PERIOD; i++)
		x0[i] = x1[i] = (i == 0);
	b->fx->ops->process(b->fx, bufs, PERIOD);
	assert_true(x0[0] == 1.0f && x0[1] == 0.0f);    /* untouched */
	assert_true(x1[1] != 0.0f);
	memcpy(first, x1, sizeof(first));
	b->fx->ops->reset(b->fx);
	for (int i = 0; i < PERIOD; i++)
		x1[i] = (i == 0);
	b->fx->ops->process(b->fx, bufs, PERIOD);
	assert_memory_equal(first, x1, sizeof(first));
	block_free(b);
}

/* ---- Linkwitz-Riley and Butterworth blocks ------------------------------ */

static void test_crossover_blocks_from_config(void **state)
{
	struct block *lp = block_from_text(
		"{\"type\": \"linkwitz_riley\", \"name\": \"lp\", \"kind\": "
		"\"lowpass\", \"freq\": 2000, \"order\": 4}", 48000, 1);
	struct block *hp = block_from_text(
		"{\"type\": \"linkwitz_riley\", \"name\": \"hp\", \"kind\": "
		"\"highpass\", \"freq\": 2000, \"order\": 4}", 48000, 1);
	struct block *bw = block_from_text(
		"{\"type\": \"butterworth\", \"name\": \"bw\", \"kind\": "
		"\"highpass\", \"freq\": 100, \"order\": 5}", 48000, 1);
	static const double freqs[] = { 200, 1000, 2000, 5000, 12000 };

	for (size_t k = 0; k < 5; k++) {
		cplx sum = measure(lp->fx, freqs[k], 48000, 0.2) +
		           measure(hp->fx, freqs[k], 48000, 0.2);

		assert_true(fabs(db(sum)) < DB_TOL);
	}
	assert_true(fabs(db(measure(bw->fx, 100, 48000, 0.5)) + 3.0103) < DB_TOL);
	assert_true(fabs(db(measure(bw->fx, 50, 48000, 0.5)) -
	                 butterworth_db(BQ_HIGHPASS, 5, 50, 100, 48000)) < DB_TOL);
	block_free(lp);
	block_free(hp);
	block_free(bw);
}

/* ---- 20 Hz at 192 kHz --------------------------------------------------- */

static void test_20hz_highpass_at_192k(void **state)
{
	struct block *b = block_from_text(
		"{\"type\": \"butterworth\", \"name\": \"hp\", \"kind\": "
		"\"highpass\", \"freq\": 20, \"order\": 2}", 192000, 1);
	struct shape sh = { BQ_HIGHPASS, 20, M_SQRT1_2, .rate = 192000 };
	static float buf[PERIOD];
	float *bufs[FX_MAX_CHANNELS] = { buf };
	double early = 0, late = 0, last = 0;

	expect_response(measure(b->fx, 20, 192000, 0.5), analytic(&sh, 20), 20,
	                "20 Hz", DB_TOL, DEG_TOL);
	expect_response(measure(b->fx, 40, 192000, 0.5), analytic(&sh, 40), 40,
	                "40 Hz", DB_TOL, DEG_TOL);
	/* impulse: energy of the first and of the tenth second */
	b->fx->ops->reset(b->fx);
	for (unsigned p = 0; p < 10 * 192000 / PERIOD; p++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = p == 0;
		b->fx->ops->process(b->fx, bufs, PERIOD);
		for (int i = 0; i < PERIOD; i++) {
			if (p < 192000 / PERIOD)
				early += (double)buf[i] * buf[i];
			else if (p >= 9 * 192000 / PERIOD)
				late += (double)buf[i] * buf[i];
		}
	}
	assert_true(early > 0 && late < early * 1e-20);
	/* no drift: a DC input is removed, to float resolution */
	b->fx->ops->reset(b->fx);
	for (unsigned p = 0; p < 10 * 192000 / PERIOD; p++) {
		for (int i = 0; i < PERIOD; i++)
			buf[i] = 0.5f;
		b->fx->ops->process(b->fx, bufs, PERIOD);
		last = buf[PERIOD - 1];
	}
	assert_true(fabs(last) < 1e-7);
	block_free(b);
}

/* ---- peq, geq ------------------------------------------------------------- */

static void test_peq_from_config(void **state)
{
	static const struct shape bands[] = {
		{ BQ_HIGHPASS, 25, 0.7071, .rate = 48000 },
		{ BQ_LOWSHELF, 90, 0.7071, 4.0, .rate = 48000 },
		{ BQ_PEAKING, 250, 1.5, -3.0, .rate = 48000 },
		{ BQ_NOTCH, 3000, 8.0, .rate = 48000 },
		{ BQ_HIGHSHELF, 6000, 0, -2.5, 6.0, .rate = 48000 },
	};
	struct block *b = block_from_text(
		"{\"type\": \"peq\", \"name\": \"eq\", \"bands\": ["
		" {\"kind\": \"highpass\", \"freq\": 25},"
		" {\"kind\": \"lowshelf\", \"freq\": 90, \"gain_db\": 4},"
		" {\"kind\": \"peaking\", \"freq\": 250, \"q\": 1.5, \"gain_db\": -3},"
		" {\"kind\": \"notch\", \"freq\": 3000, \"q\": 8},"
		" {\"slope\": 6, \"kind\": \"highshelf\", \"freq\": 6000, "
		"  \"gain_db\": -2.5}]}", 48000, 1);
	static const double freqs[] = { 30, 90, 250, 1000, 2900, 10000 };

	for (size_t k = 0; k < sizeof(freqs) / sizeof(freqs[0]); k++) {
		cplx want = 1.0;

		for (size_t i = 0; i < sizeof(bands) / sizeof(bands[0]); i++)
			want *= analytic(&bands[i], freqs[k]);
		expect_response(measure(b->fx, freqs[k], 48000, 0.5), want,
		                freqs[k], "peq", DB_TOL, DEG_TOL);
	}
	block_free(b);
}

static void test_geq_from_config(void **state)
{
	/* octave: band 5 is 1000 Hz; Q for the octave spacing, computed
	 * here from the band edges 10^(+-3/20) */
	struct block *b = block_from_text(
		"{\"type\": \"geq\", \"name\": \"g\", \"resolution\": \"octave\", "
		"\"bands\": [0, 0, 0, 0, -4, 6, 0, 0, 0, 0]}", 48000, 1);
	double e = pow(10.0, 3.0 / 20.0), q = 1.0 / (e - 1.0 / e);
	struct shape lo = { BQ_PEAKING, 1000 * pow(10, -0.3), q, -4, .rate = 48000 };
	struct shape hi = { BQ_PEAKING, 1000, q, 6, .rate = 48000 };
	static const double freqs[] = { 100, 501, 700, 1000, 2000, 8000 };

	for (size_t k = 0; k < sizeof(freqs) / sizeof(freqs[0]); k++)
		expect_response(measure(b->fx, freqs[k], 48000, 0.5),
		                analytic(&lo, freqs[k]) * analytic(&hi, freqs[k]),
		                freqs[k], "geq", DB_TOL, DEG_TOL);
	block_free(b);
	/* a flat third-octave geq is exactly transparent in magnitude */
	b = block_from_text("{\"type\": \"geq\", \"name\": \"g\", \"bands\": "
	                    "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
	                    "0,0,0,0,0,0]}", 48000, 1);
	assert_true(fabs(db(measure(b->fx, 1000, 48000, 0.1))) < 1e-4);
	block_free(b);
	/* the third-octave plan: Q from band edges 10^(+-1/20), bands from
	 * 19.95 Hz to 19.95 kHz */
	e = pow(10.0, 1.0 / 20.0);
	assert_true(fabs(geq_band_q(GEQ_THIRD) - 1.0 / (e - 1.0 / e)) < 1e-12);
	assert_true(fabs(geq_band_freq(GEQ_THIRD, 0) - 19.9526) < 1e-3);
	assert_true(fabs(geq_band_freq(GEQ_THIRD, 30) - 19952.6) < 0.1);
}

/* ---- errors that need the rate, from the constructors ------------------- */

static void expect_create_errno(const char *block_json, unsigned rate,
                                int want, const char *needle);

static void expect_create_error(const char *block_json, unsigned rate,
                                const char *needle)
{
	expect_create_errno(block_json, rate, -EINVAL, needle);
}

static void expect_create_errno(const char *block_json, unsigned rate,
                                int want, const char *needle)
{
	struct dspd_config *cfg = calloc(1, sizeof(*cfg));
	struct cfg_errors errs;
	struct fx_env env = { rate, PERIOD, 2, NULL, 0 };
	struct fx *fx = NULL;
	char text[4096], err[256] = "";

	assert_non_null(cfg);
	snprintf(text, sizeof(text), "{\"rate\": %u, \"pipeline\": [%s]}", rate,
	         block_json);
	if (config_load_string(text, strlen(text), "t.conf", cfg, &errs) < 0)
		fail_msg("config rejected: %s", errs.msg[0]);
	assert_int_equal(fx_create(&cfg->blocks[0], &env, &fx, err, sizeof(err)),
	                 want);
	assert_null(fx);
	if (!strstr(err, needle))
		fail_msg("error \"%s\" lacks \"%s\"", err, needle);
	free(cfg);
}

/* preamp_db scales the cascade exactly; "file" reads the AutoEq HD 600
 * file (its LSC/PK/HSC filters and its -6.3 dB Preamp) as those bands. */
static void test_peq_preamp_and_file(void **state)
{
	static const struct shape hd600[] = {
		{ BQ_LOWSHELF, 105, 0.70, 6.5, .rate = 48000 },
		{ BQ_PEAKING, 125, 0.55, -2.7, .rate = 48000 },
		{ BQ_PEAKING, 8445, 1.61, 3.3, .rate = 48000 },
		{ BQ_PEAKING, 522, 1.02, 0.7, .rate = 48000 },
		{ BQ_PEAKING, 1298, 2.14, -1.2, .rate = 48000 },
		{ BQ_HIGHSHELF, 10000, 0.70, -3.1, .rate = 48000 },
		{ BQ_PEAKING, 3158, 3.67, -1.8, .rate = 48000 },
		{ BQ_PEAKING, 2166, 3.32, 0.9, .rate = 48000 },
		{ BQ_PEAKING, 6639, 5.82, 2.2, .rate = 48000 },
		{ BQ_PEAKING, 5434, 5.70, -1.2, .rate = 48000 },
	};
	static const double freqs[] = { 30, 105, 600, 2166, 5434, 12000 };
	char path[PATH_MAX], json[PATH_MAX + 200];
	struct block *b = block_from_text(
		"{\"type\": \"peq\", \"name\": \"eq\", \"preamp_db\": -6, \"bands\": ["
		" {\"kind\": \"peaking\", \"freq\": 250, \"q\": 1.5, \"gain_db\": -3}]}",
		48000, 1);
	const struct shape pk = { BQ_PEAKING, 250, 1.5, -3.0, .rate = 48000 };

	for (size_t k = 0; k < sizeof(freqs) / sizeof(freqs[0]); k++)
		expect_response(measure(b->fx, freqs[k], 48000, 0.5),
		                analytic(&pk, freqs[k]) * pow(10, -6 / 20.0),
		                freqs[k], "peq preamp", DB_TOL, DEG_TOL);
	block_free(b);
	assert_non_null(realpath("tests/data/eq/Sennheiser HD 600 "
	                         "ParametricEQ.txt", path));
	snprintf(json, sizeof(json), "{\"type\": \"peq\", \"name\": \"eq\", "
	         "\"file\": \"%s\", \"preamp_db\": 1}", path);
	b = block_from_text(json, 48000, 1);
	for (size_t k = 0; k < sizeof(freqs) / sizeof(freqs[0]); k++) {
		cplx want = pow(10, (-6.3 + 1) / 20.0);

		for (size_t i = 0; i < sizeof(hd600) / sizeof(hd600[0]); i++)
			want *= analytic(&hd600[i], freqs[k]);
		expect_response(measure(b->fx, freqs[k], 48000, 0.5), want,
		                freqs[k], "peq file", DB_TOL, DEG_TOL);
	}
	block_free(b);
}

/* A file with a Preamp and no filter is that gain; a bad line names the
 * file and the line. */
static void test_peq_file_preamp_only_and_errors(void **state)
{
	char dir[] = "/tmp/test-peq-XXXXXX", path[64], json[256];
	FILE *f;
	struct block *b;

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/eq.txt", dir);
	assert_non_null(f = fopen(path, "w"));
	fputs("Preamp: -3 dB\nFilter 1: OFF PK Fc 100 Hz Gain 3 dB Q 1\n", f);
	fclose(f);
	snprintf(json, sizeof(json), "{\"type\": \"peq\", \"name\": \"eq\", "
	         "\"file\": \"%s\"}", path);
	b = block_from_text(json, 48000, 1);
	assert_true(fabs(db(measure(b->fx, 1000, 48000, 0.5)) + 3) < 1e-4);
	block_free(b);
	assert_non_null(f = fopen(path, "w"));
	fputs("Preamp: -3 dB\r\nFilter 1: ON XY Fc 100 Hz Gain 3 dB Q 1\r\n", f);
	fclose(f);
	expect_create_error(json, 48000, "line 2: unknown filter type 'XY'");
	expect_create_error(json, 48000, "block \"eq\": EQ file \"/tmp/test-peq-");
	assert_non_null(f = fopen(path, "w"));
	fputs("GraphicEQ: 20 0; 30 1\n", f);
	fclose(f);
	expect_create_error(json, 48000, "line 1: a GraphicEQ is not a peq");
	unlink(path);
	expect_create_errno(json, 48000, -ENOENT, "No such file or directory");
	rmdir(dir);
	expect_create_error("{\"type\": \"peq\", \"name\": \"eq\"}", 48000,
	                    "block \"eq\": give \"bands\" (1..32) or an EQ "
	                    "\"file\"");
}

static void test_constructor_errors(void **state)
{
	expect_create_error("{\"type\": \"biquad\", \"name\": \"wobble\", \"kind\":"
	                    " \"free\", \"b0\": 1, \"b1\": 0, \"b2\": 0, "
	                    "\"a1\": -2, \"a2\": 1.0001}", 48000,
	                    "block \"wobble\" (free biquad): unstable "
	                    "coefficients: a pole has radius 1.00005");
	/* a double pole on the unit circle is not strictly inside */
	expect_create_error("{\"type\": \"biquad\", \"name\": \"dc\", \"kind\":"
	                    " \"free\", \"b0\": 1, \"b1\": 0, \"b2\": 0, "
	                    "\"a1\": -2, \"a2\": 1}", 48000, "radius 1 ");
	expect_create_error("{\"type\": \"biquad\", \"name\": \"real\", \"kind\":"
	                    " \"free\", \"b0\": 1, \"b1\": 0, \"b2\": 0, "
	                    "\"a1\": 0.2, \"a2\": -1.5}", 48000, "radius 1.3");
	expect_create_error("{\"type\": \"biquad\", \"name\": \"lp\", \"kind\":"
	                    " \"lowpass\", \"freq\": 30000}", 48000,
	                    "block \"lp\" (lowpass biquad): freq 30000 Hz is not "
	                    "below half the rate (24000 Hz)");
	expect_create_error("{\"type\": \"biquad\", \"name\": \"lp\", \"kind\":"
	                    " \"lowpass\", \"q\": 2}", 48000,
	                    "block \"lp\": kind lowpass needs freq");
	expect_create_error("{\"type\": \"biquad\", \"name\": \"pk\", \"kind\":"
	                    " \"peaking\", \"freq\": 100}", 48000,
	                    "kind peaking needs gain_db");
	expect_create_error("{\"type\": \"biquad\", \"name\": \"lt\", \"kind\":"
	                    " \"linkwitz_transform\", \"freq_act\": 40, "
	                    "\"q_act\": 1}", 48000,
	                    "needs freq_target, q_target");
	expect_create_error("{\"type\": \"biquad\", \"name\": \"lt\", \"kind\":"
	                    " \"linkwitz_transform\", \"freq_act\": 40, "
	                    "\"q_act\": 1, \"freq_target\": 4000, "
	                    "\"q_target\": 0.5}", 8000, "freq_target 4000 Hz");
	expect_create_error("{\"type\": \"butterworth\", \"name\": \"bw\", "
	                    "\"kind\": \"lowpass\", \"freq\": 24000, \"order\": 3}",
	                    48000, "block \"bw\": freq 24000 Hz is not below");
	expect_create_error("{\"type\": \"peq\", \"name\": \"eq\", \"bands\": ["
	                    "{\"kind\": \"notch\", \"freq\": 100},"
	                    "{\"kind\": \"lowpass\", \"freq\": 22050}]}", 44100,
	                    "block \"eq\" band 1 (lowpass): freq 22050 Hz");
	expect_create_error("{\"type\": \"geq\", \"name\": \"g\", \"bands\": "
	                    "[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
	                    "0,0,0,0,0,1]}", 32000, "band 30 (19953 Hz) is not "
	                    "below half the rate");
}

static void test_geq_skips_silent_bands_above_nyquist(void **state)
{
	struct block *b = block_from_text(
		"{\"type\": \"geq\", \"name\": \"g\", \"bands\": "
		"[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,3,0,0,0,0,0,0,0,0,0,0,0,0]}",
		32000, 1);
	struct shape sh = { BQ_PEAKING, 1000 * pow(10, 0.1), geq_band_q(GEQ_THIRD),
	                    3, .rate = 32000 };

	expect_response(measure(b->fx, 1259, 32000, 0.3), analytic(&sh, 1259),
	                1259, "geq at 32 kHz", DB_TOL, DEG_TOL);
	block_free(b);
}

/* ---- non-finite input, denormals ---------------------------------------- */

static void test_nan_input_resets_through_pipeline_guard(void **state)
{
	static const char text[] =
		"{\"capture\": {\"channels\": 2}, \"playback\": {\"channels\": 2},"
		" \"pipeline\": [{\"type\": \"peq\", \"name\": \"eq\", \"bands\": ["
		" {\"kind\": \"peaking\", \"freq\": 100, \"q\": 4, \"gain_db\": 9},"
		" {\"kind\": \"lowpass\", \"freq\": 5000}]}]}";
	static struct dspd_config cfg;
	static float a[2][PERIOD], b[2][PERIOD];
	float *ba[FX_MAX_CHANNELS] = { a[0], a[1] }, *bb[FX_MAX_CHANNELS] = { b[0], b[1] };
	struct pipeline *dirty, *fresh;
	struct cfg_errors errs;
	char err[256];

	assert_int_equal(config_load_string(text, strlen(text), "t.conf", &cfg,
	                                    &errs), 0);
	assert_int_equal(pipeline_build(&cfg, 2, PERIOD, NULL, &dirty, err, sizeof(err)), 0);
	assert_int_equal(pipeline_build(&cfg, 2, PERIOD, NULL, &fresh, err, sizeof(err)), 0);
	for (int i = 0; i < PERIOD; i++)
		a[0][i] = a[1][i] = (float)sin(i * 0.05);
	a[1][17] = NAN;
	pipeline_process(dirty, ba, PERIOD);
	assert_int_equal(pipeline_resets(dirty), 1);
	/* the channel that went bad is silenced, the other one is heard
	 * (its state was sound); the whole block is reset after the period */
	for (int i = 0; i < PERIOD; i++)
		assert_true(a[1][i] == 0.0f && isfinite(a[0][i]));
	assert_true(fabsf(a[0][PERIOD / 2]) > 0.01f);
	/* afterwards: finite, and the same as a block that never saw NaN */
	for (int p = 0; p < 8; p++) {
		for (int i = 0; i < PERIOD; i++)
			a[0][i] = a[1][i] = b[0][i] = b[1][i] =
				(float)sin((p * PERIOD + i) * 0.05);
		pipeline_process(dirty, ba, PERIOD);
		pipeline_process(fresh, bb, PERIOD);
		for (int i = 0; i < PERIOD; i++)
			assert_true(isfinite(a[1][i]));
		assert_memory_equal(a, b, sizeof(a));
	}
	a[0][3] = INFINITY;
	pipeline_process(dirty, ba, PERIOD);
	assert_int_equal(pipeline_resets(dirty), 2);
	pipeline_free(dirty);
	pipeline_free(fresh);
}

/* The guard's limits: NaN, +-Inf and |x| >= 2^64 anywhere in a processed
 * channel reset the block; the largest float below 2^64, a denormal and
 * any value on a channel the block does not process do not. */
static void test_pipeline_guard_limits(void **state)
{
	static const char text[] =
		"{\"capture\": {\"channels\": 2}, \"playback\": {\"channels\": 2},"
		" \"pipeline\": [{\"type\": \"gain\", \"name\": \"g\", \"db\": 0,"
		" \"channels\": [0]}]}";
	static const struct { float value; unsigned channel; int resets; } cases[] = {
		{ NAN, 0, 1 }, { -NAN, 0, 1 }, { INFINITY, 0, 1 }, { -INFINITY, 0, 1 },
		{ 0x1p64f, 0, 1 }, { -0x1p64f, 0, 1 }, { FLT_MAX, 0, 1 },
		{ 0x1.fffffep63f, 0, 0 }, { -0x1.fffffep63f, 0, 0 }, { 1e-40f, 0, 0 },
		{ -0.0f, 0, 0 }, { NAN, 1, 0 }, { INFINITY, 1, 0 },
	};
	static struct dspd_config cfg;
	static float a[2][PERIOD];
	float *ba[FX_MAX_CHANNELS] = { a[0], a[1] };
	struct cfg_errors errs;
	char err[256];

	assert_int_equal(config_load_string(text, strlen(text), "t.conf", &cfg,
	                                    &errs), 0);
	for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
		struct pipeline *p;

		assert_int_equal(pipeline_build(&cfg, 2, PERIOD, NULL, &p, err,
		                                sizeof(err)), 0);
		for (unsigned at = 0; at < PERIOD; at += PERIOD / 4 + 1) {
			memset(a, 0, sizeof(a));
			a[cases[c].channel][at] = cases[c].value;
			pipeline_process(p, ba, PERIOD);
		}
		if (pipeline_resets(p) != (cases[c].resets ? 4u : 0u))
			fail_msg("%g on channel %u: %llu resets", (double)cases[c].value,
			         cases[c].channel, (unsigned long long)pipeline_resets(p));
		pipeline_free(p);
	}
}

static double thread_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, size_t n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* An impulse, then 60 s of silence at 48 kHz through 64 low-frequency
 * sections (this thread runs without FTZ/DAZ).  Without protection their
 * double state decays into the denormal range within a few seconds and
 * then stays there (the recursion rounds back to the same tiny value), and
 * every multiply-add costs 10-100x: the last second's periods would take
 * far more than 3x the first second's, whose state is still normal.  The
 * medians over 187 periods each shrug off scheduling noise. */
static void test_no_denormal_slowdown(void **state)
{
	enum { SECTIONS = 64, RATE = 48000, SECONDS = 60 };
	const unsigned per_second = RATE / PERIOD;
	static struct biquad_coef coef[SECTIONS];
	static struct biquad_state st[SECTIONS];
	static float buf[PERIOD];
	static double scratch[PERIOD], first[RATE / PERIOD], last[RATE / PERIOD];
	static const int kinds[] = { BQ_LOWPASS, BQ_PEAKING, BQ_LOWSHELF,
	                             BQ_HIGHPASS };
	char why[200];

	for (int k = 0; k < SECTIONS; k++) {
		double param[BQK_N] = { [BQK_FREQ] = 20.0 + 3.0 * k,
		                        [BQK_Q] = 0.6 + 0.02 * k,
		                        [BQK_GAIN_DB] = 3.0 };

		assert_int_equal(biquad_design(kinds[k % 4], param, RATE, &coef[k],
		                               why, sizeof(why)), 0);
	}
	for (unsigned p = 0; p < SECONDS * per_second; p++) {
		double t0;

		memset(buf, 0, sizeof(buf));
		buf[0] = p == 0;
		t0 = thread_seconds();
		biquad_run(coef, st, SECTIONS, buf, scratch, PERIOD);
		t0 = thread_seconds() - t0;
		if (p < per_second)
			first[p] = t0;
		else if (p >= (SECONDS - 1) * per_second)
			last[p - (SECONDS - 1) * per_second] = t0;
		for (int i = 0; i < PERIOD; i++)
			assert_true(isfinite(buf[i]));
	}
	double m_first = median(first, per_second), m_last = median(last, per_second);

	print_message("    periods of 64 sections: first second median %.1f us, "
	              "last second %.1f us\n", m_first * 1e6, m_last * 1e6);
	assert_true(m_last <= 3.0 * m_first);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_measured_response),
		cmocka_unit_test(test_free_coefficients),
		cmocka_unit_test(test_channel_mask_and_reset),
		cmocka_unit_test(test_crossover_blocks_from_config),
		cmocka_unit_test(test_20hz_highpass_at_192k),
		cmocka_unit_test(test_peq_from_config),
		cmocka_unit_test(test_peq_preamp_and_file),
		cmocka_unit_test(test_peq_file_preamp_only_and_errors),
		cmocka_unit_test(test_geq_from_config),
		cmocka_unit_test(test_constructor_errors),
		cmocka_unit_test(test_geq_skips_silent_bands_above_nyquist),
		cmocka_unit_test(test_nan_input_resets_through_pipeline_guard),
		cmocka_unit_test(test_pipeline_guard_limits),
		cmocka_unit_test(test_no_denormal_slowdown),
	};

	return cmocka_run_group_tests_name("biquad", tests, NULL, NULL);
}
