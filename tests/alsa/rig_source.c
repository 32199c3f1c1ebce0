/* rig_source.c - the rig self-test's checks of the source emulation and
 * the dspdtest control device, with plain alsa-lib, each job once in its
 * own process (the source kind is process-wide):
 *   ctl      ctl.dspdtest_loopback with a mixer pair: aloop's 96 elements,
 *            reads, clamped writes with events to every subscribed handle
 *            (the writer's own too), no event for an unchanged value,
 *            read-only refused, TLV dB conversion, a "cset" from the
 *            control file wakes a poller, snd_ctl_elem_add refused;
 *   loop     dspdtest_loopback capture: silence while nothing plays,
 *            PCM Slave Active/Rate with events, PCM Rate Shift trims the
 *            measured rate, a player at another rate with PCM Notify 1
 *            stops the running capture (DRAINING, then SETUP, -EBADFD),
 *            the capture's rate is constrained to the player's;
 *   gadget   dspdtest_gadget capture: Capture Rate 0 and no frames while
 *            the host is idle, the host's rate with an event, Capture
 *            Pitch trims the rate, a stop stalls the capture again;
 *   stream   dspdtest_stream capture at 48000 delivers 44100 frames per
 *            second while the source plays at 44100.
 * One thread per job. */
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <alsa/asoundlib.h>

#include "rig.h"

#define SRC_PERIOD 1024u
#define SRC_BUFFER 16384u

static void sleep_s(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (time_t)s) * 1e9) };
	nanosleep(&ts, NULL);
}

static snd_ctl_t *ctl_open(struct job *job, const char *base)
{
	char name[2 * PATH_MAX];
	snd_ctl_t *c = NULL;
	int err;

	snprintf(name, sizeof(name), "%s:VOLUME=\"Master Playback Volume\","
		 "SWITCH=\"Master Playback Switch\",CONTROL=\"%s\"", base, job->control);
	err = snd_ctl_open(&c, name, SND_CTL_NONBLOCK);
	check(job, err == 0, "snd_ctl_open(%s): %s", base, snd_strerror(err));
	if (c)
		snd_ctl_subscribe_events(c, 1);
	return err == 0 ? c : NULL;
}

static void id_set(snd_ctl_elem_id_t *id, snd_ctl_elem_iface_t iface,
		   const char *name, unsigned int dev, unsigned int sub)
{
	snd_ctl_elem_id_clear(id);
	snd_ctl_elem_id_set_interface(id, iface);
	snd_ctl_elem_id_set_name(id, name);
	snd_ctl_elem_id_set_device(id, dev);
	snd_ctl_elem_id_set_subdevice(id, sub);
}

/* Read (write when value != NULL) one integer element; the result. */
static long elem_rw(snd_ctl_t *c, snd_ctl_elem_iface_t iface, const char *name,
		    unsigned int dev, unsigned int sub, const long *value, int *err)
{
	snd_ctl_elem_value_t *v;
	snd_ctl_elem_id_t *id;

	snd_ctl_elem_value_alloca(&v);
	snd_ctl_elem_id_alloca(&id);
	id_set(id, iface, name, dev, sub);
	snd_ctl_elem_value_set_id(v, id);
	if (value) {
		snd_ctl_elem_value_set_integer(v, 0, *value);
		*err = snd_ctl_elem_write(c, v);
		return *err;
	}
	*err = snd_ctl_elem_read(c, v);
	return snd_ctl_elem_value_get_integer(v, 0);
}

static long pcm_get(snd_ctl_t *c, const char *name, unsigned int dev)
{
	int err;
	long v = elem_rw(c, SND_CTL_ELEM_IFACE_PCM, name, dev, 0, NULL, &err);
	return err < 0 ? err : v;
}

static int pcm_put(snd_ctl_t *c, const char *name, unsigned int dev, long value)
{
	int err;
	elem_rw(c, SND_CTL_ELEM_IFACE_PCM, name, dev, 0, &value, &err);
	return err;
}

/* Every pending event of c; *found: one for name (dev) among them. */
static int events_drain(snd_ctl_t *c, const char *name, unsigned int dev, bool *found)
{
	snd_ctl_event_t *ev;
	int n = 0;

	snd_ctl_event_alloca(&ev);
	*found = false;
	while (snd_ctl_read(c, ev) > 0) {
		n++;
		if (snd_ctl_event_get_type(ev) == SND_CTL_EVENT_ELEM &&
		    (snd_ctl_event_elem_get_mask(ev) & SND_CTL_EVENT_MASK_VALUE) &&
		    !strcmp(snd_ctl_event_elem_get_name(ev), name) &&
		    snd_ctl_event_elem_get_device(ev) == dev)
			*found = true;
	}
	return n;
}

