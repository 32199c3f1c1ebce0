/* pipeline_schedule.c - planning (control thread) and running (RT thread)
 * the tasks of pipeline_schedule.h. */
#include "pipeline_schedule.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "futex.h"

#define WAKE_NS 15000.0f     /* a helper's wake-up, what using it costs */
#define HANDOFF_NS 5000.0f   /* waiting for another worker's task */
#define DEP_SPINS 2000

/* -- planning -- */

/* The channels a unit reads or writes (every access counts as a write:
 * blocks work in place). */
static uint32_t unit_channels(const struct fx *fx, int ch)
{
	unsigned rows = fx->channels_in > fx->channels_out ? fx->channels_in
	                                                   : fx->channels_out;
	uint32_t all = rows >= 32 ? UINT32_MAX : (1u << rows) - 1;

	if (ch >= 0)
		return 1u << ch;
	return fx->channels_in != fx->channels_out ? all : fx->channel_mask & all;
}

static bool splits(const struct fx *fx)
{
	return fx->ops->process_channel && fx->channels_in == fx->channels_out;
}

static float unit_cost(const struct fx *fx, int ch, unsigned max_frames)
{
	unsigned n = ch >= 0 ? 1 : (unsigned)__builtin_popcount(unit_channels(fx, ch));

	return fx->work_per_frame * (float)max_frames * (float)(n ? n : 1);
}

/* Unit (block i, channel ch or -1) at the end of the graph so far: a new
 * task depending on the last tasks of its channels, or the continuation
 * of a task when that is the only one it depends on and has the same
 * channels (no task since touched them: the chain of one channel through
 * blocks that each span several).
 * last_task[c]: the last task touching channel c (UINT32_MAX: none). */
static void add_unit(struct pipeline_schedule *s, uint32_t *last_task,
                     uint32_t *task_channels, uint32_t *unit_task, unsigned i,
                     int ch, unsigned max_frames)
{
	const struct fx *fx = s->fx[i];
	uint32_t chans = unit_channels(fx, ch), deps[FX_MAX_CHANNELS];
	unsigned n_deps = 0;
	struct sched_task *t;

	for (unsigned c = 0; c < FX_MAX_CHANNELS; c++) {
		uint32_t d = last_task[c];
		bool seen = false;

		if (!(chans & (1u << c)) || d == UINT32_MAX)
			continue;
		for (unsigned k = 0; k < n_deps; k++)
			seen |= deps[k] == d;
		if (!seen)
			deps[n_deps++] = d;
	}
	s->units[s->n_units] = (struct sched_unit){ (uint16_t)i, (int16_t)ch };
	/* the same channels as the task before them: the chain goes on */
	if (n_deps == 1 && task_channels[deps[0]] == chans) {
		t = &s->tasks[deps[0]];
		t->n_units++;
		t->cost_ns += unit_cost(fx, ch, max_frames);
		unit_task[s->n_units++] = deps[0];
		return;
	}
	t = &s->tasks[s->n_tasks];
	*t = (struct sched_task){ .n_units = 1,
	                          .first_dep = s->n_deps, .n_deps = n_deps,
	                          .cost_ns = unit_cost(fx, ch, max_frames) };
	memcpy(s->deps + s->n_deps, deps, n_deps * sizeof(deps[0]));
	s->n_deps += n_deps;
	task_channels[s->n_tasks] = chans;
	for (unsigned c = 0; c < FX_MAX_CHANNELS; c++)
		if (chans & (1u << c))
			last_task[c] = s->n_tasks;
	unit_task[s->n_units++] = s->n_tasks++;
}

/* Each task's units side by side, in graph order (a chain's units were
 * added among other tasks'). */
static int group_units(struct pipeline_schedule *s, const uint32_t *unit_task)
{
	struct sched_unit *grouped = calloc(s->n_units + 1, sizeof(*grouped));
	uint32_t next = 0;

	if (!grouped)
		return -ENOMEM;
	for (uint32_t t = 0; t < s->n_tasks; t++) {
		s->tasks[t].first_unit = next;
		next += s->tasks[t].n_units;
		s->tasks[t].n_units = 0;
	}
	for (uint32_t u = 0; u < s->n_units; u++) {
		struct sched_task *t = &s->tasks[unit_task[u]];

		grouped[t->first_unit + t->n_units++] = s->units[u];
	}
	free(s->units);
	s->units = grouped;
	return 0;
}

