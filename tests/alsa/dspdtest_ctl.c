/* dspdtest_ctl.c - "dspdtest", the snd_ctl_ext control device of the rig:
 * the elements snd-aloop (mode "loopback", as loopback_mixer_new creates
 * them: six per device 0..1 and subdevice 0..7, iface PCM) or the UAC2
 * gadget's u_audio (mode "gadget": Capture Pitch 1000000, Capture Rate;
 * g_audio_setup) shows, plus an optional mixer pair (volume/switch
 * parameters, iface MIXER, the volume with a DB_SCALE TLV) in any mode or
 * alone (mode "mixer").  The values live in dspdtest_source.c, shared with
 * the PCMs of the process.
 *
 * Events: each open handle has a queue of elements whose value changed
 * (merged per element, like the kernel's snd_ctl_notify) and an eventfd
 * that is readable while the queue is not empty; every change queues an
 * event to every subscribed handle, the writer's own included.  The poll
 * descriptor is an epoll fd holding that eventfd and, with a "control"
 * path, an inotify watch on its directory, so a command written while
 * the application waits on the control device wakes it; the control file
 * is run at every callback.
 *
 * Callbacks run on the application's thread of the handle; the shared
 * values and every queue are guarded by shared.lock. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "dspdtest.h"

#include <alsa/control_external.h>

#define CTL_ELEMS_MAX (LOOP_DEVICES * LOOP_SUBDEVICES * 6 + 4)
#define DB_STEP 50                      /* TLV DB_SCALE: 0.5 dB steps ... */
#define DB_MIN (-6000)                  /* ... from -60 dB */

enum ctl_mode { MODE_LOOPBACK, MODE_GADGET, MODE_MIXER };

struct ctl_elem {
	enum control_value cv;
	unsigned int dev, sub;
	snd_ctl_elem_iface_t iface;
	int type;
	unsigned int access;
	long min, max;
};

struct ctl_handle {
	snd_ctl_ext_t ext;
	struct ctl_elem elems[CTL_ELEMS_MAX];
	unsigned int count;
	int event_fd, epoll_fd, inotify_fd;
	char *control_path;
	bool subscribed;
	unsigned int queue[CTL_ELEMS_MAX];      /* element indexes, FIFO */
	unsigned int queue_head, queue_len;
	bool queued[CTL_ELEMS_MAX];
	struct ctl_handle *next;
};

/* ---- the element table of a handle ------------------------------------- */

static void elem_add(struct ctl_handle *h, enum control_value cv,
		     unsigned int dev, unsigned int sub, snd_ctl_elem_iface_t iface,
		     int type, unsigned int access, long min, long max)
{
	h->elems[h->count++] = (struct ctl_elem){
		.cv = cv, .dev = dev, .sub = sub, .iface = iface, .type = type,
		.access = access, .min = min, .max = max,
	};
}

/* loopback_controls[] in loopback_mixer_new()'s order. */
static void elems_loopback(struct ctl_handle *h)
{
	const int integer = SND_CTL_ELEM_TYPE_INTEGER, boolean = SND_CTL_ELEM_TYPE_BOOLEAN;
	const unsigned int rw = SND_CTL_EXT_ACCESS_READWRITE, ro = SND_CTL_EXT_ACCESS_READ;
	const snd_ctl_elem_iface_t pcm = SND_CTL_ELEM_IFACE_PCM;

	for (unsigned int dev = 0; dev < LOOP_DEVICES; dev++) {
		for (unsigned int sub = 0; sub < LOOP_SUBDEVICES; sub++) {
			elem_add(h, CV_RATE_SHIFT, dev, sub, pcm, integer, rw, 80000, 120000);
			elem_add(h, CV_NOTIFY, dev, sub, pcm, boolean, rw, 0, 1);
			elem_add(h, CV_SLAVE_ACTIVE, dev, sub, pcm, boolean, ro, 0, 1);
			elem_add(h, CV_SLAVE_FORMAT, dev, sub, pcm, integer, ro,
				 0, SND_PCM_FORMAT_LAST);
			elem_add(h, CV_SLAVE_RATE, dev, sub, pcm, integer, ro, 0, 192000);
			elem_add(h, CV_SLAVE_CHANNELS, dev, sub, pcm, integer, ro, 1, 1024);
		}
	}
}