/* Wait up to seconds for c's descriptor to be readable. */
static bool ctl_wait(snd_ctl_t *c, double seconds)
{
	struct pollfd pfd;
	unsigned short revents = 0;

	if (snd_ctl_poll_descriptors(c, &pfd, 1) != 1 ||
	    poll(&pfd, 1, (int)(seconds * 1000)) <= 0)
		return false;
	snd_ctl_poll_descriptors_revents(c, &pfd, 1, &revents);
	return revents & POLLIN;
}

/* ---- ctl --------------------------------------------------------------- */

static void run_ctl_job(struct job *job)
{
	snd_ctl_t *a = ctl_open(job, "dspdtest_loopback");
	snd_ctl_t *b = ctl_open(job, "dspdtest_loopback");
	snd_ctl_elem_list_t *list;
	snd_ctl_elem_id_t *id;
	unsigned int tlv[16];
	long db = 1;
	bool found_a, found_b;
	int err;

	if (!a || !b)
		return;
	snd_ctl_elem_list_alloca(&list);
	snd_ctl_elem_list(a, list);
	check(job, snd_ctl_elem_list_get_count(list) == 98,
	      "98 elements (aloop's 6 x 2 devices x 8 subdevices + volume, switch): %u",
	      snd_ctl_elem_list_get_count(list));
	check(job, pcm_get(a, "PCM Rate Shift 100000", 1) == 100000 &&
	      pcm_get(a, "PCM Slave Rate", 1) == 48000 &&
	      pcm_get(a, "PCM Slave Format", 1) == SND_PCM_FORMAT_S16_LE &&
	      pcm_get(a, "PCM Slave Channels", 1) == 2 &&
	      pcm_get(a, "PCM Slave Active", 1) == 0 && pcm_get(a, "PCM Notify", 1) == 0,
	      "aloop's initial values (loopback_mixer_new)");
	err = pcm_put(a, "PCM Rate Shift 100000", 1, 90000);
	check(job, err == 1 && pcm_get(b, "PCM Rate Shift 100000", 1) == 90000,
	      "a write changes the value for every handle (write returned %d)", err);
	events_drain(a, "PCM Rate Shift 100000", 1, &found_a);
	events_drain(b, "PCM Rate Shift 100000", 1, &found_b);
	check(job, found_a && found_b, "the write's event reaches the writer (%d) and the other handle (%d)",
	      found_a, found_b);
	err = pcm_put(a, "PCM Rate Shift 100000", 1, 90000);
	check(job, err == 0 && events_drain(b, "PCM Rate Shift 100000", 1, &found_b) == 0,
	      "an unchanged value: write returns 0, no event");
	pcm_put(a, "PCM Rate Shift 100000", 1, 200000);
	check(job, pcm_get(a, "PCM Rate Shift 100000", 1) == 120000,
	      "rate shift clamped to 80000..120000 (loopback_rate_shift_put)");
	pcm_put(a, "PCM Rate Shift 100000", 1, 100000);
	err = pcm_put(a, "PCM Slave Rate", 1, 44100);
	check(job, err < 0, "writing read-only PCM Slave Rate fails: %s", snd_strerror(err));
	snd_ctl_elem_id_alloca(&id);
	id_set(id, SND_CTL_ELEM_IFACE_MIXER, "Master Playback Volume", 0, 0);
	err = snd_ctl_elem_tlv_read(a, id, tlv, sizeof(tlv));
	if (err == 0)
		err = snd_ctl_convert_to_dB(a, id, 100, &db);
	check(job, err == 0 && db == -1000, "TLV: volume 100 is %.2f dB (want -10.00): %s",
	      db / 100.0, snd_strerror(err));
	events_drain(a, "", 0, &found_a);
	request(job, "cset Master Playback Volume 60");
	check(job, ctl_wait(a, 2.0), "a cset in the control file wakes a poller of the ctl device");
	events_drain(a, "Master Playback Volume", 0, &found_a);
	{
		int e2;
		long v = elem_rw(a, SND_CTL_ELEM_IFACE_MIXER, "Master Playback Volume",
				 0, 0, NULL, &e2);
		check(job, found_a && v == 60, "cset: event and value 60 (%ld)", v);
	}
	id_set(id, SND_CTL_ELEM_IFACE_MIXER, "User Volume", 0, 0);
	err = snd_ctl_elem_add_integer(a, id, 1, 0, 100, 1);
	check(job, err == -ENXIO, "snd_ctl_elem_add_integer refused with -ENXIO: %s",
	      snd_strerror(err));
	snd_ctl_close(b);
	snd_ctl_close(a);
}

/* ---- PCM helpers ------------------------------------------------------- */

