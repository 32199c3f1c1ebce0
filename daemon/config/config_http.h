/* config_http.h - the "http" object (config_http.c): the web page's
 * listening address, token file, files and client limit.  Not for use
 * outside daemon/config/config*.c.  Control thread only. */
#ifndef DSPD_CONFIG_HTTP_H
#define DSPD_CONFIG_HTTP_H

#include "config_fields.h"

/* The "http" object: turns the web page on (http.enabled) and reads its
 * keys; defaults are config_defaults()'s. */
field_parse_fn cfg_parse_http;

#endif
