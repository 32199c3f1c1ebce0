/* dspdtest_report.c - what the playback instance writes for the test: the
 * JSON report of every shared counter (atomically, tmp file + rename,
 * about every 0.5 s of stream time, at drop and at close) and the float32
 * recording of every frame it receives.
 *
 * Called from the playback callbacks on the application's thread; the
 * report reads the shared state under shared.lock, the recording touches
 * only the instance. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "dspdtest.h"

/* ---- recording --------------------------------------------------------- */

void record_batch_init(struct record_batch *b, const struct dspdtest *t)
{
	b->len = 0;
	b->scale = 1.0 / (double)(1ll << (t->fmt->bits - 1));
}

void record_flush(struct dspdtest *t, struct record_batch *b)
{
	size_t count = b->len;

	b->len = 0;
	if (!t->record || !count)
		return;
	if (fwrite(b->samples, sizeof(float), count, t->record) != count) {
		SNDERR("dspdtest: cannot write record file, recording stops");
		fclose(t->record);
		t->record = NULL;
	}
}

void record_frame(struct dspdtest *t, struct record_batch *b, const double *x)
{
	unsigned int channels = t->io.channels;
	size_t capacity = sizeof(b->samples) / sizeof(b->samples[0]);

	if (!t->record)
		return;
	if (b->len + channels > capacity)
		record_flush(t, b);
	for (unsigned int c = 0; c < channels; c++)
		b->samples[b->len++] = (float)(x[c] * b->scale);
}

/* ---- report ------------------------------------------------------------ */

static void report_write_gaps(FILE *f, const struct playback_stats *s)
{
	for (unsigned int i = 0; i < s->gap_list_len; i++)
		fprintf(f, "%s{\"at\":%" PRId64 ",\"missing\":%" PRId64 "}",
			i ? "," : "", s->gap_list[i].at, s->gap_list[i].missing);
}

/* The clock now; device_seconds is D - t0 (0 before the first start). */
static void report_write_clock(FILE *f)
{
	struct clock_report c;
	double device_seconds = 0.0;

	clock_report_read(&c);
	if (shared.have_origin)
		device_seconds = (double)(c.device_ns - shared.origin.device_ns) / 1e9;
	fprintf(f, "\"clock\":{\"speed\":%.10g,\"capture_ppm\":%.10g,"
		"\"playback_ppm\":%.10g,\"ppm_changes\":%" PRIu64
		",\"device_seconds\":%.9f}}\n",
		c.speed, c.ppm[DIR_CAPTURE], c.ppm[DIR_PLAYBACK], c.ppm_changes,
		device_seconds);
}

static void report_write_body(FILE *f, const struct dspdtest *t)
{
	const struct capture_stats *c = &shared.capture;
	const struct playback_stats *p = &shared.playback;
	const struct device_stats *d = &shared.device.stats;

	fprintf(f, "{\"format\":\"%s\",\"rate\":%u,\"channels\":%u,"
		"\"period_frames\":%lu,\"buffer_frames\":%lu,\n",
		t->fmt ? snd_pcm_format_name(t->fmt->format) : "",
		t->fmt ? t->io.rate : 0, t->fmt ? t->io.channels : 0,
		t->fmt ? (unsigned long)t->io.period_size : 0,
		t->fmt ? (unsigned long)t->io.buffer_size : 0);
	fprintf(f, "\"capture\":{\"starts\":%" PRIu64 ",\"frames\":%" PRIu64
		",\"overruns\":%" PRIu64 ",\"stalls_injected\":%" PRIu64 "},\n",
		c->starts, c->frames, c->overruns, c->stalls_injected);
	fprintf(f, "\"playback\":{\"starts\":%" PRIu64 ",\"frames\":%" PRIu64
		",\"underruns\":%" PRIu64 ",\"silent_frames\":%" PRIu64
		",\"counter_frames\":%" PRIu64 ",\"gaps\":%" PRIu64 ",\"gap_list\":[",
		p->starts, p->frames, p->underruns, p->silent_frames,
		p->counter_frames, p->gaps);
	report_write_gaps(f, p);
	fprintf(f, "],\"mismatches\":%" PRIu64 ",\"latency_min\":%" PRId64
		",\"latency_max\":%" PRId64 ",\"latency_last\":%" PRId64
		",\"first_counter\":%" PRId64 ",\"last_counter\":%" PRId64 "}",
		p->mismatches, p->latency_min, p->latency_max, p->latency_last,
		p->first_counter, p->last_counter);
	fprintf(f, ",\n\"device\":{\"vanishes\":%" PRIu64 ",\"opens_refused\":%" PRIu64
		",\"suspends\":%" PRIu64 ",\"resumes\":%" PRIu64 ",\"jumps\":%" PRIu64 ",\"hangs\":%" PRIu64 ",\"slow_prepares\":%" PRIu64 "},\n",
		d->vanishes, d->opens_refused, d->suspends, d->resumes, d->jumps, d->hangs,
		d->slow_prepares);
	source_report(f);
	report_write_clock(f);
}

int report_write(struct dspdtest *t)
{
	char tmp[PATH_MAX];
	FILE *f;
	int err = 0;

	if (is_capture(t) || !t->params.report_path)
		return 0;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", t->params.report_path,
		     (long)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	if (t->record)
		fflush(t->record);
	f = fopen(tmp, "w");
	if (!f)
		return -errno;
	pthread_mutex_lock(&shared.lock);
	report_write_body(f, t);
	pthread_mutex_unlock(&shared.lock);
	if (fflush(f) != 0)
		err = -errno;
	if (fclose(f) != 0 && !err)
		err = -errno;
	if (!err && rename(tmp, t->params.report_path) < 0)
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}

void report_maybe(struct dspdtest *t)
{
	if (t->frames_total < t->next_report_frames)
		return;
	t->next_report_frames = t->frames_total + t->io.rate / 2;
	if (report_write(t) < 0)
		SNDERR("dspdtest: cannot write report %s", t->params.report_path);
}
