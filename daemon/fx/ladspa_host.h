/* ladspa_host.h - finding, loading and describing LADSPA plugins.
 *
 * Plugins are looked up only in the LADSPA search path: the directories of
 * the environment variable LADSPA_PATH (colon-separated, absolute ones) if
 * it is set, else LADSPA_DEFAULT_PATH.  A configuration or a client names a
 * label and at most a library file name, never a path: they choose among
 * the plugins the administrator installed.
 *
 * Control thread only: everything here reads directories and dlopen()s. */
#ifndef DSPD_LADSPA_HOST_H
#define DSPD_LADSPA_HOST_H

#include <ladspa.h>
#include <stdbool.h>
#include <stddef.h>

#define LADSPA_DEFAULT_PATH \
	"/usr/local/lib/ladspa:/usr/lib/ladspa:/usr/lib/x86_64-linux-gnu/ladspa"

/* A loaded plugin type: its library stays open until ladspa_unload(). */
struct ladspa_plugin {
	void *library_handle;
	const LADSPA_Descriptor *desc;
	char library[256];              /* the library's file name */
};

/* What the hints of one control port mean at a sample rate. */
struct ladspa_control_info {
	bool input;
	bool has_lower, has_upper;      /* bounds, already times the rate */
	double lower, upper;            /* when LADSPA_HINT_SAMPLE_RATE */
	bool has_default;               /* a LADSPA_HINT_DEFAULT_* is given */
	double default_value;           /* the hinted default; without one 0,
	                                   moved into the bounds */
	bool toggled, integer, logarithmic;
};

/* The search path in use (LADSPA_PATH or the default). */
const char *ladspa_search_path(void);

/* Load the plugin of `label`: from the library file `library` of the
 * search path, or when library is NULL or "" from the first library
 * holding it (directories in path order, files in sorted order).  Returns
 * 0, -EINVAL (library is not a plain "*.so" file name), -ENOENT (not
 * found) or -ENOMEM, with a message in err. */
int ladspa_load(const char *label, const char *library,
                struct ladspa_plugin *ret, char *err, size_t err_len);
void ladspa_unload(struct ladspa_plugin *plugin);

/* Audio ports of one direction. */
unsigned ladspa_audio_ports(const LADSPA_Descriptor *desc, bool output);
/* The hints of control port `port` at `rate`. */
void ladspa_control_info(const LADSPA_Descriptor *desc, unsigned long port,
                         unsigned rate, struct ladspa_control_info *ret);

/* A walk over the search path: on_dir gets each directory in order,
 * on_plugin each usable plugin of its libraries, loaded for the call only
 * (its library is closed afterwards); on_plugin returns false to stop. */
struct ladspa_walk {
	void (*on_dir)(void *data, const char *dir);
	bool (*on_plugin)(void *data, const char *library,
	                  const LADSPA_Descriptor *desc);
	void *data;
};

/* Walk every plugin (only those of label_or_NULL when given).  Returns 0 or
 * -errno (a directory that could not be read); *ret_stopped is true when
 * on_plugin stopped the walk. */
int ladspa_walk(const char *label_or_NULL, const struct ladspa_walk *w,
                bool *ret_stopped);

#endif
