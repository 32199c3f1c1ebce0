/* cmd_record.c - dspctl record: a tap point's samples into a WAV file.
 *
 * The record request streams record.data notifications (base64 of
 * interleaved float32 frames) and then answers with the rate, channel count
 * and frame count.  A regular file gets a provisional header first, the
 * samples as they arrive, and the real header patched in at the end; a pipe
 * (FILE "-" on a non-seekable stdout) gets the samples buffered and written
 * with the header once the answer is in.  A failed recording removes the
 * file it created.  Single-threaded (dspctl's main thread). */
#include "cmds.h"
#include "jvalue.h"
#include "proto.h"
#include "render.h"
#include "wav.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MIN_SECONDS 0.01
#define MAX_SECONDS 60.0

struct recording {
	const char *path;      /* "-": stdout */
	int fd;
	bool seekable;         /* header patched in place, else buffered */
	bool created;          /* we created path: remove it on failure */
	int64_t request_id;
	int64_t next_seq;
	uint64_t seq_gaps;
	uint64_t data_bytes;
	uint8_t *buffer;       /* samples held back for a pipe */
	size_t buffer_cap;
	uint8_t *decoded;      /* one notification's samples */
	size_t decoded_cap;
	int error;             /* first failure in the notification callback */
	char why[160];
};

static int fail(struct recording *rec, int err, const char *fmt, const char *arg)
{
	if (!rec->error) {
		rec->error = err;
		snprintf(rec->why, sizeof(rec->why), fmt, arg);
	}
	return err;
}

