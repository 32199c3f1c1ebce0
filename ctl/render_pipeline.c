/* render_pipeline.c - the pipeline.list result as a table.
 *
 * One row per block: index, type, name, channels, and then every other
 * member of the block as key=value, in the daemon's order, so a block type
 * added to the daemon shows its settings without a dspctl change.
 * Single-threaded (dspctl's main thread). */
#include "jvalue.h"
#include "render.h"

#include <string.h>

static bool is_column(const char *key)
{
	static const char *const columns[] = { "index", "type", "name", "channels" };

	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++)
		if (strcmp(key, columns[i]) == 0)
			return true;
	return false;
}

/* "0,1", "all" when absent. */
static void channel_list(json_object *channels, char *buf, size_t size)
{
	size_t n = jv_length(channels), used = 0;

	snprintf(buf, size, "%s", channels ? "-" : "all");
	for (size_t i = 0; i < n && used < size; i++) {
		char one[32];

		if (!jv_count(json_object_array_get_idx(channels, i), one, sizeof(one)))
			snprintf(one, sizeof(one), "?");
		used += (size_t)snprintf(buf + used, size - used, "%s%s",
					 i ? "," : "", one);
	}
}

static void put_setting(FILE *out, const char *key, json_object *value)
{
	double d;
	bool b;

	fprintf(out, " %s=", key);
	if (jv_bool(value, &b))
		fputs(b ? "yes" : "no", out);
	else if (json_object_is_type(value, json_type_double) && jv_number(value, &d))
		fprintf(out, "%g", d);
	else if (jv_string(value))
		fputs(jv_string(value), out);
	else
		fputs(json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN |
			JSON_C_TO_STRING_NOSLASHESCAPE), out);
}

static void put_block(FILE *out, json_object *block, size_t position)
{
	const char *type = jv_string(jv_field(block, "type"));
	const char *name = jv_string(jv_field(block, "name"));
	char index[32], channels[128];

	if (!jv_count(jv_field(block, "index"), index, sizeof(index)))
		snprintf(index, sizeof(index), "%zu", position);
	channel_list(jv_field(block, "channels"), channels, sizeof(channels));
	fprintf(out, "%3s  %-10s %-16s %-9s", index, type ? type : "?",
		name ? name : "-", channels);
	if (json_object_is_type(block, json_type_object)) {
		json_object_object_foreach(block, key, value) {
			if (!is_column(key))
				put_setting(out, key, value);
		}
	}
	fputc('\n', out);
}

void render_pipeline(FILE *out, json_object *pipeline)
{
	json_object *blocks = jv_field(pipeline, "blocks");
	size_t n = jv_length(blocks);

	if (n == 0) {
		fprintf(out, "pipeline is empty\n");
		return;
	}
	fprintf(out, "%3s  %-10s %-16s %-9s %s\n", "#", "type", "name",
		"channels", "settings");
	for (size_t i = 0; i < n; i++)
		put_block(out, json_object_array_get_idx(blocks, i), i);
}
