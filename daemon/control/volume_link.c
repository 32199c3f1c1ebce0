/* volume_link.c - the master gain linked to an ALSA volume element, the
 * way a player (MPD, shairport-sync, squeezelite) sets it: the element's
 * change events are read from the event loop and its dB (TLV) becomes the
 * master gain with the default ramp (under the ceiling volume.max_db); a
 * mute switch becomes the mute; a gain set through the control socket is
 * written back to the element (its nearest value).  Which way a change
 * goes, without echo, is volume_sync.c's.  A missing element is created
 * as a user element with a dB scale when volume.create says so.  A device
 * or element that cannot be had is logged once, shown in
 * status.volume_link and retried on the tick (100 ms doubling to 5 s);
 * audio keeps playing throughout.  Control thread only. */
#include "volume_link.h"
#include "volume_sync.h"
#include "subscriptions.h"
#include "views.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alsa_ctl.h"
#include "backoff.h"
#include "clock.h"
#include "gain.h"
#include "log.h"

#define VL_MAX_FDS 4
#define FIRST_DELAY_MS 100
#define MAX_DELAY_MS 5000

enum vl_state { VL_OFF, VL_LINKED, VL_ERROR };

struct volume_link {
	struct ctl_context *ctx;
	struct event_base *base;
	struct event *ev[VL_MAX_FDS];
	unsigned n_ev;
	struct actl *actl;
	struct actl_elem vol, sw;
	bool has_sw, created;
	struct vsync sync;
	enum vl_state state;
	char last_error[256];
	unsigned attempts;
	struct backoff retry;
	bool vol_event, sw_event, removed;
	uint64_t followed, written;     /* element -> gain, gain -> element */
	/* the settings it was made for (cfg.volume) */
	char control[CFG_DEVICE_MAX];
	char element[CFG_NAME_MAX];
	char mute_element[CFG_NAME_MAX];
	bool create;
	double create_min_db, create_max_db;
};

static bool same_settings(const struct volume_link *l, const struct dspd_config *cfg)
{
	return strcmp(l->control, cfg->volume.control) == 0 &&
	       strcmp(l->element, cfg->volume.element) == 0 &&
	       strcmp(l->mute_element, cfg->volume.mute_element) == 0 &&
	       l->create == cfg->volume.create &&
	       l->create_min_db == cfg->volume.create_min_db &&
	       l->create_max_db == cfg->volume.create_max_db;
}

static void take_settings(struct volume_link *l, const struct dspd_config *cfg)
{
	snprintf(l->control, sizeof(l->control), "%s", cfg->volume.control);
	snprintf(l->element, sizeof(l->element), "%s", cfg->volume.element);
	snprintf(l->mute_element, sizeof(l->mute_element), "%s", cfg->volume.mute_element);
	l->create = cfg->volume.create;
	l->create_min_db = cfg->volume.create_min_db;
	l->create_max_db = cfg->volume.create_max_db;
}

static void unlink_device(struct volume_link *l)
{
	for (unsigned i = 0; i < l->n_ev; i++)
		event_free(l->ev[i]);
	l->n_ev = 0;
	actl_close(l->actl);
	l->actl = NULL;
	l->has_sw = false;
}

/* The link failed: say so once per distinct error, retry later. */
static void fail(struct volume_link *l, const char *fmt, ...)
{
	char msg[sizeof(l->last_error)];
	uint64_t now = monotonic_ns();
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	unlink_device(l);
	if (l->state != VL_ERROR || strcmp(msg, l->last_error) != 0)
		log_warning("volume link %s \"%s\": %s (audio keeps playing without "
		            "the link; retrying, at least every %d s)", l->control,
		            l->element, msg, MAX_DELAY_MS / 1000);
	snprintf(l->last_error, sizeof(l->last_error), "%s", msg);
	if (l->state != VL_ERROR)
		backoff_reset(&l->retry);
	backoff_failed(&l->retry, now, FIRST_DELAY_MS, MAX_DELAY_MS);
	l->state = VL_ERROR;
}

