/* events.h - one line of text per daemon notification, for dspctl monitor.
 * Single-threaded (dspctl's main thread). */
#ifndef DSPCTL_EVENTS_H
#define DSPCTL_EVENTS_H

#include <json-c/json.h>
#include <stdio.h>

/* "2026-11-25 12:00:00.123 xrun     capture, 9600 frames lost": the local
 * time of arrival, the notification's method and its gist. */
void event_print_line(FILE *out, const char *method, json_object *params);

/* For --json: a new object holding params' members plus "event": method.
 * A member of params already called "event" (the config notification's
 * reloaded/rejected) is kept as "outcome". */
json_object *event_json(const char *method, json_object *params);

#endif
