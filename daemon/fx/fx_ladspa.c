/* fx_ladspa.c - the "ladspa" block: a LADSPA plugin found in the search
 * path (ladspa_host.c) running in the pipeline.
 *
 * Only plugins with as many audio outputs as inputs (A >= 1) are hosted; the
 * block's channels are taken A at a time, one plugin instance per group.
 * Each instance reads copies of its channels (so plugins that cannot run in
 * place are fine) and writes straight into the pipeline's buffers.
 *
 * A plugin's run() is its author's code: plugins not marked hard-realtime
 * capable are refused unless the configuration allows them.  reset() (only
 * after non-finite output was caught) calls deactivate()/activate(), which a
 * plugin may implement with allocation: a fault path, not the steady state.
 * An output control port named "latency" (any case, the LADSPA convention)
 * gives the plugin's delay in frames: it is read after one run on silence
 * at creation and becomes the block's latency_frames, which the pipeline
 * adds to its latency and aligns the other channels to (fx_align.h).
 * Its frequency response (fx_ops.response) is measured: an impulse of
 * -20 dBFS (below where most dynamics act, well above the floor of
 * float rounding) through an instance of its own with the block's
 * controls, after 0.2 s of silence, each path until it has decayed (at
 * most 131072 samples; the plugin's delay is in it), marked
 * level-dependent since the plugin may not be linear.  A plugin's float
 * IIR filters round by about 1 % of the signal near a low corner (swh's
 * butthigh_iir at 25 Hz: two measurements differ by up to 0.25 dB at
 * 10 Hz, whatever the level).
 *
 * create/destroy: control thread; process and reset: RT thread. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "fx.h"
#include "fx_align.h"
#include "fx_response.h"
#include "response.h"
#include "ladspa_host.h"

#define WARMUP_SECONDS 0.2              /* plugins' state is unknown to us */

extern const struct fx_constructor fx_constructors_ladspa[];

struct ladspa_instance {
	LADSPA_Handle handle;
	bool active;
	const unsigned *channels;       /* A pipeline channels */
	float **inputs;                 /* A scratch rows of max_frames */
	LADSPA_Data *port_values;       /* one per port: controls, dummies */
};

struct fx_ladspa {
	struct fx fx;
	struct ladspa_plugin plugin;
	unsigned audio_ports;           /* A: inputs == outputs */
	unsigned long *input_ports;     /* A port indexes, in port order */
	unsigned long *output_ports;
	unsigned channels[FX_MAX_CHANNELS];
	unsigned n_instances;
	struct ladspa_instance *instances;
	float *scratch;                 /* n_instances * A * max_frames */
	float **input_rows;             /* n_instances * A */
	LADSPA_Data *values;            /* n_instances * PortCount */
	unsigned rate;
};

static void ladspa_process(struct fx *fx, float *const *bufs, uint32_t frames)
{
	struct fx_ladspa *l = (struct fx_ladspa *)fx;
	const LADSPA_Descriptor *d = l->plugin.desc;

	for (unsigned i = 0; i < l->n_instances; i++) {
		struct ladspa_instance *in = &l->instances[i];

		for (unsigned k = 0; k < l->audio_ports; k++) {
			float *row = bufs[in->channels[k]];

			memcpy(in->inputs[k], row, frames * sizeof(float));
			d->connect_port(in->handle, l->output_ports[k], row);
		}
		d->run(in->handle, frames);
	}
}

/* After non-finite output: restart the plugins that can be restarted (a
 * plugin without activate() keeps whatever state it has). */
static void ladspa_reset(struct fx *fx)
{
	struct fx_ladspa *l = (struct fx_ladspa *)fx;
	const LADSPA_Descriptor *d = l->plugin.desc;

	if (!d->activate)
		return;
	for (unsigned i = 0; i < l->n_instances; i++) {
		if (d->deactivate)
			d->deactivate(l->instances[i].handle);
		d->activate(l->instances[i].handle);
	}
}

