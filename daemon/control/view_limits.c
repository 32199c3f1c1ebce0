/* view_limits.c - status.limits: the budgets of the control sockets
 * (connections, bytes held for clients: clients, output), of the FIR
 * filters (taps, memory: filters), the memory bound they add up to, and
 * what is in use now.  A pure builder from struct ctl_limits, the skip
 * counters, the running configuration and the newest pipeline.  Control
 * thread only. */
#include "views.h"
#include "engine.h"
#include "pipeline.h"
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

/* The newest pipeline's FIR taps and memory against limits.* (pipeline.c
 * checks them before a filter is loaded). */
static json_object *filters_json(const struct ctl_context *ctx)
{
	const struct pipeline *p = ctx->engine ? engine_pipeline(ctx->engine) : NULL;
	json_object *o = json_object_new_object();

	add_u64(o, "taps_in_use", p ? p->filter_taps : 0);
	add_u64(o, "taps_budget", ctx->running->limits.max_taps_total);
	add_u64(o, "memory_bytes", p ? p->filter_bytes : 0);
	add_u64(o, "memory_budget", (uint64_t)ctx->running->limits.filter_memory_mb << 20);
	return o;
}

void limits_json_add(const struct ctl_context *ctx, json_object *limits)
{
	/* all clients together, plus the filters twice (old and new
	 * pipeline during a crossfade) */
	uint64_t bound = ctl_limits_memory_bound(&ctx->limits) +
	                 2 * ((uint64_t)ctx->running->limits.filter_memory_mb << 20);

	add_u64(limits, "memory_bound_bytes", bound);
	json_object_object_add(limits, "clients", clients_json(&ctx->limits));
	json_object_object_add(limits, "output", output_json(ctx));
	json_object_object_add(limits, "filters", filters_json(ctx));
}
