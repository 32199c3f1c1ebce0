#ifndef CALC_H
#define CALC_H
int calc_double(int x);
#endif
