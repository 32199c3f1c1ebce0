/* load_hist.c - per-period processing time distribution (see load_hist.h
 * for threads). */
#include "load_hist.h"

#include <math.h>
#include <string.h>

#define SUB_BUCKETS 4               /* per octave */

void load_hist_init(struct load_hist *h)
{
	memset(h, 0, sizeof(*h));
}

unsigned load_hist_bucket(uint64_t ns)
{
	uint64_t us4 = ns * SUB_BUCKETS / 1000;    /* quarter microseconds */
	unsigned octave, sub, b;

	if (us4 < SUB_BUCKETS)
		return 0;                           /* below 1 us */
	octave = 63u - (unsigned)__builtin_clzll(us4 / SUB_BUCKETS);
	/* the two bits below the leading one pick the quarter octave */
	sub = (unsigned)((us4 >> octave) & (SUB_BUCKETS - 1));
	b = 1 + octave * SUB_BUCKETS + sub;
	return b < LOAD_HIST_BUCKETS ? b : LOAD_HIST_BUCKETS - 1;
}

double load_hist_upper_ns(unsigned bucket)
{
	unsigned octave, sub;

	if (bucket == 0)
		return 1000.0;
	octave = (bucket - 1) / SUB_BUCKETS;
	sub = (bucket - 1) % SUB_BUCKETS;
	return 1000.0 * ldexp(1.0 + (sub + 1.0) / SUB_BUCKETS, (int)octave);
}

void load_hist_add(struct load_hist *h, uint64_t ns)
{
	uint64_t max = atomic_load_explicit(&h->max_ns, memory_order_relaxed);

	atomic_fetch_add_explicit(&h->count[load_hist_bucket(ns)], 1, memory_order_relaxed);
	if (ns > max)
		atomic_store_explicit(&h->max_ns, ns, memory_order_relaxed);
}

static void snapshot(struct load_hist *h, uint32_t *counts)
{
	for (unsigned b = 0; b < LOAD_HIST_BUCKETS; b++)
		counts[b] = atomic_load_explicit(&h->count[b], memory_order_relaxed);
}

void load_hist_sample(struct load_hist *h)
{
	h->pos = (h->pos + 1) % (LOAD_HIST_WINDOW + 1);
	snapshot(h, h->snap[h->pos]);
	/* the RT thread may raise it again between the two: it then counts
	 * in the next second, never lost */
	h->snap_max[h->pos] = atomic_exchange_explicit(&h->max_ns, 0, memory_order_relaxed);
	if (h->filled < LOAD_HIST_WINDOW + 1)
		h->filled++;
}

void load_hist_read(struct load_hist *h, struct load_percentiles *out)
{
	unsigned oldest = h->filled > LOAD_HIST_WINDOW
	                  ? (h->pos + 1) % (LOAD_HIST_WINDOW + 1) : 0;
	uint32_t now[LOAD_HIST_BUCKETS], diff[LOAD_HIST_BUCKETS];
	uint64_t total = 0, seen = 0, max = atomic_load_explicit(&h->max_ns, memory_order_relaxed);
	double p50 = 0.0, p99 = 0.0;

	snapshot(h, now);
	for (unsigned b = 0; b < LOAD_HIST_BUCKETS; b++) {
		/* unsigned differences survive the counters wrapping */
		diff[b] = now[b] - h->snap[oldest][b];
		total += diff[b];
	}
	for (unsigned i = 0; i < h->filled; i++)
		if (h->snap_max[i] > max && i != oldest)
			max = h->snap_max[i];
	for (unsigned b = 0; b < LOAD_HIST_BUCKETS && total; b++) {
		seen += diff[b];
		if (p50 == 0.0 && seen * 2 >= total)
			p50 = load_hist_upper_ns(b);
		if (seen * 100 >= total * 99) {
			p99 = load_hist_upper_ns(b);
			break;
		}
	}
	/* A bucket's upper edge can lie above every sample in it (41 us alone
	 * reads 48 us); no percentile exceeds the largest sample, so the exact
	 * max bounds it and it still never understates. */
	if (total && p50 > (double)max)
		p50 = (double)max;
	if (total && p99 > (double)max)
		p99 = (double)max;
	out->periods = total;
	out->p50_ns = p50;
	out->p99_ns = p99;
	out->max_ns = (double)max;
}