static void notify_gain(struct volume_link *l)
{
	struct eng_status st;
	json_object *note, *by = json_object_new_object();

	engine_status(l->ctx->engine, &st);
	note = gain_json(&st);
	json_object_object_add(by, "volume_link", json_object_new_string(l->element));
	json_object_object_add(note, "by", by);
	ctl_notify(l->ctx, PROTO_TOPIC_GAIN, "gain", note);
}

/* The element's value becomes the gain (when it changed). */
static int follow_volume(struct volume_link *l)
{
	struct eng_status st;
	double db, gain;
	long v;
	int r;

	if ((r = actl_read(l->actl, &l->vol, &v)) < 0)
		return r;
	if (!vsync_element_changed(&l->sync, v))
		return 0;
	if ((r = actl_to_db(l->actl, &l->vol, v, &db)) < 0)
		return r;
	engine_status(l->ctx->engine, &st);
	gain = vsync_gain_for(db, ACTL_DB_MUTE, GAIN_DB_MIN, st.max_db);
	if ((r = engine_set_gain(l->ctx->engine, gain, st.mute, -1.0)) < 0)
		return r;
	engine_status(l->ctx->engine, &st);
	vsync_gain_set(&l->sync, st.gain_db, st.mute);
	l->followed++;
	notify_gain(l);
	return 1;
}

static int follow_switch(struct volume_link *l)
{
	struct eng_status st;
	long v;
	int r;

	if ((r = actl_read(l->actl, &l->sw, &v)) < 0)
		return r;
	if (!vsync_switch_changed(&l->sync, v))
		return 0;
	engine_status(l->ctx->engine, &st);
	if ((r = engine_set_gain(l->ctx->engine, st.gain_db, v == 0, -1.0)) < 0)
		return r;
	vsync_gain_set(&l->sync, st.gain_db, v == 0);
	l->followed++;
	notify_gain(l);
	return 1;
}

/* The gain (and mute) to the element when they moved since last known
 * (force: in any case, to an element just created). */
static int push_gain(struct volume_link *l, bool force)
{
	struct eng_status st;
	long nearest;
	int r;

	engine_status(l->ctx->engine, &st);
	if (force || st.gain_db != l->sync.gain_db) {
		if ((r = actl_from_db(l->actl, &l->vol, st.gain_db, &nearest)) < 0)
			return r;
		if (vsync_gain_changed(&l->sync, st.gain_db, nearest)) {
			if ((r = actl_write(l->actl, &l->vol, nearest)) < 0)
				return r;
			l->written++;
		}
	}
	if (l->has_sw && (force || st.mute != l->sync.mute) &&
	    vsync_mute_changed(&l->sync, st.mute)) {
		if ((r = actl_write(l->actl, &l->sw, !st.mute)) < 0)
			return r;
		l->written++;
	}
	l->sync.mute = st.mute;
	return 0;
}

static void on_elem(unsigned numid, unsigned mask, void *data)
{
	struct volume_link *l = data;

	if (mask == SND_CTL_EVENT_MASK_REMOVE) {
		if (numid == l->vol.numid || (l->has_sw && numid == l->sw.numid))
			l->removed = true;
		return;
	}
	if (!(mask & (SND_CTL_EVENT_MASK_VALUE | SND_CTL_EVENT_MASK_INFO | SND_CTL_EVENT_MASK_TLV)))
		return;
	if (numid == l->vol.numid)
		l->vol_event = true;
	else if (l->has_sw && numid == l->sw.numid)
		l->sw_event = true;
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct volume_link *l = arg;
	int r;

	if (l->state != VL_LINKED || !l->ctx->engine)
		return;
	l->vol_event = l->sw_event = l->removed = false;
	if ((r = actl_read_events(l->actl, on_elem, l)) < 0) {
		fail(l, "reading the control device's events: %s", snd_strerror(r));
		return;
	}
	if (l->removed) {
		fail(l, "the element was removed");
		return;
	}
	if ((l->vol_event && (r = follow_volume(l)) < 0) ||
	    (l->sw_event && (r = follow_switch(l)) < 0))
		fail(l, "reading the element: %s", snd_strerror(r));
}

