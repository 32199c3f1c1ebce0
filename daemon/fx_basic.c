/* fx_basic.c - constructors of the basic block family.  Control thread. */
#include "fx.h"

const struct fx_constructor fx_constructors_basic[] = {
	{ .create = NULL },
};
