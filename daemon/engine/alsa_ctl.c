/* alsa_ctl.c - ALSA control elements (alsa_ctl.h): one open control device,
 * nonblocking and subscribed to its events; finding an element by name,
 * reading and writing it, its dB scale (TLV), creating a user volume
 * element, reading its change events.  Control thread only: each call is
 * an ioctl or a plugin call that may block briefly, never for the RT
 * thread. */
#include "alsa_ctl.h"

#include <alsa/asoundlib.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct actl {
	snd_ctl_t *ctl;
	char device[256];
};

int actl_open(struct actl **out, const char *device)
{
	struct actl *c = calloc(1, sizeof(*c));
	int r;

	*out = NULL;
	if (!c)
		return -ENOMEM;
	snprintf(c->device, sizeof(c->device), "%s", device);
	if ((r = snd_ctl_open(&c->ctl, device, SND_CTL_NONBLOCK)) < 0) {
		free(c);
		return r;
	}
	if ((r = snd_ctl_subscribe_events(c->ctl, 1)) < 0) {
		snd_ctl_close(c->ctl);
		free(c);
		return r;
	}
	*out = c;
	return 0;
}

void actl_close(struct actl *c)
{
	if (!c)
		return;
	snd_ctl_close(c->ctl);
	free(c);
}

const char *actl_device(const struct actl *c)
{
	return c->device;
}

int actl_poll_fds(struct actl *c, struct pollfd *fds, unsigned max)
{
	int n = snd_ctl_poll_descriptors_count(c->ctl);

	if (n < 0)
		return n;
	if ((unsigned)n > max)
		n = (int)max;
	return snd_ctl_poll_descriptors(c->ctl, fds, (unsigned)n);
}

/* The element's full id (numid and name: plugins find elements either way). */
static void elem_id(const struct actl_elem *el, snd_ctl_elem_id_t *id)
{
	snd_ctl_elem_id_clear(id);
	snd_ctl_elem_id_set_numid(id, el->numid);
	snd_ctl_elem_id_set_interface(id, (snd_ctl_elem_iface_t)el->iface);
	snd_ctl_elem_id_set_device(id, (unsigned)el->device);
	snd_ctl_elem_id_set_subdevice(id, (unsigned)el->subdevice);
	snd_ctl_elem_id_set_index(id, (unsigned)el->index);
	snd_ctl_elem_id_set_name(id, el->name);
}

/* Fill out from the element's info. */
static int describe(struct actl *c, const snd_ctl_elem_id_t *id, struct actl_elem *out)
{
	snd_ctl_elem_info_t *info;
	long min_db, max_db;
	int r;

	snd_ctl_elem_info_alloca(&info);
	snd_ctl_elem_info_set_id(info, id);
	if ((r = snd_ctl_elem_info(c->ctl, info)) < 0)
		return r;
	memset(out, 0, sizeof(*out));
	out->numid = snd_ctl_elem_info_get_numid(info);
	snprintf(out->name, sizeof(out->name), "%s", snd_ctl_elem_info_get_name(info));
	out->iface = (int)snd_ctl_elem_info_get_interface(info);
	out->device = (int)snd_ctl_elem_info_get_device(info);
	out->subdevice = (int)snd_ctl_elem_info_get_subdevice(info);
	out->index = (int)snd_ctl_elem_info_get_index(info);
	out->type = (int)snd_ctl_elem_info_get_type(info);
	out->count = snd_ctl_elem_info_get_count(info);
	if (out->type == SND_CTL_ELEM_TYPE_INTEGER) {
		out->min = snd_ctl_elem_info_get_min(info);
		out->max = snd_ctl_elem_info_get_max(info);
		out->step = snd_ctl_elem_info_get_step(info);
	} else if (out->type == SND_CTL_ELEM_TYPE_BOOLEAN) {
		out->min = 0;
		out->max = 1;
		out->step = 1;
	}
	out->readable = snd_ctl_elem_info_is_readable(info);
	out->writable = snd_ctl_elem_info_is_writable(info);
	out->user = snd_ctl_elem_info_is_user(info);
	out->has_db = out->type == SND_CTL_ELEM_TYPE_INTEGER &&
	              snd_ctl_elem_info_is_tlv_readable(info) &&
	              snd_ctl_get_dB_range(c->ctl, id, &min_db, &max_db) == 0;
	return 0;
}

