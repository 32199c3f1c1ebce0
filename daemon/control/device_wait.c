/* device_wait.c - what the daemon does while its sound devices are gone:
 * the engine has stopped in ENG_WAITING (a USB card unplugged, a driver
 * gone, recovery failing again and again, or a device that stalled
 * ENG_STALL_LIMIT periods in a row: a JACK PCM whose server died); every attempt to open them
 * again comes after a delay that doubles from 100 ms to 5 s, so a card
 * that never returns costs a few opens every 5 s, not a busy loop.  The
 * control socket keeps answering throughout: attempts are made from the
 * event loop's tick and an open of a missing device fails at once.
 * Control thread only. */
#include "device_wait.h"
#include "views.h"
#include "clock.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>

#include "log.h"

#define FIRST_DELAY_MS 100
#define MAX_DELAY_MS 5000

static void begin_wait(struct ctl_device_wait *w, const struct eng_status *st,
                       uint64_t now)
{
	bool stalled = st->stall_losses > w->stall_losses_before;

	memset(w, 0, sizeof(*w));
	w->stalled = stalled;
	w->stall_losses_before = st->stall_losses;
	w->since_ns = now;
	w->since_realtime_ns = realtime_ns();
	w->delay_ms = FIRST_DELAY_MS;
	w->next_ns = now + FIRST_DELAY_MS * 1000000ull;
	if (stalled)
		log_warning("audio devices stalled %d periods in a row: closed, "
		            "reopening them, output stopped (status shows state "
		            "\"waiting\")", ENG_STALL_LIMIT);
	else
		log_warning("audio devices lost: waiting for them, output stopped "
		            "(status shows state \"waiting\")");
	sd_notify(0, "STATUS=waiting for the audio devices");
}

static void end_wait(struct ctl_device_wait *w, uint64_t now)
{
	log_info("audio devices back after %.1f s (%u attempt%s); audio resumed",
	         (now - w->since_ns) / 1e9, w->attempts, w->attempts == 1 ? "" : "s");
	memset(w, 0, sizeof(*w));
}

static void try_reopen(struct ctl_context *ctx, struct ctl_device_wait *w, uint64_t now)
{
	char err[sizeof(w->last_error)];

	w->attempts++;
	if (engine_reopen(ctx->engine, err, sizeof(err)) == 0)
		return;                 /* running again: end_wait() on a later tick */
	if (strcmp(err, w->last_error) != 0) {
		log_warning("cannot reopen the audio devices: %s (retrying, at "
		            "least every %d s)", err, MAX_DELAY_MS / 1000);
		snprintf(w->last_error, sizeof(w->last_error), "%s", err);
	}
	w->delay_ms = w->delay_ms * 2 > MAX_DELAY_MS ? MAX_DELAY_MS : w->delay_ms * 2;
	w->next_ns = now + (uint64_t)w->delay_ms * 1000000ull;
}

/* Brings the wait record in line with the engine's state: the RT thread
 * may have stopped in ENG_WAITING since the last tick, and a status taken
 * in between must already show what is being waited for.  Returns true
 * while waiting. */
static bool follow_engine(struct ctl_device_wait *w, const struct eng_status *st, uint64_t now)
{
	if (st->state != ENG_WAITING) {
		if (w->since_ns && st->state == ENG_RUNNING)
			end_wait(w, now);
		w->stall_losses_before = st->stall_losses;
		return false;
	}
	if (!w->since_ns)
		begin_wait(w, st, now);
	return true;
}

void ctl_device_tick(struct ctl_context *ctx)
{
	struct ctl_device_wait *w = &ctx->device_wait;
	uint64_t now = monotonic_ns();
	struct eng_status st;

	engine_status(ctx->engine, &st);
	if (follow_engine(w, &st, now) && now >= w->next_ns)
		try_reopen(ctx, w, now);
}

json_object *device_json(struct ctl_context *ctx, const struct eng_status *st)
{
	struct ctl_device_wait *w = &ctx->device_wait;
	json_object *o = json_object_new_object();

	follow_engine(w, st, monotonic_ns());

	json_object_object_add(o, "losses", json_object_new_int64((int64_t)st->losses));
	json_object_object_add(o, "reopens", json_object_new_int64((int64_t)st->reopens));
	json_object_object_add(o, "stall_losses", json_object_new_int64((int64_t)st->stall_losses));
	json_object_object_add(o, "stall_timeouts", json_object_new_int64(st->stall_timeouts));
	json_object_object_add(o, "stall_limit", json_object_new_int64(ENG_STALL_LIMIT));
	if (w->since_ns) {
		json_object *wait = json_object_new_object();
		uint64_t now = monotonic_ns();
		char when[64];

		format_utc(w->since_realtime_ns, when, sizeof(when));
		json_object_object_add(wait, "since", json_object_new_string(when));
		json_object_object_add(wait, "seconds", json_number((now - w->since_ns) / 1e9, 0.01));
		json_object_object_add(wait, "attempts", json_object_new_int64(w->attempts));
		json_object_object_add(wait, "next_attempt_ms",
		                       json_number(w->next_ns > now ? (w->next_ns - now) / 1e6 : 0.0, 1.0));
		json_object_object_add(wait, "last_error", json_object_new_string(w->last_error));
		json_object_object_add(wait, "reason", json_object_new_string(w->stalled ? "stalled" : "lost"));
		json_object_object_add(o, "waiting", wait);
	}
	return o;
}
