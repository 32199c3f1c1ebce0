/* test_pcm_slave.c - what a plug PCM's slave runs, read from its
 * snd_pcm_dump() text: the setup after the last "Slave:" line (a plug
 * over a rate converter over the hardware), not the plug's own. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "pcm.h"

static const char nested[] =
	"Plug PCM: Rate conversion PCM (44100, sformat=S16_LE)\n"
	"Converter: libspeex\n"
	"Protocol version: 10002\n"
	"Its setup is:\n"
	"  stream       : PLAYBACK\n"
	"  access       : RW_INTERLEAVED\n"
	"  format       : S32_LE\n"
	"  channels     : 2\n"
	"  rate         : 48000\n"
	"  exact rate   : 48000 (48000/1)\n"
	"Slave: Linear conversion PCM (S16_LE)\n"
	"Its setup is:\n"
	"  format       : S32_LE\n"
	"  channels     : 2\n"
	"  rate         : 44100\n"
	"Slave: Hardware PCM card 0 'USB Audio' device 0 subdevice 0\n"
	"Its setup is:\n"
	"  stream       : PLAYBACK\n"
	"  access       : MMAP_INTERLEAVED\n"
	"  format       : S16_LE\n"
	"  subformat    : STD\n"
	"  channels     : 6\n"
	"  rate         : 44100\n"
	"  exact rate   : 44100 (44100/1)\n"
	"  msbits       : 16\n";

static void test_innermost_slave(void **state)
{
	struct pcm_slave s = { .plug = true };

	pcm_parse_slave(nested, &s);
	assert_true(s.known);
	assert_string_equal(s.format, "S16_LE");
	assert_int_equal(s.rate, 44100);
	assert_int_equal(s.channels, 6);
}

static void test_no_slave_section(void **state)
{
	struct pcm_slave s = { .plug = true };

	pcm_parse_slave("Hardware PCM card 0\nIts setup is:\n  format : S16_LE\n", &s);
	assert_false(s.known);
	/* a section without its rate is not known either */
	pcm_parse_slave("Plug PCM\nSlave: x\n  format : S16_LE\n  channels : 2\n", &s);
	assert_false(s.known);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_innermost_slave),
		cmocka_unit_test(test_no_slave_section),
	};

	return cmocka_run_group_tests_name("pcm_slave", tests, NULL, NULL);
}
