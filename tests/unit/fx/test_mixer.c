/* test_mixer.c - the "mixer" block: routing matrices with gains and
 * inversion, summing, silence for unrouted outputs, outputs that overwrite
 * inputs, the channel count through a pipeline built from a config, and
 * the config and constructor errors.  Single-threaded. */
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
#include "gain.h"
#include "pipeline.h"

#define RATE 48000
#define FRAMES 256

static float rows[FX_MAX_CHANNELS][FRAMES];
static float *bufs[FX_MAX_CHANNELS];
static float in[2][FRAMES];

static int load(unsigned capture, unsigned playback, const char *blocks)
{
	return bt_load(RATE, capture, playback, blocks);
}

static struct fx *create(unsigned channels, const char *block)
{
	return bt_create(RATE, FRAMES, channels, 4, block, NULL);
}

/* Random input on rows 0 and 1 (kept in in[]); other rows hold junk that
 * a mixer must overwrite or ignore. */
static void fill_input(void)
{
	for (int ch = 0; ch < FX_MAX_CHANNELS; ch++) {
		bufs[ch] = rows[ch];
		for (int i = 0; i < FRAMES; i++)
			rows[ch][i] = 1234.5f;
	}
	for (int ch = 0; ch < 2; ch++)
		for (int i = 0; i < FRAMES; i++)
			rows[ch][i] = in[ch][i] = (float)(random() % 20001 - 10000) / 10000.0f;
}

static float db(double d)
{
	return (float)gain_db_to_linear(d);
}

static void test_two_to_four(void **state)
{
	struct fx *fx = create(2, "{\"type\": \"mixer\", \"name\": \"m\","
	        " \"channels_in\": 2, \"channels_out\": 4, \"routes\": ["
	        " {\"out\": 0, \"in\": 0},"
	        " {\"out\": 1, \"in\": 1, \"gain_db\": -6},"
	        " {\"out\": 2, \"in\": 0, \"invert\": true},"
	        " {\"out\": 1, \"in\": 0, \"gain_db\": -12, \"invert\": true}]}");

	assert_int_equal(fx->channels_in, 2);
	assert_int_equal(fx->channels_out, 4);
	assert_int_equal(fx->latency_frames, 0);
	fill_input();
	fx->ops->process(fx, bufs, FRAMES);
	/* a single 0 dB route is a bit-exact copy */
	assert_memory_equal(rows[0], in[0], sizeof(in[0]));
	for (int i = 0; i < FRAMES; i++) {
		float sum = db(-6.0) * in[1][i];

		sum += -db(-12.0) * in[0][i];
		assert_true(rows[1][i] == sum);
		assert_true(rows[2][i] == -in[0][i]);
		assert_true(rows[3][i] == 0.0f);        /* no route: silence */
	}
	fx->ops->destroy(fx);
}

/* Outputs overwrite rows that are other outputs' inputs. */
static void test_swap_and_sum(void **state)
{
	struct fx *fx = create(2, "{\"type\": \"mixer\", \"name\": \"m\","
	        " \"channels_in\": 2, \"channels_out\": 2, \"routes\": ["
	        " {\"out\": 1, \"in\": 0}, {\"out\": 0, \"in\": 1},"
	        " {\"out\": 1, \"in\": 1, \"gain_db\": -20}]}");

	fill_input();
	fx->ops->process(fx, bufs, FRAMES);
	for (int i = 0; i < FRAMES; i++) {
		float sum = in[0][i];

		sum += db(-20.0) * in[1][i];
		assert_true(rows[0][i] == in[1][i]);
		assert_true(rows[1][i] == sum);
	}
	fx->ops->destroy(fx);
}

static void test_down_to_mono(void **state)
{
	struct fx *fx = create(2, "{\"type\": \"mixer\", \"name\": \"m\","
	        " \"channels_in\": 2, \"channels_out\": 1, \"routes\": ["
	        " {\"out\": 0, \"in\": 0, \"gain_db\": -6.0206},"
	        " {\"out\": 0, \"in\": 1, \"gain_db\": -6.0206}]}");

	assert_int_equal(fx->channels_out, 1);
	fill_input();
	fx->ops->process(fx, bufs, FRAMES);
	for (int i = 0; i < FRAMES; i++)
		assert_true(fabsf(rows[0][i] - 0.5f * (in[0][i] + in[1][i])) < 1e-5f);
	/* rows past channels_out are not the mixer's */
	assert_true(rows[1][0] == in[1][0]);
	fx->ops->destroy(fx);
}

/* A pipeline from a config: the channel count changes at the mixer and
 * the blocks after it see four channels. */
