/* pcm_dspdtest.c - "dspdtest", an ALSA ioplug PCM paced by CLOCK_MONOTONIC
 * (optionally faster, and per direction offset in ppm): the test rig that
 * proves dspd loses no sample.
 *
 * Owns: the ioplug callbacks that tie the parts together (start, stop,
 * prepare, pointer, transfer, poll, resume, hw/sw params, close), the PCM's
 * construction and constraints, the plugin entry point and the
 * process-wide shared state.  The other parts are listed in dspdtest.h,
 * which also explains the shared state and its lock.  Callbacks run on
 * whatever thread the application calls alsa-lib from.
 *
 * Documented for users in tests/alsa/README.md. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include "dspdtest.h"

struct shared_state shared = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- ioplug callbacks -------------------------------------------------- */

static int dspdtest_start(snd_pcm_ioplug_t *io)
{
	struct dspdtest *t = io->private_data;
	int err = device_check(t);
	struct clock_reading now;

	if (err == 0)
		err = source_start_check(t);
	if (err < 0)
		return err;
	clock_read(&now);
	pthread_mutex_lock(&shared.lock);
	shared_origin_set(&now);
	t->run_origin = shared_global_frame(t, now.stream_ns[stream_dir(t)]);
	if (is_capture(t)) {
		shared.capture.starts++;
		shared.capture.segments++;
		shared.capture.run_origin = t->run_origin;
	} else {
		shared.playback.starts++;
		pending_commit(&t->pending, &shared.playback, t->run_origin);
	}
	pthread_mutex_unlock(&shared.lock);
	t->run_start_ns = now.stream_ns[stream_dir(t)];
	t->origin_known = true;
	t->run_active = true;
	wakeup_arm(t, SND_PCM_STATE_RUNNING);
	return 0;
}

/* Ends a run; ioplug then sets SETUP whatever the device's state. */
static int dspdtest_stop(snd_pcm_ioplug_t *io)
{
	struct dspdtest *t = io->private_data;

	device_check(t);        /* a suspend or unplug stopped the clock first */
	run_end(t);
	t->suspended = false;
	t->halted = false;
	wakeup_arm(t, SND_PCM_STATE_SETUP);
	report_write(t);
	return 0;
}

/* Also the way out of SUSPENDED; a disconnected PCM stays dead. */
static int dspdtest_prepare(snd_pcm_ioplug_t *io)
{
	struct dspdtest *t = io->private_data;

	if (device_check(t) == -ENODEV)
		return -ENODEV;
	run_end(t);
	if (is_capture(t))
		device_slow_prepare();
	t->suspended = false;
	t->halted = false;
	t->last_pointer = 0;    /* ioplug resets its hardware pointer too */
	t->xrun_seen = false;
	t->origin_known = false;
	t->pending.any = false;
	t->run_frames = 0;
	wakeup_arm(t, SND_PCM_STATE_PREPARED);
	return 0;
}

/* A negative result makes ioplug set XRUN, so a suspended or disconnected
 * PCM keeps its last position: the state set by device_check() is what
 * alsa-lib turns into -ESTRPIPE/-ENODEV. */
static snd_pcm_sframes_t dspdtest_pointer(snd_pcm_ioplug_t *io)
{
	struct dspdtest *t = io->private_data;
	int64_t pos;

	if (device_check(t) < 0)
		return t->last_pointer;
	switch (io->state) {
	case SND_PCM_STATE_RUNNING:
		pos = run_position(t);
		if (pos < 0) {
			wakeup_arm(t, SND_PCM_STATE_XRUN);
			return pos;
		}
		break;
	case SND_PCM_STATE_DRAINING:
		pos = (int64_t)run_elapsed(t, run_now(t));
		if (is_capture(t) && (uint64_t)pos > t->run_frames + io->buffer_size)
			pos = (int64_t)(t->run_frames + io->buffer_size);
		/* aloop's stopped capture, read empty: the kernel's read goes
		 * SETUP (__snd_pcm_lib_xfer: snd_pcm_stop(..., SETUP)) */
		if (is_capture(t) && t->halted && (uint64_t)pos <= t->run_frames) {
			t->halted = false;
			t->run_active = false;
			snd_pcm_ioplug_set_state(io, SND_PCM_STATE_SETUP);
		}
		if (!is_capture(t) && (uint64_t)pos > t->run_frames)
			pos = (int64_t)t->run_frames;
		break;
	case SND_PCM_STATE_XRUN:
		return -EPIPE;
	default:
		pos = 0;
		break;
	}
	t->last_pointer = (snd_pcm_sframes_t)((uint64_t)pos % t->boundary);
	return t->last_pointer;
}

