/* mid is !json-c, yet calls json-c */
#include "calc.h"
#include "util.h"

int json_object_new_int(int);

int calc_double(int x) { return json_object_new_int(base_add(x, x)); }
