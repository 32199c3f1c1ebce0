/* commands.c - dspctl's command table: every command's name, synopsis, help,
 * completion words and handler (cmds.h), in the order usage() lists them.
 * Constant data, read by dspctl's main thread (dspctl.c, completion.c). */
#include "commands.h"
#include "cmds.h"

const struct command ctl_commands[] = {
	{ "status", "", "engine state, devices, latency, counters, load",
	  "", cmd_status },
	{ "stats", "[--prometheus]", "counters for monitoring; --prometheus:\n"
	  "Prometheus text format with levels (for\nnode_exporter's textfile "
	  "collector)",
	  "--prometheus", cmd_stats },
	{ "levels", "[--window MS]", "peak/RMS/peak-hold/clip meters per channel,\n"
	  "capture and playback", "--follow --interval=none --window=none",
	  cmd_levels },
	{ "levels", "--follow [--interval MS]", "live meters redrawn in place (a JSON\n"
	  "line per update with --json or when stdout\nis not a terminal)",
	  "", cmd_levels },
	{ "xruns", "", "xrun counters and the most recent xruns", "", cmd_xruns },
	{ "plugins", "[LABEL]", "the LADSPA plugins dspd can host; with\n"
	  "LABEL, that plugin's ports, ranges, defaults", "", cmd_plugins },
	{ "pipeline", "", "the DSP blocks, their channels and settings", "",
	  cmd_pipeline },
	{ "response", "[--block NAME] [--channel N] [--input N] [--points N | --freqs F,F,..] "
	  "[--sum C,C,..] [--csv | --json | --plot]", "the frequency response of the pipeline\n"
	  "(or of block NAME) from its coefficients: dB, phase, group\n"
	  "delay per output channel; --sum: the complex sum of those\n"
	  "outputs (a crossover's); --plot: magnitude in the terminal",
	  "--block --channel --input --points --freqs --sum --csv --json --plot",
	  cmd_response },
	{ "effect add", "TYPE NAME [KEY=VALUE...] [POS]", "add a block: gain g db=-3;"
	  " VALUE is JSON or\ntext; POS: --before NAME, --after NAME or\n"
	  "--index N (default: the end)", "--before=none --after=none "
	  "--index=none", cmd_effect_add },
	{ "effect add", "'{JSON block}' [POS]", "add a block given as one JSON "
	  "object with\n\"type\" and \"name\"", "", cmd_effect_add },
	{ "effect remove", "NAME", "remove a block", "", cmd_effect_remove },
	{ "effect bypass", "NAME [on|off]", "keep a block (and its state) but do "
	  "not\napply it (on, the default) or apply it again", "on off",
	  cmd_effect_bypass },
	{ "effect set", "NAME KEY=VALUE...", "change a block's values; KEY: db,\n"
	  "bands/1/gain_db (a JSON pointer in the block)", "", cmd_effect_set },
	{ "effect list", "", "the same as pipeline", "", cmd_effect_list },
	{ "eq import", "FILE [--block NAME]", "an EqualizerAPO, AutoEq or REW EQ "
	  "file (read\nhere) into the peq block NAME (default eq),\nadded at the "
	  "end when missing; a GraphicEQ\nbecomes a fir block (minimum-phase)",
	  "--block=none @file", cmd_eq_import },
	{ "eq export", "[--block NAME] [-o FILE]", "the peq block (the only one, "
	  "or NAME) in\nthe EqualizerAPO ParametricEQ form",
	  "--block=none --output=file -o=file", cmd_eq_export },
	{ "batch", "[FILE|-]", "apply the changes of FILE (default: stdin),\n"
	  "one per line (effect add|remove|bypass|set,\nconfig patch), all "
	  "together or none", "@file", cmd_batch },
	{ "loudness", "[--reset]", "EBU R128 loudness of the loudness tap;\n"
	  "--reset restarts the integrated measurement", "--reset", cmd_loudness },
	{ "get gain", "[NAME]", "the master gain, e.g. \"-6.0 dB (muted)\", or the\n"
	  "gain block NAME's", "", cmd_get_gain },
	{ "get mute", "", "the master mute: on or off", "", cmd_get_mute },
	{ "set gain", "[NAME] DB [--ramp MS]", "set the master gain: -6, -6.5, +3 or -6dB;\n"
	  "with NAME, the gain block NAME (a named fader; no --ramp)",
	  "--ramp=none", cmd_set_gain },
	{ "adjust gain", "DB [--ramp MS]", "change the master gain by DB: +1.5, "
	  "-3, 2dB", "--ramp=none", cmd_adjust_gain },
	{ "set mute", "on|off|toggle [--ramp MS]", "mute or unmute the master gain",
	  "on off toggle --ramp=none", cmd_set_mute },
	{ "monitor", "[--topics LIST]", "print events as they happen; LIST: comma\n"
	  "separated of xrun,state,gain,config,source,levels\n(default: all but levels)", "--topics=topics", cmd_monitor },
	{ "record", "--tap TAP --seconds N FILE", "record the capture or playback tap\n"
	  "(TAP, 0.01..60 s) to a float32 WAV file;\nFILE \"-\": stdout",
	  "--tap=tap --seconds=none @file", cmd_record },
	{ "wait-ready", "[--timeout S]", "wait until dspd runs (default 30 s);\n"
	  "exit 3 if it does not", "--timeout=none", cmd_wait_ready },
	{ "config check", "FILE", "let dspd validate FILE; exit 5 if rejected",
	  "@file", cmd_config_check },
	{ "config reload", "[FILE]", "reload the configuration (or switch to\n"
	  "FILE); exit 5 with every error if rejected", "@file",
	  cmd_config_reload },
	{ "config load", "FILE|-", "replace the whole configuration with FILE\n"
	  "(-: JSON text from stdin); exit 5 if rejected", "@file",
	  cmd_config_load },
	{ "config patch", "OP PATH [VALUE]", "one JSON Patch (RFC 6902) operation on "
	  "the\nactive configuration: add|replace|test PATH\nVALUE, remove PATH, "
	  "move|copy FROM PATH", "add remove replace move copy test",
	  cmd_config_patch },
	{ "config patch", "-", "a JSON array of operations from stdin", "",
	  cmd_config_patch },
	{ "config show", "", "the active configuration as JSON", "",
	  cmd_config_show },
	{ "call", "METHOD [PARAMS]", "send any JSON-RPC request (PARAMS: a JSON\n"
	  "object or array) and print its result", "hello status stats gain.get "
	  "gain.set gain.adjust mute.get mute.set mute.toggle levels xruns "
	  "pipeline.list pipeline.response loudness loudness.reset config.get config.validate "
	  "config.reload config.load config.patch effect.add effect.remove "
	  "effect.bypass effect.set batch", cmd_call },
};
const size_t ctl_n_commands = sizeof(ctl_commands) / sizeof(ctl_commands[0]);
