/* config_diff.h - what changed between two configurations, and so how the
 * running daemon must apply the new one: restart the streams, hand the
 * pipeline a new graph (transition.h), ramp the volume, or only take new
 * settings.  Pure functions: any thread (the daemon calls them on the
 * control thread). */
#ifndef DSPD_CONFIG_DIFF_H
#define DSPD_CONFIG_DIFF_H

#include "config.h"

enum cfg_change {
	CFG_CHANGE_SETTINGS = 1u << 0,   /* control, loudness, transition, state_file */
	CFG_CHANGE_VOLUME = 1u << 1,     /* volume.db, mute, ramp_ms, max_db */
	CFG_CHANGE_PARAMETERS = 1u << 2, /* same blocks, other values */
	CFG_CHANGE_TOPOLOGY = 1u << 3,   /* blocks added, removed, moved, retyped,
	                                    renamed or on other channels */
	CFG_CHANGE_RESTART = 1u << 4,    /* rate (and "follow"), period, devices,
	                                    realtime, rate_adjust, resampler,
	                                    source, silence, the volume link */
};

/* Bits of enum cfg_change; 0 when the two are the same. */
unsigned config_diff(const struct dspd_config *old, const struct dspd_config *next);
/* The widest change of a mask: "restart", "topology", "parameters",
 * "volume", "settings" or "none". */
const char *config_change_name(unsigned changes);
/* The keys behind CFG_CHANGE_RESTART, e.g. "rate, capture, volume link",
 * into out (200 bytes hold them all). */
void config_restart_keys(const struct dspd_config *old,
                         const struct dspd_config *next, char *out, size_t size);
/* Keys only the configuration file may change (SIGHUP, a restart), never
 * a client of the control socket: what names a file the daemon writes or
 * a socket (control.*, state_file, fftw_wisdom) and the PCM devices (an
 * ALSA PCM name such as file:'/etc/x',raw writes any file the daemon may
 * write).  Lists those that differ, as "/control/socket, /state_file", into
 * out (256 bytes hold them all); "" when none does. */
void config_file_only_keys(const struct dspd_config *old,
                           const struct dspd_config *next, char *out, size_t size);
/* The members of config_file_only_keys() as JSON pointers, NULL-terminated:
 * the document paths a socket change may not set to another value. */
extern const char *const config_file_only_pointers[];
/* Copy the file-only key named by pointer (one of config_file_only_pointers)
 * from src to dst. */
void config_copy_file_only(struct dspd_config *dst, const struct dspd_config *src,
                           const char *pointer);

/* Control settings that take effect only when dspd restarts (the sockets
 * are bound once): "control.socket, control.group" or "". */
void config_socket_keys(const struct dspd_config *old,
                        const struct dspd_config *next, char *out, size_t size);

#endif
