/* a cycle inside mid: calc calls scale, which calls calc */
#include "calc.h"
#include "scale.h"
#include "util.h"

int calc_double(int x) { return x > 1000 ? scale(x / 2) : base_add(x, x); }
