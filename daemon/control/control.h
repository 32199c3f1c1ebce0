/* control.h - the control plane's shared state, types only: the
 * per-connection session the methods keep, the daemon context they act on,
 * a configuration on its way in and what applying it did.  Each file's
 * functions are in its own header (server.h, dispatch.h, methods.h,
 * change.h, subscriptions.h, device_wait.h, views.h).
 * Control thread only.  Wire format: docs/protocol.md. */
#ifndef DSPD_CONTROL_H
#define DSPD_CONTROL_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "config.h"
#include "engine.h"
#include "jsonrpc.h"

struct ctl_client;
struct ctl_context;
struct ctl_ir_policy;
struct ctl_build;
struct ctl_server;
struct ctl_http;
struct loudness;
struct volume_link;

struct ctl_record {
	json_object *id;                  /* request id, answered at the end */
	enum meter_tap tap;
	uint64_t frames_wanted, frames_sent, seq;
	uint64_t frames_skipped;          /* left out: the client read too slowly */
	uint64_t gap;                     /* skipped since the last record.data sent */
	uint64_t dropped_at_start;        /* engine_tap_dropped() when started */
};

struct ctl_session {
	struct ctl_client *client;        /* the transport (server.c) */
	bool read_only;                   /* connected to the monitor socket */
	pid_t pid;
	uid_t uid;
	uint64_t levels_since;            /* cursor of "levels" calls */
	uint32_t topics;                  /* bit n = enum proto_topic n */
	uint32_t levels_interval_ms;
	uint64_t levels_due_ns;
	uint64_t levels_notify_since;     /* cursor of levels notifications */
	uint64_t levels_seq;
	struct ctl_record *record;        /* NULL unless recording */
	/* Not a socket client (an HTTP request, http_rpc.c): its answer
	 * line (owned) goes here instead (ctl_session_send()); NULL for
	 * the sockets' clients. */
	void (*deliver)(struct ctl_session *s, char *line);
};

struct ctl_config_identity {
	char path[4096];                  /* the file (SIGHUP and config.reload read it) */
	char started_path[4096];          /* the file dspd started with: only its
	                                     control.*, state_file... apply
	                                     (config_file_only_keys) */
	char sha256[65];                  /* of the text that was validated */
	char file_sha256[65];             /* of the file as last loaded */
	int64_t loaded_at;                /* CLOCK_REALTIME seconds: file or inline load */
	int64_t changed_at_ns;            /* CLOCK_REALTIME of the last change applied */
	const char *source;               /* "file", "inline" or "edit" */
	unsigned edits;                   /* runtime edits since loaded_at */
	json_object *json;                /* the active configuration document */
};

/* A configuration parsed and validated (all but its pipeline's own
 * checks), ready for ctl_apply_config(). */
struct ctl_next_config {
	struct dspd_config cfg;
	json_object *json;                /* its document, owned */
	char path[4096];
	char sha256[65];
	const char *source;               /* "file", "inline" or "edit" */
};

/* Who asked for a change, for logs and the "config" notification. */
struct ctl_origin {
	const char *method;               /* "SIGHUP", "config.reload", "effect.set"... */
	const struct ctl_session *session;  /* NULL: a signal */
	char what[160];                   /* e.g. "effect.set eq1" */
};

/* What applying a configuration did. */
struct ctl_change_result {
	unsigned changes;                 /* enum cfg_change bits, 0: unchanged */
	uint64_t generation;              /* of the pipeline that carries it */
	double crossfade_ms;              /* of the graph change, 0 if none */
	double warmup_ms;                 /* at most, before the crossfade */
};

/* The engine waits for its devices (device_wait.c). */
struct ctl_device_wait {
	uint64_t since_ns;                /* CLOCK_MONOTONIC; 0: not waiting */
	int64_t since_realtime_ns;
	unsigned attempts;
	uint32_t delay_ms;                /* before the next attempt: 100 ms .. 5 s */
	uint64_t next_ns;
	char last_error[256];
	bool stalled;                     /* lost after ENG_STALL_LIMIT timeouts */
	uint64_t stall_losses_before;     /* st.stall_losses when last running */
};

