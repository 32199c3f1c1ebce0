/* mid is !json-c, yet includes it (a header no .c includes: never compiled) */
#ifndef CODEC_H
#define CODEC_H
#include <json-c/json.h>
#endif
