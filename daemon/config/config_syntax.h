/* config_syntax.h - passes 1 and 2 of a config load, both on the raw text
 * (config_syntax.c).  Not for use outside daemon/config/config*.c.
 * Control thread only. */
#ifndef DSPD_CONFIG_SYNTAX_H
#define DSPD_CONFIG_SYNTAX_H

#include "config_errors.h"

#define CFG_JSON_DEPTH 64               /* nesting limit handed to json-c */

/* Pass 1: parse p->text into *ret_root, *ret_end being where the top-level
 * object ends.  Returns 0, -EINVAL (one error reported) or -ENOMEM. */
int cfg_parse_syntax(struct parser *p, struct json_object **ret_root,
                     size_t *ret_end);
/* Pass 2: report keys given twice in one object, in text accepted by
 * cfg_parse_syntax() up to end. */
void cfg_check_duplicate_keys(struct parser *p, size_t end);

#endif
