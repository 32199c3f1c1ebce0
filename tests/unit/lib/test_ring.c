/* test_ring.c - the SPSC ring: ordering, full/empty edges, index wrap, and
 * two real threads pushing and popping a million records (run under TSan by
 * `make unit-tsan`). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>

#include "ring.h"

struct rec {
	uint64_t seq;
	uint64_t check;
};

static void test_capacity_rounds_up_and_fills(void **state)
{
	struct ring r;
	struct rec x = { 0, 0 };
	unsigned pushed = 0;

	assert_int_equal(ring_init(&r, sizeof(struct rec), 5), 0);
	while (ring_push(&r, &x))
		x.seq = ++pushed;
	assert_int_equal(pushed, 8);           /* 5 rounded up to 8 */
	assert_int_equal(ring_used(&r), 8);
	for (unsigned i = 0; i < 8; i++) {
		assert_true(ring_pop(&r, &x));
		assert_int_equal(x.seq, i);
	}
	assert_false(ring_pop(&r, &x));
	ring_free(&r);
}

static void test_rejects_bad_sizes(void **state)
{
	struct ring r;

	assert_int_equal(ring_init(&r, 0, 8), -EINVAL);
	assert_int_equal(ring_init(&r, 8, 0), -EINVAL);
	assert_int_equal(ring_init(&r, 8, (1u << 24) + 1), -EINVAL);
}

static void test_indices_wrap_past_2_32(void **state)
{
	struct ring r;
	struct rec x;

	assert_int_equal(ring_init(&r, sizeof(struct rec), 4), 0);
	atomic_store(&r.write_index, UINT32_MAX - 1);
	atomic_store(&r.read_index, UINT32_MAX - 1);
	for (uint64_t i = 0; i < 4; i++) {
		x.seq = i;
		assert_true(ring_push(&r, &x));
	}
	assert_false(ring_push(&r, &x));        /* full across the wrap */
	for (uint64_t i = 0; i < 4; i++) {
		assert_true(ring_pop(&r, &x));
		assert_int_equal(x.seq, i);
	}
	assert_false(ring_pop(&r, &x));
	ring_free(&r);
}

#define N_RECORDS 1000000u

static void *producer(void *arg)
{
	struct ring *r = arg;
	struct rec x;

	for (uint64_t i = 0; i < N_RECORDS; i++) {
		x.seq = i;
		x.check = i * 2654435761u;
		while (!ring_push(r, &x))
			sched_yield();
	}
	return NULL;
}

static void test_two_threads_lose_nothing(void **state)
{
	struct ring r;
	pthread_t t;
	struct rec x;
	uint64_t expected = 0;

	assert_int_equal(ring_init(&r, sizeof(struct rec), 64), 0);
	assert_int_equal(pthread_create(&t, NULL, producer, &r), 0);
	while (expected < N_RECORDS) {
		if (!ring_pop(&r, &x)) {
			sched_yield();
			continue;
		}
		assert_int_equal(x.seq, expected);
		assert_int_equal(x.check, expected * 2654435761u);
		expected++;
	}
	pthread_join(t, NULL);
	assert_false(ring_pop(&r, &x));
	ring_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capacity_rounds_up_and_fills),
		cmocka_unit_test(test_rejects_bad_sizes),
		cmocka_unit_test(test_indices_wrap_past_2_32),
		cmocka_unit_test(test_two_threads_lose_nothing),
	};

	return cmocka_run_group_tests_name("ring", tests, NULL, NULL);
}
