/* test_dynamics.c - compressor, limiter and gate: the limiter never lets a
 * sample past its ceiling (every output sample of many random peaky
 * signals) and passes quiet audio bit-exactly after its lookahead; the
 * compressor's steady-state gain follows threshold/ratio/knee and its
 * attack and release take their time constants; the gate closes by
 * range_db; the gain-reduction meter; config errors.  Single-threaded. */
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

#include "config.h"
#include "fx.h"
#include "block_test.h"
#include "fx_dynamics.h"

#define RATE 48000
#define MAX_FRAMES 256
#define LEN 48000

static float rows[FX_MAX_CHANNELS][MAX_FRAMES];
static float *bufs[FX_MAX_CHANNELS];
static float input[2][LEN], output[2][LEN];

static int load(const char *block)
{
	return bt_load(RATE, 2, 2, block);
}

static struct fx *create(const char *block)
{
	return bt_create(RATE, MAX_FRAMES, 2, 2, block, NULL);
}

/* Run frames of input[] from `from` through fx in periods of `period`. */
static void run_part(struct fx *fx, uint32_t from, uint32_t frames,
                     uint32_t period)
{
	for (int ch = 0; ch < FX_MAX_CHANNELS; ch++)
		bufs[ch] = rows[ch];
	for (uint32_t done = from; done < from + frames; ) {
		uint32_t n = period < from + frames - done ? period
		                                           : from + frames - done;

		for (int ch = 0; ch < 2; ch++)
			memcpy(rows[ch], input[ch] + done, n * sizeof(float));
		fx->ops->process(fx, bufs, n);
		for (int ch = 0; ch < 2; ch++)
			memcpy(output[ch] + done, rows[ch], n * sizeof(float));
		done += n;
	}
}

static void run(struct fx *fx, uint32_t frames)
{
	run_part(fx, 0, frames, MAX_FRAMES);
}

static double db_of(double x)
{
	return 20.0 * log10(x);
}

static double rms(const float *x, int from, int to)
{
	double s = 0.0;

	for (int i = from; i < to; i++)
		s += (double)x[i] * x[i];
	return sqrt(s / (to - from));
}

static void sine(int ch, double amplitude, double freq, int from, int to)
{
	for (int i = from; i < to; i++)
		input[ch][i] = (float)(amplitude * sin(2.0 * M_PI * freq * i / RATE));
}

/* ---- limiter ---------------------------------------------------------- */

static uint64_t rng = 1;

static double uniform(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double)(rng >> 11) * 0x1p-53;
}

/* Noise with bursts, lone spikes and full-scale square runs, up to +24 dB
 * over a ceiling. */
static void fill_peaky(int frames)
{
	for (int ch = 0; ch < 2; ch++) {
		double level = 0.1;

		for (int i = 0; i < frames; i++) {
			double u = uniform(), x;

			if (u < 0.002)
				level = 0.01 + 8.0 * uniform() * uniform();
			x = level * (2.0 * uniform() - 1.0);
			if (u > 0.9995)
				x = (uniform() < 0.5 ? -1 : 1) * 16.0 * uniform();
			if ((i / 300) % 17 == 3)
				x = ((i / 7) % 2 ? 1 : -1) * level;
			input[ch][i] = (float)x;
		}
	}
}

static void test_limiter_never_exceeds_ceiling(void **state)
{
	static const struct {
		const char *block;
		double ceiling_db;
	} setups[] = {
		{ "{\"type\": \"limiter\", \"name\": \"l\"}", -1.0 },
		{ "{\"type\": \"limiter\", \"name\": \"l\", \"ceiling_db\": -6,"
		  " \"lookahead_ms\": 0.1, \"release_ms\": 1}", -6.0 },
		{ "{\"type\": \"limiter\", \"name\": \"l\", \"ceiling_db\": -0.1,"
		  " \"lookahead_ms\": 20, \"release_ms\": 500}", -0.1 },
		{ "{\"type\": \"limiter\", \"name\": \"l\", \"ceiling_db\": -20,"
		  " \"lookahead_ms\": 1.3, \"release_ms\": 10}", -20.0 },
	};
	static const uint32_t periods[] = { 256, 64, 1, 200 };
	double worst_db = -200.0;
	long samples = 0;

	for (unsigned s = 0; s < 4; s++) {
		struct fx *fx = create(setups[s].block);
		double ceiling = pow(10.0, setups[s].ceiling_db / 20.0);

		for (unsigned seed = 1; seed <= 60; seed++) {
			rng = seed * 0x9e3779b97f4a7c15ull;
			fill_peaky(16384);
			run_part(fx, 0, 16384, periods[seed % 4]);
			for (int ch = 0; ch < 2; ch++)
				for (int i = 0; i < 16384; i++) {
					double y = fabs(output[ch][i]);

					if (y > ceiling)
						print_error("setup %u seed %u: "
						            "%g > %g\n", s, seed,
						            y, ceiling);
					assert_true(y <= ceiling);
					if (y > 0)
						worst_db = fmax(worst_db,
						                db_of(y / ceiling));
					samples++;
				}
		}
		fx->ops->destroy(fx);
	}
	print_message("  %ld samples checked, loudest %.7f dB re ceiling\n",
	              samples, worst_db);
	/* it limits rather than mutes: the loudest come right up to it */
	assert_true(worst_db > -0.01);
}