/* g_audio_setup(): the capture's feedback pitch and its rate. */
static void elems_gadget(struct ctl_handle *h)
{
	elem_add(h, CV_CAPTURE_PITCH, 0, 0, SND_CTL_ELEM_IFACE_PCM,
		 SND_CTL_ELEM_TYPE_INTEGER, SND_CTL_EXT_ACCESS_READWRITE,
		 750000, 1005000);
	elem_add(h, CV_CAPTURE_RATE, 0, 0, SND_CTL_ELEM_IFACE_PCM,
		 SND_CTL_ELEM_TYPE_INTEGER,
		 SND_CTL_EXT_ACCESS_READ | SND_CTL_EXT_ACCESS_VOLATILE, 8000, 768000);
}

static void elems_mixer(struct ctl_handle *h, bool volume, bool sw)
{
	if (volume)
		elem_add(h, CV_VOLUME, 0, 0, SND_CTL_ELEM_IFACE_MIXER,
			 SND_CTL_ELEM_TYPE_INTEGER, SND_CTL_EXT_ACCESS_READWRITE |
			 SND_CTL_EXT_ACCESS_TLV_READ | SND_CTL_EXT_ACCESS_TLV_CALLBACK,
			 0, -DB_MIN / DB_STEP);
	if (sw)
		elem_add(h, CV_SWITCH, 0, 0, SND_CTL_ELEM_IFACE_MIXER,
			 SND_CTL_ELEM_TYPE_BOOLEAN, SND_CTL_EXT_ACCESS_READWRITE, 0, 1);
}

/* ---- events (shared.lock held) ----------------------------------------- */

static void queue_push(struct ctl_handle *h, unsigned int idx)
{
	uint64_t one = 1;

	if (h->queued[idx])
		return;                 /* merged, as snd_ctl_notify does */
	h->queued[idx] = true;
	h->queue[(h->queue_head + h->queue_len) % CTL_ELEMS_MAX] = idx;
	if (h->queue_len++ == 0 && write(h->event_fd, &one, sizeof(one)) < 0)
		SNDERR("dspdtest: eventfd write failed");
}

