/* ir_policy.h - which IR files (and peq EQ text files) a configuration
 * may name, by who wrote it (ir_policy.c).  The daemon's own config file is the administrator's:
 * its IR files and its limits are trusted.  Every other configuration
 * (edits and loads over the socket, a file a client names, the runtime
 * edits of the state file) may name an IR file only when it is one the
 * trusted file names too, or when its real path (symbolic links and ".."
 * resolved) lies under an allowed directory: control.ir_dirs of the
 * trusted file, by default the file's own directory, /etc/dspd and
 * /var/lib/dspd.  Nor may it change control.ir_dirs or limits.*.  The
 * refusal says nothing of the file (whether it exists, its size): it is
 * made before the file is opened.  Control thread only. */
#ifndef DSPD_IR_POLICY_H
#define DSPD_IR_POLICY_H

#include "control.h"

#define CTL_IR_DEFAULT_DIRS { "/etc/dspd", "/var/lib/dspd" }

/* The daemon's config file (path, made absolute) and what it holds, the
 * trusted configuration: at startup and each time that file is applied.
 * Returns 0 or -ENOMEM. */
int ctl_ir_policy_trust(struct ctl_context *ctx, const char *path,
                        const struct dspd_config *cfg);
/* Whether a configuration read from file (NULL: none) is the trusted one. */
bool ctl_ir_policy_is_trusted_file(const struct ctl_context *ctx,
                                   const char *file);
/* 0 when cfg (from file, NULL: none) may be used: the trusted file, or
 * one within the rules above; else -EPERM with every refusal in errs,
 * each "origin: /pipeline/N/path: ...".  An untrusted cfg gets the
 * trusted file's limits and control.ir_dirs (one that sets other values
 * than the file's or the defaults is refused).  No policy set (unit tests
 * that build a context by hand): 0. */
int ctl_ir_policy_check(const struct ctl_context *ctx, const char *file,
                        struct dspd_config *cfg, const char *origin,
                        struct cfg_errors *errs);
/* After ctl_ir_policy_check() of a configuration client s sent: the
 * EQ text files it names (peq "file", fir "graphic_eq") that the trusted
 * file does not must be ones s could read itself (client_files.h), since
 * a file's lines are quoted in errors (a root-only file in an allowed
 * directory, such as http.token_file beside the config file, would
 * otherwise be read out to a read-only client).  Refusals are added to
 * errs; -EPERM, or 0.  s NULL (a signal) or no policy: 0. */
int ctl_ir_policy_check_eq_reader(const struct ctl_context *ctx,
                                  const struct ctl_session *s,
                                  const struct dspd_config *cfg, const char *origin,
                                  struct cfg_errors *errs);
void ctl_ir_policy_free(struct ctl_context *ctx);

#endif
