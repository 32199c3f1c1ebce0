/* cmd_stream.c - dspctl's subscribing commands: monitor and levels --follow.
 *
 * Both subscribe on one connection and then print notifications until
 * SIGINT or SIGTERM (exit 0) or until the daemon goes away (exit 3).  The
 * two signals stay blocked except inside ppoll() (rpc_client.c), so a signal
 * can never slip in between the check of the stop flag and the wait.
 * Single-threaded (dspctl's main thread). */
#include "proto.h"
#include "cmds.h"
#include "events.h"
#include "jvalue.h"
#include "meter_view.h"
#include "render.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define MAX_TOPICS 16

static volatile sig_atomic_t stop_requested;

static void on_stop_signal(int sig)
{
	(void)sig;
	stop_requested = 1;
}

struct stream {
	struct rpc_conn conn;
	sigset_t wait_mask;  /* the mask inside ppoll(): stop signals open */
	const struct options *o;
	const char *command;  /* for messages: "monitor", "levels" */
	/* the notification printer and its state */
	int (*print)(struct stream *s, const char *method, json_object *params);
	struct meter_view *view;
};

static void catch_stop_signals(struct stream *s)
{
	struct sigaction sa = { .sa_handler = on_stop_signal };
	sigset_t block;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigprocmask(SIG_BLOCK, &block, &s->wait_mask);
	sigdelset(&s->wait_mask, SIGINT);
	sigdelset(&s->wait_mask, SIGTERM);
}

static int on_notification(void *ctx, const char *method, json_object *params)
{
	struct stream *s = ctx;

	return s->print(s, method, params);
}

/* Failures of the stream: a stop signal is a clean end. */
static int stream_error(struct stream *s, const char *what, int err)
{
	if (err == -EINTR && stop_requested)
		return EXIT_OK;
	return ctl_report_call_error(s->o, &s->conn, what, err);
}

/* Connects and subscribes to topics (a JSON array, consumed). */
static int stream_open(struct stream *s, json_object *topics, int interval_ms)
{
	json_object *params = json_object_new_object();
	struct rpc_reply reply;
	int r;

	json_object_object_add(params, "topics", topics);
	if (interval_ms > 0)
		json_object_object_add(params, "interval_ms",
				       json_object_new_int(interval_ms));
	catch_stop_signals(s);
	r = ctl_connect(s->o, &s->conn);
	if (r != EXIT_OK) {
		json_object_put(params);
		return r;
	}
	s->conn.stop = &stop_requested;
	s->conn.wait_mask = &s->wait_mask;
	r = rpc_call_notify(&s->conn, PROTO_METHOD_SUBSCRIBE, params, on_notification, s,
			    &reply);
	json_object_put(params);
	if (r < 0)
		return stream_error(s, s->command, r);
	if (reply.error) {
		r = ctl_report_error_reply(PROTO_METHOD_SUBSCRIBE, reply.error);
		rpc_reply_free(&reply);
		return r;
	}
	rpc_reply_free(&reply);
	return stop_requested ? EXIT_OK : -1;
}

/* Prints notifications until a stop signal or the end of the connection. */
static int stream_run(struct stream *s)
{
	for (;;) {
		json_object *msg, *method, *params = NULL, *error;
		int r = rpc_next_message(&s->conn, -1, &msg);

		if (r < 0)
			return stream_error(s, s->command, r);
		if (json_object_object_get_ex(msg, "error", &error)) {
			r = ctl_report_error_reply(s->command, error);
			json_object_put(msg);
			return r;
		}
		json_object_object_get_ex(msg, "method", &method);
		json_object_object_get_ex(msg, "params", &params);
		r = jv_string(method) ? s->print(s, jv_string(method), params) : 0;
		json_object_put(msg);
		if (r < 0)
			return EXIT_DAEMON_ERROR;
	}
}

/* Opens, runs, closes; open returns -1 to mean "subscribed, go on". */
static int stream(struct stream *s, json_object *topics, int interval_ms)
{
	int r = stream_open(s, topics, interval_ms);

	if (r == -1)
		r = stream_run(s);
	rpc_close(&s->conn);
	return r;
}

static int print_event(struct stream *s, const char *method, json_object *params)
{
	json_object *line;

	if (!s->o->json) {
		event_print_line(stdout, method, params);
		fflush(stdout);
		return 0;
	}
	line = event_json(method, params);
	if (!line)
		return -ENOMEM;
	ctl_print_json_line(line);
	json_object_put(line);
	return 0;
}

static bool known_topic(const char *name, size_t len)
{
	for (const char *const *t = proto_topic_names; *t; t++)
		if (strlen(*t) == len && strncmp(*t, name, len) == 0)
			return true;
	return false;
}

/* "a,b,c" into a JSON array, each checked against proto_topic_names. */
static int parse_topics(const char *list, json_object *topics)
{
	const char *p = list;

	for (;;) {
		size_t len = strcspn(p, ",");

		if (!known_topic(p, len))
			return usage_error("monitor: unknown topic \"%.*s\" in "
					   "--topics (known: xrun, state, gain, "
					   "config, levels)", (int)len, p);
		json_object_array_add(topics, json_object_new_string_len(p, (int)len));
		if (p[len] == '\0')
			return EXIT_OK;
		p += len + 1;
	}
}

int cmd_monitor(const struct options *o, int argc, char **argv)
{
	struct arg_option opts[] = { { .name = "--topics", .takes_value = true } };
	struct stream s = { .o = o, .command = "monitor", .print = print_event };
	json_object *topics = json_object_new_array();
	size_t n;
	int r = parse_args("monitor", argc, argv, opts, 1, NULL, 0, &n);

	if (r == EXIT_OK && opts[0].seen)
		r = parse_topics(opts[0].value, topics);
	for (int t = 0; r == EXIT_OK && !opts[0].seen && t < PROTO_TOPICS; t++)
		if (t != PROTO_TOPIC_LEVELS)  /* levels only when asked for */
			json_object_array_add(topics, json_object_new_string(
				proto_topic_names[t]));
	if (r != EXIT_OK) {
		json_object_put(topics);
		return r;
	}
	return stream(&s, topics, 0);
}

static void terminal_size(int *columns, int *rows)
{
	struct winsize ws;

	*columns = *rows = 0;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0) {
		*columns = ws.ws_col;
		*rows = ws.ws_row;
	}
}

static int draw_levels(struct stream *s, const char *method, json_object *params)
{
	int columns, rows;

	if (strcmp(method, "levels") != 0)
		return 0;
	if (!s->view) {
		ctl_print_json_line(params);
		return 0;
	}
	terminal_size(&columns, &rows);
	meter_view_draw(s->view, params, columns, rows);
	return 0;
}

int levels_follow(const struct options *o, int interval_ms)
{
	struct stream s = { .o = o, .command = "levels", .print = draw_levels };
	json_object *topics = json_object_new_array();
	const char *no_color = getenv("NO_COLOR"), *term = getenv("TERM");
	int r;

	json_object_array_add(topics, json_object_new_string("levels"));
	if (o->tty && !o->json) {
		s.view = meter_view_new(stdout, !(no_color && *no_color) &&
					!(term && strcmp(term, "dumb") == 0));
		if (!s.view) {
			json_object_put(topics);
			fprintf(stderr, "dspctl: levels: %s\n", strerror(ENOMEM));
			return EXIT_DAEMON_ERROR;
		}
	}
	r = stream(&s, topics, interval_ms);
	meter_view_finish(s.view);
	return r;
}
