/* rate_ctl.h - the control loop that keeps two clocks together: it steers
 * the resampler's correction so that the capture -> playback latency stays
 * at its target while the capture and playback devices run at slightly
 * different rates.
 *
 * The plant.  L is the latency in output frames: frames queued in playback
 * + (frames captured but not read + frames the resampler holds) * ratio,
 * read right after each period's write.  Both device delays are read
 * back to back, bracketed by a second playback read (engine/delay_pair.h:
 * a preemption between the reads is seen and the pair read again), so
 * the time the RT thread woke up cancels out: L moves only with the
 * clocks.  With the capture clock eps (a fraction) fast
 * against playback and the correction delta consuming delta more input
 * per output frame, dL/dt = rate * (eps - delta): an integrator.
 *
 * The loop.  L is averaged over a window of at least interval_s (whole
 * periods); at the end of each window the error e = mean(L) - target
 * drives a PI controller, delta = kp*lp(e) + ki*integral(e dt), with
 * kp = 2*zeta*wn/rate, ki = wn^2/rate, wn = 2*pi*bandwidth_hz, zeta = 1
 * (critically damped), and lp a first-order low-pass of time constant
 * 1/(4*wn) (0.8 s at 0.05 Hz) on the proportional path only.  A clock
 * offset is tracked with zero steady error in both L and delta; a step of
 * the offset d_eps moves L by about 1.25 * rate*d_eps/(e*wn) frames
 * (14 frames for 200 ppm at 48 kHz and 0.05 Hz, 21 for 300 ppm) and
 * settles in about 6/wn (19 s at 0.05 Hz).  delta is clamped to
 * +-max_ppm; the integral stops growing while clamped (no wind-up).
 * Measurement noise (a device that reports its position a USB packet at a
 * time, two delays read a few microseconds apart) reaches delta through
 * kp, 13 ppm per frame of error at 0.05 Hz and 48 kHz, and the low-pass
 * cuts that by 2-3 times for window-to-window noise: the ratio's jitter is
 * frequency modulation of a few ppm, far below hearing, and it is what
 * the low-pass trades against a quarter more excursion.
 *
 * A plain value: the RT thread owns it (rate_ctl_measure), the control
 * thread reads copies published through the event ring. */
#ifndef DSPD_RATE_CTL_H
#define DSPD_RATE_CTL_H

#include <stdbool.h>
#include <stdint.h>

struct rate_ctl_params {
	double rate;            /* output frames per second */
	double target;          /* latency to hold, output frames */
	double bandwidth_hz;    /* loop natural frequency */
	double max_ppm;         /* |correction| limit */
	double interval_s;      /* shortest averaging window */
	bool steer;             /* false: only measure (fixed-ratio resampling) */
};

struct rate_ctl {
	struct rate_ctl_params p;
	double kp, ki;
	double tau;             /* the P term's smoothing, seconds */
	double error_smooth;    /* e smoothed over tau, for the P term */
	double integral;        /* the I term, a fraction */
	double adjust;          /* the correction in use, a fraction */
	double level;           /* mean L of the last window */
	double level_min, level_max;    /* of L since the last restart */
	bool have_level;
	bool clamped;           /* the last update hit max_ppm */
	uint64_t updates;
	/* the window being averaged */
	double sum;
	uint32_t samples;
	uint64_t frames;
};

void rate_ctl_init(struct rate_ctl *c, const struct rate_ctl_params *p);
/* The streams restarted (a re-sync): drop the window and the level range,
 * keep the correction, which belongs to the clocks. */
void rate_ctl_restart(struct rate_ctl *c);
/* One reading of L after a period of `frames` output frames.  Returns true
 * when a window ended and c->adjust was updated. */
bool rate_ctl_measure(struct rate_ctl *c, double level, uint32_t frames);

#endif
