#ifndef UTIL_H
#define UTIL_H
int base_add(int a, int b);
int json_depth_limit(void);     /* ours, not json-c's: mid may call it */
#endif
