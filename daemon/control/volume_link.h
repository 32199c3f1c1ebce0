/* volume_link.h - the master gain linked to an ALSA volume element
 * (volume_link.c): cfg.volume.control / element / mute_element / create.
 * Control thread only. */
#ifndef DSPD_VOLUME_LINK_H
#define DSPD_VOLUME_LINK_H

#include <event2/event.h>

#include "control.h"

/* Make ctx->volume_link for ctx->running's volume settings and try to
 * link at once; the element's events are read from base.  A device or
 * element that is not there is an error in status (and the journal),
 * retried on the tick; audio is never stopped for it.  0 or -ENOMEM. */
int volume_link_start(struct ctl_context *ctx, struct event_base *base);
void volume_link_stop(struct ctl_context *ctx);
/* Every tick: retry a failed link with backoff (100 ms doubling to 5 s),
 * relink when the configuration's volume link settings changed, and write
 * a master gain changed by any path (reload, mute...) to the element. */
void volume_link_tick(struct ctl_context *ctx);
/* The master gain was just set by a request: write it to the element now
 * (nearest value).  Its echo does not come back to the gain. */
void volume_link_gain_changed(struct ctl_context *ctx);
/* status.volume_link. */
json_object *volume_link_json(struct ctl_context *ctx);

#endif
