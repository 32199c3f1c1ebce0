/* test_delay_pair.c - the clocks' loop reads both devices' delays as a
 * bracketed pair: a preemption between the two reads (injected as a jump
 * of the clock and of the playback position) is detected and the pair read
 * again; a measurement is never lost; errors pass through. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <stdlib.h>

#include "delay_pair.h"

/* A simulated pair of devices at 48 kHz whose positions move with a fake
 * clock: the playback drains, the capture fills, so the true L (their
 * sum) is constant at 1000 + 200.  Each call costs 2 us; a "preemption"
 * scheduled at call n adds stall_ns before that call. */
struct sim {
	uint64_t now;
	unsigned calls;
	unsigned stall_at[4];
	unsigned stalls;
	uint64_t stall_ns;
	int fail_which;
};

static int64_t frames_at(uint64_t ns)
{
	return (int64_t)(ns * 48 / 1000000);
}

static void tick(struct sim *s)
{
	s->calls++;
	for (unsigned i = 0; i < s->stalls; i++)
		if (s->stall_at[i] == s->calls)
			s->now += s->stall_ns;
	s->now += 2000;
}

static int sim_read(void *ctx, int which, int64_t *ret)
{
	struct sim *s = ctx;

	tick(s);
	if (which == s->fail_which)
		return -EPIPE;
	*ret = which == 0 ? 1000 - frames_at(s->now) : 200 + frames_at(s->now);
	return 0;
}

static uint64_t sim_now(void *ctx)
{
	struct sim *s = ctx;

	return s->now;
}

static void test_quiet_pair_is_clean_at_once(void **state)
{
	struct sim s = { .now = 0, .fail_which = -1 };
	const struct delay_reader r = { sim_read, sim_now, &s };
	struct delay_pair p;

	assert_int_equal(delay_pair_read(&r, DELAY_PAIR_MAX_NS, DELAY_PAIR_MAX_DRIFT, &p), 0);
	assert_true(p.clean);
	assert_int_equal(p.tries, 1);
	assert_true(p.bracket_ns <= 10000);
	/* within a frame of the true sum */
	assert_true(llabs(p.playback + p.capture - 1200) <= 1);
}

/* Preempted for 1 ms between A and B: B is read 48 frames later than A,
 * L unbracketed would be 48 frames high.  The pair is read again. */
static void test_preemption_between_reads_is_retried(void **state)
{
	struct sim s = { .fail_which = -1, .stall_at = { 2 }, .stalls = 1,
	                 .stall_ns = 1000000 };
	const struct delay_reader r = { sim_read, sim_now, &s };
	struct delay_pair p;
	int64_t naive_a, naive_b;
	struct sim naive = s;

	/* what two plain reads would give */
	assert_int_equal(sim_read(&naive, 0, &naive_a), 0);
	assert_int_equal(sim_read(&naive, 1, &naive_b), 0);
	assert_true(naive_a + naive_b - 1200 >= 40);

	assert_int_equal(delay_pair_read(&r, DELAY_PAIR_MAX_NS, DELAY_PAIR_MAX_DRIFT, &p), 0);
	assert_true(p.clean);
	assert_int_equal(p.tries, 2);
	assert_true(llabs(p.playback + p.capture - 1200) <= 1);
}

/* Preempted in every bracket: the tightest one is kept, not clean; a
 * device call that is itself slow (all brackets wide) still measures. */
static void test_every_try_preempted_keeps_the_tightest(void **state)
{
	struct sim s = { .fail_which = -1, .stall_at = { 2, 5, 8 }, .stalls = 3,
	                 .stall_ns = 1000000 };
	const struct delay_reader r = { sim_read, sim_now, &s };
	struct delay_pair p;

	s.stall_at[1] = 6;  /* the second try stalls before its A' */
	assert_int_equal(delay_pair_read(&r, DELAY_PAIR_MAX_NS, DELAY_PAIR_MAX_DRIFT, &p), 0);
	assert_false(p.clean);
	assert_int_equal(p.tries, DELAY_PAIR_TRIES);
	assert_true(p.bracket_ns >= 1000000 && p.bracket_ns < 1100000);
	/* the mean of A and A' halves the error of the stalled bracket */
	assert_true(llabs(p.playback + p.capture - 1200) <= 26);
}

static void test_error_passes_through(void **state)
{
	struct sim s = { .fail_which = 1 };
	const struct delay_reader r = { sim_read, sim_now, &s };
	struct delay_pair p;

	assert_int_equal(delay_pair_read(&r, DELAY_PAIR_MAX_NS, DELAY_PAIR_MAX_DRIFT, &p), -EPIPE);
}

/* A playback position that moves more than max_drift inside a short
 * bracket (a period boundary passed) is not clean either. */
static int jumpy_read(void *ctx, int which, int64_t *ret)
{
	struct sim *s = ctx;

	tick(s);
	*ret = which == 0 ? (s->calls == 3 ? 700 : 1000) : 200;
	return 0;
}

static void test_position_jump_in_bracket_is_retried(void **state)
{
	struct sim s = { .fail_which = -1 };
	const struct delay_reader r = { jumpy_read, sim_now, &s };
	struct delay_pair p;

	assert_int_equal(delay_pair_read(&r, DELAY_PAIR_MAX_NS, DELAY_PAIR_MAX_DRIFT, &p), 0);
	assert_true(p.clean);
	assert_int_equal(p.tries, 2);
	assert_int_equal(p.playback, 1000);
	assert_int_equal(p.capture, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_pair_is_clean_at_once),
		cmocka_unit_test(test_preemption_between_reads_is_retried),
		cmocka_unit_test(test_every_try_preempted_keeps_the_tightest),
		cmocka_unit_test(test_error_passes_through),
		cmocka_unit_test(test_position_jump_in_bracket_is_retried),
	};

	return cmocka_run_group_tests_name("delay_pair", tests, NULL, NULL);
}
