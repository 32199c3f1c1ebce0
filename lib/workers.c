/* workers.c - the pool of workers.h.
 *
 * Two futex words carry a job: `epoch`, bumped by the caller to start one
 * (the helpers sleep on it between jobs), and `pending`, the helpers still
 * in it (the last one out wakes the caller).  The job's function and
 * argument are written before the epoch's release store and read after
 * the helpers' acquire load of it, so they need no lock.  The caller first
 * spins briefly (a helper on another CPU usually ends within microseconds
 * of the caller's own part), then sleeps on `pending` until the deadline. */
#include "workers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "futex.h"

#define JOIN_SPINS 2000               /* about 10-50 us of pause */
#define HELPER_STACK (512u << 10)

struct worker {
	struct workers *pool;
	unsigned index;
	pthread_t thread;
	bool started;
	_Atomic uint64_t busy_ns;
	/* test hook (workers_stall) */
	_Atomic uint64_t stall_ns;
	_Atomic uint32_t stall_jobs;
} __attribute__((aligned(64)));

struct workers {
	unsigned n;
	bool rt;
	void (*on_start)(void);
	_Atomic uint32_t epoch __attribute__((aligned(64)));
	_Atomic uint32_t pending __attribute__((aligned(64)));
	_Atomic bool stop;
	workers_job_fn fn;                /* the job, published by epoch */
	void *arg;
	struct worker w[];
};

static void stall_if_asked(struct worker *me)
{
	uint32_t jobs = atomic_load_explicit(&me->stall_jobs, memory_order_relaxed);
	uint64_t ns;
	struct timespec ts;

	if (jobs == 0)
		return;
	atomic_store_explicit(&me->stall_jobs, jobs - 1, memory_order_relaxed);
	ns = atomic_load_explicit(&me->stall_ns, memory_order_relaxed);
	ts.tv_sec = (time_t)(ns / 1000000000u);
	ts.tv_nsec = (long)(ns % 1000000000u);
	clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
}

/* Only the worker itself adds to its total. */
static void add_busy(struct worker *me, uint64_t t0)
{
	uint64_t total = atomic_load_explicit(&me->busy_ns, memory_order_relaxed);

	atomic_store_explicit(&me->busy_ns, total + (monotonic_ns() - t0),
	                      memory_order_relaxed);
}

static void *helper_main(void *arg)
{
	struct worker *me = arg;
	struct workers *p = me->pool;
	uint32_t seen = 0, e;

	if (p->on_start)
		p->on_start();
	for (;;) {
		uint64_t t0;

		while ((e = atomic_load_explicit(&p->epoch, memory_order_acquire)) == seen)
			futex_wait(&p->epoch, seen, 0);
		seen = e;
		if (atomic_load_explicit(&p->stop, memory_order_acquire))
			break;
		t0 = monotonic_ns();
		stall_if_asked(me);
		p->fn(p->arg, me->index);
		add_busy(me, t0);
		if (atomic_fetch_sub_explicit(&p->pending, 1, memory_order_acq_rel) == 1)
			futex_wake(&p->pending, 1);
	}
	return NULL;
}

static int start_helper(struct workers *p, unsigned k,
                        const struct workers_config *cfg, int *rt_error)
{
	struct worker *me = &p->w[k];
	pthread_attr_t attr;
	char name[24];
	int r;

	me->pool = p;
	me->index = k;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, HELPER_STACK);
	r = pthread_create(&me->thread, &attr, helper_main, me);
	pthread_attr_destroy(&attr);
	if (r != 0)
		return -r;
	me->started = true;
	snprintf(name, sizeof(name), "%.10s%u", cfg->name ? cfg->name : "dspd-work",
	         k % 100);
	name[15] = '\0';             /* the kernel's limit */
	pthread_setname_np(me->thread, name);
	if (cfg->rt_priority > 0) {
		struct sched_param sp = { .sched_priority = cfg->rt_priority };

		if ((r = pthread_setschedparam(me->thread, SCHED_FIFO, &sp)) != 0) {
			*rt_error = -r;
			p->rt = false;
		}
	}
	if (cfg->n_cpus > 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cfg->cpus[k % cfg->n_cpus], &set);
		if ((r = pthread_setaffinity_np(me->thread, sizeof(set), &set)) != 0 &&
		    *rt_error == 0)
			*rt_error = -r;
	}
	return 0;
}

