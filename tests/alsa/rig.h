/* rig.h - what rig_selftest.c (jobs, loop-back, report reading),
 * rig_faults.c (the injected stall and data faults' report checks, the
 * device events vanish, suspend and jump) and rig_clock.c (the clock
 * checks) share: the stream geometry every job uses, one job and its
 * result, and the helpers they call.  Every job runs in its own process,
 * on one thread (vanish adds a waiter). */
#ifndef RIG_H
#define RIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include <alsa/asoundlib.h>

#define RATE 48000u
#define CHANNELS 2u
#define PERIOD 1024u
#define BUFFER 4096u
#define PREFILL 3072u
#define STALL_MS 300u
#define FAULT_DROP 10u          /* frames the faults phase throws away */

enum phase {
	PHASE_NEGOTIATION, PHASE_CLEAN, PHASE_STALL, PHASE_BLOCKING, PHASE_FAULTS,
	PHASE_VANISH, PHASE_SUSPEND, PHASE_JUMP, PHASE_HANG,
	PHASE_LAST = PHASE_HANG,        /* the last phase run per format */
	/* the clock jobs, run once (one format) */
	PHASE_SPEED, PHASE_DRIFT, PHASE_PPM, PHASE_MISMATCH,
	PHASE_CLOCK_FIRST = PHASE_SPEED,
	PHASE_CLOCK_LAST = PHASE_MISMATCH,
	/* the source and control-device jobs, once, with the clock jobs */
	PHASE_SRC_CTL, PHASE_SRC_LOOP, PHASE_SRC_GADGET, PHASE_SRC_STREAM,
	PHASE_SRC_FIRST = PHASE_SRC_CTL,
	PHASE_SRC_LAST = PHASE_SRC_STREAM,
};

struct job_result {
	int passed;
	int failed;
};

struct job {
	enum phase phase;
	snd_pcm_format_t format;
	const char *pcm_base;
	unsigned int seconds;
	char report[PATH_MAX];
	char control[PATH_MAX];
	char args[128];                 /* more device arguments: ",SPEED=4" */
	FILE *out;
	struct job_result *result;      /* shared with the parent */
	pid_t pid;
};

/* What one loop-back run saw from the application's side. */
struct run_stats {
	unsigned int recoveries;
	bool completed;
};

/* rig_selftest.c */
void check(struct job *job, bool ok, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
double now_seconds(void);
char *read_file(const char *path);
double report_number(const char *json, const char *section, const char *key);
int pcm_open_job(struct job *job, snd_pcm_t **pcm, snd_pcm_stream_t stream, int mode);
/* RW interleaved, CHANNELS, RATE, avail_min a period, started by hand. */
int pcm_configure_geometry(snd_pcm_t *pcm, snd_pcm_format_t format,
			   snd_pcm_uframes_t period, snd_pcm_uframes_t buffer);
int pcm_open_configured(struct job *job, snd_pcm_t **pcm,
			snd_pcm_stream_t stream, int mode);
int prefill_and_start(snd_pcm_t *cap, snd_pcm_t *play, void *buf,
		      snd_pcm_format_t format);
int recover(snd_pcm_t *cap, snd_pcm_t *play, void *buf, snd_pcm_format_t format);
int request(const struct job *job, const char *command);
snd_pcm_sframes_t write_all(snd_pcm_t *play, const void *buf,
			    snd_pcm_uframes_t frames, snd_pcm_format_t format);
int pump_once(snd_pcm_t *cap, snd_pcm_t *play, void *buf, bool blocking,
	      snd_pcm_format_t format, bool *fault);
bool near(double value, double target, double tolerance);
/* A latency the device measured against the one a run set up (PREFILL,
 * less any frames dropped): within 2 frames, plus the most the playback's
 * start came after the capture's in this job (a preemption between the
 * two snd_pcm_start calls adds to it; measured by prefill_and_start). */
bool latency_near(double latency, double want);
double start_skew_frames(void);
void check_setup(struct job *job, const char *r);
void check_latency(struct job *job, const char *r);

/* rig_faults.c */
/* Both streams of a nonblocking loop-back and what it needed. */
struct loop {
	snd_pcm_t *cap, *play;
	void *buf;
	snd_pcm_format_t format;
	unsigned int recoveries;
};

void loop_close(struct loop *lp);
void check_stall_report(struct job *job, const char *r, const struct run_stats *rs);
void check_faults_report(struct job *job, const char *r);
void run_device_job(struct job *job);

/* rig_clock.c */
void run_clock_job(struct job *job);

/* rig_source.c */
void run_source_job(struct job *job);

#endif
