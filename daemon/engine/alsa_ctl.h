/* alsa_ctl.h - ALSA control elements for the control thread: find an
 * element by name, read and write it, map its dB scale (TLV), create a
 * user volume element, and follow its change events.  Used by the source
 * watcher (rate following), the clock trim (rate_adjust.method "pitch")
 * and the volume link.  Control thread only; never the RT thread (every
 * call here is an ioctl or a plugin call that may block briefly). */
#ifndef DSPD_ALSA_CTL_H
#define DSPD_ALSA_CTL_H

#include <poll.h>
#include <stdbool.h>

struct actl;                            /* one open control device */

#define ACTL_IFACE_ANY   (-1)
#define ACTL_ANY         (-1)           /* device / subdevice / index wildcard */

struct actl_elem {
	unsigned numid;
	char name[64];
	int iface, device, subdevice, index;
	int type;                       /* SND_CTL_ELEM_TYPE_INTEGER / BOOLEAN / ... */
	unsigned count;                 /* values (channels) */
	long min, max, step;            /* integer elements */
	bool readable, writable;
	bool has_db;                    /* a dB TLV is there */
	bool user;                      /* a user element (created by someone) */
};

/* Open control device `device` ("hw:Loopback", "hw:0", a configured
 * ctl.NAME) nonblocking and subscribe to its events.  0 or -errno. */
int actl_open(struct actl **out, const char *device);
void actl_close(struct actl *c);
const char *actl_device(const struct actl *c);

/* The descriptors to poll for events (POLLIN); returns how many were
 * filled (<= max) or -errno. */
int actl_poll_fds(struct actl *c, struct pollfd *fds, unsigned max);

/* Find an element by name (and optionally iface/device/subdevice/index,
 * ACTL_ANY to match any).  0, -ENOENT when there is none, or -errno. */
int actl_find(struct actl *c, const char *name, int iface, int device,
              int subdevice, struct actl_elem *out);

/* Integer or boolean value of the first channel. */
int actl_read(struct actl *c, const struct actl_elem *el, long *value);
/* Write value to every channel (clamped to min..max by the caller). */
int actl_write(struct actl *c, const struct actl_elem *el, long value);

/* dB of a value and the value nearest a dB (the element's TLV);
 * -ENXIO when it has no dB scale. Mute (TLV_DB_GAIN_MUTE) reads as
 * ACTL_DB_MUTE. */
#define ACTL_DB_MUTE (-9999.0)
int actl_to_db(struct actl *c, const struct actl_elem *el, long value, double *db);
int actl_from_db(struct actl *c, const struct actl_elem *el, double db, long *value);

/* Create a user integer element named name (MIXER iface, 1 channel,
 * range 0..(max_db-min_db)/0.5 with a DB_SCALE TLV of 0.5 dB steps from
 * min_db, initial value at 0 dB or the top) and fill *out.  -ENXIO/-EPERM
 * etc. from alsa-lib when the device cannot (a plugin control device). */
int actl_add_volume(struct actl *c, const char *name, double min_db,
                    double max_db, struct actl_elem *out);

/* Read every pending event; calls fn once per element value/info change
 * (mask: SND_CTL_EVENT_MASK_*).  Returns how many, 0 when none pending,
 * or -errno (-ENODEV: the device is gone). */
int actl_read_events(struct actl *c,
                     void (*fn)(unsigned numid, unsigned mask, void *data),
                     void *data);

#endif
