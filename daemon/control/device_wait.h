/* device_wait.h - what the daemon does while its sound devices are gone
 * (device_wait.c).  Control thread only. */
#ifndef DSPD_DEVICE_WAIT_H
#define DSPD_DEVICE_WAIT_H

#include "control.h"

/* Every tick: notice a waiting engine, reopen its devices with backoff. */
void ctl_device_tick(struct ctl_context *ctx);
/* status.device: losses, reopens and, while waiting, the wait. */
json_object *device_json(struct ctl_context *ctx, const struct eng_status *st);

#endif
