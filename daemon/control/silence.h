/* silence.h - idle after a long silence, and the output released while
 * idle (silence.c).  Control thread only. */
#ifndef DSPD_SILENCE_H
#define DSPD_SILENCE_H

#include "control.h"

/* Every tick (10 ms): read the capture's meters since the last tick. */
void ctl_silence_tick(struct ctl_context *ctx);
/* Whether the input has been silent for silence.seconds. */
bool ctl_silence_idle(const struct ctl_context *ctx);
/* status.silence */
json_object *ctl_silence_json(struct ctl_context *ctx);
void ctl_silence_free(struct ctl_context *ctx);

#endif
