/* view_limits.c - status.limits.clients and status.limits.output: the
 * budgets of the control sockets (connections, bytes held for clients)
 * and what they hold now.  A pure builder from struct ctl_limits and the
 * skip counters.  Control thread only. */
#include "views.h"
#include "server.h"

static void add_u64(json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static json_object *clients_json(const struct ctl_limits *l)
{
	json_object *o = json_object_new_object();

	add_u64(o, "current", l->clients);
	add_u64(o, "max_per_socket", l->max_clients);
	add_u64(o, "max_per_socket_configured", l->max_clients_configured);
	add_u64(o, "max_total", l->max_clients_total);
	add_u64(o, "max_per_uid", l->max_clients_per_uid);
	add_u64(o, "fd_limit", l->fd_limit);
	add_u64(o, "fd_reserve", l->fd_reserve);
	json_object_object_add(o, "clamped", json_object_new_boolean(l->clamped));
	add_u64(o, "refused", l->refused);
	add_u64(o, "accept_errors", l->accept_errors);
	return o;
}

static json_object *output_json(const struct ctl_context *ctx)
{
	const struct ctl_limits *l = &ctx->limits;
	json_object *o = json_object_new_object();

	add_u64(o, "budget_bytes", l->output_budget);
	add_u64(o, "memory_bound_bytes", ctl_limits_memory_bound(l));
	add_u64(o, "in_use_bytes", l->buffered);
	add_u64(o, "peak_bytes", l->buffered_peak);
	add_u64(o, "max_per_client_bytes", l->max_client_output);
	add_u64(o, "levels_backlog_bytes", CTL_LEVELS_BACKLOG);
	add_u64(o, "record_backlog_bytes", CTL_RECORD_BACKLOG);
	add_u64(o, "levels_skipped", ctx->levels_skipped);
	add_u64(o, "record_frames_skipped", ctx->record_frames_skipped);
	add_u64(o, "disconnected_slow", l->disconnected_slow);
	add_u64(o, "disconnected_budget", l->disconnected_budget);
	return o;
}

void limits_json_add(const struct ctl_context *ctx, json_object *limits)
{
	json_object_object_add(limits, "clients", clients_json(&ctx->limits));
	json_object_object_add(limits, "output", output_json(ctx));
}
