/* test_response_limits.c - pipeline.response's computation (response_job.h)
 * on a built pipeline: what it refuses (a block, channel, input or summed
 * channel the pipeline lacks; an answer over the client's output limit;
 * more work than one request may take) with the field named, and what it
 * gives (channels with their inputs, no path as no curve, a sum, one
 * block's curves, the level-dependent blocks) in its JSON.
 * Single-threaded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "block_test.h"
#include "pipeline.h"
#include "response_job.h"

static struct pipeline *p;
static struct resp_query q;

static int setup(void **state)
{
	char err[256] = "";

	(void)state;
	if (bt_load(48000, 2, 3,
	            "{\"type\":\"fir\",\"name\":\"f\",\"values\":[1,0.5,0.25],\"channels\":[0]},"
	            "{\"type\":\"compressor\",\"name\":\"comp\",\"makeup_gain_db\":2},"
	            "{\"type\":\"mixer\",\"name\":\"m\",\"channels_in\":2,\"channels_out\":3,"
	            "\"routes\":[{\"in\":0,\"out\":0},{\"in\":1,\"out\":1},{\"in\":0,\"out\":1}]}") != 0)
		bt_dump_errors();
	assert_int_equal(errs.count, 0);
	if (pipeline_build_for(&cfg, NULL, &p, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pipeline_free(p);
	return 0;
}

static void reset_query(void)
{
	memset(&q, 0, sizeof(q));
	q.rate = 48000;
	q.n = 10;
	for (size_t i = 0; i < q.n; i++)
		q.freqs[i] = 100.0 * (i + 1);
	q.channel = q.input = -1;
	q.max_points = 100000;
}

static void expect_refused(int want_r, const char *field)
{
	struct resp_result res;
	struct rpc_error err = { 0 };

	assert_int_equal(resp_compute(p, &q, &res, &err), want_r);
	assert_int_equal(err.code, RPC_INVALID_PARAMS);
	assert_string_equal(err.field, field);
	resp_result_free(&res);
}

static void test_refusals(void **state)
{
	(void)state;
	reset_query();
	snprintf(q.block, sizeof(q.block), "nope");
	expect_refused(-ENOENT, "block");
	reset_query();
	q.channel = 3;
	expect_refused(-EINVAL, "channel");
	reset_query();
	q.input = 2;
	expect_refused(-EINVAL, "input");
	reset_query();
	q.sum[q.n_sum++] = 0;
	q.sum[q.n_sum++] = 5;
	expect_refused(-EINVAL, "sum");
	reset_query();
	q.blocks = true;
	q.max_points = 3 * q.n;            /* 3 outputs fit, their blocks not */
	expect_refused(-E2BIG, "points");
	reset_query();
	q.max_points = 3 * q.n;
	{
		struct resp_result res;
		struct rpc_error err = { 0 };

		assert_int_equal(resp_compute(p, &q, &res, &err), 0);
		resp_result_free(&res);
	}
}

static json_object *get(json_object *o, const char *key)
{
	json_object *v = NULL;

	assert_true(json_object_object_get_ex(o, key, &v));
	return v;
}

static void test_answer(void **state)
{
	struct resp_result res;
	struct rpc_error err = { 0 };
	json_object *o, *chs, *c2;

	(void)state;
	reset_query();
	q.sum[q.n_sum++] = 0;
	q.sum[q.n_sum++] = 1;
	assert_int_equal(resp_compute(p, &q, &res, &err), 0);
	o = resp_json(&q, &res);
	chs = get(o, "channels");
	assert_int_equal(json_object_array_length(chs), 3);
	/* output 1 hears both inputs; output 2 nothing: nulls */
	assert_int_equal(json_object_array_length(get(json_object_array_get_idx(chs, 1), "inputs")), 2);
	c2 = json_object_array_get_idx(chs, 2);
	assert_int_equal(json_object_array_length(get(c2, "inputs")), 0);
	assert_null(json_object_array_get_idx(get(c2, "db"), 0));
	/* output 0 at 100 Hz: the FIR 1 + 0.5 z^-1 + 0.25 z^-2, then 2 dB */
	{
		double w = 2 * M_PI * 100 / 48000;
		double complex hh = (1 + 0.5 * cexp(-I * w) + 0.25 * cexp(-2 * I * w)) *
		                    (float)pow(10, 2 / 20.0);
		double got = json_object_get_double(json_object_array_get_idx(
			get(json_object_array_get_idx(chs, 0), "db"), 0));

		assert_true(fabs(got - 20 * log10(cabs(hh))) < 1e-5);
	}
	assert_non_null(get(o, "sum"));
	assert_int_equal(json_object_array_length(get(o, "level_dependent")), 1);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(
		get(o, "level_dependent"), 0)), "comp");
	assert_false(json_object_object_get_ex(o, "blocks", NULL));
	json_object_put(o);
	resp_result_free(&res);
	/* one block: its own channels only */
	reset_query();
	snprintf(q.block, sizeof(q.block), "f");
	assert_int_equal(resp_compute(p, &q, &res, &err), 0);
	o = resp_json(&q, &res);
	assert_int_equal(json_object_array_length(get(o, "channels")), 1);
	assert_int_equal(json_object_array_length(get(o, "blocks")), 1);
	json_object_put(o);
	resp_result_free(&res);
}

/* Without a mixer the pipeline runs on the larger of capture and playback:
 * a playback channel no capture channel feeds has no path. */
static void test_uncaptured_channels_carry_nothing(void **state)
{
	struct pipeline *p2 = NULL;
	struct resp_result res;
	struct rpc_error err = { 0 };
	char why[256] = "";

	(void)state;
	if (bt_load(48000, 1, 2, "{\"type\":\"gain\",\"name\":\"g\",\"db\":-2}") != 0)
		bt_dump_errors();
	assert_int_equal(errs.count, 0);
	if (pipeline_build_for(&cfg, NULL, &p2, why, sizeof(why)) != 0)
		fail_msg("%s", why);
	assert_int_equal(p2->channels_in, 2);
	reset_query();
	q.capture_channels = 1;
	assert_int_equal(resp_compute(p2, &q, &res, &err), 0);
	assert_int_equal(res.n_channels, 2);
	assert_int_equal(res.channels[0].inputs, 1);
	assert_non_null(res.channels[0].h);
	assert_int_equal(res.channels[1].inputs, 0);
	assert_null(res.channels[1].h);
	resp_result_free(&res);
	q.input = 1;                      /* not captured */
	assert_int_equal(resp_compute(p2, &q, &res, &err), -EINVAL);
	assert_string_equal(err.field, "input");
	resp_result_free(&res);
	pipeline_free(p2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_uncaptured_channels_carry_nothing),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
