/* source.h - following the source (source.c): its rate, its stops and
 * starts, reported as "source" events and status.source.  Control thread
 * only. */
#ifndef DSPD_SOURCE_H
#define DSPD_SOURCE_H

#include "control.h"

/* Every tick (10 ms): read the source's control events, carry a switch
 * forward, report it when audio flows at the new rate. */
void ctl_source_tick(struct ctl_context *ctx);
/* status.source */
json_object *ctl_source_json(struct ctl_context *ctx);
void ctl_source_free(struct ctl_context *ctx);

#endif