/* Each worker's list, in graph order, from the tasks' workers. */
static void build_lists(struct pipeline_schedule *s)
{
	unsigned count[WORKERS_MAX] = { 0 };

	s->parallel = false;
	memset(s->planned_ns, 0, sizeof(s->planned_ns));
	for (unsigned t = 0; t < s->n_tasks; t++) {
		count[s->tasks[t].worker]++;
		s->planned_ns[s->tasks[t].worker] += s->tasks[t].cost_ns;
		s->parallel |= s->tasks[t].worker != 0;
	}
	s->first[0] = 0;
	for (unsigned k = 0; k < s->n_workers; k++)
		s->first[k + 1] = s->first[k] + count[k];
	memset(count, 0, sizeof(count));
	for (unsigned t = 0; t < s->n_tasks; t++) {
		unsigned k = s->tasks[t].worker;

		s->order[s->first[k] + count[k]++] = t;
	}
}

void pipeline_schedule_deal(struct pipeline_schedule *s)
{
	for (unsigned t = 0; t < s->n_tasks; t++)
		s->tasks[t].worker = t % s->n_workers;
	build_lists(s);
}

/* Each task, in graph order, to the worker where it would end first. */
static void assign(struct pipeline_schedule *s)
{
	float free_at[WORKERS_MAX], *end = calloc(s->n_tasks ? s->n_tasks : 1, sizeof(float));

	for (unsigned k = 0; k < s->n_workers; k++)
		free_at[k] = k ? WAKE_NS : 0.0f;
	for (unsigned t = 0; t < s->n_tasks; t++) {
		struct sched_task *task = &s->tasks[t];
		float best_end = 0.0f;
		unsigned best = 0;

		for (unsigned k = 0; k < s->n_workers; k++) {
			float start = free_at[k];

			for (unsigned d = 0; d < task->n_deps; d++) {
				const struct sched_task *dep = &s->tasks[s->deps[task->first_dep + d]];
				float ready = end ? end[dep - s->tasks] : 0.0f;

				if (dep->worker != k)
					ready += HANDOFF_NS;
				start = ready > start ? ready : start;
			}
			if (k == 0 || start + task->cost_ns < best_end) {
				best = k;
				best_end = start + task->cost_ns;
			}
		}
		task->worker = best;
		free_at[best] = best_end;
		if (end)
			end[t] = best_end;
	}
	free(end);
	build_lists(s);
}

int pipeline_schedule_plan(struct pipeline_schedule *s, struct fx *const *fx,
                           unsigned n_fx, unsigned n_workers, unsigned max_frames)
{
	uint32_t last_task[FX_MAX_CHANNELS], *task_channels, *unit_task;
	size_t max_units = 0;
	int r;

	memset(s, 0, sizeof(*s));
	s->fx = fx;
	s->n_fx = n_fx;
	s->late_fx = -1;
	s->n_workers = n_workers < 1 ? 1 : n_workers > WORKERS_MAX ? WORKERS_MAX : n_workers;
	for (unsigned i = 0; i < n_fx; i++)
		max_units += splits(fx[i]) ? fx[i]->channels_in : 1;
	s->units = calloc(max_units + 1, sizeof(*s->units));
	s->tasks = calloc(max_units + 1, sizeof(*s->tasks));
	s->deps = calloc((max_units + 1) * FX_MAX_CHANNELS, sizeof(*s->deps));
	s->order = calloc(max_units + 1, sizeof(*s->order));
	s->done = calloc(max_units + 1, sizeof(*s->done));
	s->unsane = calloc(n_fx + 1, sizeof(*s->unsane));
	task_channels = calloc(max_units + 1, sizeof(*task_channels));
	unit_task = calloc(max_units + 1, sizeof(*unit_task));
	if (!s->units || !s->tasks || !s->deps || !s->order || !s->done ||
	    !s->unsane || !task_channels || !unit_task) {
		free(task_channels);
		free(unit_task);
		pipeline_schedule_free(s);
		return -ENOMEM;
	}
	memset(last_task, 0xff, sizeof(last_task));
	for (unsigned i = 0; i < n_fx; i++) {
		unsigned rows = fx[i]->channels_in > fx[i]->channels_out
		                ? fx[i]->channels_in : fx[i]->channels_out;

		s->n_rows = rows > s->n_rows ? rows : s->n_rows;
		if (fx[i]->bypass)
			continue;
		if (!splits(fx[i])) {
			if (unit_channels(fx[i], -1))
				add_unit(s, last_task, task_channels, unit_task, i, -1,
				         max_frames);
			continue;
		}
		for (unsigned ch = 0; ch < fx[i]->channels_in; ch++)
			if (fx[i]->channel_mask & (1u << ch))
				add_unit(s, last_task, task_channels, unit_task, i,
				         (int)ch, max_frames);
	}
	r = group_units(s, unit_task);
	free(task_channels);
	free(unit_task);
	if (r < 0) {
		pipeline_schedule_free(s);
		return r;
	}
	assign(s);
	return 0;
}

