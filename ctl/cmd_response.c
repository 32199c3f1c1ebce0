/* cmd_response.c - dspctl response: the pipeline's (or a block's)
 * frequency response from pipeline.response, as a table, CSV, JSON or a
 * magnitude plot in the terminal (log frequency axis, dB axis).
 * Single-threaded (dspctl's main thread). */
#include "proto.h"
#include "cmds.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_POINTS 31          /* 10 Hz to rate/2, about 3 per octave */
#define PLOT_WIDTH 72            /* columns of the plot area: its points */
#define PLOT_HEIGHT 20
#define PLOT_RANGE_DB 60.0       /* below the top of the plot, at most */
#define MAX_LIST 32

enum view { VIEW_TABLE, VIEW_CSV, VIEW_PLOT };

/* A curve of the answer: a channel's, the sum's or a block's. */
struct curve {
	char label[96];
	char mark;
	json_object *db, *phase, *gd;
};

static int collect(json_object *result, struct curve *c, size_t max)
{
	json_object *chs = NULL, *sum = NULL, *blocks = NULL;
	const char *marks = "0123456789abcdefghijklmnopqrstuv";
	size_t n = 0;

	json_object_object_get_ex(result, "blocks", &blocks);
	json_object_object_get_ex(result, "channels", &chs);
	json_object_object_get_ex(result, "sum", &sum);
	for (size_t i = 0; i < json_object_array_length(chs) && n < max; i++, n++) {
		json_object *o = json_object_array_get_idx(chs, i), *ch = NULL;

		json_object_object_get_ex(o, "channel", &ch);
		snprintf(c[n].label, sizeof(c[n].label), "%s%d",
		         blocks && json_object_array_length(blocks) == 1 ? "block channel " : "channel ",
		         json_object_get_int(ch));
		c[n].mark = marks[json_object_get_int(ch) % 32];
		json_object_object_get_ex(o, "db", &c[n].db);
		json_object_object_get_ex(o, "phase_deg", &c[n].phase);
		json_object_object_get_ex(o, "group_delay_ms", &c[n].gd);
	}
	if (sum && n < max) {
		snprintf(c[n].label, sizeof(c[n].label), "sum");
		c[n].mark = 'S';
		json_object_object_get_ex(sum, "db", &c[n].db);
		json_object_object_get_ex(sum, "phase_deg", &c[n].phase);
		json_object_object_get_ex(sum, "group_delay_ms", &c[n].gd);
		n++;
	}
	return (int)n;
}

/* Value i of an array, or NAN for null. */
static double at(json_object *a, size_t i)
{
	json_object *v = json_object_array_get_idx(a, i);

	return v ? json_object_get_double(v) : NAN;
}

static void level_dependent_note(FILE *out, json_object *result)
{
	json_object *ld = NULL;

	json_object_object_get_ex(result, "level_dependent", &ld);
	if (!ld || json_object_array_length(ld) == 0)
		return;
	fprintf(out, "at small signal (level-dependent):");
	for (size_t i = 0; i < json_object_array_length(ld); i++)
		fprintf(out, " %s", json_object_get_string(json_object_array_get_idx(ld, i)));
	fprintf(out, "\n");
}

static void show_table(FILE *out, json_object *result)
{
	struct curve c[MAX_LIST + 1];
	json_object *freqs = NULL;
	int n = collect(result, c, MAX_LIST + 1);

	json_object_object_get_ex(result, "freqs", &freqs);
	for (int k = 0; k < n; k++) {
		fprintf(out, "%s%s\n%10s %9s %9s %10s\n", k ? "\n" : "", c[k].label,
		        "Hz", "dB", "phase", "delay ms");
		for (size_t i = 0; i < json_object_array_length(freqs); i++) {
			double db = at(c[k].db, i);

			if (isnan(db))
				fprintf(out, "%10.1f %9s %9s %10s\n", at(freqs, i), "-", "-", "-");
			else
				fprintf(out, "%10.1f %9.2f %9.1f %10.3f\n", at(freqs, i), db,
				        at(c[k].phase, i), at(c[k].gd, i));
		}
	}
	level_dependent_note(out, result);
}

static void csv_value(FILE *out, double v)
{
	if (isnan(v))
		fprintf(out, ",");
	else
		fprintf(out, ",%.7g", v);
}

static void show_csv(FILE *out, json_object *result)
{
	struct curve c[MAX_LIST + 1];
	json_object *freqs = NULL;
	int n = collect(result, c, MAX_LIST + 1);

	json_object_object_get_ex(result, "freqs", &freqs);
	fprintf(out, "freq_hz");
	for (int k = 0; k < n; k++) {
		char name[96];

		memcpy(name, c[k].label, sizeof(name));
		for (char *s = name; *s; s++)
			if (*s == ' ')
				*s = '_';
		fprintf(out, ",%s_db,%s_phase_deg,%s_group_delay_ms", name, name, name);
	}
	fprintf(out, "\n");
	for (size_t i = 0; i < json_object_array_length(freqs); i++) {
		fprintf(out, "%.10g", at(freqs, i));
		for (int k = 0; k < n; k++) {
			csv_value(out, at(c[k].db, i));
			csv_value(out, at(c[k].phase, i));
			csv_value(out, at(c[k].gd, i));
		}
		fprintf(out, "\n");
	}
}

