#include "scale.h"
#include "calc.h"
#include "util.h"

int scale(int x)
{
    int y = calc_double(x);
    return y < json_depth_limit() ? y : json_depth_limit();
}