void pipeline_schedule_free(struct pipeline_schedule *s)
{
	free(s->units);
	free(s->tasks);
	free(s->deps);
	free(s->order);
	free(s->done);
	free(s->unsane);
	memset(s, 0, sizeof(*s));
}

/* -- running -- */

/* Is every sample of the masked channels a sane number?  NaN, Inf and
 * magnitudes of 2^64 (+385 dBFS) or more are not: such a value is garbage
 * from a blown-up state, and would become Inf a block later.  Tested on
 * the bits, so there is no floating-point reduction to keep in order:
 * |x| >= 2^64 is (bits & 0x7fffffff) >= 0x5f800000, and adding
 * 0x80000000 - 0x5f800000 carries into bit 31 exactly then (no overflow:
 * 0x7fffffff + 0x20800000 < 2^32).  Eight lanes of fixed count, so -O2's
 * cheap vectoriser turns them into two SSE (one AVX) operations. */
#define GUARD_LANES 8

static inline uint32_t guard_bits(float x)
{
	uint32_t bits;

	memcpy(&bits, &x, sizeof(bits));
	return (bits & 0x7fffffffu) + 0x20800000u;
}

static bool sane_channels(float *const *bufs, uint32_t mask, unsigned channels,
                          uint32_t frames)
{
	const size_t whole = frames - frames % GUARD_LANES;
	uint32_t lanes[GUARD_LANES] = { 0 }, flags = 0;

	for (unsigned ch = 0; ch < channels; ch++) {
		const float *x = bufs[ch];

		if (!(mask & (1u << ch)))
			continue;
		for (size_t i = 0; i < whole; i += GUARD_LANES)
			for (size_t l = 0; l < GUARD_LANES; l++)
				lanes[l] |= guard_bits(x[i + l]);
		for (size_t i = whole; i < frames; i++)
			flags |= guard_bits(x[i]);
	}
	for (unsigned l = 0; l < GUARD_LANES; l++)
		flags |= lanes[l];
	return !(flags & 0x80000000u);
}

/* One unit; output that is not sane is silenced and its block marked for
 * a reset after the run. */
static void run_unit(struct pipeline_schedule *s, const struct sched_unit *u)
{
	struct fx *fx = s->fx[u->fx];
	float *const *bufs = s->bufs;
	uint32_t mask;

	if (u->ch >= 0) {
		fx->ops->process_channel(fx, (unsigned)u->ch, bufs[u->ch], s->frames);
		mask = 1u << u->ch;
	} else {
		fx->ops->process(fx, bufs, s->frames);
		mask = fx->channels_out != fx->channels_in ? UINT32_MAX : fx->channel_mask;
	}
	if (sane_channels(bufs, mask, fx->channels_out, s->frames))
		return;
	for (unsigned ch = 0; ch < fx->channels_out; ch++)
		if (mask & (1u << ch))
			memset(bufs[ch], 0, s->frames * sizeof(float));
	atomic_store_explicit(&s->unsane[u->fx], 1, memory_order_relaxed);
}

static void run_task(struct pipeline_schedule *s, uint32_t t)
{
	const struct sched_task *task = &s->tasks[t];

	for (uint32_t u = 0; u < task->n_units; u++)
		run_unit(s, &s->units[task->first_unit + u]);
}

static bool task_done(struct pipeline_schedule *s, uint32_t t)
{
	return atomic_load_explicit(&s->done[t], memory_order_acquire) == s->run;
}

static bool given_up(struct pipeline_schedule *s)
{
	return atomic_load_explicit(&s->abandoned, memory_order_acquire) == s->run;
}

static void give_up(struct pipeline_schedule *s)
{
	atomic_store_explicit(&s->abandoned, s->run, memory_order_release);
	atomic_fetch_add(&s->progress, 1);
	futex_wake_all(&s->progress);
}

