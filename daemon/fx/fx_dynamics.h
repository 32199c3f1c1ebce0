/* fx_dynamics.h - the dynamics blocks: "compressor", "limiter", "gate".
 *
 * compressor: feed-forward, level from the sample peak or a mean square
 *   over rms_ms; static curve in dB with a quadratic soft knee of knee_db
 *   centred on threshold_db (Giannoulis, Massberg, Reiss 2012):
 *     over = level - threshold
 *     gain = 0                                   2 over < -knee
 *            (1/ratio - 1) (over + knee/2)^2 / (2 knee)   |2 over| <= knee
 *            (1/ratio - 1) over                  2 over > knee
 *   then smoothed in dB: attack_ms / release_ms are the time constants
 *   (63 %) of a one-pole moving towards more / less reduction; makeup gain
 *   last.  link: one gain from the loudest channel, else one per channel.
 * limiter: linked brickwall with lookahead: the channels are delayed by
 *   lookahead frames (its latency_frames); the gain is a moving minimum of
 *   the needed gain over lookahead + 1 frames, released with a one-pole of
 *   release_ms and smoothed by a moving average over the same window, so a
 *   sample is never louder than the ceiling (the gain aims a millionth
 *   below it, which covers float rounding) and below-ceiling audio passes
 *   bit-exactly once the lookahead delay has passed.
 * gate: linked; open while any channel's sample peak reaches threshold_db
 *   and for hold_ms after, then closes to -range_db; attack_ms / release_ms
 *   are the one-pole time constants of opening / closing (linear gain).
 *
 * create/destroy: control thread; process/reset: RT thread;
 * fx_dynamics_gain_reduction_db: any thread. */
#ifndef DSPD_FX_DYNAMICS_H
#define DSPD_FX_DYNAMICS_H

#include <stdbool.h>
#include <stddef.h>

#include "fx.h"

/* The largest gain reduction of the last processed period, in dB (>= 0:
 * 6.0 means the gain was lowered by 6 dB; makeup gain not counted), of a
 * compressor, limiter or gate; 0 for any other block.  Relaxed atomic read,
 * safe from the control thread while the RT thread processes. */
double fx_dynamics_gain_reduction_db(const struct fx *fx);
bool fx_is_dynamics(const struct fx *fx);

int fx_compressor_create(const struct cfg_block *cfg, const struct fx_env *env,
                         struct fx **ret, char *err, size_t err_len);
int fx_limiter_create(const struct cfg_block *cfg, const struct fx_env *env,
                      struct fx **ret, char *err, size_t err_len);
int fx_gate_create(const struct cfg_block *cfg, const struct fx_env *env,
                   struct fx **ret, char *err, size_t err_len);

#endif