static bool matches(const snd_ctl_elem_id_t *id, const char *name, int iface,
                    int device, int subdevice)
{
	return strcmp(snd_ctl_elem_id_get_name(id), name) == 0 &&
	       (iface == ACTL_IFACE_ANY || (int)snd_ctl_elem_id_get_interface(id) == iface) &&
	       (device == ACTL_ANY || (int)snd_ctl_elem_id_get_device(id) == device) &&
	       (subdevice == ACTL_ANY || (int)snd_ctl_elem_id_get_subdevice(id) == subdevice);
}

int actl_find(struct actl *c, const char *name, int iface, int device,
              int subdevice, struct actl_elem *out)
{
	snd_ctl_elem_list_t *list;
	snd_ctl_elem_id_t *id;
	unsigned count;
	int r = -ENOENT;

	snd_ctl_elem_list_alloca(&list);
	snd_ctl_elem_id_alloca(&id);
	if ((r = snd_ctl_elem_list(c->ctl, list)) < 0)
		return r;
	count = snd_ctl_elem_list_get_count(list);
	if (count == 0)
		return -ENOENT;
	if ((r = snd_ctl_elem_list_alloc_space(list, count)) < 0)
		return r;
	if ((r = snd_ctl_elem_list(c->ctl, list)) < 0)
		goto out;
	r = -ENOENT;
	for (unsigned i = 0; i < snd_ctl_elem_list_get_used(list); i++) {
		snd_ctl_elem_list_get_id(list, i, id);
		if (matches(id, name, iface, device, subdevice)) {
			r = describe(c, id, out);
			break;
		}
	}
out:
	snd_ctl_elem_list_free_space(list);
	return r;
}

int actl_read(struct actl *c, const struct actl_elem *el, long *value)
{
	snd_ctl_elem_value_t *v;
	snd_ctl_elem_id_t *id;
	int r;

	snd_ctl_elem_value_alloca(&v);
	snd_ctl_elem_id_alloca(&id);
	elem_id(el, id);
	snd_ctl_elem_value_set_id(v, id);
	if ((r = snd_ctl_elem_read(c->ctl, v)) < 0)
		return r;
	if (el->type == SND_CTL_ELEM_TYPE_BOOLEAN)
		*value = snd_ctl_elem_value_get_boolean(v, 0);
	else if (el->type == SND_CTL_ELEM_TYPE_INTEGER)
		*value = snd_ctl_elem_value_get_integer(v, 0);
	else
		return -EINVAL;
	return 0;
}

int actl_write(struct actl *c, const struct actl_elem *el, long value)
{
	snd_ctl_elem_value_t *v;
	snd_ctl_elem_id_t *id;
	int r;

	snd_ctl_elem_value_alloca(&v);
	snd_ctl_elem_id_alloca(&id);
	elem_id(el, id);
	snd_ctl_elem_value_set_id(v, id);
	for (unsigned i = 0; i < el->count; i++) {
		if (el->type == SND_CTL_ELEM_TYPE_BOOLEAN)
			snd_ctl_elem_value_set_boolean(v, i, value != 0);
		else if (el->type == SND_CTL_ELEM_TYPE_INTEGER)
			snd_ctl_elem_value_set_integer(v, i, value);
		else
			return -EINVAL;
	}
	r = snd_ctl_elem_write(c->ctl, v);
	return r < 0 ? r : 0;
}

int actl_to_db(struct actl *c, const struct actl_elem *el, long value, double *db)
{
	snd_ctl_elem_id_t *id;
	long centi;
	int r;

	if (!el->has_db)
		return -ENXIO;
	snd_ctl_elem_id_alloca(&id);
	elem_id(el, id);
	if ((r = snd_ctl_convert_to_dB(c->ctl, id, value, &centi)) < 0)
		return r;
	*db = centi <= SND_CTL_TLV_DB_GAIN_MUTE ? ACTL_DB_MUTE : centi / 100.0;
	return 0;
}

