/* conv_kernel.c - complex multiply-accumulate loops of the convolver in
 * split format, built for plain x86-64 (SSE2) and for AVX2+FMA with GCC
 * vector extensions; the set the CPU supports is picked once at program
 * start, before any thread exists.  The loops run on the RT thread. */
#include "conv_kernel.h"
#include "cpu.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef float vf __attribute__((vector_size(32)));

#define VF_FLOATS (sizeof(vf) / sizeof(float))

_Static_assert(CONV_VEC_FLOATS % (32 / sizeof(float)) == 0,
               "padding must be a whole number of vectors");

struct kernel_set {
	const char *name;
	void (*mul)(float *, const float *, const float *, size_t, size_t,
	            size_t);
	void (*mac)(float *, const float *, const float *, size_t, size_t,
	            size_t);
	void (*mac2)(float *, const float *, const float *, const float *,
	             const float *, size_t);
	void (*add_mul)(float *, const float *, const float *, const float *,
	                size_t);
};

/* The loop bodies, written once.  Re and im of a spectrum are `bins`
 * floats apart; each step handles VF_FLOATS bins. */
#define DEFINE_KERNELS(SUFFIX, ATTR)                                          \
ATTR static void mul_##SUFFIX(float *acc, const float *x, const float *h,    \
                              size_t bins, size_t begin, size_t end)         \
{                                                                            \
	vf *ar = (vf *)acc, *ai = (vf *)(acc + bins);                        \
	const vf *xr = (const vf *)x, *xi = (const vf *)(x + bins);          \
	const vf *hr = (const vf *)h, *hi = (const vf *)(h + bins);          \
                                                                             \
	for (size_t i = begin / VF_FLOATS; i < end / VF_FLOATS; i++) {       \
		ar[i] = xr[i] * hr[i] - xi[i] * hi[i];                      \
		ai[i] = xr[i] * hi[i] + xi[i] * hr[i];                      \
	}                                                                    \
}                                                                            \
ATTR static void mac_##SUFFIX(float *acc, const float *x, const float *h,    \
                              size_t bins, size_t begin, size_t end)         \
{                                                                            \
	vf *ar = (vf *)acc, *ai = (vf *)(acc + bins);                        \
	const vf *xr = (const vf *)x, *xi = (const vf *)(x + bins);          \
	const vf *hr = (const vf *)h, *hi = (const vf *)(h + bins);          \
                                                                             \
	for (size_t i = begin / VF_FLOATS; i < end / VF_FLOATS; i++) {       \
		ar[i] += xr[i] * hr[i] - xi[i] * hi[i];                      \
		ai[i] += xr[i] * hi[i] + xi[i] * hr[i];                      \
	}                                                                    \
}                                                                            \
ATTR static void mac2_##SUFFIX(float *acc, const float *x0, const float *h0, \
                               const float *x1, const float *h1,             \
                               size_t bins)                                  \
{                                                                            \
	vf *ar = (vf *)acc, *ai = (vf *)(acc + bins);                        \
	const vf *ar0 = (const vf *)x0, *ai0 = (const vf *)(x0 + bins);      \
	const vf *br0 = (const vf *)h0, *bi0 = (const vf *)(h0 + bins);      \
	const vf *ar1 = (const vf *)x1, *ai1 = (const vf *)(x1 + bins);      \
	const vf *br1 = (const vf *)h1, *bi1 = (const vf *)(h1 + bins);      \
                                                                             \
	for (size_t i = 0; i < bins / VF_FLOATS; i++) {                      \
		vf re = ar[i], im = ai[i];                                   \
                                                                             \
		re += ar0[i] * br0[i] - ai0[i] * bi0[i];                     \
		im += ar0[i] * bi0[i] + ai0[i] * br0[i];                     \
		re += ar1[i] * br1[i] - ai1[i] * bi1[i];                     \
		im += ar1[i] * bi1[i] + ai1[i] * br1[i];                     \
		ar[i] = re;                                                  \
		ai[i] = im;                                                  \
	}                                                                    \
}                                                                            \
ATTR static void add_mul_##SUFFIX(float *out, const float *a,               \
                                  const float *x, const float *h,            \
                                  size_t bins)                               \
{                                                                            \
	vf *orr = (vf *)out, *oi = (vf *)(out + bins);                       \
	const vf *pr = (const vf *)a, *pi = (const vf *)(a + bins);          \
	const vf *xr = (const vf *)x, *xi = (const vf *)(x + bins);          \
	const vf *hr = (const vf *)h, *hi = (const vf *)(h + bins);          \
                                                                             \
	for (size_t i = 0; i < bins / VF_FLOATS; i++) {                      \
		orr[i] = pr[i] + xr[i] * hr[i] - xi[i] * hi[i];              \
		oi[i] = pi[i] + xr[i] * hi[i] + xi[i] * hr[i];               \
	}                                                                    \
}                                                                            \
static const struct kernel_set kernels_##SUFFIX = {                          \
	#SUFFIX, mul_##SUFFIX, mac_##SUFFIX, mac2_##SUFFIX, add_mul_##SUFFIX \
};

