/* transition_rt.c - the RT side of the graph hand-over of transition.h:
 * adoption of state, the shadow warm-up, the crossfade, and the retired
 * graphs' way back to the control thread (a ring).  RT thread (no
 * allocation); transition_plan_warmup() is pure and also answers the
 * control thread's question of how long a warm-up will take.
 * transition.c is the control side. */
#include "transition.h"

#include <math.h>
#include <string.h>

/* Hand a graph back; if the ring is full (the control thread is behind),
 * keep it and start nothing new until it is gone. */
static void retire(struct transition *t, struct pipeline *p)
{
	if (!ring_push(&t->retired, &p))
		t->retiring = p;
}

/* The block of old that fx continues: the one at the same place, else
 * the one of the same name, type and channels anywhere; or NULL. */
static const struct fx *predecessor(const struct pipeline *old, unsigned i,
                                    const struct fx *fx)
{
	if (i < old->n_fx && fx_same_block(old->fx[i], fx))
		return old->fx[i];
	for (unsigned j = 0; j < old->n_fx; j++)
		if (fx_same_block(old->fx[j], fx))
			return old->fx[j];
	return NULL;
}

uint32_t transition_plan_warmup(const struct pipeline *old, struct pipeline *p,
                                bool adopt)
{
	bool input_same = true;    /* every block before this one is unchanged */
	uint32_t warmup = 0;

	for (unsigned i = 0; i < p->n_fx; i++) {
		struct fx *fx = p->fx[i];
		const struct fx *prev = old ? predecessor(old, i, fx) : NULL;
		bool adopted = prev && fx_can_adopt(fx, prev);

		if (adopted && adopt)
			fx->ops->adopt(fx, prev);
		/* state taken over is the right history only while the block's
		 * input is what its predecessor saw; after a change upstream it
		 * must still run its memory's length unheard */
		if ((!adopted || !input_same) && !fx->bypass && fx->warmup_frames > warmup)
			warmup = fx->warmup_frames;
		input_same = input_same && adopted && i < old->n_fx &&
		             prev == old->fx[i] && prev->config_hash == fx->config_hash;
	}
	return warmup < p->plan.max_warmup_frames ? warmup : p->plan.max_warmup_frames;
}

/* Step 1: state hand-over; the warm-up what could not take it over needs. */
static void begin(struct transition *t, struct pipeline *p)
{
	t->incoming = p;
	t->warmup_left = transition_plan_warmup(t->active, p, true);
	t->fade_pos = 0;
	atomic_store_explicit(&t->phase, t->warmup_left ? TRANSITION_WARMUP
	                      : TRANSITION_CROSSFADE, memory_order_relaxed);
}

/* Take the newest submitted graph when one may start now. */
static void take_pending(struct transition *t)
{
	struct pipeline *p;

	if (t->retiring) {
		if (!ring_push(&t->retired, &t->retiring))
			return;
		t->retiring = NULL;
	}
	if (t->incoming && t->warmup_left == 0)
		return;                 /* crossfading: the newest waits */
	if (!atomic_load_explicit(&t->pending, memory_order_relaxed))
		return;
	p = atomic_exchange_explicit(&t->pending, NULL, memory_order_acq_rel);
	if (!p)
		return;
	if (t->incoming) {
		/* never heard: the newer graph takes its place */
		retire(t, t->incoming);
		atomic_fetch_add_explicit(&t->superseded, 1, memory_order_relaxed);
	}
	begin(t, p);
}

/* Gains of the two graphs at position x in (0, 1) of the crossfade. */
static void fade_gains(int curve, float x, float *out_gain, float *in_gain)
{
	float s = sinf((float)M_PI_2 * x), c = cosf((float)M_PI_2 * x);

	if (curve == CFG_FADE_EQUAL_POWER) {
		*in_gain = s;
		*out_gain = c;
	} else {
		*in_gain = s * s;
		*out_gain = 1.0f - s * s;
	}
}

static void crossfade(struct transition *t, float *const *bufs, uint32_t frames)
{
	const struct pipeline_plan *plan = &t->incoming->plan;
	uint32_t n = plan->fade_frames - t->fade_pos;

	if (n > frames)
		n = frames;
	for (uint32_t i = 0; i < n; i++) {
		float x = ((float)(t->fade_pos + i) + 0.5f) / (float)plan->fade_frames;
		float g_out, g_in;

		fade_gains(plan->curve, x, &g_out, &g_in);
		for (unsigned ch = 0; ch < t->channels_out; ch++)
			bufs[ch][i] = g_out * bufs[ch][i] + g_in * t->shadow[ch][i];
	}
	/* past the end of the fade only the new graph is heard */
	for (unsigned ch = 0; ch < t->channels_out; ch++)
		memcpy(bufs[ch] + n, t->shadow[ch] + n, (frames - n) * sizeof(float));
	t->fade_pos += n;
}

static void finish(struct transition *t)
{
	retire(t, t->active);
	t->active = t->incoming;
	t->incoming = NULL;
	atomic_store_explicit(&t->active_generation, t->active->generation,
	                      memory_order_release);
	atomic_fetch_add_explicit(&t->completed, 1, memory_order_relaxed);
	atomic_store_explicit(&t->phase, TRANSITION_IDLE, memory_order_relaxed);
}

/* One graph's run; a late one is remembered for its block's name. */
static int run(struct transition *t, struct pipeline *p, struct workers *w,
               float *const *bufs, uint32_t frames, uint64_t deadline_ns)
{
	int r = pipeline_run(p, w, bufs, frames, deadline_ns);

	if (r < 0)
		t->late = p;
	return r;
}

const char *transition_late_block(const struct transition *t)
{
	return t->late ? pipeline_late_block(t->late) : "";
}

int transition_process(struct transition *t, struct workers *w,
                       float *const *bufs, uint32_t frames, uint64_t deadline_ns)
{
	struct pipeline *in;
	int r;

	take_pending(t);
	in = t->incoming;
	if (!in)
		return run(t, t->active, w, bufs, frames, deadline_ns);
	for (unsigned ch = 0; ch < in->channels_in; ch++)
		memcpy(t->shadow[ch], bufs[ch], frames * sizeof(float));
	if ((r = run(t, t->active, w, bufs, frames, deadline_ns)) < 0 ||
	    (r = run(t, in, w, t->shadow, frames, deadline_ns)) < 0)
		return r;
	if (t->warmup_left > 0) {
		t->warmup_left -= t->warmup_left < frames ? t->warmup_left : frames;
		if (t->warmup_left == 0)
			atomic_store_explicit(&t->phase, TRANSITION_CROSSFADE,
			                      memory_order_relaxed);
		return 0;
	}
	crossfade(t, bufs, frames);
	/* (the old graph needs the retiring slot free: wait a period if not) */
	if (t->fade_pos >= in->plan.fade_frames && !t->retiring)
		finish(t);
	return 0;
}
