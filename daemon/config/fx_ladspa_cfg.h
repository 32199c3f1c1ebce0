/* fx_ladspa_cfg.h - configuration of the "ladspa" block (a LADSPA plugin
 * hosted in the pipeline): plain values, no pointers.  Filled by
 * config_fx_ladspa.c (control thread), read by fx_ladspa.c. */
#ifndef DSPD_FX_LADSPA_CFG_H
#define DSPD_FX_LADSPA_CFG_H

#include <stdbool.h>

#define CFG_LADSPA_LABEL_MAX 64         /* plugin label, with its NUL */
#define CFG_LADSPA_LIBRARY_MAX 64       /* library file name, with its NUL */
#define CFG_LADSPA_PORT_NAME_MAX 64     /* control port name, with its NUL */
#define CFG_LADSPA_MAX_CONTROLS 24      /* control values one block may set */

/* One "controls" entry: the value of the control input port of that exact
 * name; checked against the plugin's hints by the constructor. */
struct cfg_ladspa_control {
	char port[CFG_LADSPA_PORT_NAME_MAX];
	double value;
};

struct cfg_ladspa {
	char label[CFG_LADSPA_LABEL_MAX];
	/* a file name in the LADSPA search path (no '/'); "": the first
	 * library of the path holding the label */
	char library[CFG_LADSPA_LIBRARY_MAX];
	bool allow_non_realtime;        /* run plugins not hard-RT capable */
	unsigned n_controls;
	struct cfg_ladspa_control controls[CFG_LADSPA_MAX_CONTROLS];
};

#endif