static void test_limiter_quiet_is_bit_exact_after_lookahead(void **state)
{
	struct fx *fx = create("{\"type\": \"limiter\", \"name\": \"l\","
	                       " \"ceiling_db\": -3, \"lookahead_ms\": 5}");
	const unsigned lookahead = 240;
	double ceiling = pow(10.0, -3.0 / 20.0);

	assert_int_equal(fx->latency_frames, lookahead);
	for (int ch = 0; ch < 2; ch++)
		for (int i = 0; i < LEN; i++)
			input[ch][i] = (float)(0.999 * ceiling *
			               sin(0.01 * i + ch) * sin(0.0003 * i));
	run_part(fx, 0, LEN, 100);
	for (int ch = 0; ch < 2; ch++) {
		for (unsigned i = 0; i < lookahead; i++)
			assert_true(output[ch][i] == 0.0f);
		assert_memory_equal(output[ch] + lookahead, input[ch],
		                    (LEN - lookahead) * sizeof(float));
	}
	assert_true(fx_dynamics_gain_reduction_db(fx) == 0.0);
	fx->ops->destroy(fx);
}

/* After a loud passage, quiet audio comes back unchanged once released. */
static void test_limiter_releases(void **state)
{
	struct fx *fx = create("{\"type\": \"limiter\", \"name\": \"l\","
	                       " \"ceiling_db\": -6, \"lookahead_ms\": 1,"
	                       " \"release_ms\": 20}");

	sine(0, 1.0, 1000, 0, 4800);
	sine(1, 1.0, 1000, 0, 4800);
	run(fx, 4800);
	assert_true(fabs(fx_dynamics_gain_reduction_db(fx) - 6.02) < 0.1);
	sine(0, 0.1, 1000, 4800, LEN);
	sine(1, 0.1, 1000, 4800, LEN);
	run_part(fx, 4800, LEN - 4800, MAX_FRAMES);
	/* 20 ms release: after 0.5 s the gain is back to 1 within 1e-9 */
	for (int i = 4800 + 24000; i < LEN; i++)
		assert_true(fabs(output[0][i] - input[0][i - 48]) < 1e-6);
	assert_true(fx_dynamics_gain_reduction_db(fx) < 1e-6);
	fx->ops->destroy(fx);
}

/* ---- compressor ------------------------------------------------------- */

static double curve_db(double level, double t, double ratio, double knee)
{
	double over = level - t;

	if (2 * over <= -knee)
		return 0.0;
	if (2 * fabs(over) <= knee)
		return (1 / ratio - 1) * (over + knee / 2) * (over + knee / 2) /
		       (2 * knee);
	return (1 / ratio - 1) * over;
}

/* Steady-state gain (dB) of fx for a 1 kHz tone of peak level_db. */
static double tone_gain_db(struct fx *fx, double level_db)
{
	double a = pow(10.0, level_db / 20.0);

	fx->ops->reset(fx);
	sine(0, a, 1000, 0, LEN);
	sine(1, a, 1000, 0, LEN);
	run(fx, LEN);
	return db_of(rms(output[0], LEN - 9600, LEN) /
	             rms(input[0], LEN - 9600, LEN));
}