static void ladspa_destroy(struct fx *fx)
{
	struct fx_ladspa *l = (struct fx_ladspa *)fx;
	const LADSPA_Descriptor *d = l->plugin.desc;

	for (unsigned i = 0; l->instances && i < l->n_instances; i++) {
		struct ladspa_instance *in = &l->instances[i];

		if (!in->handle)
			continue;
		if (in->active && d->deactivate)
			d->deactivate(in->handle);
		d->cleanup(in->handle);
	}
	free(l->instances);
	free(l->scratch);
	free(l->input_rows);
	free(l->values);
	free(l->input_ports);
	free(l->output_ports);
	ladspa_unload(&l->plugin);
	free(l);
}

/* ---- response: a small impulse through an instance of its own -------- */

#define MEASURE_FRAMES 131072          /* at most */
#define MEASURE_CHUNK 256
/* The measurement stops once a chunk's peak is below this fraction of the
 * largest sample so far (-180 dB: below float's resolution of it). */
#define MEASURE_TAIL 1e-9f
#define MEASURE_LEVEL 0.1f              /* -20 dBFS (see the top) */

/* The response from audio port ki to port ko of a fresh instance with the
 * block's controls, divided by the impulse's level, into taps: until it
 * has decayed (MEASURE_TAIL), at most MEASURE_FRAMES.  The number of taps,
 * or -errno (the plugin's state is its own: the running instances are not
 * touched). */
static long measure(const struct fx_ladspa *l, unsigned ko, unsigned ki, float *taps)
{
	const LADSPA_Descriptor *d = l->plugin.desc;
	size_t ports = d->PortCount + 1, a = l->audio_ports;
	LADSPA_Data *values = malloc(ports * sizeof(*values));
	float *in = calloc(a * MEASURE_CHUNK, sizeof(float));
	float *out = calloc(a * MEASURE_CHUNK, sizeof(float));
	LADSPA_Handle h = NULL;
	long r = -ENOMEM;
	float peak = 0.0f;

	if (!values || !in || !out)
		goto done;
	memcpy(values, l->values + (size_t)l->n_instances * ports, ports * sizeof(*values));
	r = -EINVAL;
	if (!(h = d->instantiate(d, l->rate)))
		goto done;
	for (unsigned long p = 0; p < d->PortCount; p++)
		if (LADSPA_IS_PORT_CONTROL(d->PortDescriptors[p]))
			d->connect_port(h, p, &values[p]);
	for (size_t k = 0; k < a; k++) {
		d->connect_port(h, l->input_ports[k], in + k * MEASURE_CHUNK);
		d->connect_port(h, l->output_ports[k], out + k * MEASURE_CHUNK);
	}
	if (d->activate)
		d->activate(h);
	r = 0;
	/* silence first, as the block is warmed up: some plugins settle
	 * their coefficients in their first runs */
	for (size_t at = 0; at < WARMUP_SECONDS * l->rate; at += MEASURE_CHUNK)
		d->run(h, MEASURE_CHUNK);
	for (size_t at = 0; at < MEASURE_FRAMES && r >= 0; at += MEASURE_CHUNK) {
		float chunk_peak = 0.0f;

		memset(in, 0, a * MEASURE_CHUNK * sizeof(float));
		if (at == 0)
			in[ki * MEASURE_CHUNK] = MEASURE_LEVEL;
		d->run(h, MEASURE_CHUNK);
		for (size_t i = 0; i < MEASURE_CHUNK; i++) {
			taps[at + i] = out[ko * MEASURE_CHUNK + i] / MEASURE_LEVEL;
			if (!isfinite(taps[at + i]))
				r = -ERANGE;
			chunk_peak = fmaxf(chunk_peak, fabsf(taps[at + i]));
		}
		peak = fmaxf(peak, chunk_peak);
		r = r < 0 ? r : (long)(at + MEASURE_CHUNK);
		/* past the plugin's delay (a chunk with something in it was
		 * seen), a chunk of nothing left: decayed */
		if (peak > 0.0f && chunk_peak <= MEASURE_TAIL * peak)
			break;
	}
	if (d->deactivate)
		d->deactivate(h);
	d->cleanup(h);
done:
	free(values), free(in), free(out);
	return r;
}