int workers_create(const struct workers_config *cfg, struct workers **ret,
                   int *ret_rt_error, char *err, size_t err_len)
{
	struct workers *p;
	int r;

	*ret_rt_error = 0;
	if (cfg->threads < 1 || cfg->threads > WORKERS_MAX) {
		snprintf(err, err_len, "%u threads: the pool has 1 to %d",
		         cfg->threads, WORKERS_MAX);
		return -EINVAL;
	}
	p = aligned_alloc(64, (sizeof(*p) + cfg->threads * sizeof(p->w[0]) + 63) / 64 * 64);
	if (!p)
		return -ENOMEM;
	memset(p, 0, sizeof(*p) + cfg->threads * sizeof(p->w[0]));
	p->n = cfg->threads;
	p->rt = cfg->rt_priority > 0;
	p->on_start = cfg->on_start;
	for (unsigned k = 1; k < p->n; k++) {
		if ((r = start_helper(p, k, cfg, ret_rt_error)) < 0) {
			snprintf(err, err_len, "cannot start worker thread %u: %s", k,
			         strerror(-r));
			workers_destroy(p);
			return r;
		}
	}
	*ret = p;
	return 0;
}

void workers_destroy(struct workers *p)
{
	if (!p)
		return;
	atomic_store_explicit(&p->stop, true, memory_order_release);
	atomic_fetch_add_explicit(&p->epoch, 1, memory_order_release);
	futex_wake_all(&p->epoch);
	for (unsigned k = 1; k < p->n; k++)
		if (p->w[k].started)
			pthread_join(p->w[k].thread, NULL);
	free(p);
}

unsigned workers_count(const struct workers *p)
{
	return p ? p->n : 1;
}

bool workers_realtime(const struct workers *p)
{
	return p && p->rt;
}

bool workers_idle(const struct workers *p)
{
	return atomic_load_explicit(&p->pending, memory_order_acquire) == 0;
}

uint64_t workers_busy_total_ns(const struct workers *p, unsigned k)
{
	return k < p->n ? atomic_load_explicit(&p->w[k].busy_ns, memory_order_relaxed) : 0;
}

void workers_stall(struct workers *p, unsigned worker, uint64_t ns, unsigned jobs)
{
	if (worker < 1 || worker >= p->n)
		return;
	atomic_store_explicit(&p->w[worker].stall_ns, ns, memory_order_relaxed);
	atomic_store_explicit(&p->w[worker].stall_jobs, jobs, memory_order_relaxed);
}

static int join(struct workers *p, uint64_t deadline_ns)
{
	uint32_t left;

	for (unsigned i = 0; i < JOIN_SPINS; i++) {
		if (atomic_load_explicit(&p->pending, memory_order_acquire) == 0)
			return 0;
		cpu_relax();
	}
	while ((left = atomic_load_explicit(&p->pending, memory_order_acquire)) != 0) {
		if (deadline_ns && monotonic_ns() >= deadline_ns)
			return -ETIMEDOUT;
		futex_wait(&p->pending, left, deadline_ns);
	}
	return 0;
}

int workers_run(struct workers *p, workers_job_fn fn, void *arg,
                uint64_t deadline_ns)
{
	uint64_t t0;

	if (p->n > 1) {
		if (!workers_idle(p))
			return -EBUSY;
		p->fn = fn;
		p->arg = arg;
		atomic_store_explicit(&p->pending, p->n - 1, memory_order_relaxed);
		atomic_fetch_add_explicit(&p->epoch, 1, memory_order_release);
		futex_wake_all(&p->epoch);
	}
	t0 = monotonic_ns();
	fn(arg, 0);
	add_busy(&p->w[0], t0);
	return p->n > 1 ? join(p, deadline_ns) : 0;
}