static snd_pcm_t *cap_open(struct job *job, const char *base, unsigned int rate, int *err)
{
	char name[2 * PATH_MAX];
	snd_pcm_hw_params_t *hw;
	snd_pcm_sw_params_t *sw;
	snd_pcm_t *pcm = NULL;

	snprintf(name, sizeof(name), "%s:CONTROL=\"%s\"", base, job->control);
	*err = snd_pcm_open(&pcm, name, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK);
	if (*err < 0)
		return NULL;
	snd_pcm_hw_params_alloca(&hw);
	snd_pcm_sw_params_alloca(&sw);
	if ((*err = snd_pcm_hw_params_any(pcm, hw)) < 0 ||
	    (*err = snd_pcm_hw_params_set_access(pcm, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0 ||
	    (*err = snd_pcm_hw_params_set_format(pcm, hw, SND_PCM_FORMAT_S16_LE)) < 0 ||
	    (*err = snd_pcm_hw_params_set_channels(pcm, hw, CHANNELS)) < 0 ||
	    (*err = snd_pcm_hw_params_set_rate(pcm, hw, rate, 0)) < 0 ||
	    (*err = snd_pcm_hw_params_set_period_size(pcm, hw, SRC_PERIOD, 0)) < 0 ||
	    (*err = snd_pcm_hw_params_set_buffer_size(pcm, hw, SRC_BUFFER)) < 0 ||
	    (*err = snd_pcm_hw_params(pcm, hw)) < 0 ||
	    (*err = snd_pcm_sw_params_current(pcm, sw)) < 0 ||
	    (*err = snd_pcm_sw_params_set_avail_min(pcm, sw, SRC_PERIOD)) < 0 ||
	    (*err = snd_pcm_sw_params(pcm, sw)) < 0) {
		snd_pcm_close(pcm);
		return NULL;
	}
	return pcm;
}

static short frames[SRC_BUFFER * CHANNELS];

/* Read all there is; counts frames and non-zero ones. */
static snd_pcm_sframes_t drain_avail(snd_pcm_t *pcm, long *nonzero)
{
	snd_pcm_sframes_t total = 0, n;

	while ((n = snd_pcm_readi(pcm, frames, SRC_BUFFER)) > 0) {
		total += n;
		for (snd_pcm_sframes_t i = 0; nonzero && i < n * CHANNELS; i++)
			*nonzero += frames[i] != 0;
	}
	return n < 0 && n != -EAGAIN ? n : total;
}

/* Frames per second the running capture delivers over seconds. */
static double measure_rate(snd_pcm_t *pcm, double seconds, long *nonzero)
{
	double t0, t1;
	snd_pcm_sframes_t got = 0, n;

	drain_avail(pcm, NULL);
	t0 = now_seconds();
	if (nonzero)
		*nonzero = 0;
	while (now_seconds() - t0 < seconds) {
		sleep_s(0.02);
		n = drain_avail(pcm, nonzero);
		if (n < 0)
			return n;
		got += n;
	}
	t1 = now_seconds();
	n = snd_pcm_avail(pcm);
	return (double)(got + (n > 0 ? n : 0)) / (t1 - t0);
}

/* ---- loopback ---------------------------------------------------------- */

static void run_loop_job(struct job *job)
{
	snd_ctl_t *c = ctl_open(job, "dspdtest_loopback");
	snd_pcm_t *pcm;
	long nonzero = 0;
	double rate;
	bool found;
	int err;
	snd_pcm_sframes_t n;

	if (!c)
		return;
	pcm = cap_open(job, "dspdtest_loopback", 48000, &err);
	check(job, pcm != NULL, "capture opened at 48000: %s", snd_strerror(err));
	if (!pcm)
		return;
	snd_pcm_start(pcm);
	rate = measure_rate(pcm, 0.5, &nonzero);
	check(job, nonzero == 0 && rate > 47000, "nothing plays: the capture runs (%.0f/s) "
	      "and delivers silence (%ld non-zero samples)", rate, nonzero);
	check(job, pcm_get(c, "PCM Slave Active", 1) == 0, "PCM Slave Active 0 while nothing plays");
	events_drain(c, "", 0, &found);
	request(job, "source rate 48000");
	rate = measure_rate(pcm, 0.3, &nonzero);
	events_drain(c, "PCM Slave Active", 1, &found);
	check(job, found && pcm_get(c, "PCM Slave Active", 1) == 1 && nonzero > 0,
	      "a player at 48000: PCM Slave Active 1 with an event, counter frames");
	pcm_put(c, "PCM Rate Shift 100000", 1, 80000);
	rate = measure_rate(pcm, 1.0, NULL);
	check(job, fabs(rate - 60000) < 300, "PCM Rate Shift 80000: the capture delivers "
	      "48000 * 100000 / 80000 = 60000 frames/s (%.0f)", rate);
	pcm_put(c, "PCM Rate Shift 100000", 1, 100000);
	pcm_put(c, "PCM Notify", 1, 1);
	events_drain(c, "", 0, &found);
	request(job, "source rate 44100");
	sleep_s(0.1);
	n = drain_avail(pcm, NULL);     /* sees the command, drains */
	events_drain(c, "PCM Slave Rate", 1, &found);
	check(job, found && pcm_get(c, "PCM Slave Rate", 1) == 44100,
	      "a player at 44100: PCM Slave Rate 44100 with an event");
	n = snd_pcm_readi(pcm, frames, SRC_PERIOD);
	check(job, snd_pcm_state(pcm) == SND_PCM_STATE_SETUP && n == -EBADFD,
	      "PCM Notify 1: the running 48000 capture was stopped (DRAINING, read empty: "
	      "SETUP), readi says %s", snd_strerror((int)n));
	snd_pcm_close(pcm);
	pcm = cap_open(job, "dspdtest_loopback", 48000, &err);
	check(job, pcm == NULL, "while the player plays 44100 a capture at 48000 is refused: %s",
	      snd_strerror(err));
	if (pcm)
		snd_pcm_close(pcm);
	pcm = cap_open(job, "dspdtest_loopback", 44100, &err);
	check(job, pcm != NULL, "a capture at 44100 opens: %s", snd_strerror(err));
	if (pcm)
		snd_pcm_close(pcm);
	snd_ctl_close(c);
}

/* ---- gadget ------------------------------------------------------------ */

static void run_gadget_job(struct job *job)
{
	snd_ctl_t *c = ctl_open(job, "dspdtest_gadget");
	snd_pcm_t *pcm;
	double rate;
	bool found;
	int err;

	if (!c)
		return;
	check(job, pcm_get(c, "Capture Rate", 0) == 0, "Capture Rate 0: the host is idle");
	pcm = cap_open(job, "dspdtest_gadget", 44100, &err);
	check(job, pcm == NULL, "the capture's rate is fixed to the host's last (48000): "
	      "44100 refused (%s)", snd_strerror(err));
	if (pcm)
		snd_pcm_close(pcm);
	pcm = cap_open(job, "dspdtest_gadget", 48000, &err);
	check(job, pcm != NULL, "capture opened at 48000: %s", snd_strerror(err));
	if (!pcm)
		return;
	snd_pcm_start(pcm);
	rate = measure_rate(pcm, 0.4, NULL);
	check(job, rate == 0, "host idle: the capture stands still (%.0f frames/s)", rate);
	events_drain(c, "", 0, &found);
	request(job, "source rate 48000");
	snd_pcm_avail(pcm);
	drain_avail(pcm, NULL);         /* the capture runs the command */
	events_drain(c, "Capture Rate", 0, &found);
	check(job, found && pcm_get(c, "Capture Rate", 0) == 48000,
	      "the host plays 48000: Capture Rate 48000 with an event");
	rate = measure_rate(pcm, 1.0, NULL);
	check(job, fabs(rate - 48000) < 250, "the capture delivers 48000 frames/s (%.0f)", rate);
	pcm_put(c, "Capture Pitch 1000000", 0, 1005000);
	rate = measure_rate(pcm, 1.0, NULL);
	check(job, fabs(rate - 48240) < 100, "Capture Pitch 1005000: 48240 frames/s (%.0f)", rate);
	request(job, "source stop");
	snd_pcm_avail(pcm);
	drain_avail(pcm, NULL);
	events_drain(c, "Capture Rate", 0, &found);
	rate = measure_rate(pcm, 0.4, NULL);
	check(job, found && pcm_get(c, "Capture Rate", 0) == 0 && rate == 0,
	      "the host stops: Capture Rate 0 with an event, the capture stalls (%.0f/s)", rate);
	snd_pcm_close(pcm);
	snd_ctl_close(c);
}

/* ---- stream ------------------------------------------------------------ */

static void run_stream_job(struct job *job)
{
	snd_pcm_t *pcm;
	double rate;
	int err;

	pcm = cap_open(job, "dspdtest_stream", 48000, &err);
	check(job, pcm != NULL, "capture opened at 48000: %s", snd_strerror(err));
	if (!pcm)
		return;
	snd_pcm_start(pcm);
	request(job, "source rate 44100");
	drain_avail(pcm, NULL);
	rate = measure_rate(pcm, 1.0, NULL);
	check(job, fabs(rate - 44100) < 250,
	      "the source plays 44100: the 48000 capture delivers 44100 frames/s (%.0f)", rate);
	snd_pcm_close(pcm);
}

void run_source_job(struct job *job)
{
	switch (job->phase) {
	case PHASE_SRC_CTL: run_ctl_job(job); break;
	case PHASE_SRC_LOOP: run_loop_job(job); break;
	case PHASE_SRC_GADGET: run_gadget_job(job); break;
	default: run_stream_job(job); break;
	}
}