static int watch_fds(struct volume_link *l)
{
	struct pollfd fds[VL_MAX_FDS];
	int n = actl_poll_fds(l->actl, fds, VL_MAX_FDS);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++) {
		l->ev[l->n_ev] = event_new(l->base, fds[i].fd, EV_READ | EV_PERSIST,
		                           on_readable, l);
		if (!l->ev[l->n_ev] || event_add(l->ev[l->n_ev], NULL) < 0)
			return -ENOMEM;
		l->n_ev++;
	}
	return 0;
}

/* The volume element: found, or created when allowed. */
static int find_volume(struct volume_link *l)
{
	int r = actl_find(l->actl, l->element, ACTL_IFACE_ANY, ACTL_ANY, ACTL_ANY, &l->vol);

	l->created = false;
	if (r == -ENOENT && l->create) {
		r = actl_add_volume(l->actl, l->element, l->create_min_db,
		                    l->create_max_db, &l->vol);
		if (r < 0) {
			fail(l, "no such element, and creating it failed: %s%s",
			     snd_strerror(r), r == -ENXIO || r == -EPERM || r == -ENOSYS ||
			     r == -EINVAL ? " (this control device cannot add user "
			     "elements: a plugin device; name an existing element)" : "");
			return r;
		}
		l->created = true;
		log_info("volume link: created the element \"%s\" on %s (%g..%g dB, "
		         "0.5 dB steps)", l->element, l->control, l->create_min_db,
		         l->create_max_db);
		return 0;
	}
	if (r == -ENOENT) {
		fail(l, "no such element (volume.create is false)");
		return r;
	}
	if (r < 0) {
		fail(l, "cannot list the elements: %s", snd_strerror(r));
		return r;
	}
	if (l->vol.type != SND_CTL_ELEM_TYPE_INTEGER || !l->vol.has_db ||
	    !l->vol.readable || !l->vol.writable) {
		fail(l, "not a readable and writable integer element with a dB scale");
		return -EINVAL;
	}
	return 0;
}

static int find_switch(struct volume_link *l)
{
	int r;

	if (!l->mute_element[0])
		return 0;
	r = actl_find(l->actl, l->mute_element, ACTL_IFACE_ANY, ACTL_ANY, ACTL_ANY, &l->sw);
	if (r < 0) {
		fail(l, "mute element \"%s\": %s", l->mute_element,
		     r == -ENOENT ? "no such element" : snd_strerror(r));
		return r;
	}
	if (l->sw.type != SND_CTL_ELEM_TYPE_BOOLEAN) {
		fail(l, "mute element \"%s\" is not a switch (boolean)", l->mute_element);
		return -EINVAL;
	}
	l->has_sw = true;
	return 0;
}

/* Open, find (or create), read, and take the element's volume (or, for
 * an element just created, give it ours). */
static void try_link(struct volume_link *l)
{
	struct eng_status st;
	long v = 0, s = 1;
	int r;

	l->attempts++;
	if ((r = actl_open(&l->actl, l->control)) < 0) {
		fail(l, "cannot open the control device: %s", snd_strerror(r));
		return;
	}
	if (find_volume(l) < 0 || find_switch(l) < 0)
		return;
	if ((r = actl_read(l->actl, &l->vol, &v)) < 0 ||
	    (l->has_sw && (r = actl_read(l->actl, &l->sw, &s)) < 0)) {
		fail(l, "cannot read the element: %s", snd_strerror(r));
		return;
	}
	if ((r = watch_fds(l)) < 0) {
		fail(l, "cannot watch the control device: %s", strerror(-r));
		return;
	}
	engine_status(l->ctx->engine, &st);
	l->state = VL_LINKED;
	l->last_error[0] = '\0';
	backoff_reset(&l->retry);
	/* the element a player set wins; one we just made takes our gain */
	l->sync.known = false;
	l->sync.switch_known = false;
	vsync_gain_set(&l->sync, st.gain_db, st.mute);
	if (l->has_sw && !l->created)
		r = follow_switch(l);
	if (r >= 0)
		r = l->created ? push_gain(l, true) : follow_volume(l);
	if (r < 0) {
		fail(l, "cannot sync with the element: %s", snd_strerror(r));
		return;
	}
	log_info("volume link: %s \"%s\"%s%s%s linked (%g dB)", l->control, l->element,
	         l->has_sw ? ", mute \"" : "", l->has_sw ? l->mute_element : "",
	         l->has_sw ? "\"" : "", l->sync.gain_db);
}

