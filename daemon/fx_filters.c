/* fx_filters.c - constructors of the filters block family.  Control thread. */
#include "fx.h"

const struct fx_constructor fx_constructors_filters[] = {
	{ .create = NULL },
};
