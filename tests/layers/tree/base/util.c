/* base: the bottom layer; uses no other layer.  Commented out, so not
   includes (the checker strips comments first):
#include "calc.h"
 */
#include "util.h"
#ifdef HAVE_GENERATED
#include "generated.h"          /* in no layer: not the checker's business */
#endif

int base_add(int a, int b) { return a + b; }
int json_depth_limit(void) { return 32; }
