/* transition.h - changing the running DSP graph without a click.
 *
 * The RT thread always hears one graph, the active one.  A new graph is
 * built on the control thread and handed over with transition_submit().
 * At the next period boundary the RT thread
 *   1. lets each block of the new graph take over the state of the block
 *      of the same name and type in the active graph (fx_ops.adopt), so a
 *      moved EQ band keeps its filter history;
 *   2. runs the new graph in the shadow, on a copy of the same input, until
 *      the blocks that could not take over state have warmed up (a new FIR
 *      has seen its length of input, an added filter has settled), at most
 *      plan.max_warmup_frames;
 *   3. crossfades, sample by sample, from the active graph's output to the
 *      new one's over plan.fade_frames;
 *   4. hands the old graph back to the control thread, which frees it.
 * Submissions never queue: the newest wins.  A graph submitted while
 * another is still in the shadow replaces it (it was never heard); one
 * submitted during a crossfade waits for the crossfade to end.
 *
 * transition_init/submit/collect/status/free: control thread.
 * transition_process: RT thread only (no allocation, lock or syscall). */
#ifndef DSPD_TRANSITION_H
#define DSPD_TRANSITION_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "pipeline.h"
#include "ring.h"

enum transition_phase {
	TRANSITION_IDLE,
	TRANSITION_WARMUP,
	TRANSITION_CROSSFADE,
};

struct transition {
	/* RT thread */
	struct pipeline *active;       /* heard */
	struct pipeline *incoming;     /* in the shadow or fading in */
	struct pipeline *retiring;     /* waits for room in `retired` */
	uint32_t warmup_left;          /* frames of shadow still to run */
	uint32_t fade_pos;             /* frames of the crossfade done */
	float *shadow[FX_MAX_CHANNELS];  /* the incoming graph's buffers */
	float *shadow_mem;
	unsigned channels_out;         /* rows crossfaded: the playback channels */
	const struct pipeline *late;   /* the graph of the last late run */
	unsigned max_frames;

	/* shared */
	_Atomic(struct pipeline *) pending;      /* control -> RT, newest wins */
	struct ring retired;                     /* RT -> control: to free */
	_Atomic uint64_t active_generation;
	_Atomic int phase;                       /* enum transition_phase */
	_Atomic uint64_t completed;              /* crossfades finished */
	_Atomic uint64_t superseded;             /* dropped while in the shadow */

	/* control thread */
	struct pipeline *latest;       /* the newest graph submitted */
	uint64_t next_generation;
};

struct transition_status {
	enum transition_phase phase;
	bool pending;                  /* a graph waits for the RT thread */
	uint64_t active_generation, latest_generation;
	uint64_t completed, superseded;
};

/* Take `first` as the active graph (generation 1).  channels_out: rows to
 * crossfade; max_frames: the longest period.  Returns 0 or -ENOMEM. */
int transition_init(struct transition *t, struct pipeline *first,
                    unsigned channels_out, unsigned max_frames);
/* Hand p (with p->plan filled) to the RT thread; a submitted graph the RT
 * thread has not taken yet is freed.  Returns p's generation. */
uint64_t transition_submit(struct transition *t, struct pipeline *p);
/* Free the graphs the RT thread is done with; returns how many. */
unsigned transition_collect(struct transition *t);
void transition_status(struct transition *t, struct transition_status *out);
/* After the RT thread has stopped: free every graph. */
void transition_free(struct transition *t);

/* How long p must run unheard after old (frames, capped by p's plan):
 * blocks that cannot take over their predecessor's state, and blocks whose
 * input changed (a block before them differs), need their warmup_frames.
 * With adopt, the state is taken over too (RT thread); without, any
 * thread (the control thread's estimate). */
uint32_t transition_plan_warmup(const struct pipeline *old, struct pipeline *p,
                                bool adopt);

/* RT thread: run the active graph (and the incoming one) over bufs, on
 * the pool w (NULL: on this thread), which must be idle.  Returns 0, or
 * pipeline_run()'s -ETIMEDOUT when a worker was late (bufs are not whole;
 * nothing of the hand-over moved on): transition_late_block() names the
 * block it waited for. */
int transition_process(struct transition *t, struct workers *w,
                       float *const *bufs, uint32_t frames, uint64_t deadline_ns);
const char *transition_late_block(const struct transition *t);

#endif