static void check_static_curve(const char *block, bool rms_detection,
                               double makeup)
{
	static const double levels[] = { -40, -26, -23, -20, -18, -10, -3, 0 };
	struct fx *fx = create(block);
	const struct cfg_dynamics *d = &cfg.blocks[0].u.dynamics;
	double t = d->threshold_db, ratio = d->ratio, knee = d->knee_db;

	for (unsigned i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		double detected = levels[i] - (rms_detection ? 3.0103 : 0.0);
		double want = curve_db(detected, t, ratio, knee) + makeup;
		double got = tone_gain_db(fx, levels[i]);

		print_message("  %s tone %6.1f dBFS: gain %7.3f dB, curve %7.3f"
		              " dB\n", rms_detection ? "rms " : "peak", levels[i],
		              got, want);
		assert_true(fabs(got - want) < 0.1);
	}
	fx->ops->destroy(fx);
}

static void test_compressor_static_curve(void **state)
{
	check_static_curve("{\"type\": \"compressor\", \"name\": \"c\","
	                   " \"threshold_db\": -20, \"ratio\": 4, \"knee_db\": 6,"
	                   " \"attack_ms\": 0.1, \"release_ms\": 1000}", false, 0);
	check_static_curve("{\"type\": \"compressor\", \"name\": \"c\","
	                   " \"threshold_db\": -24, \"ratio\": 10, \"knee_db\": 0,"
	                   " \"attack_ms\": 0.1, \"release_ms\": 1000,"
	                   " \"makeup_gain_db\": 3}", false, 3);
	check_static_curve("{\"type\": \"compressor\", \"name\": \"c\","
	                   " \"threshold_db\": -20, \"ratio\": 3, \"knee_db\": 10,"
	                   " \"attack_ms\": 20, \"release_ms\": 200,"
	                   " \"detection\": \"rms\", \"rms_ms\": 20}", true, 0);
}

/* Gain (dB) applied at frame i of a constant input. */
static double gain_at(int i)
{
	return db_of(output[0][i] / input[0][i]);
}

static void test_compressor_time_constants(void **state)
{
	struct fx *fx = create("{\"type\": \"compressor\", \"name\": \"c\","
	                       " \"threshold_db\": -20, \"ratio\": 4,"
	                       " \"knee_db\": 0, \"attack_ms\": 10,"
	                       " \"release_ms\": 100}");
	const int step = 4800, back = 24000;
	const double target = -7.5;    /* -10 dBFS: 10 dB over, ratio 4 */
	double at_tau;

	for (int ch = 0; ch < 2; ch++)
		for (int i = 0; i < LEN; i++)
			input[ch][i] = (float)pow(10.0, (i >= step && i < back ?
			                                 -10.0 : -40.0) / 20.0);
	run(fx, LEN);
	assert_true(fabs(gain_at(step - 1)) < 1e-6);
	at_tau = gain_at(step + 480) / target;           /* 10 ms */
	print_message("  attack: %.1f %% of the reduction after 10 ms\n",
	              100 * at_tau);
	assert_true(fabs(at_tau - (1 - exp(-1.0))) < 0.02);
	assert_true(fabs(gain_at(back - 1) - target) < 0.01);
	at_tau = gain_at(back + 4800) / target;          /* 100 ms */
	print_message("  release: %.1f %% of the reduction left after 100 ms\n",
	              100 * at_tau);
	assert_true(fabs(at_tau - exp(-1.0)) < 0.02);
	fx->ops->destroy(fx);
}

static void test_compressor_link(void **state)
{
	static const char *const blocks[2] = {
		"{\"type\": \"compressor\", \"name\": \"c\", \"knee_db\": 0,"
		" \"threshold_db\": -20, \"ratio\": 4, \"link\": false}",
		"{\"type\": \"compressor\", \"name\": \"c\", \"knee_db\": 0,"
		" \"threshold_db\": -20, \"ratio\": 4}",
	};
	const double reduction = 0.75 * (20.0 + db_of(0.5));

	for (int linked = 0; linked < 2; linked++) {
		struct fx *fx = create(blocks[linked]);
		double quiet_gain, meter;

		for (int i = 0; i < LEN; i++) {
			input[0][i] = 0.5f;             /* -6 dBFS */
			input[1][i] = 0.01f;            /* -40 dBFS */
		}
		run(fx, LEN);
		quiet_gain = db_of(output[1][LEN - 1] / input[1][LEN - 1]);
		meter = fx_dynamics_gain_reduction_db(fx);
		/* 13.98 dB over at ratio 4 */
		assert_true(fabs(gain_at(LEN - 1) + reduction) < 0.001);
		assert_true(fabs(meter - reduction) < 0.001);
		if (linked)
			assert_true(fabs(quiet_gain + reduction) < 0.001);
		else
			assert_true(fabs(quiet_gain) < 1e-6);
		fx->ops->destroy(fx);
	}
}