/* The top of the plot: the highest level rounded up to 6 dB; the floor
 * PLOT_RANGE_DB below it, or the lowest level when that is higher. */
static void plot_range(const struct curve *c, int n, size_t points, double *top,
                       double *bottom)
{
	double hi = -INFINITY, lo = INFINITY;

	for (int k = 0; k < n; k++)
		for (size_t i = 0; i < points; i++) {
			double v = at(c[k].db, i);

			if (!isnan(v)) {
				hi = v > hi ? v : hi;
				lo = v < lo ? v : lo;
			}
		}
	if (!isfinite(hi)) {
		hi = 0.0;
		lo = -PLOT_RANGE_DB;
	}
	*top = ceil((hi + 0.5) / 6.0) * 6.0;
	*bottom = fmax(*top - PLOT_RANGE_DB, floor((lo - 0.5) / 6.0) * 6.0);
	if (*top - *bottom < 12.0)
		*bottom = *top - 12.0;
}

static void x_axis(FILE *out, json_object *freqs, size_t points)
{
	char line[PLOT_WIDTH + 16];
	double f0 = at(freqs, 0), f1 = at(freqs, points - 1);
	static const double marks[] = { 10, 20, 50, 100, 200, 500, 1000, 2000,
	                                5000, 10000, 20000, 50000, 100000 };

	memset(line, ' ', sizeof(line));
	line[sizeof(line) - 1] = '\0';
	for (size_t m = 0; m < sizeof(marks) / sizeof(marks[0]); m++) {
		double f = marks[m];
		int col;
		char label[16];

		if (f < f0 || f > f1 || points < 2)
			continue;
		col = (int)lround(log(f / f0) / log(f1 / f0) * (PLOT_WIDTH - 1));
		snprintf(label, sizeof(label), f >= 1000 ? "%gk" : "%g", f >= 1000 ? f / 1000 : f);
		if (col + (int)strlen(label) <= PLOT_WIDTH + 8 &&
		    (col == 0 || line[col - 1] == ' '))
			memcpy(line + col, label, strlen(label));
	}
	for (int i = (int)sizeof(line) - 2; i >= 0 && line[i] == ' '; i--)
		line[i] = '\0';
	fprintf(out, "%8s +", "");
	for (int i = 0; i < PLOT_WIDTH; i++)
		fputc('-', out);
	fprintf(out, "\n%8s  %s  (Hz)\n", "", line);
}

static void mark(char grid[PLOT_HEIGHT][PLOT_WIDTH + 1], int row, int col, char m)
{
	char *cell = &grid[row][col];

	*cell = *cell == ' ' || *cell == m ? m : '*';
}

static void show_plot(FILE *out, json_object *result)
{
	struct curve c[MAX_LIST + 1];
	char grid[PLOT_HEIGHT][PLOT_WIDTH + 1];
	json_object *freqs = NULL;
	int n = collect(result, c, MAX_LIST + 1);
	size_t points;
	double top, bottom, step;

	json_object_object_get_ex(result, "freqs", &freqs);
	points = json_object_array_length(freqs);
	if (points < 2 || n == 0)
		return;
	plot_range(c, n, points, &top, &bottom);
	step = (top - bottom) / (PLOT_HEIGHT - 1);
	memset(grid, ' ', sizeof(grid));
	for (int k = 0; k < n; k++) {
		int prev = -1;

		for (size_t i = 0; i < points; i++) {
			double v = at(c[k].db, i);
			int col = (int)lround((double)i / (points - 1) * (PLOT_WIDTH - 1));
			int row, from, to;

			if (isnan(v)) {
				prev = -1;
				continue;
			}
			row = (int)lround((top - v) / step);
			row = row < 0 ? 0 : row > PLOT_HEIGHT ? PLOT_HEIGHT : row;
			/* a steep step is drawn down (or up) the column */
			from = prev < 0 ? row : prev < row ? prev + 1 : row;
			to = prev < 0 ? row : prev > row ? prev - 1 : row;
			for (int y = from; y <= to; y++)
				if (y < PLOT_HEIGHT)       /* PLOT_HEIGHT: below the floor */
					mark(grid, y, col, c[k].mark);
			prev = row;
		}
	}
	fprintf(out, "%8s\n", "dB");
	for (int row = 0; row < PLOT_HEIGHT; row++) {
		double level = top - row * step;

		grid[row][PLOT_WIDTH] = '\0';
		if (row % 3 == 0)
			fprintf(out, "%8.1f |%s\n", level, grid[row]);
		else
			fprintf(out, "%8s |%s\n", "", grid[row]);
	}
	x_axis(out, freqs, points);
	fprintf(out, "marks:");
	for (int k = 0; k < n; k++)
		fprintf(out, " %c %s%s", c[k].mark, c[k].label, k + 1 < n ? "," : "");
	fprintf(out, " (* where they meet)\n");
	level_dependent_note(out, result);
}