int volume_link_start(struct ctl_context *ctx, struct event_base *base)
{
	struct volume_link *l = calloc(1, sizeof(*l));

	if (!l)
		return -ENOMEM;
	l->ctx = ctx;
	l->base = base;
	take_settings(l, ctx->running);
	ctx->volume_link = l;
	if (l->control[0] && ctx->engine)
		try_link(l);
	return 0;
}

void volume_link_stop(struct ctl_context *ctx)
{
	struct volume_link *l = ctx->volume_link;

	if (!l)
		return;
	unlink_device(l);
	free(l);
	ctx->volume_link = NULL;
}

void volume_link_tick(struct ctl_context *ctx)
{
	struct volume_link *l = ctx->volume_link;
	int r;

	if (!l || !ctx->engine)
		return;
	if (!same_settings(l, ctx->running)) {
		unlink_device(l);
		take_settings(l, ctx->running);
		l->state = VL_OFF;
		l->attempts = 0;
		l->last_error[0] = '\0';
		if (l->control[0])
			try_link(l);
		return;
	}
	if (l->state == VL_ERROR && backoff_due(&l->retry, monotonic_ns()))
		try_link(l);
	else if (l->state == VL_LINKED && (r = push_gain(l, false)) < 0)
		fail(l, "cannot write the element: %s", snd_strerror(r));
}

void volume_link_gain_changed(struct ctl_context *ctx)
{
	struct volume_link *l = ctx->volume_link;
	int r;

	if (l && l->state == VL_LINKED && ctx->engine && (r = push_gain(l, false)) < 0)
		fail(l, "cannot write the element: %s", snd_strerror(r));
}

json_object *volume_link_json(struct ctl_context *ctx)
{
	static const char *const states[] = { "off", "linked", "error" };
	struct volume_link *l = ctx->volume_link;
	json_object *o = json_object_new_object();
	uint64_t now = monotonic_ns();
	double db;
	long v;

	if (!l || !l->control[0]) {
		json_object_object_add(o, "state", json_object_new_string("off"));
		return o;
	}
	json_object_object_add(o, "state", json_object_new_string(states[l->state]));
	json_object_object_add(o, "device", json_object_new_string(l->control));
	json_object_object_add(o, "element", json_object_new_string(l->element));
	json_object_object_add(o, "mute_element", l->mute_element[0]
	                       ? json_object_new_string(l->mute_element) : NULL);
	json_object_object_add(o, "created", json_object_new_boolean(l->created));
	json_object_object_add(o, "last_error", l->last_error[0]
	                       ? json_object_new_string(l->last_error) : NULL);
	json_object_object_add(o, "attempts", json_object_new_int64(l->attempts));
	if (l->state == VL_ERROR)
		json_object_object_add(o, "next_attempt_ms",
		                       json_number(l->retry.next_ns > now ? (l->retry.next_ns - now) / 1e6 : 0.0, 1.0));
	if (l->state == VL_LINKED && actl_read(l->actl, &l->vol, &v) == 0) {
		json_object_object_add(o, "value", json_object_new_int64(v));
		json_object_object_add(o, "min", json_object_new_int64(l->vol.min));
		json_object_object_add(o, "max", json_object_new_int64(l->vol.max));
		if (actl_to_db(l->actl, &l->vol, v, &db) == 0)
			json_object_object_add(o, "db", db <= ACTL_DB_MUTE ? NULL : json_number(db, 0.01));
	}
	json_object_object_add(o, "followed", json_object_new_int64((int64_t)l->followed));
	json_object_object_add(o, "written", json_object_new_int64((int64_t)l->written));
	return o;
}
