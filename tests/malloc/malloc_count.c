/* malloc_count.c - LD_PRELOAD interposer that counts heap calls made on
 * dspd's RT thread and on the pipeline's workers, to prove their steady
 * state allocation-free.
 *
 * Owns the process's malloc, calloc, realloc, free, posix_memalign,
 * aligned_alloc, memalign, valloc and pvalloc: each is forwarded to the next definition
 * (glibc's), and a call made on a watched thread (prctl PR_GET_NAME): the
 * RT thread, named RT_THREAD_NAME, or a worker, named WORKER_PREFIX and a
 * number) is counted first, under that thread's kind.  Any thread may
 * call them.
 *
 * Also owns syscall(), forwarded likewise: the calls made through it on
 * each kind of watched thread are counted (no phase, no stack).  The
 * workers make no heap call at all when things are right, but they do
 * make their futex calls through syscall() (lib/futex.h): that count is
 * the positive control that a worker is recognised, by name, as one.
 *
 * A counted call is filed under
 *   - a phase: the first line of the file $MALLOC_COUNT_PHASE, read at the
 *     call, or "startup" while that file does not exist.  The test names
 *     the phases (e.g. "steady" once the RT loop has processed periods, so
 *     the RT thread's first resync - prepare, prefill, start, which may
 *     allocate inside alsa-lib - stays apart);
 *   - a category, from the call's stack (dladdr1 on each return address):
 *     "plugin" when the dspdtest ALSA test device is anywhere on it (the
 *     device's own work, e.g. fopen() of its report file), otherwise by the
 *     first frame outside glibc and this file: "daemon" (the main program),
 *     "alsa_lib" (libasound), "other" (any other object); "libc" when glibc
 *     alone is on the stack.
 * The first TRACES_PER_CLASS calls of each phase and category keep their
 * stack as "object+0xoffset [symbol+0xoff]" (addr2line -f -e OBJECT OFFSET
 * decodes static functions).  At exit the counts are written as JSON to
 * $MALLOC_COUNT_REPORT.
 *
 * Recursion: dlsym() may allocate while the next definitions are looked up;
 * those calls are served from a static arena and never freed.  Calls made
 * while this file records a call (backtrace, dladdr1, snprintf) are
 * forwarded uncounted: a thread-local flag.  Only watched threads record,
 * under a spin lock, so other threads pay one prctl() per call and no
 * lock. */
#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <inttypes.h>
#include <link.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define RT_THREAD_NAME "dspd-rt"
#define WORKER_PREFIX "dspd-work"
#define PLUGIN_OBJECT "libasound_module_pcm_dspdtest"
#define MAX_PHASES 8
#define PHASE_NAME_MAX 32
#define MAX_FRAMES 24
#define FRAME_TEXT_MAX 96
#define TRACES_PER_CLASS 3
#define MAX_TRACES 48
#define BOOTSTRAP_ARENA_BYTES 16384

enum heap_fn {
	FN_MALLOC, FN_CALLOC, FN_REALLOC, FN_FREE, FN_POSIX_MEMALIGN,
	FN_ALIGNED_ALLOC, FN_MEMALIGN, FN_VALLOC, FN_PVALLOC, FN_COUNT
};

static const char *const fn_names[FN_COUNT] = {
	"malloc", "calloc", "realloc", "free", "posix_memalign",
	"aligned_alloc", "memalign", "valloc", "pvalloc",
};

enum category { CAT_DAEMON, CAT_ALSA_LIB, CAT_PLUGIN, CAT_LIBC, CAT_OTHER, CAT_COUNT };

static const char *const category_names[CAT_COUNT] = {
	"daemon", "alsa_lib", "plugin", "libc", "other",
};

/* the kinds of watched thread; THREAD_NONE: not (yet) a watched one */
enum thread_kind { THREAD_NONE = -1, THREAD_RT, THREAD_WORKER, THREAD_KINDS };

static const char *const thread_names[THREAD_KINDS] = { RT_THREAD_NAME, WORKER_PREFIX };

