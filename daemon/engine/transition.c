/* transition.c - the control side of the graph hand-over of transition.h:
 * creating the hand-over with its first graph, submitting new graphs,
 * collecting and freeing the ones the RT thread retired (transition_rt.c),
 * and the status.  Control thread only. */
#include "transition.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define RETIRED_CAPACITY 64

int transition_init(struct transition *t, struct pipeline *first,
                    unsigned channels_out, unsigned max_frames)
{
	size_t stride = ((size_t)max_frames + 15) & ~(size_t)15;
	int r;

	memset(t, 0, sizeof(*t));
	if (posix_memalign((void **)&t->shadow_mem, 64,
	                   stride * FX_MAX_CHANNELS * sizeof(float)) != 0)
		return -ENOMEM;
	memset(t->shadow_mem, 0, stride * FX_MAX_CHANNELS * sizeof(float));
	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++)
		t->shadow[ch] = t->shadow_mem + ch * stride;
	if ((r = ring_init(&t->retired, sizeof(struct pipeline *), RETIRED_CAPACITY)) < 0) {
		free(t->shadow_mem);
		t->shadow_mem = NULL;
		return r;
	}
	t->channels_out = channels_out;
	t->max_frames = max_frames;
	first->generation = t->next_generation = 1;
	t->active = t->latest = first;
	atomic_init(&t->pending, NULL);
	atomic_init(&t->active_generation, 1);
	atomic_init(&t->phase, TRANSITION_IDLE);
	return 0;
}

uint64_t transition_submit(struct transition *t, struct pipeline *p)
{
	struct pipeline *displaced;

	p->generation = ++t->next_generation;
	displaced = atomic_exchange_explicit(&t->pending, p, memory_order_acq_rel);
	/* the RT thread takes a graph only by swapping NULL in, so one still
	 * here was never touched by it */
	pipeline_free(displaced);
	t->latest = p;
	return p->generation;
}

unsigned transition_collect(struct transition *t)
{
	struct pipeline *p;
	unsigned n = 0;

	while (ring_pop(&t->retired, &p)) {
		pipeline_free(p);
		n++;
	}
	return n;
}

void transition_status(struct transition *t, struct transition_status *out)
{
	out->phase = atomic_load_explicit(&t->phase, memory_order_relaxed);
	out->pending = atomic_load_explicit(&t->pending, memory_order_relaxed) != NULL;
	out->active_generation = atomic_load_explicit(&t->active_generation,
	                                              memory_order_acquire);
	out->latest_generation = t->latest ? t->latest->generation : 0;
	out->completed = atomic_load_explicit(&t->completed, memory_order_relaxed);
	out->superseded = atomic_load_explicit(&t->superseded, memory_order_relaxed);
}

void transition_free(struct transition *t)
{
	transition_collect(t);
	pipeline_free(atomic_exchange(&t->pending, NULL));
	pipeline_free(t->incoming);
	pipeline_free(t->retiring);
	pipeline_free(t->active);
	ring_free(&t->retired);
	free(t->shadow_mem);
	memset(t, 0, sizeof(*t));
}
