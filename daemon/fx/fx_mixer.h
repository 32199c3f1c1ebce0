/* fx_mixer.h - the "mixer" block: a routing matrix from channels_in to
 * channels_out channels.  Output o is the sum over the routes to o of
 * gain x input (gain from gain_db, negated by invert); an output without a
 * route is silence.  Gains are float, the inner loops float only; a single
 * 0 dB route copies its input bit-exactly.  The block changes the channel
 * count of the pipeline (fx->channels_out) and works through a scratch
 * buffer allocated in the constructor.
 * create/destroy: control thread; process/reset: RT thread. */
#ifndef DSPD_FX_MIXER_H
#define DSPD_FX_MIXER_H

#include <stddef.h>

#include "fx.h"

int fx_mixer_create(const struct cfg_block *cfg, const struct fx_env *env,
                    struct fx **ret, char *err, size_t err_len);

#endif
