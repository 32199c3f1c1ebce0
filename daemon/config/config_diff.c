/* config_diff.c - classifying the difference of two configurations (see
 * config_diff.h).  Pure functions. */
#include "config_diff.h"

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#define SAME(field) (memcmp(&old->field, &next->field, sizeof(old->field)) == 0)

static void append(char *out, size_t size, size_t *len, const char *key)
{
	int n = snprintf(out + *len, size - *len, "%s%s", *len ? ", " : "", key);

	if (n > 0 && (size_t)n < size - *len)
		*len += (size_t)n;
}

void config_restart_keys(const struct dspd_config *old,
                         const struct dspd_config *next, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	if (!SAME(rate) || !SAME(rate_follow))
		append(out, size, &len, "rate");
	if (!SAME(period_frames))
		append(out, size, &len, "period_frames");
	if (!SAME(periods))
		append(out, size, &len, "periods");
	if (!SAME(capture))
		append(out, size, &len, "capture");
	if (!SAME(playback))
		append(out, size, &len, "playback");
	if (!SAME(realtime))
		append(out, size, &len, "realtime");
	if (!SAME(rate_adjust))
		append(out, size, &len, "rate_adjust");
	if (!SAME(resampler))
		append(out, size, &len, "resampler");
	if (!SAME(source))
		append(out, size, &len, "source");
	if (!SAME(silence))
		append(out, size, &len, "silence");
	if (!SAME(volume.control) || !SAME(volume.element) ||
	    !SAME(volume.mute_element) || !SAME(volume.create) ||
	    !SAME(volume.create_min_db) || !SAME(volume.create_max_db))
		append(out, size, &len, "volume link");
}

void config_socket_keys(const struct dspd_config *old,
                        const struct dspd_config *next, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	if (!SAME(socket_path))
		append(out, size, &len, "control.socket");
	if (!SAME(monitor_socket_path))
		append(out, size, &len, "control.monitor_socket");
	if (!SAME(socket_group))
		append(out, size, &len, "control.group");
	if (!SAME(max_clients))
		append(out, size, &len, "control.max_clients");
	if (!SAME(max_clients_per_uid))
		append(out, size, &len, "control.max_clients_per_uid");
	if (!SAME(output_budget))
		append(out, size, &len, "control.output_budget");
	if (!SAME(max_client_output))
		append(out, size, &len, "control.max_client_output");
	if (!SAME(http))
		append(out, size, &len, "http");
}

/* The keys only the configuration file sets: who may connect and what
 * they may do (control.*), the files dspd writes or opens (state_file,
 * fftw_wisdom, the PCM devices: an alsa-lib name can write files), and the
 * budgets (limits.*).  Each lives in one or two members of the struct. */
#define MEMBER(m) offsetof(struct dspd_config, m), sizeof(((struct dspd_config *)0)->m)
static const struct file_only {
	size_t off, size;               /* the value */
	size_t off2, size2;             /* a count that goes with it, if any */
	bool string;                    /* compared up to its NUL */
} file_only[] = {
	{ MEMBER(capture.device), 0, 0, true },
	{ MEMBER(playback.device), 0, 0, true },
	{ MEMBER(socket_path), 0, 0, true },
	{ MEMBER(monitor_socket_path), 0, 0, true },
	{ MEMBER(socket_group), 0, 0, true },
	{ MEMBER(max_clients), 0, 0, false },
	{ MEMBER(max_clients_per_uid), 0, 0, false },
	{ MEMBER(output_budget), 0, 0, false },
	{ MEMBER(max_client_output), 0, 0, false },
	{ MEMBER(monitor_record), 0, 0, false },
	{ MEMBER(http), 0, 0, false },
	{ MEMBER(ir_dirs), MEMBER(n_ir_dirs), false },
	{ MEMBER(limits), 0, 0, false },
	{ MEMBER(state_file), 0, 0, true },
	{ MEMBER(fftw_wisdom), 0, 0, true },
};
const char *const config_file_only_pointers[] = {
	"/capture/device", "/playback/device", "/control/socket",
	"/control/monitor_socket", "/control/group", "/control/max_clients",
	"/control/max_clients_per_uid", "/control/output_budget",
	"/control/max_client_output", "/control/monitor_record", "/http",
	"/control/ir_dirs", "/limits", "/state_file", "/fftw_wisdom", NULL
};
_Static_assert(sizeof(file_only) / sizeof(file_only[0]) ==
               sizeof(config_file_only_pointers) / sizeof(config_file_only_pointers[0]) - 1,
               "one member for each file-only pointer");