static snd_pcm_sframes_t dspdtest_transfer(snd_pcm_ioplug_t *io,
					   const snd_pcm_channel_area_t *areas,
					   snd_pcm_uframes_t offset,
					   snd_pcm_uframes_t size)
{
	struct dspdtest *t = io->private_data;
	int err;

	if (is_capture(t))
		control_poll(t);
	err = device_check(t);
	if (err < 0) {
		wakeup_arm(t, io->state);
		return err;
	}
	if (is_capture(t)) {
		capture_generate(t, areas, offset, size);
		pthread_mutex_lock(&shared.lock);
		shared.capture.frames += size;
		pthread_mutex_unlock(&shared.lock);
	} else {
		playback_check(t, areas, offset, size);
	}
	t->run_frames += size;
	t->frames_total += size;
	wakeup_arm(t, io->state);
	if (!is_capture(t))
		report_maybe(t);
	return (snd_pcm_sframes_t)size;
}

static int dspdtest_poll_revents(snd_pcm_ioplug_t *io, struct pollfd *pfd,
				 unsigned int nfds, unsigned short *revents)
{
	struct dspdtest *t = io->private_data;
	uint64_t expirations;

	if (nfds != 1 || pfd[0].fd != t->timer_fd)
		return -EINVAL;
	if (is_capture(t))
		control_poll(t);        /* "return" must be seen while not running */
	if (read(t->timer_fd, &expirations, sizeof(expirations)) < 0 &&
	    errno != EAGAIN)
		return -errno;
	*revents = ready_events(t);
	wakeup_arm(t, io->state);
	return 0;
}

static int dspdtest_resume(snd_pcm_ioplug_t *io)
{
	return device_resume(io->private_data);
}

static int dspdtest_hw_params(snd_pcm_ioplug_t *io, snd_pcm_hw_params_t *params)
{
	struct dspdtest *t = io->private_data;

	if (device_check(t) == -ENODEV)
		return -ENODEV;
	t->fmt = sample_format_find(io->format);
	if (!t->fmt)
		return -EINVAL;
	/* alsa-lib's own boundary rule; sw_params reports the real one */
	t->boundary = io->buffer_size;
	while (t->boundary * 2 <= LONG_MAX - io->buffer_size)
		t->boundary *= 2;
	t->avail_min = io->period_size;
	return source_hw_params(t);
}

static int dspdtest_sw_params(snd_pcm_ioplug_t *io, snd_pcm_sw_params_t *params)
{
	struct dspdtest *t = io->private_data;
	snd_pcm_uframes_t value;

	if (snd_pcm_sw_params_get_avail_min(params, &value) == 0)
		t->avail_min = value ? value : 1;
	if (snd_pcm_sw_params_get_boundary(params, &value) == 0 && value)
		t->boundary = value;
	return 0;
}

static void dspdtest_free(struct dspdtest *t)
{
	device_detach(t);
	source_detach(t);
	if (t->record)
		fclose(t->record);
	if (t->timer_fd >= 0)
		close(t->timer_fd);
	params_free(&t->params);
	free(t);
}

static int dspdtest_close(snd_pcm_ioplug_t *io)
{
	struct dspdtest *t = io->private_data;

	device_check(t);
	run_end(t);
	report_write(t);
	dspdtest_free(t);
	return 0;
}

