/* fx_align.c - per-channel delays that bring the pipeline's channels back
 * in step (see fx_align.h).  One ring of delay frames per delayed channel:
 * each sample out is the one that went in delay frames before. */
#include "fx_align.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fx_response.h"
#include "response.h"

struct fx_align {
	struct fx fx;
	unsigned delay[FX_MAX_CHANNELS];
	unsigned pos[FX_MAX_CHANNELS];
	float *ring[FX_MAX_CHANNELS];   /* delay[ch] samples, NULL when 0 */
};

static void align_channel(struct fx *fx, unsigned ch, float *x, uint32_t frames)
{
	struct fx_align *a = (struct fx_align *)fx;
	float *ring = a->ring[ch];
	unsigned d = a->delay[ch], pos = a->pos[ch];

	if (!d)
		return;
	for (uint32_t i = 0; i < frames; i++) {
		float out = ring[pos];

		ring[pos] = x[i];
		x[i] = out;
		if (++pos == d)
			pos = 0;
	}
	a->pos[ch] = pos;
}

static void align_process(struct fx *fx, float *const *bufs, uint32_t frames)
{
	for (unsigned ch = 0; ch < fx->channels_in; ch++)
		align_channel(fx, ch, bufs[ch], frames);
}

static void align_reset(struct fx *fx)
{
	struct fx_align *a = (struct fx_align *)fx;

	for (unsigned ch = 0; ch < fx->channels_in; ch++)
		if (a->ring[ch])
			memset(a->ring[ch], 0, a->delay[ch] * sizeof(float));
}

static void align_destroy(struct fx *fx)
{
	struct fx_align *a = (struct fx_align *)fx;

	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++)
		free(a->ring[ch]);
	free(a);
}

/* Any thread: each channel's whole-sample delay. */
static bool align_response(const struct fx *fx, unsigned out, unsigned in,
                           const double *w, size_t n, double complex *h,
                           double complex *dh)
{
	const struct fx_align *a = (const struct fx_align *)fx;
	enum fx_path path = fx_response_path(fx, out, in, n, h, dh);

	if (path == FX_PATH_OWN && a->delay[in])
		resp_delay(a->delay[in], w, n, h, dh);
	return path != FX_PATH_NONE;
}

static size_t align_response_cost(const struct fx *fx)
{
	(void)fx;
	return 32;                        /* cos/sin of each frequency */
}

static const struct fx_ops align_ops = {
	.type = "align",
	.process = align_process,
	.process_channel = align_channel,
	.reset = align_reset,
	.destroy = align_destroy,
	.response = align_response,
	.response_cost = align_response_cost,
};

bool fx_is_align(const struct fx *fx)
{
	return fx->ops == &align_ops;
}

unsigned fx_align_delay(const struct fx *fx, unsigned ch)
{
	return ch < fx->channels_in ? ((const struct fx_align *)fx)->delay[ch] : 0;
}

int fx_align_create(const unsigned *delays, unsigned channels, struct fx **ret)
{
	struct fx_align *a;
	struct cfg_block cfg;
	struct fx_env env = { .channels = channels };
	unsigned most = 0;

	*ret = NULL;
	if (channels == 0 || channels > FX_MAX_CHANNELS)
		return -EINVAL;
	for (unsigned ch = 0; ch < channels; ch++)
		if (delays[ch] > FX_ALIGN_MAX_FRAMES)
			return -EINVAL;
	if (!(a = calloc(1, sizeof(*a))))
		return -ENOMEM;
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.name, FX_ALIGN_NAME);
	cfg.channel_mask = UINT32_MAX;
	fx_init(&a->fx, &align_ops, &cfg, &env);
	for (unsigned ch = 0; ch < channels; ch++) {
		a->delay[ch] = delays[ch];
		most = delays[ch] > most ? delays[ch] : most;
		if (delays[ch] && !(a->ring[ch] = calloc(delays[ch], sizeof(float)))) {
			align_destroy(&a->fx);
			return -ENOMEM;
		}
	}
	/* from silence its output is right once the longest ring is full */
	a->fx.warmup_frames = most;
	*ret = &a->fx;
	return 0;
}