/* Which instance joins channel `in` to channel `out`, as port indexes. */
static bool find_ports(const struct fx_ladspa *l, unsigned out, unsigned in,
                       unsigned *ko, unsigned *ki)
{
	for (unsigned i = 0; i < l->n_instances; i++) {
		const unsigned *ch = l->instances[i].channels;
		int o = -1, n = -1;

		for (unsigned k = 0; k < l->audio_ports; k++) {
			o = ch[k] == out ? (int)k : o;
			n = ch[k] == in ? (int)k : n;
		}
		if (o >= 0 && n >= 0) {
			*ko = (unsigned)o, *ki = (unsigned)n;
			return true;
		}
	}
	return false;
}

/* Any thread (the control thread or the response job's; never the RT
 * thread): the plugin's code is run for it, on an instance of its own
 * (LADSPA instances share nothing).  A path whose measured response is
 * all zeros is no path; a plugin that cannot be measured is shown as the
 * delay its "latency" port reports. */
static bool ladspa_response(const struct fx *fx, unsigned out, unsigned in,
                            const double *w, size_t n, double complex *h,
                            double complex *dh)
{
	const struct fx_ladspa *l = (const struct fx_ladspa *)fx;
	unsigned ko, ki;
	float *taps;
	bool any = false;
	long n_taps = -1;

	if (out >= fx->channels_in || in >= fx->channels_in)
		return false;
	if (!find_ports(l, out, in, &ko, &ki)) {
		if (out != in)
			return false;
		resp_identity(n, h, dh);      /* a channel it does not process */
		return true;
	}
	taps = malloc(MEASURE_FRAMES * sizeof(*taps));
	if (!taps || (n_taps = measure(l, ko, ki, taps)) < 0) {
		free(taps);
		if (out != in)
			return false;
		resp_identity(n, h, dh);
		resp_delay(fx->latency_frames, w, n, h, dh);
		return true;
	}
	for (long k = 0; k < n_taps && !any; k++)
		any = taps[k] != 0.0f;
	if (any) {
		resp_identity(n, h, dh);
		resp_fir(taps, (size_t)n_taps, w, n, h, dh);
	} else if (out == in) {
		resp_constant(0.0, n, h, dh);   /* its own channel, silenced */
	}
	free(taps);
	return any || out == in;
}

static size_t ladspa_response_cost(const struct fx *fx)
{
	(void)fx;
	return MEASURE_FRAMES;
}

static const struct fx_ops ladspa_ops = {
	.type = "ladspa",
	.process = ladspa_process,
	.reset = ladspa_reset,
	.destroy = ladspa_destroy,
	.response = ladspa_response,
	.response_cost = ladspa_response_cost,
	.level_dependent = true,
};

/* ---- checks of the plugin against the block ---------------------------- */

static const char *plural(unsigned n)
{
	return n == 1 ? "" : "s";
}

static int check_plugin(const struct fx_ladspa *l, const struct cfg_block *cfg,
                        char *err, size_t err_len)
{
	const LADSPA_Descriptor *d = l->plugin.desc;
	unsigned ins = ladspa_audio_ports(d, false), outs = ladspa_audio_ports(d, true);

	if (!LADSPA_IS_HARD_RT_CAPABLE(d->Properties) &&
	    !cfg->u.ladspa.allow_non_realtime) {
		snprintf(err, err_len, "block \"%s\": plugin %s (%s) is not hard "
		         "realtime capable: its run() may allocate, lock or block "
		         "and stall the audio thread; set \"allow_non_realtime\": "
		         "true to run it anyway", cfg->name, d->Label,
		         l->plugin.library);
		return -EINVAL;
	}
	if (ins != outs || ins == 0) {
		snprintf(err, err_len, "block \"%s\": plugin %s has %u audio "
		         "input%s and %u output%s: only plugins with as many "
		         "outputs as inputs (at least one) run in place",
		         cfg->name, d->Label, ins, plural(ins), outs, plural(outs));
		return -EINVAL;
	}
	return 0;
}

/* The channels of the block, in order; refuses a count that is not a
 * multiple of the plugin's audio ports. */
