/* conv_kernel.h - the inner loops of partitioned convolution: complex
 * multiply-accumulate of spectra in split format and the conversions
 * between FFTW's interleaved complex arrays and that format.
 *
 * A spectrum in split format is `bins` real parts followed by `bins`
 * imaginary parts, `bins` a multiple of CONV_VEC_FLOATS (the unused tail
 * is zero), the array aligned to CONV_ALIGN bytes.  The loops are built
 * twice, for plain x86-64 and for AVX2+FMA, and one is picked for the CPU
 * at program start; they are safe on the RT thread (no allocation, no
 * calls into the system).  conv_alloc(): control thread. */
#ifndef DSPD_CONV_KERNEL_H
#define DSPD_CONV_KERNEL_H

#include <fftw3.h>
#include <stddef.h>

#define CONV_VEC_FLOATS 16     /* bins are padded to a multiple of this */
#define CONV_ALIGN 64          /* bytes; alignment of every split array */

/* The loops in use: "avx2_fma" or "generic". */
const char *conv_kernel_name(void);
/* Use the named loops instead (tests, benchmarks; before any RT thread
 * runs).  Returns 0, -ENOENT (unknown) or -ENOTSUP (CPU lacks them). */
int conv_kernel_use(const char *name);

/* acc = x * h for the bins [begin, end) of spectra of `bins` bins in
 * split format; begin and end are multiples of CONV_VEC_FLOATS. */
void conv_mul(float *acc, const float *x, const float *h, size_t bins,
              size_t begin, size_t end);
/* acc += x * h, same ranges. */
void conv_mac(float *acc, const float *x, const float *h, size_t bins,
              size_t begin, size_t end);
/* All bins: */
/* acc += x0 * h0 + x1 * h1 (two partitions in one pass over acc). */
void conv_mac2(float *acc, const float *x0, const float *h0,
               const float *x1, const float *h1, size_t bins);
/* out = a + x * h. */
void conv_add_mul(float *out, const float *a, const float *x, const float *h,
                  size_t bins);

/* FFTW interleaved (n_bins values) <-> split (padded to `bins`). */
void conv_to_split(float *split, const fftwf_complex *c, size_t n_bins,
                   size_t bins);
void conv_from_split(fftwf_complex *c, const float *split, size_t n_bins,
                     size_t bins);

/* Zeroed memory aligned to CONV_ALIGN, released with conv_free();
 * control thread. */
void *conv_alloc(size_t bytes);
void conv_free(void *p);

/* Round n complex bins up to the padded count. */
static inline size_t conv_padded_bins(size_t n)
{
	return (n + CONV_VEC_FLOATS - 1) / CONV_VEC_FLOATS * CONV_VEC_FLOATS;
}

#endif
