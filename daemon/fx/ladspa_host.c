/* ladspa_host.c - the LADSPA search path: finding a plugin by label (and
 * library file name), loading it with its library kept open, reading the
 * hints of its control ports, and the listing of every installed plugin.
 *
 * Only directories of LADSPA_PATH (or the default path) are read and only
 * "*.so" file names in them are opened: no path ever comes from a
 * configuration or a client.  Control thread only (dlopen, readdir). */
#include "ladspa_host.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MAX_LIBRARIES_PER_DIR 4096      /* "*.so" files read from one dir */
#define MAX_DESCRIPTORS_PER_LIBRARY 4096

const char *ladspa_search_path(void)
{
	const char *path = getenv("LADSPA_PATH");

	return path && *path ? path : LADSPA_DEFAULT_PATH;
}

/* The next absolute directory of the path at *cursor into buf; NULL at the
 * end.  Empty, relative and over-long entries are skipped. */
static const char *next_dir(const char **cursor, char *buf, size_t size)
{
	while (**cursor) {
		const char *start = *cursor, *end = strchr(start, ':');
		size_t len = end ? (size_t)(end - start) : strlen(start);

		*cursor = start + len + (end ? 1 : 0);
		if (len == 0 || len >= size || start[0] != '/')
			continue;
		memcpy(buf, start, len);
		buf[len] = '\0';
		return buf;
	}
	return NULL;
}

/* A library name as a configuration may give it: "name.so", no path. */
static bool is_library_file_name(const char *name)
{
	size_t len = strlen(name);

	return len > 3 && len < sizeof(((struct ladspa_plugin *)0)->library) &&
	       name[0] != '.' && !strchr(name, '/') &&
	       strcmp(name + len - 3, ".so") == 0;
}

/* ---- the "*.so" files of one directory, sorted ------------------------ */

struct library_list {
	char **names;
	size_t count;
};

static int compare_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void library_list_free(struct library_list *list)
{
	for (size_t i = 0; i < list->count; i++)
		free(list->names[i]);
	free(list->names);
	list->names = NULL;
	list->count = 0;
}

/* Fill list with the library file names of dir (none when it cannot be
 * read).  Returns 0 or -ENOMEM. */
static int library_list_read(const char *dir, struct library_list *list)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	list->names = NULL;
	list->count = 0;
	if (!d)
		return 0;
	list->names = calloc(MAX_LIBRARIES_PER_DIR, sizeof(*list->names));
	if (!list->names) {
		closedir(d);
		return -ENOMEM;
	}
	while (list->count < MAX_LIBRARIES_PER_DIR && (e = readdir(d))) {
		if (!is_library_file_name(e->d_name))
			continue;
		if (!(list->names[list->count] = strdup(e->d_name))) {
			closedir(d);
			library_list_free(list);
			return -ENOMEM;
		}
		list->count++;
	}
	closedir(d);
	qsort(list->names, list->count, sizeof(*list->names), compare_names);
	return 0;
}

/* ---- one library ------------------------------------------------------- */

/* dir/file into buf; false when it does not fit. */
static bool join_path(char *buf, size_t size, const char *dir, const char *file)
{
	int n = snprintf(buf, size, "%s/%s", dir, file);

	return n > 0 && (size_t)n < size;
}

/* dlopen dir/file and find its ladspa_descriptor(); NULL on failure with
 * the loader's message in err (when err_len > 0). */
static void *open_library(const char *dir, const char *file,
                          LADSPA_Descriptor_Function *ret_fn,
                          char *err, size_t err_len)
{
	char path[PATH_MAX];
	void *handle;
	const char *why;

	if (!join_path(path, sizeof(path), dir, file)) {
		snprintf(err, err_len, "%s/%s: path too long", dir, file);
		return NULL;
	}
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		why = dlerror();
		snprintf(err, err_len, "cannot load %s: %s", path,
		         why ? why : "unknown error");
		return NULL;
	}
	*(void **)ret_fn = dlsym(handle, "ladspa_descriptor");
	if (!*ret_fn) {
		snprintf(err, err_len, "%s is not a LADSPA library (no "
		         "ladspa_descriptor)", path);
		dlclose(handle);
		return NULL;
	}
	return handle;
}

/* A descriptor a host can call and describe. */
static bool descriptor_usable(const LADSPA_Descriptor *d)
{
	if (!d->Label || !d->Name || !d->instantiate || !d->connect_port ||
	    !d->run || !d->cleanup || (d->PortCount &&
	    (!d->PortDescriptors || !d->PortNames || !d->PortRangeHints)))
		return false;
	for (unsigned long i = 0; i < d->PortCount; i++)
		if (!d->PortNames[i])
			return false;
	return true;
}

static const LADSPA_Descriptor *find_label(LADSPA_Descriptor_Function fn,
                                           const char *label)
{
	const LADSPA_Descriptor *d;

	for (unsigned long i = 0; i < MAX_DESCRIPTORS_PER_LIBRARY &&
	     (d = fn(i)); i++)
		if (d->Label && strcmp(d->Label, label) == 0)
			return descriptor_usable(d) ? d : NULL;
	return NULL;
}

