/* ring.c - allocation of the SPSC ring (control thread only). */
#include "ring.h"

#include <errno.h>
#include <stdlib.h>

int ring_init(struct ring *r, uint32_t record_size, uint32_t capacity)
{
	uint32_t cap = 1;

	if (record_size == 0 || capacity == 0 || capacity > (1u << 24))
		return -EINVAL;
	while (cap < capacity)
		cap <<= 1;
	r->records = calloc(cap, record_size);
	if (!r->records)
		return -ENOMEM;
	r->mask = cap - 1;
	r->record_size = record_size;
	atomic_init(&r->write_index, 0);
	atomic_init(&r->read_index, 0);
	return 0;
}

void ring_free(struct ring *r)
{
	free(r->records);
	r->records = NULL;
}
