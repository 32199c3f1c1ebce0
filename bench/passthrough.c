/* passthrough.c - the bare-passthrough anchor of the latency benchmark
 * (bench/bench_latency.py): the least a capture -> playback loop can do,
 * built exactly as dspd's RT loop is (daemon/engine/engine_rt.c) but with no
 * processing: both PCMs non-blocking, period-sized reads and writes,
 * playback prefilled with (periods - 1) periods of silence, capture started
 * first, SCHED_FIFO when allowed, and the same re-sync on an xrun.  Its
 * minimal stable period x periods and latency are what dspd is compared to.
 *
 *   passthrough -C CAPTURE -P PLAYBACK [-f FORMAT] [-c CHANNELS] [-r RATE]
 *               [-p PERIOD] [-n PERIODS] [-s SECONDS]
 *
 * Prints one JSON line: {"xruns": N, "frames": F, "latency_frames": L}. */
#include <alsa/asoundlib.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct loop {
	snd_pcm_t *capture, *playback;
	snd_pcm_format_t format;
	unsigned channels, rate, periods;
	snd_pcm_uframes_t period;
	unsigned char *buf, *silence;
	size_t frame_bytes;
	unsigned long xruns;
};

static int die(const char *what, int err)
{
	fprintf(stderr, "passthrough: %s: %s\n", what, snd_strerror(err));
	exit(2);
}

static void setup(struct loop *l, snd_pcm_t *h)
{
	snd_pcm_hw_params_t *hw;
	snd_pcm_sw_params_t *sw;
	snd_pcm_uframes_t boundary;
	int r;

	snd_pcm_hw_params_alloca(&hw);
	snd_pcm_sw_params_alloca(&sw);
	if ((r = snd_pcm_hw_params_any(h, hw)) < 0 ||
	    (r = snd_pcm_hw_params_set_access(h, hw, SND_PCM_ACCESS_RW_INTERLEAVED)) < 0 ||
	    (r = snd_pcm_hw_params_set_format(h, hw, l->format)) < 0 ||
	    (r = snd_pcm_hw_params_set_channels(h, hw, l->channels)) < 0 ||
	    (r = snd_pcm_hw_params_set_rate(h, hw, l->rate, 0)) < 0 ||
	    (r = snd_pcm_hw_params_set_period_size(h, hw, l->period, 0)) < 0 ||
	    (r = snd_pcm_hw_params_set_buffer_size(h, hw, l->period * l->periods)) < 0 ||
	    (r = snd_pcm_hw_params(h, hw)) < 0)
		die("hw params", r);
	if ((r = snd_pcm_sw_params_current(h, sw)) < 0 ||
	    (r = snd_pcm_sw_params_get_boundary(sw, &boundary)) < 0 ||
	    (r = snd_pcm_sw_params_set_avail_min(h, sw, l->period)) < 0 ||
	    (r = snd_pcm_sw_params_set_start_threshold(h, sw, boundary)) < 0 ||
	    (r = snd_pcm_sw_params_set_stop_threshold(h, sw, l->period * l->periods)) < 0 ||
	    (r = snd_pcm_sw_params(h, sw)) < 0)
		die("sw params", r);
}

/* Exactly frames, waiting in snd_pcm_wait; 0 or a negative error. */
static int transfer(snd_pcm_t *h, unsigned char *buf, snd_pcm_uframes_t frames,
                    size_t frame_bytes, bool capture)
{
	while (frames > 0) {
		snd_pcm_sframes_t n = capture ? snd_pcm_avail_update(h) : 0;

		/* read a period only once it is all there (as dspd's pcm.c) */
		if (capture && n >= 0 && (snd_pcm_uframes_t)n < frames)
			n = -EAGAIN;
		else if (n >= 0)
			n = capture ? snd_pcm_readi(h, buf, frames)
			            : snd_pcm_writei(h, buf, frames);

		if (n == -EAGAIN) {
			int r = snd_pcm_wait(h, 1000);

			if (r < 0)
				return r;
			continue;
		}
		if (n < 0)
			return (int)n;
		buf += (size_t)n * frame_bytes;
		frames -= (snd_pcm_uframes_t)n;
	}
	return 0;
}

static void restart(struct loop *l)
{
	int r;

	snd_pcm_drop(l->capture);
	snd_pcm_drop(l->playback);
	if ((r = snd_pcm_prepare(l->capture)) < 0 || (r = snd_pcm_prepare(l->playback)) < 0)
		die("prepare", r);
	r = transfer(l->playback, l->silence, l->period * (l->periods - 1), l->frame_bytes, false);
	if (r < 0)
		die("prefill", r);
	if ((r = snd_pcm_start(l->capture)) < 0 || (r = snd_pcm_start(l->playback)) < 0)
		die("start", r);
}

int main(int argc, char **argv)
{
	struct loop l = { .format = SND_PCM_FORMAT_S32_LE, .channels = 2, .rate = 48000,
	                  .period = 256, .periods = 4 };
	const char *cdev = NULL, *pdev = NULL;
	double seconds = 10;
	struct sched_param sp = { .sched_priority = 70 };
	unsigned long long frames = 0, target;
	int opt, r;

	while ((opt = getopt(argc, argv, "C:P:f:c:r:p:n:s:")) != -1) {
		switch (opt) {
		case 'C': cdev = optarg; break;
		case 'P': pdev = optarg; break;
		case 'f': l.format = snd_pcm_format_value(optarg); break;
		case 'c': l.channels = (unsigned)atoi(optarg); break;
		case 'r': l.rate = (unsigned)atoi(optarg); break;
		case 'p': l.period = (snd_pcm_uframes_t)atol(optarg); break;
		case 'n': l.periods = (unsigned)atoi(optarg); break;
		case 's': seconds = atof(optarg); break;
		default:
			fprintf(stderr, "usage: passthrough -C DEV -P DEV [-f FMT] [-c CH] "
			        "[-r RATE] [-p PERIOD] [-n PERIODS] [-s SECONDS]\n");
			return 2;
		}
	}
	if (!cdev || !pdev || l.format == SND_PCM_FORMAT_UNKNOWN || l.periods < 2)
		return die("arguments", -EINVAL);
	if ((r = snd_pcm_open(&l.capture, cdev, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK)) < 0 ||
	    (r = snd_pcm_open(&l.playback, pdev, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK)) < 0)
		die("open", r);
	setup(&l, l.capture);
	setup(&l, l.playback);
	l.frame_bytes = (size_t)snd_pcm_format_physical_width(l.format) / 8 * l.channels;
	l.buf = malloc(l.period * l.frame_bytes);
	l.silence = malloc(l.period * l.periods * l.frame_bytes);
	if (!l.buf || !l.silence)
		return die("memory", -ENOMEM);
	snd_pcm_format_set_silence(l.format, l.silence, (unsigned)(l.period * l.periods * l.channels));
	pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp);   /* when allowed */
	restart(&l);
	target = (unsigned long long)(seconds * l.rate);
	while (frames < target) {
		r = transfer(l.capture, l.buf, l.period, l.frame_bytes, true);
		if (r == 0)
			r = transfer(l.playback, l.buf, l.period, l.frame_bytes, false);
		if (r == -EPIPE || r == -ESTRPIPE) {
			l.xruns++;
			restart(&l);
			continue;
		}
		if (r < 0)
			die("transfer", r);
		frames += l.period;
	}
	printf("{\"xruns\": %lu, \"frames\": %llu, \"latency_frames\": %lu}\n",
	       l.xruns, frames, l.period * (l.periods - 1));
	snd_pcm_close(l.capture);
	snd_pcm_close(l.playback);
	return 0;
}