static void test_pipeline_channel_count(void **state)
{
	struct pipeline *p = NULL;
	char err[256] = "";

	if (load(2, 4, "{\"type\": \"gain\", \"name\": \"pre\", \"db\": -6},"
	         "{\"type\": \"mixer\", \"name\": \"split\", \"channels_in\": 2,"
	         " \"channels_out\": 4, \"routes\": ["
	         " {\"out\": 0, \"in\": 0}, {\"out\": 1, \"in\": 1},"
	         " {\"out\": 2, \"in\": 0}, {\"out\": 3, \"in\": 1}]},"
	         "{\"type\": \"delay\", \"name\": \"tweeters\", \"value\": 3,"
	         " \"unit\": \"samples\", \"channels\": [2, 3]}") != 0)
		bt_dump_errors();
	assert_int_equal(errs.count, 0);
	if (pipeline_build(&cfg, 2, FRAMES, NULL, &p, err, sizeof(err)) != 0)
		print_error("pipeline_build: %s\n", err);
	assert_non_null(p);
	assert_int_equal(p->channels_in, 2);
	assert_int_equal(p->channels_out, 4);
	assert_int_equal(p->fx[1]->channels_out, 4);
	assert_int_equal(p->fx[2]->channels_in, 4);
	assert_int_equal(p->fx[2]->channel_mask, 0xc);
	fill_input();
	pipeline_process(p, bufs, FRAMES);
	for (int i = 0; i < FRAMES; i++) {
		float pre0 = db(-6.0) * in[0][i], pre1 = db(-6.0) * in[1][i];

		assert_true(rows[0][i] == pre0 && rows[1][i] == pre1);
		if (i + 3 < FRAMES) {
			assert_true(rows[2][i + 3] == pre0);
			assert_true(rows[3][i + 3] == pre1);
		}
	}
	assert_int_equal(pipeline_resets(p), 0);
	pipeline_free(p);
}

static void test_channels_in_must_match(void **state)
{
	struct pipeline *p = NULL;
	char err[256] = "";

	assert_int_equal(load(2, 4, "{\"type\": \"mixer\", \"name\": \"m\","
	                 " \"channels_in\": 3, \"channels_out\": 4, \"routes\":"
	                 " [{\"out\": 0, \"in\": 2}]}"), 0);
	assert_int_equal(pipeline_build(&cfg, 2, FRAMES, NULL, &p, err, sizeof(err)),
	                 -EINVAL);
	assert_null(p);
	assert_non_null(strstr(err, "block \"m\": channels_in is 3, but 2 "
	                       "channels reach the mixer"));
	/* after another mixer, the count that reaches it is that mixer's */
	assert_int_equal(load(2, 4, "{\"type\": \"mixer\", \"name\": \"a\","
	                 " \"channels_in\": 2, \"channels_out\": 3, \"routes\":"
	                 " [{\"out\": 2, \"in\": 1}]},"
	                 "{\"type\": \"mixer\", \"name\": \"b\","
	                 " \"channels_in\": 3, \"channels_out\": 4, \"routes\":"
	                 " [{\"out\": 3, \"in\": 2}]}"), 0);
	assert_int_equal(pipeline_build(&cfg, 2, FRAMES, NULL, &p, err, sizeof(err)), 0);
	assert_int_equal(p->channels_out, 4);
	pipeline_free(p);
}

static void test_config_values(void **state)
{
	const struct cfg_mixer *m = &cfg.blocks[0].u.mixer;

	assert_int_equal(load(2, 2, "{\"type\": \"mixer\", \"name\": \"m\","
	                 " \"channels_in\": 2, \"channels_out\": 2, \"routes\":"
	                 " [{\"out\": 1, \"in\": 0, \"gain_db\": -3.5,"
	                 " \"invert\": true}, {\"out\": 0, \"in\": 1}]}"), 0);
	assert_int_equal(cfg.blocks[0].type, CFG_BLOCK_MIXER);
	assert_int_equal(m->n_routes, 2);
	assert_int_equal(m->routes[0].out, 1);
	assert_int_equal(m->routes[0].in, 0);
	assert_true(m->routes[0].gain_db == -3.5f);
	assert_true(m->routes[0].invert);
	assert_true(m->routes[1].gain_db == 0.0f && !m->routes[1].invert);
}

/* ---- config errors ---------------------------------------------------- */

#define MIX(keys) "{\"type\": \"mixer\", \"name\": \"m\", " keys "}"
#define ROUTE00 "\"routes\": [{\"out\": 0, \"in\": 0}]"

struct error_case {
	const char *block;
	const char *needles[3];
};