static int group_channels(struct fx_ladspa *l, const char *name, char *err,
                          size_t err_len)
{
	unsigned n = 0;

	for (unsigned ch = 0; ch < FX_MAX_CHANNELS; ch++)
		if (l->fx.channel_mask & (1u << ch))
			l->channels[n++] = ch;
	if (n % l->audio_ports) {
		snprintf(err, err_len, "block \"%s\": plugin %s takes %u channels "
		         "at a time (one instance each): the block's %u "
		         "channel%s are not a multiple of %u", name,
		         l->plugin.desc->Label, l->audio_ports, n, plural(n),
		         l->audio_ports);
		return -EINVAL;
	}
	l->n_instances = n / l->audio_ports;
	return 0;
}

static int find_audio_ports(struct fx_ladspa *l)
{
	const LADSPA_Descriptor *d = l->plugin.desc;
	unsigned n_in = 0, n_out = 0;

	l->input_ports = calloc(l->audio_ports, sizeof(*l->input_ports));
	l->output_ports = calloc(l->audio_ports, sizeof(*l->output_ports));
	if (!l->input_ports || !l->output_ports)
		return -ENOMEM;
	for (unsigned long i = 0; i < d->PortCount; i++) {
		LADSPA_PortDescriptor pd = d->PortDescriptors[i];

		if (!LADSPA_IS_PORT_AUDIO(pd))
			continue;
		if (LADSPA_IS_PORT_INPUT(pd))
			l->input_ports[n_in++] = i;
		else
			l->output_ports[n_out++] = i;
	}
	return 0;
}

/* ---- control values ---------------------------------------------------- */

/* "the plugin's control inputs: "A", "B"" for a message, bounded. */
static void describe_control_inputs(const LADSPA_Descriptor *d, char *buf,
                                    size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned long i = 0; i < d->PortCount && len < size; i++) {
		LADSPA_PortDescriptor pd = d->PortDescriptors[i];
		int n;

		if (!LADSPA_IS_PORT_CONTROL(pd) || !LADSPA_IS_PORT_INPUT(pd))
			continue;
		n = snprintf(buf + len, size - len, "%s\"%s\"", len ? ", " : "",
		             d->PortNames[i]);
		len += n > 0 ? (size_t)n : 0;
	}
	if (len >= size && size > 4)
		strcpy(buf + size - 4, "...");
	if (!buf[0])
		snprintf(buf, size, "none");
}

static long find_control_input(const LADSPA_Descriptor *d, const char *name)
{
	for (unsigned long i = 0; i < d->PortCount; i++) {
		LADSPA_PortDescriptor pd = d->PortDescriptors[i];

		if (LADSPA_IS_PORT_CONTROL(pd) && LADSPA_IS_PORT_INPUT(pd) &&
		    strcmp(d->PortNames[i], name) == 0)
			return (long)i;
	}
	return -1;
}

/* Within a bound, allowing for the bound's float rounding. */
static bool below(double v, double bound)
{
	return v < bound - 1e-6 * fmax(1.0, fabs(bound));
}

static void describe_range(const struct ladspa_control_info *c, char *buf,
                           size_t size)
{
	if (c->has_lower && c->has_upper)
		snprintf(buf, size, "%.7g to %.7g", c->lower, c->upper);
	else if (c->has_lower)
		snprintf(buf, size, "at least %.7g", c->lower);
	else
		snprintf(buf, size, "at most %.7g", c->upper);
}

static int check_value(const char *block, const char *port, double v,
                       const struct ladspa_control_info *c, char *err,
                       size_t err_len)
{
	char range[80];

	if (c->toggled && v != 0 && v != 1) {
		snprintf(err, err_len, "block \"%s\": control \"%s\" is a toggle: "
		         "give 0 or 1 (false or true), not %.7g", block, port, v);
		return -EINVAL;
	}
	if (c->integer && v != round(v)) {
		snprintf(err, err_len, "block \"%s\": control \"%s\" takes whole "
		         "numbers, not %.7g", block, port, v);
		return -EINVAL;
	}
	if ((c->has_lower && below(v, c->lower)) ||
	    (c->has_upper && below(-v, -c->upper))) {
		describe_range(c, range, sizeof(range));
		snprintf(err, err_len, "block \"%s\": control \"%s\" = %.7g is out "
		         "of range: the plugin allows %s", block, port, v, range);
		return -EINVAL;
	}
	return 0;
}

