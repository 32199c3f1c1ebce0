/* meter.c - level meters: RT-side accumulation and control-side history
 * (see meter.h for which thread calls what). */
#include "meter.h"

#include <math.h>
#include <string.h>

#include "gain.h"

void meter_block_reset(struct meter_block *m, unsigned capture_channels,
                       unsigned playback_channels)
{
	memset(m, 0, sizeof(*m));
	m->channels[METER_TAP_CAPTURE] = capture_channels;
	m->channels[METER_TAP_PLAYBACK] = playback_channels;
}

void meter_block_add(struct meter_block *m, enum meter_tap tap,
                     const float *const *bufs, uint32_t frames,
                     float clip_level)
{
	for (unsigned ch = 0; ch < m->channels[tap]; ch++) {
		const float *x = bufs[ch];
		float peak = m->peak[tap][ch];
		float sumsq = 0.0f;
		uint32_t clipped = 0;

		for (uint32_t i = 0; i < frames; i++) {
			float a = fabsf(x[i]);

			peak = a > peak ? a : peak;
			sumsq += x[i] * x[i];
			clipped += clip_level > 0.0f && a >= clip_level;
		}
		m->peak[tap][ch] = peak;
		m->sumsq[tap][ch] += sumsq;
		m->clipped[tap][ch] += clipped;
	}
	if (tap == METER_TAP_CAPTURE)
		m->frames += frames;
}

void meter_block_add_clips(struct meter_block *m, enum meter_tap tap,
                           const uint64_t *clips)
{
	for (unsigned ch = 0; ch < m->channels[tap]; ch++)
		m->clipped[tap][ch] += (uint32_t)clips[ch];
}

void meter_history_init(struct meter_history *h)
{
	memset(h, 0, sizeof(*h));
	h->next_seq = 1;
}

void meter_history_push(struct meter_history *h, const struct meter_block *b)
{
	h->blocks[h->next_seq % METER_HISTORY] = *b;
	for (int tap = 0; tap < METER_TAPS; tap++)
		for (unsigned ch = 0; ch < b->channels[tap]; ch++)
			h->clipped_total[tap][ch] += b->clipped[tap][ch];
	h->next_seq++;
}

/* The newest blocks covering at least `frames`: the first seq of them. */
static uint64_t newest_covering(const struct meter_history *h, uint32_t frames)
{
	uint64_t oldest = h->next_seq > METER_HISTORY ? h->next_seq - METER_HISTORY : 1;
	uint64_t first = h->next_seq;
	uint32_t covered = 0;

	while (first > oldest && covered < frames)
		covered += h->blocks[--first % METER_HISTORY].frames;
	return first;
}

static void peak_hold(const struct meter_history *h, uint32_t hold_frames,
                      struct meter_reading *out)
{
	float hold[METER_TAPS][METER_MAX_CHANNELS] = {{0}};

	for (uint64_t seq = newest_covering(h, hold_frames); seq < h->next_seq; seq++) {
		const struct meter_block *b = &h->blocks[seq % METER_HISTORY];

		for (int tap = 0; tap < METER_TAPS; tap++)
			for (unsigned ch = 0; ch < b->channels[tap]; ch++)
				if (b->peak[tap][ch] > hold[tap][ch])
					hold[tap][ch] = b->peak[tap][ch];
	}
	for (int tap = 0; tap < METER_TAPS; tap++)
		for (unsigned ch = 0; ch < METER_MAX_CHANNELS; ch++)
			out->peak_hold_dbfs[tap][ch] = gain_linear_to_db(hold[tap][ch]);
}

uint64_t meter_history_read(const struct meter_history *h, uint64_t since_seq,
                            uint32_t default_frames, uint32_t hold_frames,
                            struct meter_reading *out)
{
	uint64_t oldest = h->next_seq > METER_HISTORY ? h->next_seq - METER_HISTORY : 1;
	uint64_t first;
	double sumsq[METER_TAPS][METER_MAX_CHANNELS] = {{0}};
	float peak[METER_TAPS][METER_MAX_CHANNELS] = {{0}};

	memset(out, 0, sizeof(*out));
	/* 0, or a cursor from another history (the engine was replaced) */
	if (since_seq == 0 || since_seq > h->next_seq) {
		first = newest_covering(h, default_frames);
	} else {
		first = since_seq < oldest ? oldest : since_seq;
	}
	if (h->next_seq > 1) {
		const struct meter_block *newest = &h->blocks[(h->next_seq - 1) % METER_HISTORY];

		out->channels[METER_TAP_CAPTURE] = newest->channels[METER_TAP_CAPTURE];
		out->channels[METER_TAP_PLAYBACK] = newest->channels[METER_TAP_PLAYBACK];
	}
	for (uint64_t seq = first; seq < h->next_seq; seq++) {
		const struct meter_block *b = &h->blocks[seq % METER_HISTORY];

		out->frames += b->frames;
		for (int tap = 0; tap < METER_TAPS; tap++)
			for (unsigned ch = 0; ch < b->channels[tap]; ch++) {
				sumsq[tap][ch] += b->sumsq[tap][ch];
				if (b->peak[tap][ch] > peak[tap][ch])
					peak[tap][ch] = b->peak[tap][ch];
			}
	}
	for (int tap = 0; tap < METER_TAPS; tap++)
		for (unsigned ch = 0; ch < METER_MAX_CHANNELS; ch++) {
			double ms = out->frames ? sumsq[tap][ch] / out->frames : 0.0;

			out->peak_dbfs[tap][ch] = gain_linear_to_db(peak[tap][ch]);
			out->rms_dbfs[tap][ch] = gain_linear_to_db(sqrt(ms));
			out->clipped[tap][ch] = h->clipped_total[tap][ch];
		}
	peak_hold(h, hold_frames, out);
	return h->next_seq;
}
