/* the wrong way: base includes a header of mid */
#include "util.h"
#include "calc.h"

int base_add(int a, int b) { return a + b; }
int json_depth_limit(void) { return 32; }