static int write_all(int fd, const uint8_t *data, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static int reserve(uint8_t **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 65536;
	uint8_t *grown;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	grown = realloc(*buf, n);
	if (!grown)
		return -ENOMEM;
	*buf = grown;
	*cap = n;
	return 0;
}

static int keep_samples(struct recording *rec, const uint8_t *data, size_t len)
{
	int r;

	if (rec->data_bytes + len > WAV_MAX_DATA_BYTES)
		return fail(rec, -EFBIG, "%s", "the recording passes the 4 GiB "
			    "limit of WAV");
	if (rec->seekable)
		r = write_all(rec->fd, data, len);
	else if ((r = reserve(&rec->buffer, &rec->buffer_cap,
			      rec->data_bytes + len)) == 0)
		memcpy(rec->buffer + rec->data_bytes, data, len);
	if (r < 0)
		return fail(rec, r, "%s", strerror(-r));
	rec->data_bytes += len;
	return 0;
}

static int on_record_data(void *ctx, const char *method, json_object *params)
{
	struct recording *rec = ctx;
	json_object *id = jv_field(params, "id"), *seq = jv_field(params, "seq");
	const char *data = jv_string(jv_field(params, "data"));
	size_t text_len;
	long len;

	if (strcmp(method, "record.data") != 0)
		return 0;
	if (json_object_is_type(id, json_type_int) &&
	    json_object_get_int64(id) != rec->request_id)
		return 0;  /* another request's recording */
	if (!data)
		return fail(rec, -EBADMSG, "%s", "record.data without \"data\"");
	if (json_object_is_type(seq, json_type_int)) {
		if (json_object_get_int64(seq) != rec->next_seq)
			rec->seq_gaps++;
		rec->next_seq = json_object_get_int64(seq) + 1;
	}
	text_len = strlen(data);
	if (reserve(&rec->decoded, &rec->decoded_cap, base64_decoded_max(text_len) + 1) < 0)
		return fail(rec, -ENOMEM, "%s", strerror(ENOMEM));
	len = base64_decode(data, text_len, rec->decoded);
	if (len < 0 || len % WAV_BYTES_PER_SAMPLE != 0)
		return fail(rec, -EBADMSG, "%s", "record.data holds no whole "
			    "float samples in base64");
	return keep_samples(rec, rec->decoded, (size_t)len);
}

static int open_output(struct recording *rec)
{
	uint8_t header[WAV_HEADER_BYTES] = { 0 };
	int r;

	if (strcmp(rec->path, "-") == 0) {
		rec->fd = STDOUT_FILENO;
		rec->seekable = lseek(rec->fd, 0, SEEK_CUR) == 0 &&
				!(fcntl(rec->fd, F_GETFL) & O_APPEND);
	} else {
		rec->fd = open(rec->path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			       0666);
		if (rec->fd < 0)
			return -errno;
		rec->created = true;
		rec->seekable = lseek(rec->fd, 0, SEEK_CUR) == 0;
	}
	if (!rec->seekable)
		return 0;
	wav_header(header, 0, 0, 0);  /* provisional: patched at the end */
	r = write_all(rec->fd, header, sizeof(header));
	return r;
}

/* The header from the final result, and the buffered samples for a pipe. */
static int finish_output(struct recording *rec, uint32_t rate, uint16_t channels)
{
	uint8_t header[WAV_HEADER_BYTES];
	int r;

	wav_header(header, rate, channels, (uint32_t)rec->data_bytes);
	if (!rec->seekable) {
		r = write_all(rec->fd, header, sizeof(header));
		return r < 0 ? r : write_all(rec->fd, rec->buffer, rec->data_bytes);
	}
	errno = 0;
	if (pwrite(rec->fd, header, sizeof(header), 0) != (ssize_t)sizeof(header))
		return errno ? -errno : -EIO;
	return 0;
}

/* Checks the answer against the samples; 0 or an exit status. */
static int check_result(struct recording *rec, json_object *result,
			uint32_t *ret_rate, uint16_t *ret_channels)
{
	const char *format = jv_string(jv_field(result, "format"));
	double rate, channels, frames;

	if (!jv_number(jv_field(result, "rate"), &rate) || rate < 1 ||
	    rate > 10000000 || !jv_number(jv_field(result, "channels"), &channels) ||
	    channels < 1 || channels > 1024 ||
	    !jv_number(jv_field(result, "frames"), &frames) ||
	    (format && strcmp(format, "FLOAT_LE") != 0)) {
		fprintf(stderr, "dspctl: record: invalid reply from dspd: the "
			"result lacks a sane rate, channels, frames or format\n");
		return EXIT_DAEMON_ERROR;
	}
	if (rec->data_bytes % ((uint64_t)channels * WAV_BYTES_PER_SAMPLE) != 0) {
		fprintf(stderr, "dspctl: record: invalid data from dspd: %llu "
			"bytes are not whole %g-channel frames\n",
			(unsigned long long)rec->data_bytes, channels);
		return EXIT_DAEMON_ERROR;
	}
	if (rec->data_bytes / ((uint64_t)channels * WAV_BYTES_PER_SAMPLE) !=
	    (uint64_t)frames)
		fprintf(stderr, "dspctl: record: warning: dspd reported %.0f frames "
			"but sent %llu\n", frames, (unsigned long long)(rec->data_bytes /
			((uint64_t)channels * WAV_BYTES_PER_SAMPLE)));
	*ret_rate = (uint32_t)rate;
	*ret_channels = (uint16_t)channels;
	return EXIT_OK;
}

static void warn_about_gaps(const struct recording *rec, json_object *result)
{
	char overflows[32];

	if (jv_count(jv_field(result, "overflows"), overflows, sizeof(overflows)) &&
	    strcmp(overflows, "0") != 0)
		fprintf(stderr, "dspctl: record: warning: %s overflows: dspd could "
			"not keep up and the recording has gaps\n", overflows);
	if (jv_count(jv_field(result, "skipped_frames"), overflows, sizeof(overflows)) &&
	    strcmp(overflows, "0") != 0)
		fprintf(stderr, "dspctl: record: warning: %s frames skipped: dspctl "
			"read too slowly and the recording has gaps\n", overflows);
	if (rec->seq_gaps)
		fprintf(stderr, "dspctl: record: warning: %llu record.data "
			"notifications out of sequence\n",
			(unsigned long long)rec->seq_gaps);
}

static void show_summary(const struct options *o, const struct recording *rec,
			 json_object *result, uint32_t rate, uint16_t channels)
{
	uint64_t frames = rec->data_bytes / ((uint64_t)channels * WAV_BYTES_PER_SAMPLE);

	if (strcmp(rec->path, "-") == 0)
		return;
	if (o->json)
		render_json(stdout, result, false);
	else if (o->tty)
		printf("%s: %llu frames (%.2f s), %u Hz, %u channels, float32\n",
		       rec->path, (unsigned long long)frames, (double)frames / rate,
		       rate, channels);
}

/* The request and its stream into rec; an exit status. */
static int record_into(const struct options *o, struct recording *rec,
		       json_object *params, double seconds)
{
	struct rpc_conn conn;
	struct rpc_reply reply;
	uint32_t rate;
	uint16_t channels;
	int r = ctl_connect(o, &conn);

	if (r != EXIT_OK)
		return r;
	conn.timeout_ms += (int)(seconds * 1000);
	rec->request_id = conn.next_id;
	r = rpc_call_notify(&conn, PROTO_METHOD_RECORD, params, on_record_data, rec, &reply);
	if (r < 0 && rec->error) {
		fprintf(stderr, "dspctl: record: %s: %s\n", rec->path, rec->why);
		r = EXIT_DAEMON_ERROR;
	} else if (r < 0) {
		r = ctl_report_call_error(o, &conn, PROTO_METHOD_RECORD, r);
	} else if (reply.error) {
		r = ctl_report_error_reply(PROTO_METHOD_RECORD, reply.error);
		rpc_reply_free(&reply);
	}
	rpc_close(&conn);
	if (r != EXIT_OK)
		return r;
	r = check_result(rec, reply.result, &rate, &channels);
	if (r == EXIT_OK && (r = finish_output(rec, rate, channels)) < 0) {
		fprintf(stderr, "dspctl: record: %s: %s\n", rec->path, strerror(-r));
		r = EXIT_DAEMON_ERROR;
	}
	if (r == EXIT_OK) {
		warn_about_gaps(rec, reply.result);
		show_summary(o, rec, reply.result, rate, channels);
	}
	rpc_reply_free(&reply);
	return r;
}

static int parse_record(int argc, char **argv, const char **ret_path,
			double *ret_seconds, json_object *params)
{
	struct arg_option opts[] = {
		{ .name = "--tap", .takes_value = true },
		{ .name = "--seconds", .takes_value = true },
	};
	size_t n;
	int r = parse_args("record", argc, argv, opts, 2, ret_path, 1, &n);

	if (r != EXIT_OK)
		return r;
	if (!opts[0].seen || proto_name_index(proto_tap_names, opts[0].value) < 0)
		return usage_error("record: --tap capture or --tap playback is "
				   "required");
	if (!opts[1].seen)
		return usage_error("record: --seconds N is required");
	r = parse_option_number("record", &opts[1], "s", MIN_SECONDS, MAX_SECONDS,
				ret_seconds);
	if (r != EXIT_OK)
		return r;
	if (n == 0 || **ret_path == '\0')
		return usage_error("record: missing FILE (\"-\" for stdout)");
	if (strcmp(*ret_path, "-") == 0 && isatty(STDOUT_FILENO))
		return usage_error("record: refusing to write audio to a terminal");
	json_object_object_add(params, "tap", json_object_new_string(opts[0].value));
	json_object_object_add(params, "seconds", json_object_new_double(*ret_seconds));
	return EXIT_OK;
}

int cmd_record(const struct options *o, int argc, char **argv)
{
	struct recording rec = { .fd = -1 };
	json_object *params = json_object_new_object();
	double seconds;
	int r = parse_record(argc, argv, &rec.path, &seconds, params);

	if (r == EXIT_OK && (r = open_output(&rec)) < 0) {
		fprintf(stderr, "dspctl: record: %s: %s\n", rec.path, strerror(-r));
		r = EXIT_DAEMON_ERROR;
	}
	if (r == EXIT_OK)
		r = record_into(o, &rec, params, seconds);
	if (rec.fd >= 0 && rec.fd != STDOUT_FILENO && close(rec.fd) < 0 &&
	    r == EXIT_OK) {
		fprintf(stderr, "dspctl: record: %s: %s\n", rec.path, strerror(errno));
		r = EXIT_DAEMON_ERROR;
	}
	if (r != EXIT_OK && rec.created)
		unlink(rec.path);
	json_object_put(params);
	free(rec.buffer);
	free(rec.decoded);
	return r;
}