static void queue_clear(struct ctl_handle *h)
{
	uint64_t count;

	memset(h->queued, 0, sizeof(h->queued));
	h->queue_len = 0;
	if (read(h->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		SNDERR("dspdtest: eventfd read failed");
}

void ctl_notify(enum control_value cv, unsigned int dev, unsigned int sub)
{
	shared.source.events[cv]++;
	for (struct ctl_handle *h = shared.ctl_handles; h; h = h->next) {
		if (!h->subscribed)
			continue;
		for (unsigned int i = 0; i < h->count; i++) {
			const struct ctl_elem *e = &h->elems[i];
			if (e->cv == cv && e->dev == dev && e->sub == sub)
				queue_push(h, i);
		}
	}
}

/* Run the control file; drain the inotify watch. Lock not held. */
static void handle_poll(struct ctl_handle *h)
{
	char buf[4096];

	if (h->inotify_fd >= 0)
		while (read(h->inotify_fd, buf, sizeof(buf)) > 0)
			;
	control_poll_path(h->control_path);
}

/* ---- callbacks --------------------------------------------------------- */

static void dspdtest_ctl_close(snd_ctl_ext_t *ext)
{
	struct ctl_handle *h = ext->private_data;

	pthread_mutex_lock(&shared.lock);
	for (struct ctl_handle **link = &shared.ctl_handles; *link; link = &(*link)->next) {
		if (*link == h) {
			*link = h->next;
			break;
		}
	}
	pthread_mutex_unlock(&shared.lock);
	if (h->inotify_fd >= 0)
		close(h->inotify_fd);
	if (h->epoll_fd >= 0)
		close(h->epoll_fd);
	if (h->event_fd >= 0)
		close(h->event_fd);
	free(h->control_path);
	free(h);
}

static int dspdtest_ctl_elem_count(snd_ctl_ext_t *ext)
{
	struct ctl_handle *h = ext->private_data;

	handle_poll(h);
	return (int)h->count;
}

static void elem_fill_id(const struct ctl_elem *e, snd_ctl_elem_id_t *id)
{
	snd_ctl_elem_id_set_interface(id, e->iface);
	snd_ctl_elem_id_set_name(id, control_name(e->cv));
	snd_ctl_elem_id_set_device(id, e->dev);
	snd_ctl_elem_id_set_subdevice(id, e->sub);
	snd_ctl_elem_id_set_index(id, 0);
}

static int dspdtest_ctl_elem_list(snd_ctl_ext_t *ext, unsigned int offset,
				  snd_ctl_elem_id_t *id)
{
	struct ctl_handle *h = ext->private_data;

	if (offset >= h->count)
		return -EINVAL;
	elem_fill_id(&h->elems[offset], id);
	return 0;
}

/* By numid (offset + 1, as snd_ctl_ext's elem_list numbers them) when the
 * id has no name, else by interface, name, device, subdevice, index. */
static snd_ctl_ext_key_t dspdtest_ctl_find_elem(snd_ctl_ext_t *ext,
						const snd_ctl_elem_id_t *id)
{
	struct ctl_handle *h = ext->private_data;
	const char *name = snd_ctl_elem_id_get_name(id);
	unsigned int numid = snd_ctl_elem_id_get_numid(id);

	if (!*name)
		return numid && numid <= h->count ? numid - 1 : SND_CTL_EXT_KEY_NOT_FOUND;
	for (unsigned int i = 0; i < h->count; i++) {
		const struct ctl_elem *e = &h->elems[i];
		if (!strcmp(name, control_name(e->cv)) &&
		    snd_ctl_elem_id_get_interface(id) == e->iface &&
		    snd_ctl_elem_id_get_device(id) == e->dev &&
		    snd_ctl_elem_id_get_subdevice(id) == e->sub &&
		    snd_ctl_elem_id_get_index(id) == 0) {
			/* the kernel returns the numid with the info (and
			 * snd_ctl_elem_tlv_read needs it: it looks a name-only
			 * id up with snd_ctl_elem_info, then fails -ENOENT on
			 * numid 0); snd_ctl_ext leaves it 0, so fill it in
			 * the caller's id, which is the info's or value's */
			snd_ctl_elem_id_set_numid((snd_ctl_elem_id_t *)id, i + 1);
			return i;
		}
	}
	return SND_CTL_EXT_KEY_NOT_FOUND;
}

static int dspdtest_ctl_get_attribute(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key,
				      int *type, unsigned int *acc,
				      unsigned int *count)
{
	struct ctl_handle *h = ext->private_data;

	if (key >= h->count)
		return -EINVAL;
	*type = h->elems[key].type;
	*acc = h->elems[key].access;
	*count = 1;
	return 0;
}

static int dspdtest_ctl_get_integer_info(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key,
					 long *imin, long *imax, long *istep)
{
	struct ctl_handle *h = ext->private_data;

	if (key >= h->count)
		return -EINVAL;
	*imin = h->elems[key].min;
	*imax = h->elems[key].max;
	*istep = 1;
	return 0;
}

static int dspdtest_ctl_read_integer(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key,
				     long *value)
{
	struct ctl_handle *h = ext->private_data;
	const struct ctl_elem *e;

	if (key >= h->count)
		return -EINVAL;
	handle_poll(h);
	e = &h->elems[key];
	pthread_mutex_lock(&shared.lock);
	*value = control_get(e->cv, e->dev, e->sub);
	pthread_mutex_unlock(&shared.lock);
	return 0;
}

/* 1 when the value changed (then every subscriber gets an event), 0. */
static int dspdtest_ctl_write_integer(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key,
				      long *value)
{
	struct ctl_handle *h = ext->private_data;
	const struct ctl_elem *e;
	int changed;

	if (key >= h->count)
		return -EINVAL;
	handle_poll(h);
	e = &h->elems[key];
	if (!(e->access & SND_CTL_EXT_ACCESS_WRITE))
		return -EPERM;          /* snd_ctl_elem_write on a read-only one */
	pthread_mutex_lock(&shared.lock);
	changed = control_set(e->cv, e->dev, e->sub, *value, true);
	pthread_mutex_unlock(&shared.lock);
	return changed;
}

static void dspdtest_ctl_subscribe_events(snd_ctl_ext_t *ext, int subscribe)
{
	struct ctl_handle *h = ext->private_data;

	pthread_mutex_lock(&shared.lock);
	h->subscribed = subscribe != 0;
	if (!h->subscribed)
		queue_clear(h);         /* the kernel empties the read queue */
	pthread_mutex_unlock(&shared.lock);
}

static int dspdtest_ctl_read_event(snd_ctl_ext_t *ext, snd_ctl_elem_id_t *id,
				   unsigned int *event_mask)
{
	struct ctl_handle *h = ext->private_data;
	unsigned int idx;
	uint64_t count;

	handle_poll(h);
	pthread_mutex_lock(&shared.lock);
	if (!h->queue_len) {
		pthread_mutex_unlock(&shared.lock);
		return -EAGAIN;
	}
	idx = h->queue[h->queue_head];
	h->queue_head = (h->queue_head + 1) % CTL_ELEMS_MAX;
	h->queued[idx] = false;
	if (--h->queue_len == 0 &&
	    read(h->event_fd, &count, sizeof(count)) < 0 && errno != EAGAIN)
		SNDERR("dspdtest: eventfd read failed");
	pthread_mutex_unlock(&shared.lock);
	snd_ctl_elem_id_clear(id);
	elem_fill_id(&h->elems[idx], id);
	snd_ctl_elem_id_set_numid(id, idx + 1);
	*event_mask = SND_CTL_EVENT_MASK_VALUE;
	return 1;
}

static int dspdtest_ctl_poll_revents(snd_ctl_ext_t *ext, struct pollfd *pfds,
				     unsigned int nfds, unsigned short *revents)
{
	struct ctl_handle *h = ext->private_data;

	if (nfds != 1 || pfds[0].fd != h->epoll_fd)
		return -EINVAL;
	handle_poll(h);
	pthread_mutex_lock(&shared.lock);
	*revents = h->queue_len ? POLLIN : 0;
	pthread_mutex_unlock(&shared.lock);
	return 0;
}

/* DECLARE_TLV_DB_SCALE(DB_MIN, DB_STEP, mute 0) for the volume. */
static int dspdtest_ctl_tlv(snd_ctl_ext_t *ext, snd_ctl_ext_key_t key, int op_flag,
			    unsigned int numid, unsigned int *tlv,
			    unsigned int tlv_size)
{
	struct ctl_handle *h = ext->private_data;
	const unsigned int scale[4] = {
		SND_CTL_TLVT_DB_SCALE, 2 * sizeof(unsigned int),
		(unsigned int)DB_MIN, DB_STEP,
	};

	(void)numid;
	if (key >= h->count || h->elems[key].cv != CV_VOLUME ||
	    (op_flag != 0 && op_flag != SND_CTL_EXT_ACCESS_TLV_READ))
		return -ENXIO;
	if (tlv_size < sizeof(scale))
		return -ENOMEM;
	memcpy(tlv, scale, sizeof(scale));
	return 0;
}

static const snd_ctl_ext_callback_t dspdtest_ctl_callback = {
	.close = dspdtest_ctl_close,
	.elem_count = dspdtest_ctl_elem_count,
	.elem_list = dspdtest_ctl_elem_list,
	.find_elem = dspdtest_ctl_find_elem,
	.get_attribute = dspdtest_ctl_get_attribute,
	.get_integer_info = dspdtest_ctl_get_integer_info,
	.read_integer = dspdtest_ctl_read_integer,
	.write_integer = dspdtest_ctl_write_integer,
	.subscribe_events = dspdtest_ctl_subscribe_events,
	.read_event = dspdtest_ctl_read_event,
	.poll_revents = dspdtest_ctl_poll_revents,
};

/* ---- construction ------------------------------------------------------ */

struct ctl_params {
	enum ctl_mode mode;
	const char *volume, *sw, *control;
};

static int ctl_params_parse(snd_config_t *conf, struct ctl_params *p)
{
	snd_config_iterator_t i, next;

	snd_config_for_each(i, next, conf) {
		snd_config_t *n = snd_config_iterator_entry(i);
		const char *id, *s;

		if (snd_config_get_id(n, &id) < 0)
			continue;
		if (!strcmp(id, "comment") || !strcmp(id, "type") ||
		    !strcmp(id, "hint"))
			continue;
		if (snd_config_get_string(n, &s) < 0) {
			SNDERR("dspdtest: ctl parameter '%s' must be a string", id);
			return -EINVAL;
		}
		if (!strcmp(id, "mode")) {
			if (!strcmp(s, "loopback"))
				p->mode = MODE_LOOPBACK;
			else if (!strcmp(s, "gadget"))
				p->mode = MODE_GADGET;
			else if (!strcmp(s, "mixer"))
				p->mode = MODE_MIXER;
			else {
				SNDERR("dspdtest: unknown ctl mode '%s'", s);
				return -EINVAL;
			}
		} else if (!strcmp(id, "volume")) {
			p->volume = s;
		} else if (!strcmp(id, "switch")) {
			p->sw = s;
		} else if (!strcmp(id, "control")) {
			p->control = s;
		} else {
			SNDERR("dspdtest: unknown ctl parameter '%s'", id);
			return -EINVAL;
		}
	}
	return 0;
}

static int ctl_fds_open(struct ctl_handle *h)
{
	struct epoll_event ev = { .events = EPOLLIN };
	char dir[PATH_MAX];

	h->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	h->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (h->event_fd < 0 || h->epoll_fd < 0)
		return -errno;
	if (epoll_ctl(h->epoll_fd, EPOLL_CTL_ADD, h->event_fd, &ev) < 0)
		return -errno;
	if (!h->control_path)
		return 0;
	snprintf(dir, sizeof(dir), "%s", h->control_path);
	h->inotify_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (h->inotify_fd < 0 ||
	    inotify_add_watch(h->inotify_fd, dirname(dir), IN_CLOSE_WRITE | IN_MOVED_TO) < 0 ||
	    epoll_ctl(h->epoll_fd, EPOLL_CTL_ADD, h->inotify_fd, &ev) < 0)
		return -errno;
	return 0;
}

/* The source kind the mode implies; -EINVAL when the process has
 * another. */
static int ctl_attach(struct ctl_handle *h, const struct ctl_params *p)
{
	enum source_kind kind = p->mode == MODE_LOOPBACK ? SOURCE_LOOPBACK :
				p->mode == MODE_GADGET ? SOURCE_GADGET : SOURCE_NONE;
	int err = 0;

	pthread_mutex_lock(&shared.lock);
	control_get(CV_RATE_SHIFT, 0, 0);       /* the defaults, once */
	control_set_mixer_names(p->volume, p->sw);
	if (kind != SOURCE_NONE && shared.source.kind == SOURCE_NONE)
		shared.source.kind = kind;
	else if (kind != SOURCE_NONE && shared.source.kind != kind)
		err = -EINVAL;
	if (!err) {
		h->next = shared.ctl_handles;
		shared.ctl_handles = h;
	}
	pthread_mutex_unlock(&shared.lock);
	if (err)
		SNDERR("dspdtest: ctl mode differs from the source kind of this process");
	return err;
}

SND_CTL_PLUGIN_DEFINE_FUNC(dspdtest)
{
	struct ctl_params p = { .mode = MODE_LOOPBACK, .volume = "", .sw = "", .control = "" };
	struct ctl_handle *h;
	int err;

	(void)root;
	err = ctl_params_parse(conf, &p);
	if (err < 0)
		return err;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->event_fd = h->epoll_fd = h->inotify_fd = -1;
	if (*p.control && !(h->control_path = strdup(p.control))) {
		free(h);
		return -ENOMEM;
	}
	if (p.mode == MODE_LOOPBACK)
		elems_loopback(h);
	else if (p.mode == MODE_GADGET)
		elems_gadget(h);
	elems_mixer(h, *p.volume, *p.sw);
	err = ctl_fds_open(h);
	if (err == 0)
		err = ctl_attach(h, &p);
	if (err < 0) {
		h->next = NULL;
		dspdtest_ctl_close(&h->ext);    /* not listed: closes the fds */
		return err;
	}
	h->ext.version = SND_CTL_EXT_VERSION;
	h->ext.card_idx = 0;
	snprintf(h->ext.id, sizeof(h->ext.id), "%s",
		 p.mode == MODE_GADGET ? "UAC2Gadget" : p.mode == MODE_LOOPBACK ?
		 "Loopback" : "dspdtest");
	snprintf(h->ext.driver, sizeof(h->ext.driver), "dspdtest");
	snprintf(h->ext.name, sizeof(h->ext.name), "dspdtest %s", h->ext.id);
	snprintf(h->ext.longname, sizeof(h->ext.longname),
		 "dspdtest control device (%s)", h->ext.id);
	snprintf(h->ext.mixername, sizeof(h->ext.mixername), "%s",
		 p.mode == MODE_LOOPBACK ? "Loopback Mixer" : "dspdtest Mixer");
	h->ext.poll_fd = h->epoll_fd;
	h->ext.callback = &dspdtest_ctl_callback;
	h->ext.private_data = h;
	h->ext.tlv.c = dspdtest_ctl_tlv;
	err = snd_ctl_ext_create(&h->ext, name, mode);
	if (err < 0) {
		dspdtest_ctl_close(&h->ext);
		return err;
	}
	*handlep = h->ext.handle;
	return 0;
}

SND_CTL_PLUGIN_SYMBOL(dspdtest);
