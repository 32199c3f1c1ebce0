/* subscriptions.h - what the daemon pushes without being asked: topic
 * notifications and the sample stream of a `record` (subscriptions.c).
 * Control thread only. */
#ifndef DSPD_SUBSCRIPTIONS_H
#define DSPD_SUBSCRIPTIONS_H

#include "control.h"

/* Push a notification to every session subscribed to topic; takes
 * ownership of params. */
void ctl_notify(struct ctl_context *ctx, enum proto_topic topic,
                const char *method, json_object *params);
void ctl_notify_xrun(struct ctl_context *ctx, const struct eng_xrun *x);
/* Every ~10 ms: state changes, due level notifications, record data. */
void ctl_tick(struct ctl_context *ctx);
/* The engine is about to be replaced: end every recording with an error. */
void ctl_abort_recordings(struct ctl_context *ctx, const char *reason);
/* A session is going away: stop what it started. */
void ctl_session_release(struct ctl_context *ctx, struct ctl_session *s);

#endif
