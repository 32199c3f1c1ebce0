/* meter.h - per-channel peak / RMS / clip meters at the capture (pre-DSP)
 * and playback (post-DSP) tap points.
 *
 * The RT thread adds each period into a struct meter_block and, every ~10 ms,
 * pushes the block through the engine's event ring (no locks, no allocation).
 * The control thread keeps the last METER_HISTORY blocks in a
 * struct meter_history and answers queries from it ("since my last call",
 * "over the last 300 ms").  meter_block_* : RT thread.  meter_history_* :
 * control thread. */
#ifndef DSPD_METER_H
#define DSPD_METER_H

#include <stdint.h>

#define METER_MAX_CHANNELS 32
#define METER_HISTORY 512          /* blocks kept: ~5 s at 10 ms blocks */
#define METER_FLOOR_DB -200.0      /* reported for silence (finite JSON) */

enum meter_tap { METER_TAP_CAPTURE, METER_TAP_PLAYBACK, METER_TAPS };

struct meter_block {
	uint32_t frames;
	uint32_t channels[METER_TAPS];
	float peak[METER_TAPS][METER_MAX_CHANNELS];
	double sumsq[METER_TAPS][METER_MAX_CHANNELS];
	uint32_t clipped[METER_TAPS][METER_MAX_CHANNELS];
};

void meter_block_reset(struct meter_block *m, unsigned capture_channels,
                       unsigned playback_channels);
/* Peak and energy of `frames` frames; counts |x| >= clip_level as clipped
 * when clip_level > 0. */
void meter_block_add(struct meter_block *m, enum meter_tap tap,
                     const float *const *bufs, uint32_t frames,
                     float clip_level);
void meter_block_add_clips(struct meter_block *m, enum meter_tap tap,
                           const uint64_t *clips);

struct meter_reading {
	uint32_t frames;                       /* frames the reading covers */
	uint32_t channels[METER_TAPS];
	double peak_dbfs[METER_TAPS][METER_MAX_CHANNELS];
	double rms_dbfs[METER_TAPS][METER_MAX_CHANNELS];
	double peak_hold_dbfs[METER_TAPS][METER_MAX_CHANNELS]; /* newest hold_frames */
	uint64_t clipped[METER_TAPS][METER_MAX_CHANNELS]; /* since start */
};

struct meter_history {
	struct meter_block blocks[METER_HISTORY];
	uint64_t next_seq;                     /* seq of the next block pushed */
	uint64_t clipped_total[METER_TAPS][METER_MAX_CHANNELS];
};

void meter_history_init(struct meter_history *h);
void meter_history_push(struct meter_history *h, const struct meter_block *b);
/* Aggregate blocks with seq >= since_seq (0: the newest blocks covering at
 * least default_frames); the peak hold covers the newest hold_frames.
 * Returns the seq to pass next time. */
uint64_t meter_history_read(const struct meter_history *h, uint64_t since_seq,
                            uint32_t default_frames, uint32_t hold_frames,
                            struct meter_reading *out);

#endif
