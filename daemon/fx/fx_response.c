/* fx_response.c - a block's own response with the shared rules (see
 * fx_response.h).  Any thread. */
#include "fx_response.h"
#include "response.h"

enum fx_path fx_response_path(const struct fx *fx, unsigned out, unsigned in,
                              size_t n, double complex *h, double complex *dh)
{
	if (out != in || in >= fx->channels_in)
		return FX_PATH_NONE;
	resp_identity(n, h, dh);
	return fx->channel_mask & (1u << in) ? FX_PATH_OWN : FX_PATH_THROUGH;
}

bool fx_response(const struct fx *fx, unsigned out, unsigned in,
                 const double *w, size_t n, double complex *h,
                 double complex *dh)
{
	if (fx->bypass || !fx->ops->response) {
		if (out != in || in >= fx->channels_in)
			return false;
		resp_identity(n, h, dh);
		return true;
	}
	return fx->ops->response(fx, out, in, w, n, h, dh);
}

size_t fx_response_cost(const struct fx *fx)
{
	if (fx->bypass || !fx->ops->response || !fx->ops->response_cost)
		return 1;
	return fx->ops->response_cost(fx);
}

bool fx_response_level_dependent(const struct fx *fx)
{
	return !fx->bypass && fx->ops->level_dependent;
}