/* The budgets of the control sockets, shared by the control and the
 * monitor server: set up once at startup (ctl_limits_init(), server.h),
 * kept by server.c, shown as status.limits (view_limits.c). */
struct ctl_limits {
	unsigned max_clients;             /* per socket, after the fd clamp */
	unsigned max_clients_configured;  /* control.max_clients */
	unsigned max_clients_total;       /* both sockets together */
	unsigned max_clients_per_uid;     /* both sockets together */
	uint64_t fd_limit;                /* RLIMIT_NOFILE at startup, 0: none */
	unsigned fd_reserve;              /* descriptors kept for devices, files */
	bool clamped;                     /* max_clients lowered to fit fd_limit */
	size_t output_budget;             /* bytes held for all clients at once */
	size_t max_client_output;         /* one client's unread output */
	/* readings */
	unsigned clients;                 /* connected now, both sockets */
	size_t buffered, buffered_peak;   /* bytes held now (unread output and
	                                     unfinished request lines), highest */
	size_t trim_mark;                 /* buffered high-water since the last
	                                     malloc_trim() */
	uint64_t refused;                 /* connections refused over a limit */
	uint64_t accept_errors;           /* accept() failures (EMFILE...) */
	uint64_t disconnected_slow;       /* over max_client_output */
	uint64_t disconnected_budget;     /* over their share of a spent budget */
	uint64_t sweep_ns;                /* last look for clients over budget */
	struct ctl_server *servers[2];    /* registered by ctl_server_open() */
};

/* What only the daemon can do, handed down by it (lifecycle.c) so that the
 * control plane never calls up into the layer that wires it. */
struct ctl_daemon_ops {
	/* Replace the engine by one for next (devices, rate... changed); on
	 * failure the previous configuration runs again.  Returns 0, -errno
	 * (the old one runs) or -ENOTRECOVERABLE (nothing runs). */
	int (*restart)(struct ctl_context *ctx, const struct dspd_config *next);
	/* Reload path (NULL: the active file) as SIGHUP does: read, validate,
	 * ctl_apply_config(), telling systemd RELOADING/READY around it. */
	int (*reload)(struct ctl_context *ctx, const char *path,
	              const struct ctl_origin *by, struct cfg_errors *errs,
	              struct ctl_change_result *res);
	void *daemon;                     /* theirs (NULL in tests) */
};

struct ctl_context {
	struct engine *engine;
	struct ctl_server *servers[2];    /* control, monitor (either may be NULL) */
	uint64_t started_ns;              /* CLOCK_MONOTONIC at startup */
	struct ctl_config_identity config;
	struct dspd_config *running;      /* the configuration applied */
	struct ctl_daemon_ops ops;
	const char *socket_override;      /* --socket: wins over control.socket */
	enum eng_state last_state;
	uint64_t active_generation;       /* last seen by ctl_tick */
	struct ctl_device_wait device_wait;
	uint64_t levels_skipped;
	uint64_t record_frames_skipped;   /* record frames left out, slow readers */
	struct ctl_limits limits;         /* budgets of both sockets (server.c) */
	struct loudness *loudness;        /* NULL unless loudness.tap is set */
	struct ctl_source *source;        /* source.c: following the source */
	struct ctl_silence *silence;      /* silence.c: idle, output released */
	struct ctl_clock_trim *clock_trim;/* clock_trim.c: rate_adjust "pitch" */
	struct volume_link *volume_link;  /* volume_link.c; NULL before start */
	struct ctl_ir_policy *ir_policy;  /* ir_policy.c: the trusted file */
	struct ctl_build *build;          /* build.c: the graph being built, or NULL */
	struct ctl_http *http;            /* http_server.c: the web page, or NULL */
	struct ctl_response_job *response;  /* response_job.c: a pipeline.response
	                                     being computed off the loop, or NULL */
};

#endif
