/* change.c - sends one change to dspd and reports its result: what the
 * change did ("applied: topology change, crossfade 20 ms"), printed only on
 * a terminal (always with --json), or every error of a rejected one
 * (cli.c, exit 5).  Single-threaded (dspctl's main thread). */
#include "change.h"
#include "jvalue.h"

#include <stdbool.h>
#include <string.h>

/* ", warmup 10 ms, crossfade 20 ms" for the non-zero ones. */
static void put_transition(FILE *out, json_object *result)
{
	double ms;

	if (jv_number(jv_field(result, "warmup_ms"), &ms) && ms > 0)
		fprintf(out, ", warmup %g ms", ms);
	if (jv_number(jv_field(result, "crossfade_ms"), &ms) && ms > 0)
		fprintf(out, ", crossfade %g ms", ms);
}

void render_change(FILE *out, json_object *result)
{
	const char *class = jv_string(jv_field(result, "class"));
	char generation[32];
	bool changed = true;

	jv_bool(jv_field(result, "changed"), &changed);
	if (!changed) {
		fputs("unchanged\n", out);
		return;
	}
	fputs("applied", out);
	if (class && strcmp(class, "restart") == 0)
		fputs(": restart, streams reopened: audio was interrupted", out);
	else if (class && strcmp(class, "none") != 0)
		fprintf(out, ": %s change", class);
	put_transition(out, result);
	if (jv_count(jv_field(result, "generation"), generation,
		     sizeof(generation)))
		fprintf(out, " (generation %s)", generation);
	fputc('\n', out);
}

int ctl_change(const struct options *o, const char *method, json_object *params)
{
	return ctl_simple(o, method, params, o->tty ? render_change : NULL);
}
