/* view_plugins.c - the "plugins" answer: every LADSPA plugin of the search
 * path (ladspa_walk() of ladspa_host.h) with its ports, ranges and defaults
 * at a rate, as JSON.  Listing loads each library, running its constructor
 * code.  Control thread only. */
#include "views.h"

#include <stdio.h>
#include <string.h>

#include "ladspa_host.h"

#define LIST_MAX_PLUGINS 4096    /* descriptors one listing shows */

/* ---- the listing's JSON --------------------------------------------------- */

/* Plugin strings as valid UTF-8 (bytes of a broken sequence become '?'). */
static json_object *utf8_string(const char *s)
{
	char buf[512];
	size_t n = 0;

	if (!s)
		s = "";
	for (const unsigned char *c = (const unsigned char *)s;
	     *c && n < sizeof(buf) - 1; ) {
		unsigned need = *c < 0x80 ? 0 : (*c & 0xe0) == 0xc0 ? 1 :
		                (*c & 0xf0) == 0xe0 ? 2 : (*c & 0xf8) == 0xf0 ? 3 : 9;
		unsigned k = 1;

		while (need < 9 && k <= need && (c[k] & 0xc0) == 0x80)
			k++;
		if (need == 9 || k <= need || n + k >= sizeof(buf)) {
			buf[n++] = '?';
			c++;
			continue;
		}
		memcpy(buf + n, c, k);
		n += k;
		c += k;
	}
	buf[n] = '\0';
	return json_object_new_string(buf);
}

/* A finite number shown with float precision. */
static json_object *number(double v)
{
	char text[32];

	snprintf(text, sizeof(text), "%.9g", v);
	return json_object_new_double_s(v, text);
}

static json_object *control_json(const LADSPA_Descriptor *d, unsigned long i,
                                 unsigned rate)
{
	struct ladspa_control_info c;
	json_object *o = json_object_new_object();

	if (!o)
		return NULL;
	ladspa_control_info(d, i, rate, &c);
	json_object_object_add(o, "name", utf8_string(d->PortNames[i]));
	json_object_object_add(o, "direction",
	                       json_object_new_string(c.input ? "input" : "output"));
	if (c.has_lower)
		json_object_object_add(o, "lower", number(c.lower));
	if (c.has_upper)
		json_object_object_add(o, "upper", number(c.upper));
	if (c.input)
		json_object_object_add(o, "default", number(c.default_value));
	json_object_object_add(o, "toggled", json_object_new_boolean(c.toggled));
	json_object_object_add(o, "integer", json_object_new_boolean(c.integer));
	json_object_object_add(o, "logarithmic",
	                       json_object_new_boolean(c.logarithmic));
	return o;
}

static json_object *plugin_json(const char *library, const LADSPA_Descriptor *d,
                                unsigned rate)
{
	json_object *o = json_object_new_object(), *controls;

	if (!o)
		return NULL;
	json_object_object_add(o, "library", utf8_string(library));
	json_object_object_add(o, "label", utf8_string(d->Label));
	json_object_object_add(o, "name", utf8_string(d->Name));
	json_object_object_add(o, "maker", utf8_string(d->Maker));
	json_object_object_add(o, "unique_id",
	                       json_object_new_int64((int64_t)d->UniqueID));
	json_object_object_add(o, "hard_rt", json_object_new_boolean(
	                       LADSPA_IS_HARD_RT_CAPABLE(d->Properties)));
	json_object_object_add(o, "inplace_broken", json_object_new_boolean(
	                       LADSPA_IS_INPLACE_BROKEN(d->Properties)));
	json_object_object_add(o, "audio_inputs",
	                       json_object_new_int((int)ladspa_audio_ports(d, false)));
	json_object_object_add(o, "audio_outputs",
	                       json_object_new_int((int)ladspa_audio_ports(d, true)));
	controls = json_object_new_array();
	for (unsigned long i = 0; controls && i < d->PortCount; i++)
		if (LADSPA_IS_PORT_CONTROL(d->PortDescriptors[i]))
			json_object_array_add(controls, control_json(d, i, rate));
	json_object_object_add(o, "controls", controls);
	return o;
}

struct listing {
	unsigned rate;
	json_object *dirs, *plugins;
};

static void list_dir(void *data, const char *dir)
{
	struct listing *l = data;

	json_object_array_add(l->dirs, json_object_new_string(dir));
}

/* false once LIST_MAX_PLUGINS are listed: the listing is truncated */
static bool list_plugin(void *data, const char *library, const LADSPA_Descriptor *d)
{
	struct listing *l = data;

	if (json_object_array_length(l->plugins) >= LIST_MAX_PLUGINS)
		return false;
	json_object_array_add(l->plugins, plugin_json(library, d, l->rate));
	return true;
}

/* views.h */
json_object *plugins_json(unsigned rate, const char *label_or_NULL)
{
	struct listing l = { rate, json_object_new_array(), json_object_new_array() };
	struct ladspa_walk walk = { list_dir, list_plugin, &l };
	json_object *result = json_object_new_object();
	bool truncated = false;

	if (!result || !l.dirs || !l.plugins ||
	    ladspa_walk(label_or_NULL, &walk, &truncated) < 0) {
		json_object_put(result);
		json_object_put(l.dirs);
		json_object_put(l.plugins);
		return NULL;
	}
	json_object_object_add(result, "path", l.dirs);
	json_object_object_add(result, "truncated", json_object_new_boolean(truncated));
	json_object_object_add(result, "plugins", l.plugins);
	return result;
}