DEFINE_KERNELS(generic, )
#if defined(__x86_64__)
DEFINE_KERNELS(avx2_fma, __attribute__((target("avx2,fma"))))
#endif

static const struct kernel_set *kernels = &kernels_generic;

__attribute__((constructor)) static void select_kernels(void)
{
#if defined(__x86_64__)
	if (cpu_has(CPU_AVX2 | CPU_FMA))
		kernels = &kernels_avx2_fma;
#endif
}

const char *conv_kernel_name(void)
{
	return kernels->name;
}

int conv_kernel_use(const char *name)
{
	if (strcmp(name, kernels_generic.name) == 0) {
		kernels = &kernels_generic;
		return 0;
	}
#if defined(__x86_64__)
	if (strcmp(name, kernels_avx2_fma.name) == 0) {
		if (!cpu_has(CPU_AVX2 | CPU_FMA))
			return -ENOTSUP;
		kernels = &kernels_avx2_fma;
		return 0;
	}
#endif
	return -ENOENT;
}

void conv_mul(float *acc, const float *x, const float *h, size_t bins,
              size_t begin, size_t end)
{
	kernels->mul(acc, x, h, bins, begin, end);
}

void conv_mac(float *acc, const float *x, const float *h, size_t bins,
              size_t begin, size_t end)
{
	kernels->mac(acc, x, h, bins, begin, end);
}

void conv_mac2(float *acc, const float *x0, const float *h0,
               const float *x1, const float *h1, size_t bins)
{
	kernels->mac2(acc, x0, h0, x1, h1, bins);
}

void conv_add_mul(float *out, const float *a, const float *x, const float *h,
                  size_t bins)
{
	kernels->add_mul(out, a, x, h, bins);
}

void conv_to_split(float *split, const fftwf_complex *c, size_t n_bins,
                   size_t bins)
{
	float *re = split, *im = split + bins;

	for (size_t i = 0; i < n_bins; i++) {
		re[i] = c[i][0];
		im[i] = c[i][1];
	}
	memset(re + n_bins, 0, (bins - n_bins) * sizeof(float));
	memset(im + n_bins, 0, (bins - n_bins) * sizeof(float));
}

void conv_from_split(fftwf_complex *c, const float *split, size_t n_bins,
                     size_t bins)
{
	const float *re = split, *im = split + bins;

	for (size_t i = 0; i < n_bins; i++) {
		c[i][0] = re[i];
		c[i][1] = im[i];
	}
}

/* Every block starts with a header of CONV_ALIGN bytes saying how it was
 * made.  Large ones (a long filter's spectra and delay lines, megabytes)
 * come from mmap with MAP_POPULATE: zeroed and faulted in by the kernel in
 * one call, instead of a page fault per 4 KiB as memset touches them (a
 * quarter of the start-up of an 8 x 262144-tap render). */
#define CONV_MAP_MIN (256u << 10)

struct conv_header {
	size_t total;               /* bytes mapped or allocated, header included */
	int mapped;
};

void *conv_alloc(size_t bytes)
{
	size_t rounded = (bytes + CONV_ALIGN - 1) / CONV_ALIGN * CONV_ALIGN;
	size_t total = CONV_ALIGN + (rounded ? rounded : CONV_ALIGN);
	struct conv_header *h;

	if (total >= CONV_MAP_MIN) {
		h = mmap(NULL, total, PROT_READ | PROT_WRITE,
		         MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
		if (h == MAP_FAILED)
			return NULL;
		h->mapped = 1;
	} else {
		h = aligned_alloc(CONV_ALIGN, total);
		if (!h)
			return NULL;
		memset(h, 0, total);
		h->mapped = 0;
	}
	h->total = total;
	return (char *)h + CONV_ALIGN;
}

void conv_free(void *p)
{
	struct conv_header *h;

	if (!p)
		return;
	h = (struct conv_header *)((char *)p - CONV_ALIGN);
	if (h->mapped)
		munmap(h, h->total);
	else
		free(h);
}
