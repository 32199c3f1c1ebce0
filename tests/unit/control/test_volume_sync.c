/* test_volume_sync.c - the pure half of the volume link (volume_sync.c):
 * the element's dB to a gain under the ceiling, the ceiling's refuse or
 * clamp, and the no-echo rule against a simulated element with a 0.5 dB
 * DB_SCALE from -60 dB: our own write's event changes nothing, the gain
 * is never quantized by its own echo, and 1000 alternating writes from
 * both sides (events delivered late, as a real device does) end
 * consistent with no write or gain change left bouncing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "volume_sync.h"

#define MUTE_DB (-9999.0)
#define EL_MAX 120                      /* -60..0 dB in 0.5 dB steps */

static double el_db(long v) { return -60.0 + 0.5 * (double)v; }

static long el_nearest(double db)
{
	long v = lround((db + 60.0) / 0.5);

	return v < 0 ? 0 : v > EL_MAX ? EL_MAX : v;
}

/* the simulated world: element, engine gain, pending element events */
struct world {
	struct vsync s;
	long element;
	double gain;
	int pending;                    /* element events not read yet */
	unsigned writes, follows;
	double max_db;
};

static void set_gain_request(struct world *w, double db)      /* gain.set */
{
	w->gain = db > w->max_db ? w->max_db : db;
	if (vsync_gain_changed(&w->s, w->gain, el_nearest(w->gain))) {
		w->element = w->s.elem_value;
		w->pending++;           /* our write makes an event too */
		w->writes++;
	}
}

static void player_writes(struct world *w, long v)
{
	w->element = v;
	w->pending++;
}

static void read_events(struct world *w)
{
	if (!w->pending)
		return;
	w->pending = 0;                 /* merged: one read of the current value */
	if (vsync_element_changed(&w->s, w->element)) {
		w->gain = vsync_gain_for(el_db(w->element), MUTE_DB, -150.0, w->max_db);
		vsync_gain_set(&w->s, w->gain, false);
		w->follows++;
	}
}

static void world_init(struct world *w, long element, double gain, double max_db)
{
	*w = (struct world){ .element = element, .gain = gain, .max_db = max_db };
	vsync_init(&w->s, element, gain, false);
}

static void test_gain_for(void **state)
{
	assert_true(vsync_gain_for(-20.0, MUTE_DB, -150.0, 40.0) == -20.0);
	assert_true(vsync_gain_for(MUTE_DB, MUTE_DB, -150.0, 40.0) == -150.0);
	assert_true(vsync_gain_for(-200.0, MUTE_DB, -150.0, 40.0) == -150.0);
	/* the element above the ceiling: the gain stops at it */
	assert_true(vsync_gain_for(6.0, MUTE_DB, -150.0, 0.0) == 0.0);
	assert_true(vsync_gain_for(-3.0, MUTE_DB, -150.0, -6.0) == -6.0);
}

static void test_ceiling(void **state)
{
	double out;

	assert_int_equal(vsync_ceiling(-3.0, 0.0, false, &out), 0);
	assert_true(out == -3.0);
	assert_int_equal(vsync_ceiling(0.0, 0.0, false, &out), 0);
	assert_int_equal(vsync_ceiling(0.5, 0.0, false, &out), -ERANGE);
	assert_int_equal(vsync_ceiling(6.0, 0.0, true, &out), 1);
	assert_true(out == 0.0);
}

/* Our own write's event does not come back: the gain stays unquantized. */
static void test_no_echo(void **state)
{
	struct world w;

	world_init(&w, el_nearest(-20.0), -20.0, 40.0);
	set_gain_request(&w, -12.3);
	assert_int_equal(w.writes, 1);
	assert_int_equal(w.element, el_nearest(-12.3));
	read_events(&w);
	assert_int_equal(w.follows, 0);
	assert_true(w.gain == -12.3);   /* not -12.5 or -12.0 */
	/* a gain whose nearest value is the element's: no write at all */
	set_gain_request(&w, -12.4);
	assert_int_equal(w.writes, 1);
	assert_int_equal(w.pending, 0);
}

/* A player's write reaches the gain, and is not written back. */
static void test_follow(void **state)
{
	struct world w;

	world_init(&w, 0, -60.0, 40.0);
	player_writes(&w, 100);
	read_events(&w);
	assert_int_equal(w.follows, 1);
	assert_true(w.gain == -10.0);
	assert_int_equal(w.writes, 0);
	read_events(&w);                /* nothing more */
	assert_int_equal(w.follows, 1);
}

/* The ceiling: an element above it clamps the gain, nothing is written
 * back, and the next events change nothing. */
static void test_follow_ceiling(void **state)
{
	struct world w;

	world_init(&w, 0, -60.0, -6.0);
	player_writes(&w, EL_MAX);
	read_events(&w);
	assert_true(w.gain == -6.0);
	assert_int_equal(w.writes, 0);
	assert_int_equal(w.element, EL_MAX);
}

static void test_mute_switch(void **state)
{
	struct vsync s;

	vsync_init(&s, 0, -20.0, false);
	vsync_init_switch(&s, 1);
	assert_false(vsync_switch_changed(&s, 1));
	assert_true(vsync_switch_changed(&s, 0));       /* player mutes */
	assert_false(vsync_switch_changed(&s, 0));
	assert_true(vsync_mute_changed(&s, false));      /* we unmute: write 1 */
	assert_int_equal(s.switch_value, 1);
	assert_false(vsync_switch_changed(&s, 1));      /* its echo */
	assert_false(vsync_mute_changed(&s, false));
}

/* 1000 alternating writes, events read late or at once at random: at
 * the end the two sides agree and a further read changes nothing. */
static void test_alternating(void **state)
{
	struct world w;
	unsigned follows, writes;

	srand(17);
	world_init(&w, 60, -30.0, 40.0);
	for (int i = 0; i < 1000; i++) {
		if (i % 2)
			set_gain_request(&w, -60.0 + (rand() % 6100) / 100.0);
		else
			player_writes(&w, rand() % (EL_MAX + 1));
		if (rand() % 3 == 0)
			read_events(&w);
	}
	read_events(&w);
	assert_int_equal(el_nearest(w.gain), w.element);
	assert_int_equal(w.s.elem_value, w.element);
	follows = w.follows;
	writes = w.writes;
	for (int i = 0; i < 10; i++) {
		set_gain_request(&w, w.gain);   /* the tick sees the same gain */
		read_events(&w);
	}
	assert_int_equal(w.follows, follows);
	assert_int_equal(w.writes, writes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gain_for),
		cmocka_unit_test(test_ceiling),
		cmocka_unit_test(test_no_echo),
		cmocka_unit_test(test_follow),
		cmocka_unit_test(test_follow_ceiling),
		cmocka_unit_test(test_mute_switch),
		cmocka_unit_test(test_alternating),
	};

	return cmocka_run_group_tests_name("volume_sync", tests, NULL, NULL);
}
