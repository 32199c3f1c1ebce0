/* delay_pair.c - both devices' delays as one bracketed measurement (see
 * delay_pair.h).  RT thread: arithmetic and the reader's callbacks only. */
#include "delay_pair.h"

#include <stdlib.h>

int delay_pair_read(const struct delay_reader *r, uint64_t max_ns,
                    int64_t max_drift, struct delay_pair *ret)
{
	bool have = false;

	for (unsigned t = 1; t <= DELAY_PAIR_TRIES; t++) {
		int64_t a, b, a2;
		uint64_t t0, t1;
		int err;

		t0 = r->now_ns(r->ctx);
		if ((err = r->read(r->ctx, 0, &a)) < 0 ||
		    (err = r->read(r->ctx, 1, &b)) < 0 ||
		    (err = r->read(r->ctx, 0, &a2)) < 0)
			return err;
		t1 = r->now_ns(r->ctx);
		if (!have || t1 - t0 < ret->bracket_ns) {
			ret->playback = a + (a2 - a) / 2;
			ret->capture = b;
			ret->bracket_ns = t1 - t0;
			have = true;
		}
		ret->tries = t;
		ret->clean = t1 - t0 <= max_ns && llabs(a2 - a) <= max_drift;
		if (ret->clean) {
			ret->playback = a + (a2 - a) / 2;
			ret->capture = b;
			ret->bracket_ns = t1 - t0;
			return 0;
		}
	}
	return 0;
}