static const snd_pcm_ioplug_callback_t dspdtest_callback = {
	.start = dspdtest_start,
	.stop = dspdtest_stop,
	.pointer = dspdtest_pointer,
	.transfer = dspdtest_transfer,
	.close = dspdtest_close,
	.hw_params = dspdtest_hw_params,
	.sw_params = dspdtest_sw_params,
	.prepare = dspdtest_prepare,
	.poll_revents = dspdtest_poll_revents,
	.resume = dspdtest_resume,
};

/* ---- construction ------------------------------------------------------ */

static int set_constraints(struct dspdtest *t)
{
	static const unsigned int access[] = { SND_PCM_ACCESS_RW_INTERLEAVED,
					       SND_PCM_ACCESS_MMAP_INTERLEAVED };
	snd_pcm_ioplug_t *io = &t->io;
	const struct dspdtest_params *p = &t->params;
	unsigned int rate_min, rate_max;
	int err;

	err = snd_pcm_ioplug_set_param_list(io, SND_PCM_IOPLUG_HW_ACCESS,
					    t->params.mmap ? 2 : 1, access);
	if (err < 0)
		return err;
	err = snd_pcm_ioplug_set_param_list(io, SND_PCM_IOPLUG_HW_FORMAT,
					    p->format_count, p->formats);
	if (err < 0)
		return err;
	err = snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_CHANNELS,
					      p->channels_min, p->channels_max);
	if (err < 0)
		return err;
	source_rate_range(t, &rate_min, &rate_max);
	err = snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_RATE,
					      rate_min, rate_max);
	if (err < 0)
		return err;
	err = snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_PERIOD_BYTES,
					      32, 16 << 20);
	if (err < 0)
		return err;
	err = snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_BUFFER_BYTES,
					      64, 64 << 20);
	if (err < 0)
		return err;
	return snd_pcm_ioplug_set_param_minmax(io, SND_PCM_IOPLUG_HW_PERIODS,
					       2, 1024);
}

/* Create the PCM; on failure t is freed. */
static int dspdtest_open(struct dspdtest *t, const char *name,
			 snd_pcm_stream_t stream, int mode)
{
	int err;

	t->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (t->timer_fd < 0) {
		err = -errno;
		goto fail;
	}
	if (stream == SND_PCM_STREAM_PLAYBACK && t->params.record_path) {
		t->record = fopen(t->params.record_path, "ab");
		if (!t->record) {
			err = -errno;
			SNDERR("dspdtest: cannot open record file %s",
			       t->params.record_path);
			goto fail;
		}
	}
	t->io.version = SND_PCM_IOPLUG_VERSION;
	t->io.name = "dspdtest: paced test device";
	t->io.flags = SND_PCM_IOPLUG_FLAG_BOUNDARY_WA | SND_PCM_IOPLUG_FLAG_MONOTONIC;
	t->io.poll_fd = t->timer_fd;
	t->io.poll_events = POLLIN;
	t->io.mmap_rw = t->params.mmap;
	t->io.callback = &dspdtest_callback;
	t->io.private_data = t;
	err = snd_pcm_ioplug_create(&t->io, name, stream, mode);
	if (err < 0)
		goto fail;
	device_register(t);
	err = set_constraints(t);
	if (err < 0)
		snd_pcm_ioplug_delete(&t->io);  /* frees t via dspdtest_close */
	return err;
fail:
	dspdtest_free(t);
	return err;
}

SND_PCM_PLUGIN_DEFINE_FUNC(dspdtest)
{
	struct dspdtest *t;
	int err;

	(void)root;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->timer_fd = -1;
	params_set_defaults(&t->params);
	err = params_parse(&t->params, conf);
	if (err == 0)
		err = clock_configure(&t->params.clock);
	if (err == 0 && stream == SND_PCM_STREAM_CAPTURE)
		control_poll(t);        /* a "return" must be seen before refusing */
	if (err == 0)
		err = device_attach(t);
	if (err == 0)
		err = source_attach(t);
	if (err < 0) {
		dspdtest_free(t);
		return err;
	}
	err = dspdtest_open(t, name, stream, mode);
	if (err < 0)
		return err;
	*pcmp = t->io.pcm;
	return 0;
}

SND_PCM_PLUGIN_SYMBOL(dspdtest);