/* The labels of a library, for "has no plugin labelled" messages. */
static void append_labels(LADSPA_Descriptor_Function fn, char *buf,
                          size_t size)
{
	const LADSPA_Descriptor *d;
	size_t len = strlen(buf);

	for (unsigned long i = 0; i < 32 && (d = fn(i)) && len < size; i++) {
		int n = snprintf(buf + len, size - len, "%s%s", i ? ", " : "",
		                 d->Label ? d->Label : "?");

		len += n > 0 ? (size_t)n : 0;
	}
	if (len >= size && size > 4)
		strcpy(buf + size - 4, "...");
}

/* ---- ladspa_load ------------------------------------------------------- */

static int load_from_library(const char *label, const char *library,
                             struct ladspa_plugin *ret, char *err,
                             size_t err_len)
{
	const char *cursor = ladspa_search_path();
	LADSPA_Descriptor_Function fn;
	char dir[PATH_MAX], path[PATH_MAX];
	struct stat st;

	while (next_dir(&cursor, dir, sizeof(dir))) {
		if (!join_path(path, sizeof(path), dir, library) ||
		    stat(path, &st) < 0)
			continue;
		ret->library_handle = open_library(dir, library, &fn, err, err_len);
		if (!ret->library_handle)
			return -ENOENT;
		if ((ret->desc = find_label(fn, label)))
			return 0;
		snprintf(err, err_len, "%s has no usable plugin labelled \"%s\" "
		         "(its labels: ", path, label);
		append_labels(fn, err, err_len > 1 ? err_len - 1 : err_len);
		if (strlen(err) + 1 < err_len)
			strcat(err, ")");
		dlclose(ret->library_handle);
		ret->library_handle = NULL;
		return -ENOENT;
	}
	snprintf(err, err_len, "no LADSPA library %s in the search path %s",
	         library, ladspa_search_path());
	return -ENOENT;
}

/* The first library of dir holding label: 1 found, 0 not, -ENOMEM. */
static int search_dir(const char *dir, const char *label,
                      struct ladspa_plugin *ret)
{
	struct library_list list;
	LADSPA_Descriptor_Function fn;
	int r = library_list_read(dir, &list);

	for (size_t i = 0; r == 0 && i < list.count; i++) {
		void *handle = open_library(dir, list.names[i], &fn, NULL, 0);

		if (!handle)
			continue;
		if ((ret->desc = find_label(fn, label))) {
			ret->library_handle = handle;
			snprintf(ret->library, sizeof(ret->library), "%s",
			         list.names[i]);
			r = 1;
		} else {
			dlclose(handle);
		}
	}
	library_list_free(&list);
	return r;
}

int ladspa_load(const char *label, const char *library,
                struct ladspa_plugin *ret, char *err, size_t err_len)
{
	const char *cursor = ladspa_search_path();
	char dir[PATH_MAX];
	int r;

	memset(ret, 0, sizeof(*ret));
	if (library && *library) {
		if (!is_library_file_name(library)) {
			snprintf(err, err_len, "library must be a file name "
			         "ending in \".so\", not a path");
			return -EINVAL;
		}
		snprintf(ret->library, sizeof(ret->library), "%s", library);
		return load_from_library(label, library, ret, err, err_len);
	}
	while (next_dir(&cursor, dir, sizeof(dir)))
		if ((r = search_dir(dir, label, ret)) != 0)
			return r < 0 ? r : 0;
	snprintf(err, err_len, "no LADSPA plugin labelled \"%s\" in the search "
	         "path %s (the \"plugins\" control method or listplugins(1) "
	         "lists the installed ones)", label, ladspa_search_path());
	return -ENOENT;
}

void ladspa_unload(struct ladspa_plugin *plugin)
{
	if (plugin->library_handle)
		dlclose(plugin->library_handle);
	plugin->library_handle = NULL;
	plugin->desc = NULL;
}

/* ---- port hints -------------------------------------------------------- */

unsigned ladspa_audio_ports(const LADSPA_Descriptor *desc, bool output)
{
	unsigned n = 0;

	for (unsigned long i = 0; i < desc->PortCount; i++) {
		LADSPA_PortDescriptor pd = desc->PortDescriptors[i];

		if (LADSPA_IS_PORT_AUDIO(pd) &&
		    (output ? LADSPA_IS_PORT_OUTPUT(pd) : LADSPA_IS_PORT_INPUT(pd)))
			n++;
	}
	return n;
}

/* The point weight_upper of the way from lower to upper, on a log scale
 * for logarithmic ports (the LADSPA 1.1 default formulas; linear when a
 * bound is not positive, where the logarithm has no meaning). */
static double between(double lower, double upper, double weight_upper,
                      bool logarithmic)
{
	if (logarithmic && lower > 0 && upper > 0)
		return exp(log(lower) * (1 - weight_upper) +
		           log(upper) * weight_upper);
	return lower * (1 - weight_upper) + upper * weight_upper;
}