/* "1,2,3" into a JSON array of numbers (integers when integer). */
static int number_list(const char *command, const char *name, const char *text,
                       bool integers, json_object **ret)
{
	json_object *a = json_object_new_array();
	char *copy = strdup(text), *save = NULL;

	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		double v;

		if (!parse_decimal(tok, "", &v) || (integers && (v != floor(v) || v < 0)) ||
		    json_object_array_length(a) >= PROTO_RESPONSE_MAX_POINTS) {
			free(copy);
			json_object_put(a);
			return usage_error("%s: %s: \"%s\" is not a list of %s", command,
			                   name, text, integers ? "channels (0, 1, ...)" :
			                   "frequencies in Hz (up to 2000)");
		}
		json_object_array_add(a, integers ? json_object_new_int((int)v)
		                                  : json_object_new_double(v));
	}
	free(copy);
	if (json_object_array_length(a) == 0) {
		json_object_put(a);
		return usage_error("%s: %s: an empty list", command, name);
	}
	*ret = a;
	return EXIT_OK;
}

static int int_option(const struct arg_option *opt, const char *key, double max,
                      json_object *params)
{
	double v;
	int r;

	if (!opt->seen)
		return EXIT_OK;
	if ((r = parse_option_number("response", opt, "", 0, max, &v)) != EXIT_OK)
		return r;
	if (v != floor(v))
		return usage_error("response: %s: \"%s\" is not a whole number", opt->name, opt->value);
	json_object_object_add(params, key, json_object_new_int((int)v));
	return EXIT_OK;
}

enum { O_BLOCK, O_CHANNEL, O_INPUT, O_POINTS, O_FREQS, O_SUM, O_CSV, O_JSON, O_PLOT, O_N };

int cmd_response(const struct options *o, int argc, char **argv)
{
	struct arg_option opt[O_N] = {
		[O_BLOCK] = { .name = "--block", .takes_value = true },
		[O_CHANNEL] = { .name = "--channel", .takes_value = true },
		[O_INPUT] = { .name = "--input", .takes_value = true },
		[O_POINTS] = { .name = "--points", .takes_value = true },
		[O_FREQS] = { .name = "--freqs", .takes_value = true },
		[O_SUM] = { .name = "--sum", .takes_value = true },
		[O_CSV] = { .name = "--csv" },
		[O_JSON] = { .name = "--json" },
		[O_PLOT] = { .name = "--plot" },
	};
	struct options local = *o;
	json_object *params, *list;
	enum view view = VIEW_TABLE;
	size_t n;
	int r = parse_args("response", argc, argv, opt, O_N, NULL, 0, &n);

	if (r != EXIT_OK)
		return r;
	if (opt[O_CSV].seen + opt[O_JSON].seen + opt[O_PLOT].seen > 1)
		return usage_error("response: give one of --csv, --json and --plot");
	if (opt[O_POINTS].seen && opt[O_FREQS].seen)
		return usage_error("response: give --points or --freqs, not both");
	view = opt[O_CSV].seen ? VIEW_CSV : opt[O_PLOT].seen ? VIEW_PLOT : VIEW_TABLE;
	local.json = o->json || opt[O_JSON].seen;
	params = json_object_new_object();
	if (opt[O_BLOCK].seen)
		json_object_object_add(params, "block", json_object_new_string(opt[O_BLOCK].value));
	if ((r = int_option(&opt[O_CHANNEL], "channel", 31, params)) != EXIT_OK ||
	    (r = int_option(&opt[O_INPUT], "input", 31, params)) != EXIT_OK ||
	    (r = int_option(&opt[O_POINTS], "points", PROTO_RESPONSE_MAX_POINTS, params)) != EXIT_OK)
		goto out;
	if (opt[O_FREQS].seen) {
		if ((r = number_list("response", "--freqs", opt[O_FREQS].value, false, &list)) != EXIT_OK)
			goto out;
		json_object_object_add(params, "freqs", list);
	} else if (!opt[O_POINTS].seen && !local.json && view != VIEW_CSV) {
		json_object_object_add(params, "points", json_object_new_int(
			view == VIEW_PLOT ? PLOT_WIDTH : TABLE_POINTS));
	}
	if (opt[O_SUM].seen) {
		if ((r = number_list("response", "--sum", opt[O_SUM].value, true, &list)) != EXIT_OK)
			goto out;
		json_object_object_add(params, "sum", list);
	}
	/* a long FIR is measured off the daemon's loop: allow it time */
	if (local.timeout_ms < 30000)
		local.timeout_ms = 30000;
	r = ctl_simple(&local, PROTO_METHOD_PIPELINE_RESPONSE, params,
	               view == VIEW_CSV ? show_csv : view == VIEW_PLOT ? show_plot : show_table);
out:
	json_object_put(params);
	return r;
}
