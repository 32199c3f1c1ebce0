/* pipeline_response.h - the exact frequency response of a built pipeline
 * (pipeline.h) from its blocks' coefficients (fx_response.h): a column of
 * complex responses, one per output channel, and its derivative dH/dw,
 * carried through the graph block by block.  A block's paths multiply
 * into the channels they join; paths into one output add (a mixer summing
 * the ways of a crossover, with their delays and phases): the result is
 * the response of the output to the chosen input signal, exactly.
 *
 * Any thread, given a pipeline nothing frees meanwhile (the control
 * thread's running graph, or one the caller built).  Allocates. */
#ifndef DSPD_PIPELINE_RESPONSE_H
#define DSPD_PIPELINE_RESPONSE_H

#include <complex.h>
#include <stddef.h>
#include <stdint.h>

#include "pipeline.h"

/* inputs: every input channel gets the same signal (their paths add). */
#define PIPELINE_RESPONSE_ALL_INPUTS UINT32_MAX

struct pipeline_response {
	size_t n;                          /* frequencies */
	unsigned channels;                 /* the pipeline's output channels */
	double complex *h, *dh;            /* [channels][n] */
	uint32_t inputs[FX_MAX_CHANNELS];  /* bit i: a path from input i */
};

/* The response of p's outputs to the same signal on the input channels
 * of the mask `inputs` (bit i: channel i; a pipeline without a mixer runs
 * on more channels than are captured, and those get silence) at the n
 * angular frequencies w (radians per sample, 0..pi).  0, -EINVAL (no
 * input channel of p in the mask) or -ENOMEM. */
int pipeline_response(const struct pipeline *p, const double *w, size_t n,
                      uint32_t inputs, struct pipeline_response *ret);
void pipeline_response_free(struct pipeline_response *r);

/* One block alone: output `out`'s response to the same signal on every
 * input (the sum of the paths into it; a block that keeps its channels
 * has one).  false: nothing reaches out.  tmp_h, tmp_dh: n values each. */
bool pipeline_block_response(const struct fx *fx, unsigned out, const double *w,
                             size_t n, double complex *h, double complex *dh,
                             double complex *tmp_h, double complex *tmp_dh);

/* The work of pipeline_response() at n frequencies, in complex
 * multiply-adds (a FIR's taps x its channels x n, ...). */
uint64_t pipeline_response_work(const struct pipeline *p, size_t n);

#endif