/* The hinted default: false when there is none or its bounds are missing. */
static bool hinted_default(LADSPA_PortRangeHintDescriptor h,
                           const struct ladspa_control_info *c, double *ret)
{
	bool both = c->has_lower && c->has_upper;

	switch (h & LADSPA_HINT_DEFAULT_MASK) {
	case LADSPA_HINT_DEFAULT_MINIMUM:
		*ret = c->lower;
		return c->has_lower;
	case LADSPA_HINT_DEFAULT_LOW:
		*ret = between(c->lower, c->upper, 0.25, c->logarithmic);
		return both;
	case LADSPA_HINT_DEFAULT_MIDDLE:
		*ret = between(c->lower, c->upper, 0.5, c->logarithmic);
		return both;
	case LADSPA_HINT_DEFAULT_HIGH:
		*ret = between(c->lower, c->upper, 0.75, c->logarithmic);
		return both;
	case LADSPA_HINT_DEFAULT_MAXIMUM:
		*ret = c->upper;
		return c->has_upper;
	case LADSPA_HINT_DEFAULT_0:
		*ret = 0;
		return true;
	case LADSPA_HINT_DEFAULT_1:
		*ret = 1;
		return true;
	case LADSPA_HINT_DEFAULT_100:
		*ret = 100;
		return true;
	case LADSPA_HINT_DEFAULT_440:
		*ret = 440;
		return true;
	default:
		return false;
	}
}

void ladspa_control_info(const LADSPA_Descriptor *desc, unsigned long port,
                         unsigned rate, struct ladspa_control_info *ret)
{
	const LADSPA_PortRangeHint *hint = &desc->PortRangeHints[port];
	LADSPA_PortRangeHintDescriptor h = hint->HintDescriptor;
	double scale = LADSPA_IS_HINT_SAMPLE_RATE(h) ? rate : 1.0;
	double value = 0;

	memset(ret, 0, sizeof(*ret));
	ret->input = LADSPA_IS_PORT_INPUT(desc->PortDescriptors[port]);
	ret->toggled = LADSPA_IS_HINT_TOGGLED(h);
	ret->integer = LADSPA_IS_HINT_INTEGER(h);
	ret->logarithmic = LADSPA_IS_HINT_LOGARITHMIC(h);
	ret->lower = hint->LowerBound * scale;
	ret->upper = hint->UpperBound * scale;
	ret->has_lower = LADSPA_IS_HINT_BOUNDED_BELOW(h) && isfinite(ret->lower);
	ret->has_upper = LADSPA_IS_HINT_BOUNDED_ABOVE(h) && isfinite(ret->upper);
	ret->has_default = hinted_default(h, ret, &value) && isfinite(value);
	if (!ret->has_default)
		value = 0;
	if (ret->integer)
		value = round(value);
	if (ret->toggled)
		value = value > 0 ? 1 : 0;
	if (!ret->has_default && ret->has_lower && value < ret->lower)
		value = ret->lower;
	if (!ret->has_default && ret->has_upper && value > ret->upper)
		value = ret->upper;
	ret->default_value = value;
}

/* ---- the walk over the search path --------------------------------------- */

/* The usable plugins of one library (label's only, when given) to w;
 * false once w wants no more. */
static bool walk_library(const char *dir, const char *file, const char *label,
                         const struct ladspa_walk *w)
{
	LADSPA_Descriptor_Function fn;
	const LADSPA_Descriptor *d;
	void *handle = open_library(dir, file, &fn, NULL, 0);
	bool more = true;

	if (!handle)
		return true;
	for (unsigned long i = 0; i < MAX_DESCRIPTORS_PER_LIBRARY && (d = fn(i));
	     i++) {
		if (!descriptor_usable(d) || (label && strcmp(d->Label, label)))
			continue;
		if (!(more = w->on_plugin(w->data, file, d)))
			break;
	}
	dlclose(handle);
	return more;
}

/* Every library of dir to walk_library(); *more false once w wants no more. */
static int walk_dir(const char *dir, const char *label,
                    const struct ladspa_walk *w, bool *more)
{
	struct library_list libs;
	int r = library_list_read(dir, &libs);

	for (size_t i = 0; r == 0 && *more && i < libs.count; i++)
		*more = walk_library(dir, libs.names[i], label, w);
	library_list_free(&libs);
	return r;
}

int ladspa_walk(const char *label_or_NULL, const struct ladspa_walk *w,
                bool *ret_stopped)
{
	const char *cursor = ladspa_search_path();
	char dir[PATH_MAX];
	bool more = true;
	int r = 0;

	while (r == 0 && next_dir(&cursor, dir, sizeof(dir))) {
		w->on_dir(w->data, dir);
		if (more)
			r = walk_dir(dir, label_or_NULL, w, &more);
	}
	*ret_stopped = !more;
	return r;
}