enum object_kind { OBJ_SELF, OBJ_LIBC, OBJ_MAIN, OBJ_ALSA, OBJ_PLUGIN, OBJ_OTHER };

struct phase {
	char name[PHASE_NAME_MAX];
	uint64_t calls[THREAD_KINDS][CAT_COUNT][FN_COUNT];
	unsigned traced[THREAD_KINDS][CAT_COUNT];
};

struct trace {
	unsigned phase;
	enum thread_kind thread;
	enum category category;
	enum heap_fn fn;
	size_t size;
	int frame_count;
	char frames[MAX_FRAMES][FRAME_TEXT_MAX];
};

/* ---- state ------------------------------------------------------------- */

static void *(*next_malloc)(size_t);
static void *(*next_calloc)(size_t, size_t);
static void *(*next_realloc)(void *, size_t);
static void (*next_free)(void *);
static int (*next_posix_memalign)(void **, size_t, size_t);
static void *(*next_aligned_alloc)(size_t, size_t);
static void *(*next_memalign)(size_t, size_t);
static void *(*next_valloc)(size_t);
static void *(*next_pvalloc)(size_t);
static long (*next_syscall)(long, ...);
static atomic_bool resolved;

#define TLS __thread __attribute__((tls_model("initial-exec")))
static TLS bool tls_resolving;
static TLS bool tls_recording;
static TLS int tls_thread = THREAD_NONE;

/* only the thread resolving the next definitions uses it */
static _Alignas(64) unsigned char bootstrap_arena[BOOTSTRAP_ARENA_BYTES];
static size_t bootstrap_used;

static atomic_flag record_lock = ATOMIC_FLAG_INIT;
static struct phase phases[MAX_PHASES];
static unsigned phase_count;
static bool phases_overflowed;
static struct trace traces[MAX_TRACES];
static unsigned trace_count;
static uint64_t traces_dropped;
static atomic_uint_fast64_t calls_all_threads;
static atomic_uint_fast64_t syscalls[THREAD_KINDS];

static char report_path[4096];
static char phase_path[4096];
static struct link_map *self_map;

/* ---- next definitions and the bootstrap arena ---------------------------- */

static void die(const char *what)
{
	static const char prefix[] = "malloc_count: cannot find the next ";

	if (write(STDERR_FILENO, prefix, sizeof(prefix) - 1) < 0 ||
	    write(STDERR_FILENO, what, strlen(what)) < 0 ||
	    write(STDERR_FILENO, "\n", 1) < 0)
		_exit(127);
	_exit(127);
}

static void *lookup(const char *name)
{
	void *sym = dlsym(RTLD_NEXT, name);

	if (!sym)
		die(name);
	return sym;
}

static void resolve_next(void)
{
	tls_resolving = true;
	next_malloc = lookup("malloc");
	next_calloc = lookup("calloc");
	next_realloc = lookup("realloc");
	next_free = lookup("free");
	next_posix_memalign = lookup("posix_memalign");
	next_aligned_alloc = lookup("aligned_alloc");
	next_memalign = lookup("memalign");
	next_valloc = lookup("valloc");
	next_pvalloc = lookup("pvalloc");
	next_syscall = lookup("syscall");
	tls_resolving = false;
	atomic_store(&resolved, true);
}

/* false while this thread is inside dlsym(): serve it from the arena */
static bool next_ready(void)
{
	if (atomic_load_explicit(&resolved, memory_order_acquire))
		return true;
	if (tls_resolving)
		return false;
	resolve_next();
	return true;
}

/* Each block is preceded by its size; the arena is zero and never reused,
 * so blocks are zeroed (calloc) for free. */
static void *bootstrap_alloc(size_t size, size_t align)
{
	size_t start;

	if (align < _Alignof(max_align_t))
		align = _Alignof(max_align_t);
	start = (bootstrap_used + sizeof(size_t) + align - 1) & ~(align - 1);
	if (start > sizeof(bootstrap_arena) || size > sizeof(bootstrap_arena) - start) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(bootstrap_arena + start - sizeof(size_t), &size, sizeof(size));
	bootstrap_used = start + size;
	return bootstrap_arena + start;
}

