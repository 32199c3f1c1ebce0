/* clock_trim.h - rate_adjust.method "pitch": the clocks' correction
 * written to a clock-trim element (clock_trim.c).  Control thread only. */
#ifndef DSPD_CLOCK_TRIM_H
#define DSPD_CLOCK_TRIM_H

#include "control.h"

/* Every tick (10 ms): write the newest correction when it moved by a
 * step of the element. */
void ctl_clock_trim_tick(struct ctl_context *ctx);
/* Added to status.clocks: method, element, value written. */
void ctl_clock_trim_json(struct ctl_context *ctx, json_object *clocks);
void ctl_clock_trim_free(struct ctl_context *ctx);

#endif
