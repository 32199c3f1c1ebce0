#ifndef SCALE_H
#define SCALE_H
int scale(int x);
#endif
