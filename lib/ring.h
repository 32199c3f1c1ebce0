/* ring.h - single-producer single-consumer lock-free ring of fixed-size
 * records.
 *
 * Exactly one thread pushes and exactly one thread pops.  Indices run free
 * (wrap at 2^32) and are published with release stores and read with acquire
 * loads, the PipeWire spa_ringbuffer habit.  push/pop never block, never
 * allocate and never make a syscall: safe on the RT thread.  init/free
 * allocate and belong to the control thread. */
#ifndef DSPD_RING_H
#define DSPD_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct ring {
	_Atomic uint32_t write_index;  /* owned by the producer */
	char pad0[60];
	_Atomic uint32_t read_index;   /* owned by the consumer */
	char pad1[60];
	uint32_t mask;                 /* capacity - 1, capacity a power of 2 */
	uint32_t record_size;
	unsigned char *records;
};

/* capacity is rounded up to a power of two; returns 0 or -errno. */
int ring_init(struct ring *r, uint32_t record_size, uint32_t capacity);
void ring_free(struct ring *r);

static inline bool ring_push(struct ring *r, const void *record)
{
	uint32_t w = atomic_load_explicit(&r->write_index, memory_order_relaxed);
	uint32_t rd = atomic_load_explicit(&r->read_index, memory_order_acquire);
	if (w - rd > r->mask)
		return false;  /* full */
	memcpy(r->records + (size_t)(w & r->mask) * r->record_size, record,
	       r->record_size);
	atomic_store_explicit(&r->write_index, w + 1, memory_order_release);
	return true;
}

static inline bool ring_pop(struct ring *r, void *record)
{
	uint32_t rd = atomic_load_explicit(&r->read_index, memory_order_relaxed);
	uint32_t w = atomic_load_explicit(&r->write_index, memory_order_acquire);
	if (w == rd)
		return false;  /* empty */
	memcpy(record, r->records + (size_t)(rd & r->mask) * r->record_size,
	       r->record_size);
	atomic_store_explicit(&r->read_index, rd + 1, memory_order_release);
	return true;
}

/* Bulk producer side: reserve n records at once (all or nothing), fill
 * them through ring_slot(), then publish them with ring_commit(). */
static inline bool ring_reserve(struct ring *r, uint32_t n, uint32_t *ret_start)
{
	uint32_t w = atomic_load_explicit(&r->write_index, memory_order_relaxed);
	uint32_t rd = atomic_load_explicit(&r->read_index, memory_order_acquire);

	if (r->mask + 1 - (w - rd) < n)
		return false;
	*ret_start = w;
	return true;
}

static inline void *ring_slot(struct ring *r, uint32_t index)
{
	return r->records + (size_t)(index & r->mask) * r->record_size;
}

static inline void ring_commit(struct ring *r, uint32_t n)
{
	uint32_t w = atomic_load_explicit(&r->write_index, memory_order_relaxed);

	atomic_store_explicit(&r->write_index, w + n, memory_order_release);
}

/* Bulk consumer side: copy up to max records out; returns how many. */
static inline uint32_t ring_read(struct ring *r, void *out, uint32_t max)
{
	uint32_t rd = atomic_load_explicit(&r->read_index, memory_order_relaxed);
	uint32_t w = atomic_load_explicit(&r->write_index, memory_order_acquire);
	uint32_t n = w - rd < max ? w - rd : max;
	uint32_t first = (r->mask + 1) - (rd & r->mask);

	if (first > n)
		first = n;
	memcpy(out, ring_slot(r, rd), (size_t)first * r->record_size);
	memcpy((unsigned char *)out + (size_t)first * r->record_size, r->records,
	       (size_t)(n - first) * r->record_size);
	atomic_store_explicit(&r->read_index, rd + n, memory_order_release);
	return n;
}

/* Consumer: throw away everything waiting. */
static inline void ring_discard(struct ring *r)
{
	atomic_store_explicit(&r->read_index,
	                      atomic_load_explicit(&r->write_index, memory_order_acquire),
	                      memory_order_release);
}

/* Records waiting; exact for the consumer, a lower bound for the producer. */
static inline uint32_t ring_used(struct ring *r)
{
	return atomic_load_explicit(&r->write_index, memory_order_acquire) -
	       atomic_load_explicit(&r->read_index, memory_order_acquire);
}

#endif
