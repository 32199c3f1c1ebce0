/* fx_fir.c - constructors of the fir block family.  Control thread. */
#include "fx.h"

const struct fx_constructor fx_constructors_fir[] = {
	{ .create = NULL },
};