static const struct error_case error_cases[] = {
	{ MIX("\"channels_out\": 2, " ROUTE00),
	  { "/pipeline/0: missing required key \"channels_in\"" } },
	{ MIX("\"channels_in\": 2, " ROUTE00),
	  { "/pipeline/0: missing required key \"channels_out\"" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2"),
	  { "/pipeline/0: missing required key \"routes\"" } },
	{ MIX("\"channels_in\": 0, \"channels_out\": 2, " ROUTE00),
	  { "/pipeline/0/channels_in: must be an integer between 1 and 32, got 0" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 33, " ROUTE00),
	  { "/pipeline/0/channels_out: must be an integer between 1 and 32, got 33" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 1.5, " ROUTE00),
	  { "/pipeline/0/channels_out: must be an integer, got 1.5" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2, \"routes\": {}"),
	  { "/pipeline/0/routes: must be an array of routes", "got object" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2, \"routes\": []"),
	  { "/pipeline/0/routes: has 0 routes, 1 to 128 are allowed" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2, \"routes\": [3]"),
	  { "/pipeline/0/routes/0: must be an object, got number" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2, \"routes\": [{\"in\": 0}]"),
	  { "/pipeline/0/routes/0: missing required key \"out\"" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2, \"routes\": [{\"out\": 0}]"),
	  { "/pipeline/0/routes/0: missing required key \"in\"" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2, \"routes\":"
	      " [{\"out\": 0, \"in\": 0}, {\"out\": 2, \"in\": 1}]"),
	  { "/pipeline/0/routes/1/out: output 2 does not exist: channels_out is 2" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2, \"routes\":"
	      " [{\"out\": 0, \"in\": 5}]"),
	  { "/pipeline/0/routes/0/in: input 5 does not exist: channels_in is 2" } },
	/* the counts after the routes */
	{ MIX("\"routes\": [{\"out\": 0, \"in\": 0}, {\"out\": 3, \"in\": 1}],"
	      " \"channels_in\": 2, \"channels_out\": 3"),
	  { "/pipeline/0/channels_out: is 3, but routes/1 uses output 3" } },
	{ MIX("\"routes\": [{\"out\": 0, \"in\": 1}], \"channels_in\": 1,"
	      " \"channels_out\": 3"),
	  { "/pipeline/0/channels_in: is 1, but routes/0 uses input 1" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2, \"routes\":"
	      " [{\"out\": 1, \"in\": 0}, {\"out\": 0, \"in\": 0},"
	      " {\"out\": 1, \"in\": 0, \"gain_db\": -3}]"),
	  { "/pipeline/0/routes/2: route from input 0 to output 1 is given twice",
	    "first at routes/0" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2, \"routes\":"
	      " [{\"out\": -1, \"in\": 0}]"),
	  { "/pipeline/0/routes/0/out: must be an integer between 0 and 31, got -1" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2, \"routes\":"
	      " [{\"out\": 0, \"in\": 0, \"gain_db\": 41}]"),
	  { "/pipeline/0/routes/0/gain_db: must be a number between -150 and 40" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2, \"routes\":"
	      " [{\"out\": 0, \"in\": 0, \"invert\": 1}]"),
	  { "/pipeline/0/routes/0/invert: must be true or false, got number" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2, \"routes\":"
	      " [{\"out\": 0, \"in\": 0, \"db\": 1}]"),
	  { "/pipeline/0/routes/0/db: unknown key",
	    "known: out, in, gain_db, invert" } },
	{ MIX("\"channels_in\": 2, \"channels_out\": 2, \"channels\": [0], "
	      ROUTE00),
	  { "/pipeline/0/channels: unknown key",
	    "known: type, name, channels_in, channels_out, routes" } },
};

static void expect_one_error(const char *block, const char *const *needles)
{
	if (load(2, 4, block) != -EINVAL || errs.count != 1) {
		print_error("for: %s\n", block);
		bt_dump_errors();
		fail();
	}
	for (int k = 0; k < 3 && needles[k]; k++)
		if (!strstr(errs.msg[0], needles[k])) {
			print_error("lacks \"%s\"\n", needles[k]);
			bt_dump_errors();
			fail();
		}
}

static void test_config_errors(void **state)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++)
		expect_one_error(error_cases[i].block, error_cases[i].needles);
}

static void test_too_many_routes(void **state)
{
	static char block[12000];
	const char *const needles[] = { "/pipeline/0/routes: has 129 routes",
	                                NULL, NULL };
	size_t len;

	len = (size_t)snprintf(block, sizeof(block), "{\"type\": \"mixer\","
	                       " \"name\": \"m\", \"channels_in\": 32,"
	                       " \"channels_out\": 32, \"routes\": [");
	for (int i = 0; i < 129; i++)
		len += (size_t)snprintf(block + len, sizeof(block) - len,
		                        "%s{\"out\": %d, \"in\": %d}",
		                        i ? ", " : "", i % 32, i / 32);
	snprintf(block + len, sizeof(block) - len, "]}");
	expect_one_error(block, needles);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_to_four),
		cmocka_unit_test(test_swap_and_sum),
		cmocka_unit_test(test_down_to_mono),
		cmocka_unit_test(test_pipeline_channel_count),
		cmocka_unit_test(test_channels_in_must_match),
		cmocka_unit_test(test_config_values),
		cmocka_unit_test(test_config_errors),
		cmocka_unit_test(test_too_many_routes),
	};

	return cmocka_run_group_tests_name("mixer", tests, NULL, NULL);
}
