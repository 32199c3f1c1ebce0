/* config_diff.c - classifying the difference of two configurations (see
 * config_diff.h).  Pure functions. */
#include "config_diff.h"

#include <stdbool.h>
#include <stdio.h>
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
}

const char *const config_file_only_pointers[] = {
	"/capture/device", "/playback/device", "/control/socket",
	"/control/monitor_socket", "/control/group", "/control/max_clients",
	"/state_file", "/fftw_wisdom", NULL
};

/* Where each of config_file_only_pointers lives in the struct. */
static void *file_only_member(struct dspd_config *c, int i, size_t *size)
{
	switch (i) {
	case 0: *size = sizeof(c->capture.device); return c->capture.device;
	case 1: *size = sizeof(c->playback.device); return c->playback.device;
	case 2: *size = sizeof(c->socket_path); return c->socket_path;
	case 3: *size = sizeof(c->monitor_socket_path); return c->monitor_socket_path;
	case 4: *size = sizeof(c->socket_group); return c->socket_group;
	case 5: *size = sizeof(c->max_clients); return &c->max_clients;
	case 6: *size = sizeof(c->state_file); return c->state_file;
	case 7: *size = sizeof(c->fftw_wisdom); return c->fftw_wisdom;
	default: *size = 0; return NULL;
	}
}

void config_file_only_keys(const struct dspd_config *old,
                           const struct dspd_config *next, char *out, size_t size)
{
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; config_file_only_pointers[i]; i++) {
		size_t n;
		const void *a = file_only_member((struct dspd_config *)old, i, &n);
		const void *b = file_only_member((struct dspd_config *)next, i, &n);
		/* all are strings but max_clients */
		bool same = i == 5 ? memcmp(a, b, n) == 0
		                   : strncmp(a, b, n) == 0;

		if (!same)
			append(out, size, &len, config_file_only_pointers[i]);
	}
}

void config_copy_file_only(struct dspd_config *dst, const struct dspd_config *src,
                           const char *pointer)
{
	for (int i = 0; config_file_only_pointers[i]; i++) {
		size_t n = 0;
		void *to;

		if (strcmp(config_file_only_pointers[i], pointer) != 0)
			continue;
		to = file_only_member(dst, i, &n);
		memcpy(to, file_only_member((struct dspd_config *)src, i, &n), n);
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
	char keys[200];

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
	    !SAME(ir_dirs))
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