static bool same_member(const struct dspd_config *a, const struct dspd_config *b,
                        const struct file_only *f)
{
	const char *x = (const char *)a + f->off, *y = (const char *)b + f->off;

	if (f->string ? strncmp(x, y, f->size) != 0 : memcmp(x, y, f->size) != 0)
		return false;
	return f->size2 == 0 || memcmp((const char *)a + f->off2,
	                               (const char *)b + f->off2, f->size2) == 0;
}

void config_file_only_keys(const struct dspd_config *old,
                           const struct dspd_config *next, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; config_file_only_pointers[i]; i++)
		if (!same_member(old, next, &file_only[i]))
			append(out, size, &len, config_file_only_pointers[i]);
}

void config_copy_file_only(struct dspd_config *dst, const struct dspd_config *src,
                           const char *pointer)
{
	for (int i = 0; config_file_only_pointers[i]; i++) {
		const struct file_only *f = &file_only[i];

		if (strcmp(config_file_only_pointers[i], pointer) != 0)
			continue;
		memcpy((char *)dst + f->off, (const char *)src + f->off, f->size);
		if (f->size2)
			memcpy((char *)dst + f->off2, (const char *)src + f->off2, f->size2);
	}
}

/* Same blocks in the same places: only their values may differ. */
static bool same_topology(const struct dspd_config *old,
                          const struct dspd_config *next)
{
	if (old->n_blocks != next->n_blocks)
		return false;
	for (unsigned i = 0; i < old->n_blocks; i++) {
		const struct cfg_block *a = &old->blocks[i], *b = &next->blocks[i];

		if (a->type != b->type || strcmp(a->name, b->name) != 0 ||
		    a->channel_mask != b->channel_mask)
			return false;
		if (a->type == CFG_BLOCK_MIXER &&
		    a->u.mixer.channels_out != b->u.mixer.channels_out)
			return false;
	}
	return true;
}

unsigned config_diff(const struct dspd_config *old, const struct dspd_config *next)
{
	unsigned changes = 0;
	char keys[256];

	config_restart_keys(old, next, keys, sizeof(keys));
	if (keys[0])
		changes |= CFG_CHANGE_RESTART;
	if (!same_topology(old, next))
		changes |= CFG_CHANGE_TOPOLOGY;
	else if (memcmp(old->blocks, next->blocks,
	                old->n_blocks * sizeof(old->blocks[0])) != 0)
		changes |= CFG_CHANGE_PARAMETERS;
	if (!SAME(volume))
		changes |= CFG_CHANGE_VOLUME;
	config_socket_keys(old, next, keys, sizeof(keys));
	if (keys[0] || !SAME(loudness) || !SAME(transition) || !SAME(state_file) ||
	    !SAME(fftw_wisdom) || !SAME(limits) || !SAME(n_ir_dirs) ||
	    !SAME(ir_dirs) || !SAME(monitor_record))
		changes |= CFG_CHANGE_SETTINGS;
	return changes;
}

const char *config_change_name(unsigned changes)
{
	if (changes & CFG_CHANGE_RESTART)
		return "restart";
	if (changes & CFG_CHANGE_TOPOLOGY)
		return "topology";
	if (changes & CFG_CHANGE_PARAMETERS)
		return "parameters";
	if (changes & CFG_CHANGE_VOLUME)
		return "volume";
	if (changes & CFG_CHANGE_SETTINGS)
		return "settings";
	return "none";
}
