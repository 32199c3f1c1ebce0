/* engine_streams.c - opening the engine's two devices for a configuration
 * (the capture at its own rate and period when resampled), and telling
 * whether devices that came back match the ones first opened.  Control
 * thread only; see engine_internal.h. */
#include "engine_internal.h"

bool engine_same_stream(const struct pcm_stream *a, const struct pcm_stream *b)
{
	return a->channels == b->channels && a->rate == b->rate && a->codec == b->codec &&
	       a->period_frames == b->period_frames && a->buffer_frames == b->buffer_frames;
}

int engine_open_streams(const struct dspd_config *cfg, unsigned capture_rate,
                        struct pcm_stream *capture, struct pcm_stream *playback,
                        char *err, size_t err_len)
{
	unsigned rate = capture_rate ? capture_rate : config_capture_rate(cfg);
	unsigned period = (unsigned)(((uint64_t)cfg->period_frames * rate + cfg->rate / 2) /
	                             cfg->rate);
	int r = pcm_open(capture, SND_PCM_STREAM_CAPTURE, &cfg->capture, rate, period,
	                 cfg->periods, err, err_len);

	if (r == 0 && (r = pcm_open(playback, SND_PCM_STREAM_PLAYBACK, &cfg->playback,
	                            cfg->rate, cfg->period_frames, cfg->periods,
	                            err, err_len)) < 0)
		pcm_close(capture);
	return r;
}
