/* config_fields.h - key tables and the generic field parsers of pass 3
 * (config_fields.c): what the top level (config_schema.c) and every block
 * family (config_fx_*.c) build their tables from.  Not for use outside
 * daemon/config/config*.c.  Control thread only. */
#ifndef DSPD_CONFIG_FIELDS_H
#define DSPD_CONFIG_FIELDS_H

#include "config_errors.h"

/* Field flags. */
#define FIELD_REQUIRED    0x1u
#define TAINTS_PERIOD     0x2u /* failure disables the buffer-size check */
#define TAINTS_CHANNELS   0x4u /* failure disables the block channel check */
#define TAINTS_SOCKETS    0x8u /* failure disables the socket paths check */
#define TAINTS_RATES      0x10u /* failure disables the resampler checks */
#define TAINTS_FOLLOW     0x20u /* failure disables the follow and pitch checks */
#define TAINTS_VOLUME     0x40u /* failure disables the volume link checks */

struct field;
typedef int field_parse_fn(struct parser *p, struct json_object *val,
                           const struct field *f, void *dst);

struct field {
	const char *key;
	field_parse_fn *parse;
	size_t offset;                  /* of the destination within the base */
	double min, max;                /* numeric range */
	size_t size;                    /* string destination buffer size */
	const char *hint;               /* appended to a too-long message */
	const struct field *fields;     /* parse_object: the nested keys */
	const char *const *choices;     /* cfg_parse_choice: NULL-terminated */
	unsigned flags;
};

/* Field parsers the block tables share with the top level. */
int cfg_get_integer(struct parser *p, struct json_object *val,
                    double min, double max, int64_t *ret);
int cfg_get_string(struct parser *p, struct json_object *val, size_t size,
                   const char *hint, const char **ret);
/* 0 when s uses only letters, digits, '_', '.' and '-'; else reports an
 * "invalid <what> ..." error and returns -EINVAL. */
int cfg_check_name_chars(struct parser *p, const char *s, const char *what);
field_parse_fn cfg_parse_number;
/* A string that must be one of f->choices; stores its index as an int. */
field_parse_fn cfg_parse_choice;
/* A non-empty string of at most f->size - 1 bytes, copied to dst. */
field_parse_fn cfg_parse_string;
field_parse_fn cfg_parse_bool;
/* An integer in f->min..f->max, stored as an unsigned. */
field_parse_fn cfg_parse_unsigned;
/* Walk an object against its key table, writing into base. */
int cfg_parse_fields(struct parser *p, struct json_object *obj,
                     const struct field *fields, void *base);

#endif