/* The value nearest db: alsa-lib rounds one way; try both, keep the
 * closer (a mute step counts as very far below everything). */
int actl_from_db(struct actl *c, const struct actl_elem *el, double db, long *value)
{
	snd_ctl_elem_id_t *id;
	long lo, hi, centi = lround(db * 100.0);
	double db_lo, db_hi;
	int r;

	if (!el->has_db)
		return -ENXIO;
	if (!isfinite(db))
		return -EINVAL;
	snd_ctl_elem_id_alloca(&id);
	elem_id(el, id);
	if ((r = snd_ctl_convert_from_dB(c->ctl, id, centi, &lo, -1)) < 0 ||
	    (r = snd_ctl_convert_from_dB(c->ctl, id, centi, &hi, 1)) < 0)
		return r;
	if (lo < el->min)
		lo = el->min;
	if (hi > el->max)
		hi = el->max;
	if (lo == hi || actl_to_db(c, el, lo, &db_lo) < 0 ||
	    actl_to_db(c, el, hi, &db_hi) < 0) {
		*value = lo;
		return 0;
	}
	*value = fabs(db - db_hi) < fabs(db - db_lo) ? hi : lo;
	return 0;
}

int actl_add_volume(struct actl *c, const char *name, double min_db,
                    double max_db, struct actl_elem *out)
{
	unsigned tlv[4];
	snd_ctl_elem_info_t *info;
	snd_ctl_elem_id_t *id;
	long steps, initial;
	int r;

	if (!(max_db > min_db) || (max_db - min_db) / 0.5 > 100000.0)
		return -EINVAL;
	steps = lround((max_db - min_db) / 0.5);
	initial = min_db <= 0.0 && max_db >= 0.0 ? lround(-min_db / 0.5) : steps;
	tlv[0] = SND_CTL_TLVT_DB_SCALE;
	tlv[1] = 2 * sizeof(unsigned);
	tlv[2] = (unsigned)(int)lround(min_db * 100.0);
	tlv[3] = 50;                            /* 0.5 dB, no mute step */
	snd_ctl_elem_id_alloca(&id);
	snd_ctl_elem_info_alloca(&info);
	snd_ctl_elem_id_set_interface(id, SND_CTL_ELEM_IFACE_MIXER);
	snd_ctl_elem_id_set_name(id, name);
	snd_ctl_elem_info_set_id(info, id);
	/* what snd_ctl_elem_add_integer_tlv() of older alsa-libs did: a user
	 * element whose TLV can be written, then its dB scale written */
	snd_ctl_elem_info_set_tlv_read_write(info, 1, 1);
	if ((r = snd_ctl_add_integer_elem_set(c->ctl, info, 1, 1, 0, steps, 1)) < 0)
		return r;
	if ((r = snd_ctl_elem_tlv_write(c->ctl, id, tlv)) < 0) {
		snd_ctl_elem_remove(c->ctl, id);
		return r;
	}
	if ((r = actl_find(c, name, SND_CTL_ELEM_IFACE_MIXER, ACTL_ANY, ACTL_ANY, out)) < 0)
		return r;
	return actl_write(c, out, initial);
}

int actl_read_events(struct actl *c,
                     void (*fn)(unsigned numid, unsigned mask, void *data),
                     void *data)
{
	snd_ctl_event_t *ev;
	int n = 0, r;

	snd_ctl_event_alloca(&ev);
	for (;;) {
		r = snd_ctl_read(c->ctl, ev);
		if (r == -EAGAIN || r == 0)
			return n;
		if (r < 0)
			return r;
		if (snd_ctl_event_get_type(ev) != SND_CTL_EVENT_ELEM)
			continue;
		fn(snd_ctl_event_elem_get_numid(ev), snd_ctl_event_elem_get_mask(ev), data);
		n++;
	}
}