/* Wait for task t of another worker; false when the run was given up
 * (worker 0 gives up itself at the deadline). */
static bool wait_for(struct pipeline_schedule *s, uint32_t t, unsigned worker)
{
	uint64_t deadline = worker == 0 ? s->deadline_ns : 0;

	for (unsigned i = 0; i < DEP_SPINS; i++) {
		if (task_done(s, t))
			return true;
		cpu_relax();
	}
	for (;;) {
		uint32_t seen = atomic_load(&s->progress);

		if (task_done(s, t))
			return true;
		if (given_up(s))
			return false;
		if (deadline && monotonic_ns() >= deadline) {
			give_up(s);
			return false;
		}
		atomic_fetch_add(&s->waiters, 1);
		if (!task_done(s, t) && !given_up(s))
			futex_wait(&s->progress, seen, deadline);
		atomic_fetch_sub(&s->waiters, 1);
	}
}

static void finish_task(struct pipeline_schedule *s, uint32_t t)
{
	atomic_store_explicit(&s->done[t], s->run, memory_order_release);
	atomic_fetch_add(&s->progress, 1);
	if (atomic_load(&s->waiters))
		futex_wake_all(&s->progress);
}

/* The job of worker k: its tasks in graph order. */
static void worker_job(void *arg, unsigned k)
{
	struct pipeline_schedule *s = arg;

	if (k >= s->n_workers)
		return;
	for (uint32_t i = s->first[k]; i < s->first[k + 1]; i++) {
		uint32_t t = s->order[i];
		const struct sched_task *task = &s->tasks[t];

		for (uint32_t d = 0; d < task->n_deps; d++)
			if (!wait_for(s, s->deps[task->first_dep + d], k))
				return;
		run_task(s, t);
		finish_task(s, t);
	}
}

/* After a whole run: the resets the units asked for. */
static void reset_unsane(struct pipeline_schedule *s)
{
	for (unsigned i = 0; i < s->n_fx; i++) {
		if (!atomic_load_explicit(&s->unsane[i], memory_order_relaxed))
			continue;
		atomic_store_explicit(&s->unsane[i], 0, memory_order_relaxed);
		s->fx[i]->ops->reset(s->fx[i]);
		atomic_fetch_add_explicit(&s->fx[i]->resets, 1, memory_order_relaxed);
	}
}

static void note_late(struct pipeline_schedule *s)
{
	s->late_fx = -1;
	for (uint32_t t = 0; t < s->n_tasks; t++) {
		if (!task_done(s, t)) {
			s->late_fx = s->units[s->tasks[t].first_unit].fx;
			return;
		}
	}
}

int pipeline_schedule_run(struct pipeline_schedule *s, struct workers *w,
                          float *const *bufs, uint32_t frames,
                          uint64_t deadline_ns)
{
	int r;

	if (w && !workers_idle(w))
		return -EBUSY;
	/* what a late run found not sane (it ended since: the pool is idle) */
	reset_unsane(s);
	s->bufs = bufs;
	s->frames = frames;
	if (!s->parallel || !w || workers_count(w) < s->n_workers) {
		for (uint32_t t = 0; t < s->n_tasks; t++)
			run_task(s, t);
		reset_unsane(s);
		return 0;
	}
	/* the workers' own copy of the row pointers: a late run must not
	 * follow the caller's array to its next rows */
	memcpy(s->rows, bufs, s->n_rows * sizeof(s->rows[0]));
	s->bufs = s->rows;
	s->deadline_ns = deadline_ns;
	/* 0 is every task's "never done": runs are numbered from 1.  When
	 * the numbers come round (the pool is idle), the old ones are
	 * forgotten: a task done, or a run given up, 2^32 runs ago must not
	 * pass for this run's */
	if (++s->run == 0) {
		for (uint32_t t = 0; t < s->n_tasks; t++)
			atomic_store_explicit(&s->done[t], 0, memory_order_relaxed);
		atomic_store_explicit(&s->abandoned, 0, memory_order_relaxed);
		s->run = 1;
	}
	r = workers_run(w, worker_job, s, deadline_ns);
	if (r == 0 && given_up(s))
		r = -ETIMEDOUT;        /* worker 0 gave up; the helpers followed */
	if (r == -ETIMEDOUT) {
		give_up(s);
		note_late(s);
		return r;
	}
	if (r < 0)
		return r;
	reset_unsane(s);
	return 0;
}
