/* the wrong way: mid calls into top (declared here, so no include shows it) */
#include "scale.h"
#include "calc.h"
#include "util.h"

const char *top_version(void);

int scale(int x)
{
    int y = calc_double(x) + (top_version()[0] == '1');
    return y < json_depth_limit() ? y : json_depth_limit();
}
