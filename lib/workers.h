/* workers.h - a fixed pool of threads that run one job at a time with the
 * calling thread: the parallel periods of the DSP pipeline.
 *
 * A pool of n threads is the caller (worker 0: the RT thread, or render's
 * main thread) and n - 1 helper threads.  workers_run() hands a job to
 * every helper (one atomic store and one futex wake), runs the caller's
 * part, then waits for the helpers, at most until a deadline: a helper that
 * is late (descheduled, stalled) makes workers_run() return -ETIMEDOUT
 * instead of hanging the caller.  That job goes on in the background; the
 * pool refuses new jobs (-EBUSY) until it is done, so the caller can tell
 * which of its buffers are still in use.
 *
 * workers_create/destroy/stall: the control thread (they create and join
 * threads).  workers_run/idle/busy_total_ns: the one thread that owns the pool's
 * jobs (the RT thread): no allocation, no lock; futex calls only.  The job
 * function runs on every worker and must be RT-safe itself. */
#ifndef DSPD_WORKERS_H
#define DSPD_WORKERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WORKERS_MAX 16

struct workers;

struct workers_config {
	unsigned threads;            /* 1..WORKERS_MAX, the caller included */
	int rt_priority;             /* SCHED_FIFO priority of the helpers; 0: none */
	const unsigned short *cpus;  /* helper k runs on cpus[k % n_cpus] */
	unsigned n_cpus;             /* 0: no pinning */
	/* run first on each helper thread (FTZ/DAZ); may be NULL */
	void (*on_start)(void);
	/* the helpers' names: NAME1, NAME2... (NULL: "dspd-work", the
	 * pipeline's RT workers) */
	const char *name;
};

/* The job: called once per worker with its index (0 is the caller). */
typedef void (*workers_job_fn)(void *arg, unsigned worker);

/* Start the helpers.  A refused SCHED_FIFO or affinity is not an error:
 * *ret_rt_error gets it (0 or -errno) for the caller to report.  Returns 0
 * or -errno (threads could not be made) with err filled. */
int workers_create(const struct workers_config *cfg, struct workers **ret,
                   int *ret_rt_error, char *err, size_t err_len);
/* Stop and join the helpers (waits for a late job to end). */
void workers_destroy(struct workers *w);
/* Threads of the pool, the caller included (1 for NULL). */
unsigned workers_count(const struct workers *w);
/* The helpers run SCHED_FIFO. */
bool workers_realtime(const struct workers *w);

/* Run fn on every worker and wait for all, at most until deadline_ns
 * (CLOCK_MONOTONIC; 0: no limit).  Returns 0 (all done), -ETIMEDOUT (a
 * helper is still in the job: it finishes in the background) or -EBUSY
 * (the last job is still running: nothing was started, fn not called). */
int workers_run(struct workers *w, workers_job_fn fn, void *arg,
                uint64_t deadline_ns);
/* No job is running (the last one has ended on every helper). */
bool workers_idle(const struct workers *w);
/* Time worker k has spent in jobs since the pool started (its part of
 * each, the caller's included); a job still running is not counted yet. */
uint64_t workers_busy_total_ns(const struct workers *w, unsigned k);

/* Test hook: helper `worker` (1..) sleeps ns before each of its next
 * `jobs` jobs, as a descheduled thread would.  Control thread. */
void workers_stall(struct workers *w, unsigned worker, uint64_t ns,
                   unsigned jobs);

#endif