/* ---- gate ------------------------------------------------------------- */

static void test_gate_closes_by_range(void **state)
{
	struct fx *fx = create("{\"type\": \"gate\", \"name\": \"g\","
	                       " \"threshold_db\": -40, \"range_db\": 30,"
	                       " \"attack_ms\": 0.5, \"hold_ms\": 10,"
	                       " \"release_ms\": 5}");
	const int loud_end = 9600, hold = 480;

	sine(0, 0.1, 1000, 0, loud_end);                 /* -20 dBFS */
	sine(0, 0.001, 1000, loud_end, LEN);             /* -60 dBFS */
	memcpy(input[1], input[0], sizeof(input[0]));
	run(fx, LEN);
	/* open: unchanged once the attack is over */
	for (int i = 480; i < loud_end; i++)
		assert_true(fabs(output[0][i] - input[0][i]) < 1e-6);
	/* held for hold_ms after the last loud sample (the last peak of the
	 * loud sine is a quarter period before its end) */
	for (int i = loud_end; i < loud_end + hold - 12; i++)
		assert_true(output[0][i] == input[0][i]);
	/* closed: range_db down */
	assert_true(fabs(db_of(rms(output[0], LEN - 4800, LEN) /
	                       rms(input[0], LEN - 4800, LEN)) + 30.0) < 0.01);
	assert_true(fabs(fx_dynamics_gain_reduction_db(fx) - 30.0) < 0.01);
	fx->ops->destroy(fx);
}

static void test_gate_reopens(void **state)
{
	struct fx *fx = create("{\"type\": \"gate\", \"name\": \"g\","
	                       " \"threshold_db\": -40, \"range_db\": 80,"
	                       " \"attack_ms\": 1, \"release_ms\": 10}");

	sine(0, 0.001, 1000, 0, 24000);
	sine(0, 0.1, 1000, 24000, LEN);
	memcpy(input[1], input[0], sizeof(input[0]));
	run(fx, LEN);
	assert_true(rms(output[0], 19200, 24000) < 0.001 * 1e-3);
	assert_true(fabs(db_of(rms(output[0], LEN - 4800, LEN) /
	                       rms(input[0], LEN - 4800, LEN))) < 1e-4);
	fx->ops->destroy(fx);
}

static void test_meter_of_other_blocks(void **state)
{
	struct fx *fx = create("{\"type\": \"delay\", \"name\": \"d\","
	                       " \"value\": 1}");

	assert_false(fx_is_dynamics(fx));
	assert_true(fx_dynamics_gain_reduction_db(fx) == 0.0);
	fx->ops->destroy(fx);
	fx = create("{\"type\": \"gate\", \"name\": \"g\"}");
	assert_true(fx_is_dynamics(fx));
	fx->ops->destroy(fx);
}

static void test_defaults(void **state)
{
	const struct cfg_dynamics *d = &cfg.blocks[0].u.dynamics;

	assert_int_equal(load("{\"type\": \"compressor\", \"name\": \"c\"}"), 0);
	assert_true(d->threshold_db == -20 && d->ratio == 4 && d->knee_db == 6);
	assert_true(d->attack_ms == 5 && d->release_ms == 100);
	assert_true(d->makeup_gain_db == 0 && d->rms_ms == 10);
	assert_true(d->detection == CFG_DETECT_PEAK && d->link);
	assert_int_equal(load("{\"type\": \"limiter\", \"name\": \"l\"}"), 0);
	assert_true(d->ceiling_db == -1 && d->lookahead_ms == 5 &&
	            d->release_ms == 50);
	assert_int_equal(load("{\"type\": \"gate\", \"name\": \"g\"}"), 0);
	assert_true(d->threshold_db == -60 && d->attack_ms == 1 &&
	            d->hold_ms == 50 && d->release_ms == 100 &&
	            d->range_db == 80);
}

/* ---- config errors ---------------------------------------------------- */

#define COMP(k) "{\"type\": \"compressor\", \"name\": \"c\", " k "}"
#define LIM(k) "{\"type\": \"limiter\", \"name\": \"l\", " k "}"
#define GATE(k) "{\"type\": \"gate\", \"name\": \"g\", " k "}"

struct error_case {
	const char *block;
	const char *needle;
};