static bool in_bootstrap_arena(const void *p)
{
	const unsigned char *c = p;

	return c >= bootstrap_arena && c < bootstrap_arena + sizeof(bootstrap_arena);
}

static size_t bootstrap_size(const void *p)
{
	size_t size;

	memcpy(&size, (const unsigned char *)p - sizeof(size_t), sizeof(size));
	return size;
}

/* ---- classifying a call by its stack ------------------------------------ */

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static const char *base_name(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

static enum object_kind object_kind(const struct link_map *map)
{
	const char *name;

	if (map == self_map)
		return OBJ_SELF;
	if (!map->l_name || !map->l_name[0])
		return OBJ_MAIN;
	name = base_name(map->l_name);
	if (starts_with(name, "libc.so") || starts_with(name, "ld-linux"))
		return OBJ_LIBC;
	if (strstr(name, PLUGIN_OBJECT))
		return OBJ_PLUGIN;
	if (starts_with(name, "libasound.so"))
		return OBJ_ALSA;
	return OBJ_OTHER;
}

/* A return address points after its call: look up the byte before it, so
 * a call that ends a function is not taken for the next function. */
static struct link_map *frame_object(void *return_address, Dl_info *info)
{
	struct link_map *map = NULL;

	if (!dladdr1((char *)return_address - 1, info, (void **)&map, RTLD_DL_LINKMAP))
		return NULL;
	return map;
}

static enum category classify(void *const *frames, int count)
{
	enum object_kind first = OBJ_LIBC;

	for (int i = 0; i < count; i++) {
		Dl_info info;
		struct link_map *map = frame_object(frames[i], &info);
		enum object_kind kind = map ? object_kind(map) : OBJ_OTHER;

		if (kind == OBJ_PLUGIN)
			return CAT_PLUGIN;
		if (first == OBJ_LIBC && kind != OBJ_SELF)
			first = kind;
	}
	switch (first) {
	case OBJ_MAIN: return CAT_DAEMON;
	case OBJ_ALSA: return CAT_ALSA_LIB;
	case OBJ_SELF:
	case OBJ_LIBC: return CAT_LIBC;
	default: return CAT_OTHER;
	}
}

/* the main program's link map has no name: use the program's */
static const char *object_name(const struct link_map *map)
{
	return map->l_name && map->l_name[0] ? base_name(map->l_name)
	                                     : program_invocation_short_name;
}

static void describe_frame(void *return_address, char *out, size_t len)
{
	Dl_info info;
	struct link_map *map = frame_object(return_address, &info);
	uintptr_t addr = (uintptr_t)return_address;

	if (!map) {
		snprintf(out, len, "?+0x%" PRIxPTR, addr);
		return;
	}
	if (info.dli_sname && info.dli_saddr)
		snprintf(out, len, "%s+0x%" PRIxPTR " %s+0x%" PRIxPTR,
		         object_name(map), addr - (uintptr_t)map->l_addr, info.dli_sname,
		         addr - (uintptr_t)info.dli_saddr);
	else
		snprintf(out, len, "%s+0x%" PRIxPTR, object_name(map),
		         addr - (uintptr_t)map->l_addr);
}

/* ---- phases --------------------------------------------------------------- */

static bool phase_char_ok(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
}

/* The first line of the phase file, "startup" without one. */
static void read_phase_name(char *out, size_t len)
{
	ssize_t n = -1;
	int fd;

	if (phase_path[0] && (fd = open(phase_path, O_RDONLY | O_CLOEXEC)) >= 0) {
		n = read(fd, out, len - 1);
		close(fd);
	}
	if (n <= 0) {
		snprintf(out, len, "startup");
		return;
	}
	out[n] = '\0';
	for (ssize_t i = 0; i < n; i++) {
		if (!phase_char_ok(out[i])) {
			out[i] = '\0';
			break;
		}
	}
	if (!out[0])
		snprintf(out, len, "startup");
}

static unsigned current_phase(void)
{
	char name[PHASE_NAME_MAX];

	read_phase_name(name, sizeof(name));
	for (unsigned i = 0; i < phase_count; i++)
		if (!strcmp(phases[i].name, name))
			return i;
	if (phase_count == MAX_PHASES) {
		phases_overflowed = true;
		return MAX_PHASES - 1;
	}
	snprintf(phases[phase_count].name, PHASE_NAME_MAX, "%s", name);
	return phase_count++;
}

/* ---- counting -------------------------------------------------------------- */

/* The kind of this thread, by its name; kept once it is a watched one
 * (threads are named after they start: not kept before). */
static enum thread_kind this_thread(void)
{
	char name[17] = "";

	if (tls_thread != THREAD_NONE)
		return (enum thread_kind)tls_thread;
	if (prctl(PR_GET_NAME, name) != 0)
		return THREAD_NONE;
	if (!strcmp(name, RT_THREAD_NAME))
		tls_thread = THREAD_RT;
	else if (starts_with(name, WORKER_PREFIX) && name[strlen(WORKER_PREFIX)] >= '0' &&
	         name[strlen(WORKER_PREFIX)] <= '9')
		tls_thread = THREAD_WORKER;
	return (enum thread_kind)tls_thread;
}

static void keep_trace(unsigned phase, enum thread_kind thread, enum category cat,
                       enum heap_fn fn, size_t size, void *const *frames, int count)
{
	struct trace *t;

	if (trace_count == MAX_TRACES) {
		traces_dropped++;
		return;
	}
	t = &traces[trace_count++];
	t->phase = phase;
	t->thread = thread;
	t->category = cat;
	t->fn = fn;
	t->size = size;
	t->frame_count = 0;
	for (int i = 0; i < count; i++) {
		Dl_info info;
		struct link_map *map = frame_object(frames[i], &info);

		if (map && object_kind(map) == OBJ_SELF)
			continue;
		describe_frame(frames[i], t->frames[t->frame_count++], FRAME_TEXT_MAX);
	}
}

static void record_call(enum thread_kind thread, enum heap_fn fn, size_t size)
{
	void *frames[MAX_FRAMES];
	int count = backtrace(frames, MAX_FRAMES);
	enum category cat = classify(frames, count);
	struct phase *ph;
	unsigned p;

	while (atomic_flag_test_and_set_explicit(&record_lock, memory_order_acquire))
		;
	p = current_phase();
	ph = &phases[p];
	ph->calls[thread][cat][fn]++;
	if (ph->traced[thread][cat] < TRACES_PER_CLASS) {
		ph->traced[thread][cat]++;
		keep_trace(p, thread, cat, fn, size, frames, count);
	}
	atomic_flag_clear_explicit(&record_lock, memory_order_release);
}

static void note_call(enum heap_fn fn, size_t size)
{
	enum thread_kind thread;

	atomic_fetch_add_explicit(&calls_all_threads, 1, memory_order_relaxed);
	if (tls_recording || (thread = this_thread()) == THREAD_NONE)
		return;
	tls_recording = true;
	record_call(thread, fn, size);
	tls_recording = false;
}

/* ---- the interposed functions ------------------------------------------------ */

void *malloc(size_t size)
{
	if (!next_ready())
		return bootstrap_alloc(size, 0);
	note_call(FN_MALLOC, size);
	return next_malloc(size);
}

void *calloc(size_t count, size_t size)
{
	if (!next_ready()) {
		if (size && count > SIZE_MAX / size) {
			errno = ENOMEM;
			return NULL;
		}
		return bootstrap_alloc(count * size, 0);
	}
	note_call(FN_CALLOC, count * size);
	return next_calloc(count, size);
}

static void *realloc_from_bootstrap(void *old, size_t size)
{
	size_t old_size = bootstrap_size(old);
	void *p = malloc(size);

	if (p)
		memcpy(p, old, old_size < size ? old_size : size);
	return p;
}

void *realloc(void *old, size_t size)
{
	if (!next_ready())
		return bootstrap_alloc(size, 0);
	if (old && in_bootstrap_arena(old))
		return realloc_from_bootstrap(old, size);
	note_call(FN_REALLOC, size);
	return next_realloc(old, size);
}

void free(void *p)
{
	if (!p || in_bootstrap_arena(p))
		return;
	if (!next_ready())
		return;
	note_call(FN_FREE, 0);
	next_free(p);
}

int posix_memalign(void **ret, size_t align, size_t size)
{
	if (!next_ready()) {
		*ret = bootstrap_alloc(size, align);
		return *ret ? 0 : ENOMEM;
	}
	note_call(FN_POSIX_MEMALIGN, size);
	return next_posix_memalign(ret, align, size);
}

void *aligned_alloc(size_t align, size_t size)
{
	if (!next_ready())
		return bootstrap_alloc(size, align);
	note_call(FN_ALIGNED_ALLOC, size);
	return next_aligned_alloc(align, size);
}

void *memalign(size_t align, size_t size)
{
	if (!next_ready())
		return bootstrap_alloc(size, align);
	note_call(FN_MEMALIGN, size);
	return next_memalign(align, size);
}

void *valloc(size_t size)
{
	if (!next_ready())
		return bootstrap_alloc(size, 4096);
	note_call(FN_VALLOC, size);
	return next_valloc(size);
}

void *pvalloc(size_t size)
{
	if (!next_ready())
		return bootstrap_alloc((size + 4095) & ~(size_t)4095, 4096);
	note_call(FN_PVALLOC, size);
	return next_pvalloc(size);
}

/* glibc's syscall() passes six argument registers on whatever the caller
 * gave: so does this one. */
long syscall(long number, ...)
{
	enum thread_kind thread;
	long a[6];
	va_list ap;

	va_start(ap, number);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	if (!next_ready()) {
		errno = ENOSYS;
		return -1;
	}
	if (!tls_recording && (thread = this_thread()) != THREAD_NONE)
		atomic_fetch_add_explicit(&syscalls[thread], 1, memory_order_relaxed);
	return next_syscall(number, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ---- the JSON report ------------------------------------------------------------ */

struct out {
	int fd;
	bool failed;
	size_t len;
	char buf[8192];
};

static void out_flush(struct out *o)
{
	size_t done = 0;

	while (done < o->len && !o->failed) {
		ssize_t n = write(o->fd, o->buf + done, o->len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			o->failed = true;
		else
			done += (size_t)n;
	}
	o->len = 0;
}

__attribute__((format(printf, 2, 3)))
static void out_printf(struct out *o, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	if (o->len + (size_t)n > sizeof(o->buf))
		out_flush(o);
	memcpy(o->buf + o->len, line, (size_t)n);
	o->len += (size_t)n;
}

/* frame text is object names, hex and C symbols: nothing to escape but
 * quotes and backslashes, which are replaced */
static void out_json_string(struct out *o, const char *s)
{
	char clean[FRAME_TEXT_MAX];
	size_t i;

	for (i = 0; s[i] && i < sizeof(clean) - 1; i++)
		clean[i] = (s[i] == '"' || s[i] == '\\' || (unsigned char)s[i] < 0x20) ? '?' : s[i];
	clean[i] = '\0';
	out_printf(o, "\"%s\"", clean);
}

static uint64_t category_total(const struct phase *ph, enum thread_kind thread,
                               enum category cat)
{
	uint64_t total = 0;

	for (int fn = 0; fn < FN_COUNT; fn++)
		total += ph->calls[thread][cat][fn];
	return total;
}

/* {"name": .., "threads": {"dspd-rt": {"total": .., "categories": {..}}, ..}} */
static void write_phase(struct out *o, const struct phase *ph)
{
	out_printf(o, "{\"name\": \"%s\", \"threads\": {", ph->name);
	for (int thread = 0; thread < THREAD_KINDS; thread++) {
		uint64_t total = 0;

		for (int cat = 0; cat < CAT_COUNT; cat++)
			total += category_total(ph, thread, cat);
		out_printf(o, "%s\"%s\": {\"total\": %" PRIu64 ", \"categories\": {",
		           thread ? ", " : "", thread_names[thread], total);
		for (int cat = 0; cat < CAT_COUNT; cat++) {
			out_printf(o, "%s\"%s\": {\"total\": %" PRIu64, cat ? ", " : "",
			           category_names[cat], category_total(ph, thread, cat));
			for (int fn = 0; fn < FN_COUNT; fn++)
				out_printf(o, ", \"%s\": %" PRIu64, fn_names[fn],
				           ph->calls[thread][cat][fn]);
			out_printf(o, "}");
		}
		out_printf(o, "}}");
	}
	out_printf(o, "}}");
}

static void write_trace(struct out *o, const struct trace *t)
{
	out_printf(o, "{\"phase\": \"%s\", \"thread\": \"%s\", \"category\": \"%s\", "
	           "\"function\": \"%s\", \"size\": %zu, \"frames\": [",
	           phases[t->phase].name, thread_names[t->thread],
	           category_names[t->category], fn_names[t->fn], t->size);
	for (int i = 0; i < t->frame_count; i++) {
		if (i)
			out_printf(o, ", ");
		out_json_string(o, t->frames[i]);
	}
	out_printf(o, "]}");
}

static void write_report(int fd)
{
	static struct out o;

	o.fd = fd;
	o.failed = false;
	o.len = 0;
	out_printf(&o, "{\"calls_all_threads\": %" PRIu64 ",\n \"syscalls\": {",
	           (uint64_t)atomic_load(&calls_all_threads));
	for (int thread = 0; thread < THREAD_KINDS; thread++)
		out_printf(&o, "%s\"%s\": %" PRIu64, thread ? ", " : "", thread_names[thread],
		           (uint64_t)atomic_load(&syscalls[thread]));
	out_printf(&o, "},\n");
	out_printf(&o, " \"phases_overflowed\": %s,\n \"phases\": [",
	           phases_overflowed ? "true" : "false");
	for (unsigned i = 0; i < phase_count; i++) {
		out_printf(&o, "%s\n  ", i ? "," : "");
		write_phase(&o, &phases[i]);
	}
	out_printf(&o, "],\n \"traces_dropped\": %" PRIu64 ",\n \"traces\": [", traces_dropped);
	for (unsigned i = 0; i < trace_count; i++) {
		out_printf(&o, "%s\n  ", i ? "," : "");
		write_trace(&o, &traces[i]);
	}
	out_printf(&o, "]}\n");
	out_flush(&o);
}

/* ---- start and exit ------------------------------------------------------------- */

static void copy_env(const char *name, char *out, size_t len)
{
	const char *value = getenv(name);

	out[0] = '\0';
	if (value && strlen(value) < len)
		snprintf(out, len, "%s", value);
}

__attribute__((constructor))
static void malloc_count_start(void)
{
	void *warm[2];
	Dl_info info;

	next_ready();
	copy_env("MALLOC_COUNT_REPORT", report_path, sizeof(report_path));
	copy_env("MALLOC_COUNT_PHASE", phase_path, sizeof(phase_path));
	self_map = frame_object((char *)(uintptr_t)malloc_count_start + 1, &info);
	/* the first backtrace() loads libgcc_s: do it now, not on the RT thread */
	backtrace(warm, 2);
}

__attribute__((destructor))
static void malloc_count_finish(void)
{
	int fd;

	if (!report_path[0])
		return;
	while (atomic_flag_test_and_set_explicit(&record_lock, memory_order_acquire))
		;
	fd = open(report_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd >= 0) {
		write_report(fd);
		close(fd);
	}
	atomic_flag_clear_explicit(&record_lock, memory_order_release);
}
