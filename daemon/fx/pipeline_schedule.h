/* pipeline_schedule.h - a pipeline's period cut into tasks for a pool of
 * workers (workers.h), planned once when the graph is built and run every
 * period.
 *
 * Units of work: a block that has process_channel (fx.h) gives one unit
 * per channel it processes; any other block (a mixer, a gain ramp, linked
 * dynamics, a plugin) one unit for all its channels: a join point.  A unit
 * depends on the last unit that touched any of its channels.  Units of the
 * same channels in a row make one task (a channel's filter chain), and the
 * tasks are spread over the workers by list scheduling: each, in graph
 * order, goes where it would finish first, counting the cost of waking a
 * worker and of waiting for another worker's result (fx->work_per_frame
 * estimates the rest).  Every worker runs its list in graph order, waiting
 * (spin, then futex) for tasks of other workers it depends on.
 *
 * Bit-exactness: a channel's samples go through the same operations in
 * the same order whoever runs them, so the output does not depend on the
 * number of workers; the single-threaded run uses the same units.
 *
 * pipeline_schedule_plan/free: control thread.  pipeline_schedule_run:
 * the RT thread (or render's thread), the pool's owner. */
#ifndef DSPD_PIPELINE_SCHEDULE_H
#define DSPD_PIPELINE_SCHEDULE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "fx.h"
#include "workers.h"

struct sched_unit {
	uint16_t fx;                  /* index in the pipeline */
	int16_t ch;                   /* its channel, or -1: the whole block */
};

struct sched_task {
	uint32_t first_unit, n_units;
	uint32_t first_dep, n_deps;   /* tasks that must be done before */
	uint32_t worker;
	float cost_ns;                /* estimate for a period of max_frames */
};

struct pipeline_schedule {
	unsigned n_workers;           /* planned for */
	bool parallel;                /* some task is not on worker 0 */
	unsigned n_tasks, n_units, n_deps, n_fx;
	struct fx *const *fx;         /* the pipeline's blocks */
	struct sched_unit *units;
	struct sched_task *tasks;
	uint32_t *deps;
	uint32_t *order;              /* worker k's tasks: order[first[k]..first[k+1]) */
	uint32_t first[WORKERS_MAX + 1];
	float planned_ns[WORKERS_MAX];  /* each worker's estimated busy time */

	/* the RT side: one run at a time */
	_Atomic uint32_t *done;       /* per task: the number of the run that did it */
	_Atomic uint8_t *unsane;      /* per block: output not sane, reset it */
	_Atomic uint32_t progress;    /* futex word: bumped by every task done */
	_Atomic uint32_t waiters;     /* workers sleeping on progress */
	_Atomic uint32_t abandoned;   /* a run the caller gave up on */
	uint32_t run;
	float *const *bufs;
	uint32_t frames;
	uint64_t deadline_ns;
	int late_fx;                  /* block of the first unfinished task of
	                                 the last late run, -1: none */
};

/* Plan the n_fx blocks for n_workers (1..WORKERS_MAX) and periods of
 * max_frames.  0 or -ENOMEM. */
int pipeline_schedule_plan(struct pipeline_schedule *s, struct fx *const *fx,
                           unsigned n_fx, unsigned n_workers, unsigned max_frames);
void pipeline_schedule_free(struct pipeline_schedule *s);
/* Tests: deal the tasks to the workers in turn instead.  Any placement
 * runs correctly (each worker keeps graph order and waits for what it
 * needs); this one crosses workers at every step. */
void pipeline_schedule_deal(struct pipeline_schedule *s);

/* Run the period: on the pool when it has the planned workers (else every
 * task on the calling thread, in graph order), waiting for the workers at
 * most until deadline_ns (0: no limit).  Blocks whose output was not sane
 * are silenced on those channels and reset once the run is complete.
 * Returns 0, -ETIMEDOUT (late: a worker is still at it, the output in
 * bufs is not whole; late_fx says which block) or -EBUSY (the pool is
 * still running an earlier late run: nothing done). */
int pipeline_schedule_run(struct pipeline_schedule *s, struct workers *w,
                          float *const *bufs, uint32_t frames,
                          uint64_t deadline_ns);

#endif