static const struct error_case error_cases[] = {
	{ COMP("\"threshold_db\": 1"),
	  "/pipeline/0/threshold_db: must be a number between -150 and 0, got 1" },
	{ COMP("\"threshold_db\": \"-20\""),
	  "/pipeline/0/threshold_db: must be a number, got string" },
	{ COMP("\"ratio\": 0.5"),
	  "/pipeline/0/ratio: must be a number between 1 and 100, got 0.5" },
	{ COMP("\"attack_ms\": -1"),
	  "/pipeline/0/attack_ms: must be a number between 0 and 1000, got -1" },
	{ COMP("\"release_ms\": 0.5"),
	  "/pipeline/0/release_ms: must be a number between 1 and 10000" },
	{ COMP("\"knee_db\": 49"),
	  "/pipeline/0/knee_db: must be a number between 0 and 48, got 49" },
	{ COMP("\"makeup_gain_db\": 41"),
	  "/pipeline/0/makeup_gain_db: must be a number between -40 and 40" },
	{ COMP("\"detection\": \"average\""),
	  "/pipeline/0/detection: unknown value \"average\" (one of: peak, rms)" },
	{ COMP("\"rms_ms\": 0"),
	  "/pipeline/0/rms_ms: must be a number between 0.1 and 1000, got 0" },
	{ COMP("\"link\": \"yes\""),
	  "/pipeline/0/link: must be true or false, got string" },
	{ COMP("\"ceiling_db\": -1"),
	  "/pipeline/0/ceiling_db: unknown key (known: type, name, channels, bypass, "
	  "threshold_db, ratio, attack_ms, release_ms, knee_db, makeup_gain_db,"
	  " detection, rms_ms, link)" },
	{ LIM("\"ceiling_db\": 0.5"),
	  "/pipeline/0/ceiling_db: must be a number between -150 and 0, got 0.5" },
	{ LIM("\"lookahead_ms\": 0.05"),
	  "/pipeline/0/lookahead_ms: must be a number between 0.1 and 20, got 0.05" },
	{ LIM("\"lookahead_ms\": 21"),
	  "/pipeline/0/lookahead_ms: must be a number between 0.1 and 20, got 21" },
	{ LIM("\"release_ms\": null"),
	  "/pipeline/0/release_ms: must be a number, got null" },
	{ LIM("\"threshold_db\": -3"),
	  "/pipeline/0/threshold_db: unknown key (known: type, name, channels, bypass, "
	  "ceiling_db, lookahead_ms, release_ms)" },
	{ GATE("\"threshold_db\": -151"),
	  "/pipeline/0/threshold_db: must be a number between -150 and 0" },
	{ GATE("\"attack_ms\": 1001"),
	  "/pipeline/0/attack_ms: must be a number between 0 and 1000" },
	{ GATE("\"hold_ms\": -5"),
	  "/pipeline/0/hold_ms: must be a number between 0 and 10000, got -5" },
	{ GATE("\"release_ms\": 10001"),
	  "/pipeline/0/release_ms: must be a number between 1 and 10000" },
	{ GATE("\"range_db\": -80"),
	  "/pipeline/0/range_db: must be a number between 0 and 150, got -80" },
	{ GATE("\"ratio\": 2"),
	  "/pipeline/0/ratio: unknown key (known: type, name, channels, bypass, "
	  "threshold_db, attack_ms, hold_ms, release_ms, range_db)" },
	{ GATE("\"channels\": [2]"),
	  "/pipeline/0/channels/0: channel 2 does not exist" },
};

static void test_config_errors(void **state)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const struct error_case *c = &error_cases[i];

		if (load(c->block) != -EINVAL || errs.count != 1 ||
		    !strstr(errs.msg[0], c->needle)) {
			print_error("case %zu: %s\n  wanted: %s\n", i, c->block,
			            c->needle);
			bt_dump_errors();
			fail();
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limiter_never_exceeds_ceiling),
		cmocka_unit_test(test_limiter_quiet_is_bit_exact_after_lookahead),
		cmocka_unit_test(test_limiter_releases),
		cmocka_unit_test(test_compressor_static_curve),
		cmocka_unit_test(test_compressor_time_constants),
		cmocka_unit_test(test_compressor_link),
		cmocka_unit_test(test_gate_closes_by_range),
		cmocka_unit_test(test_gate_reopens),
		cmocka_unit_test(test_meter_of_other_blocks),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_config_errors),
	};

	return cmocka_run_group_tests_name("dynamics", tests, NULL, NULL);
}