/* values[PortCount]: every control input's value at env->rate, the
 * configured ones checked against the plugin's hints. */
static int resolve_controls(const struct fx_ladspa *l,
                            const struct cfg_block *cfg, unsigned rate,
                            LADSPA_Data *values, char *err, size_t err_len)
{
	const LADSPA_Descriptor *d = l->plugin.desc;
	const struct cfg_ladspa *lc = &cfg->u.ladspa;
	struct ladspa_control_info info;
	char ports[200];

	for (unsigned long i = 0; i < d->PortCount; i++)
		if (LADSPA_IS_PORT_CONTROL(d->PortDescriptors[i])) {
			ladspa_control_info(d, i, rate, &info);
			values[i] = (LADSPA_Data)info.default_value;
		}
	for (unsigned n = 0; n < lc->n_controls; n++) {
		const struct cfg_ladspa_control *c = &lc->controls[n];
		long port = find_control_input(d, c->port);

		if (port < 0) {
			describe_control_inputs(d, ports, sizeof(ports));
			snprintf(err, err_len, "block \"%s\": plugin %s has no "
			         "control input \"%s\" (its control inputs: %s)",
			         cfg->name, d->Label, c->port, ports);
			return -EINVAL;
		}
		ladspa_control_info(d, (unsigned long)port, rate, &info);
		if (check_value(cfg->name, c->port, c->value, &info, err,
		                err_len) < 0)
			return -EINVAL;
		values[port] = (LADSPA_Data)c->value;
	}
	return 0;
}

/* ---- instances --------------------------------------------------------- */

static int allocate_instances(struct fx_ladspa *l, unsigned max_frames)
{
	size_t rows = (size_t)l->n_instances * l->audio_ports;
	size_t ports = l->plugin.desc->PortCount;

	l->instances = calloc(l->n_instances ? l->n_instances : 1,
	                      sizeof(*l->instances));
	l->scratch = calloc(rows * max_frames + 1, sizeof(float));
	l->input_rows = calloc(rows + 1, sizeof(*l->input_rows));
	l->values = calloc(((size_t)l->n_instances + 1) * (ports + 1),
	                   sizeof(LADSPA_Data));
	if (!l->instances || !l->scratch || !l->input_rows || !l->values)
		return -ENOMEM;
	for (size_t r = 0; r < rows; r++)
		l->input_rows[r] = l->scratch + r * max_frames;
	return 0;
}

/* Instantiate, connect and activate instance i; the template values are in
 * the last slot of l->values. */
static int start_instance(struct fx_ladspa *l, unsigned i, unsigned rate,
                          char *err, size_t err_len)
{
	const LADSPA_Descriptor *d = l->plugin.desc;
	struct ladspa_instance *in = &l->instances[i];
	size_t ports = d->PortCount + 1;

	in->channels = l->channels + (size_t)i * l->audio_ports;
	in->inputs = l->input_rows + (size_t)i * l->audio_ports;
	in->port_values = l->values + (size_t)i * ports;
	memcpy(in->port_values, l->values + (size_t)l->n_instances * ports,
	       ports * sizeof(LADSPA_Data));
	in->handle = d->instantiate(d, rate);
	if (!in->handle) {
		snprintf(err, err_len, "block \"%s\": plugin %s could not be "
		         "instantiated at %u Hz", l->fx.name, d->Label, rate);
		return -EINVAL;
	}
	for (unsigned long p = 0; p < d->PortCount; p++)
		if (LADSPA_IS_PORT_CONTROL(d->PortDescriptors[p]))
			d->connect_port(in->handle, p, &in->port_values[p]);
	for (unsigned k = 0; k < l->audio_ports; k++) {
		d->connect_port(in->handle, l->input_ports[k], in->inputs[k]);
		/* process() points the outputs at the pipeline's rows */
		d->connect_port(in->handle, l->output_ports[k], in->inputs[k]);
	}
	if (d->activate)
		d->activate(in->handle);
	in->active = true;
	return 0;
}

