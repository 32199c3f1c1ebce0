/* top may use base and mid, and json-c (mid may not) */
#include "scale.h"
#include "calc.h"
#include "util.h"

int json_object_new_int(int);   /* json-c's, declared so no json-c is needed */
int app_run(int x);

int app_run(int x) { return json_object_new_int(scale(x) + calc_double(base_add(x, 1))); }