/* The output control port "latency" (any case), or -1. */
static long find_latency_port(const LADSPA_Descriptor *d)
{
	for (unsigned long i = 0; i < d->PortCount; i++) {
		LADSPA_PortDescriptor pd = d->PortDescriptors[i];

		if (LADSPA_IS_PORT_CONTROL(pd) && LADSPA_IS_PORT_OUTPUT(pd) &&
		    strcasecmp(d->PortNames[i], "latency") == 0)
			return (long)i;
	}
	return -1;
}

/* A plugin sets its latency port in run(): run every instance once on
 * silence (its scratch rows are still zero) and read it. */
static int read_latency(struct fx_ladspa *l, unsigned max_frames, char *err,
                        size_t err_len)
{
	const LADSPA_Descriptor *d = l->plugin.desc;
	long port = find_latency_port(d);
	double latency;

	if (port < 0 || l->n_instances == 0)
		return 0;
	for (unsigned i = 0; i < l->n_instances; i++)
		d->run(l->instances[i].handle, max_frames);
	latency = l->instances[0].port_values[port];
	if (!isfinite(latency) || latency < 0 || latency > FX_ALIGN_MAX_FRAMES) {
		snprintf(err, err_len, "block \"%s\": plugin %s reports a latency "
		         "of %g frames (0..%u)", l->fx.name, d->Label, latency,
		         FX_ALIGN_MAX_FRAMES);
		return -EINVAL;
	}
	l->fx.latency_frames = (unsigned)lround(latency);
	return 0;
}

static int build(struct fx_ladspa *l, const struct cfg_block *cfg,
                 const struct fx_env *env, char *err, size_t err_len)
{
	const LADSPA_Descriptor *d;
	int r;

	r = ladspa_load(cfg->u.ladspa.label, cfg->u.ladspa.library, &l->plugin,
	                err, err_len);
	if (r < 0) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, err_len, "block \"%s\": %s", cfg->name, why);
		return r == -ENOMEM ? r : -EINVAL;
	}
	d = l->plugin.desc;
	if ((r = check_plugin(l, cfg, err, err_len)) < 0)
		return r;
	l->audio_ports = ladspa_audio_ports(d, false);
	if ((r = group_channels(l, cfg->name, err, err_len)) < 0 ||
	    (r = find_audio_ports(l)) < 0 ||
	    (r = allocate_instances(l, env->max_frames)) < 0)
		return r;
	r = resolve_controls(l, cfg, env->rate,
	                     l->values + (size_t)l->n_instances * (d->PortCount + 1),
	                     err, err_len);
	for (unsigned i = 0; r == 0 && i < l->n_instances; i++)
		r = start_instance(l, i, env->rate, err, err_len);
	if (r == 0)
		r = read_latency(l, env->max_frames, err, err_len);
	return r;
}

static int fx_ladspa_create(const struct cfg_block *cfg,
                            const struct fx_env *env, struct fx **ret,
                            char *err, size_t err_len)
{
	struct fx_ladspa *l = calloc(1, sizeof(*l));
	int r;

	*ret = NULL;
	if (!l)
		return -ENOMEM;
	fx_init(&l->fx, &ladspa_ops, cfg, env);
	l->rate = env->rate;
	if ((r = build(l, cfg, env, err, err_len)) < 0) {
		if (r == -ENOMEM)
			snprintf(err, err_len, "block \"%s\": out of memory",
			         cfg->name);
		ladspa_destroy(&l->fx);
		return r;
	}
	l->fx.warmup_frames = (uint32_t)lround(env->rate * WARMUP_SECONDS);
	*ret = &l->fx;
	return 0;
}

const struct fx_constructor fx_constructors_ladspa[] = {
	{ CFG_BLOCK_LADSPA, fx_ladspa_create },
	{ .create = NULL },
};
