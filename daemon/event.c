/*
 * event.c - writes booboo events with json-c.  Field names, their types
 * and the frame order (oldest call first) are the ingest's contract: it
 * answers 422 to a field that is missing or null, so every key keeps the
 * type the Python SDK gives it, whatever we do not know
 * (tests/integration/event_schema.json is the whole shape).  Extra keys
 * that only native frames have (instruction_addr, module, inlined,
 * tail_call) are allowed by it and ignored by servers that do not know
 * them.
 */
#include <gnu/libc-version.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "describe.h"
#include "event.h"
#include "event_keys.h"
#include "runtime.h"
#include "rust_panic.h"
#include "utf8.h"

#define ARGV_MAX 64
#define ARG_LEN_MAX 200

static struct utsname host_uts;
static char host_distro[256];

void event_init_host(void)
{
	FILE *f;
	char line[256];

	uname(&host_uts);
	f = fopen("/etc/os-release", "re");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "PRETTY_NAME=", 12) != 0)
			continue;
		char *v = line + 12, *end;
		if (*v == '"')
			v++;
		end = v + strcspn(v, "\"\n");
		*end = '\0';
		snprintf(host_distro, sizeof(host_distro), "%s", v);
	}
	fclose(f);
}

static void add_str(struct json_object *o, const char *key, const char *val)
{
	json_object_object_add(o, key, json_object_new_string(val ? val : ""));
}

static void add_hex(struct json_object *o, const char *key, uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
	add_str(o, key, buf);
}

/* The event says its time is the daemon's, and what the program's was. */
static void tag_daemon_time(struct json_object *ev, uint64_t program_sec)
{
	struct json_object *tags;
	char sec[24];

	if (!json_object_object_get_ex(ev, EV_TAGS, &tags) || !tags) {
		tags = json_object_new_object();
		json_object_object_add(ev, EV_TAGS, tags);
	}
	snprintf(sec, sizeof(sec), "%" PRIu64, program_sec);
	add_str(tags, "timestamp_source", "daemon");
	add_str(tags, "program_time", sec);
}

void event_add_time(struct json_object *o, const char *key, uint64_t sec, uint64_t nsec)
{
	time_t t = (time_t)sec;
	struct tm tm;
	char buf[32], out[64];

	gmtime_r(&t, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, sizeof(out), "%s.%06uZ", buf, (unsigned)((nsec % 1000000000u) / 1000));
	add_str(o, key, out);
}

/* A record's time more than a day off the daemon's clock (a container's
 * clock, a forged record) would file the event under the wrong day, or a
 * year gmtime cannot show: the daemon's own time stands in for it.  A
 * drop's record is checked against when the kernel says the drop was
 * written (`written`, 0 for a live crash), since it may be reported days
 * later. */
static void add_timestamp(struct json_object *ev, uint64_t sec, uint64_t nsec, uint64_t written)
{
	struct timespec now;

	if (clock_gettime(CLOCK_REALTIME, &now) != 0)
		now = (struct timespec){ 0 };
	uint64_t ref = written ? written : (uint64_t)now.tv_sec;
	if (bb_record_time_off(sec, ref)) {
		tag_daemon_time(ev, sec);
		sec = written ? written : (uint64_t)now.tv_sec;
		nsec = written ? 0 : (uint64_t)now.tv_nsec;
	}
	event_add_time(ev, EV_TIMESTAMP, sec, nsec);
}

static int add_tag(const char *k, size_t kl, const char *v, size_t vl, void *arg)
{
	char key[128], val[256];

	snprintf(key, sizeof(key), "%.*s", (int)kl, k);
	snprintf(val, sizeof(val), "%.*s", (int)vl, v);
	json_object_object_add(arg, key, json_object_new_string(val));
	return 0;
}

/* environment, release, tags: the program's BOOBOO_* win over the config. */
static void add_common(struct json_object *ev, const struct bb_config *cfg,
		const struct bb_record *rec, const char *level, uint64_t written)
{
	struct json_object *tags = json_object_new_object();

	add_str(ev, EV_LEVEL, level);
	add_str(ev, EV_ENVIRONMENT, rec->environment[0] ? rec->environment : cfg->environment);
	add_str(ev, EV_RELEASE, rec->release[0] ? rec->release : cfg->release);
	if (cfg->tags)
		bb_tags_foreach(cfg->tags, add_tag, tags);
	bb_tags_foreach(rec->tags, add_tag, tags);	/* malformed app tags: kept up to the bad pair */
	json_object_object_add(tags, "runtime", json_object_new_string("native"));
	json_object_object_add(ev, EV_TAGS, tags);
	add_timestamp(ev, rec->time_sec, rec->time_nsec, written);
	add_str(ev, EV_PLATFORM, "native");
}

static struct json_object *context_base(const struct runtime_capture *interp)
{
	struct json_object *ctx = json_object_new_object();
	struct json_object *sdk = json_object_new_object();
	struct json_object *rt = json_object_new_object();
	struct json_object *os = json_object_new_object();
	char libc[64];

	add_str(sdk, "name", "booboo-native");
	add_str(sdk, "version", BB_VERSION);
	json_object_object_add(ctx, "sdk", sdk);
	snprintf(libc, sizeof(libc), "glibc %s", gnu_get_libc_version());
	/* the runtime the program's code runs on: an interpreter when there
	 * is one (tags.runtime stays "native": the report is this SDK's) */
	add_str(rt, "name", interp ? interp->name : "native");
	add_str(rt, "version", interp ? interp->version : libc);
	json_object_object_add(ctx, EV_CTX_RUNTIME, rt);
	add_str(os, "name", host_uts.sysname);
	add_str(os, "release", host_uts.release);
	add_str(os, "version", host_uts.version);
	add_str(os, "machine", host_uts.machine);
	if (host_distro[0])
		add_str(os, "distribution", host_distro);
	json_object_object_add(ctx, "os", os);
	return ctx;
}

static struct json_object *argv_array(const struct capture *cap)
{
	struct json_object *arr = json_object_new_array();
	size_t off = 0, n = 0;

	while (cap->cmdline && off < cap->cmdline_len && n < ARGV_MAX) {
		const char *arg = cap->cmdline + off;
		size_t len = strnlen(arg, cap->cmdline_len - off);
		json_object_array_add(arr, json_object_new_string_len(arg,
				(int)(len > ARG_LEN_MAX ? ARG_LEN_MAX : len)));
		off += len + 1;
		n++;
	}
	return arr;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

static struct json_object *process_context(const struct capture *cap)
{
	struct json_object *p = json_object_new_object();

	json_object_object_add(p, "pid", json_object_new_int(cap->pid));
	add_str(p, "name", cap->name);
	add_str(p, EV_PROCESS_EXE, cap->exe);
	json_object_object_add(p, "argv", argv_array(cap));
	json_object_object_add(p, "uid", json_object_new_int64(cap->uid));
	json_object_object_add(p, "gid", json_object_new_int64(cap->gid));
	return p;
}

static struct json_object *signal_context(const struct bb_record *rec)
{
	struct json_object *s = json_object_new_object();
	const char *code = describe_code_name(rec->signo, rec->si_code);
	const char *access = describe_access(rec);

	json_object_object_add(s, "number", json_object_new_int(rec->signo));
	add_str(s, "name", bb_signal_name(rec->signo) ?: "unknown");
	json_object_object_add(s, "code", json_object_new_int(rec->si_code));
	if (code)
		add_str(s, "code_name", code);
	if (describe_code_meaning(rec->signo, rec->si_code))
		add_str(s, "code_meaning", describe_code_meaning(rec->signo, rec->si_code));
	add_hex(s, "address", rec->fault_addr);
	if (access)
		add_str(s, "access", access);
	if (describe_is_stack_overflow(rec))
		json_object_object_add(s, "stack_overflow", json_object_new_boolean(1));
	return s;
}

static struct json_object *registers_context(const struct bb_record *rec)
{
	static const char *const names[BB_NREGS] = {
		"rax", "rdx", "rcx", "rbx", "rsi", "rdi", "rbp", "rsp",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
	};
	struct json_object *r = json_object_new_object();

	for (int i = 0; i < BB_NREGS; i++)
		add_hex(r, names[i], rec->regs[i]);
	add_hex(r, "eflags", rec->eflags);
	return r;
}

static struct json_object *modules_context(const struct symbolized *sym)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < sym->n_modules; i++) {
		struct json_object *m = json_object_new_object();
		add_str(m, "path", sym->modules[i].path);
		add_str(m, "build_id", sym->modules[i].build_id);
		add_hex(m, "base", sym->modules[i].base);
		add_hex(m, "end", sym->modules[i].end);
		json_object_array_add(arr, m);
	}
	return arr;
}

static struct json_object *lines_json(char *const *lines, size_t n)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(lines[i] ? lines[i] : ""));
	return arr;
}

/* gdb's word for what nothing names. */
#define UNKNOWN "??"

/* An empty name is no name: the ingest's strings say something. */
static bool known(const char *s)
{
	return s && *s;
}

/* The C runtime's start files (crt1.o, crti.o, crtbegin.o) are linked
 * into every program but are not its code. */
static bool crt_start_function(const char *name)
{
	static const char *const names[] = {
		"_start", "_init", "_fini", "__libc_csu_init", "__libc_csu_fini",
		"_dl_relocate_static_pie", "deregister_tm_clones", "register_tm_clones",
		"__do_global_dtors_aux", "frame_dummy",
	};

	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i]) == 0)
			return true;
	return false;
}

/* A program's own _start, written with -nostartfiles, has line info:
 * only the start files' code, which never has, is left out. */
static bool frame_in_app(const struct sym_frame *f)
{
	return f->in_app && !(!known(f->filename) && crt_start_function(f->function));
}

static const char *frame_function(const struct sym_frame *f)
{
	return known(f->function) ? f->function : UNKNOWN;
}

/* Without line info a frame is still somewhere: in its module, at line 0.
 * A Python frame has no address: it says it is Python instead. */
static void add_location(struct json_object *o, const struct sym_frame *f)
{
	add_str(o, EV_FUNCTION, frame_function(f));
	add_str(o, EV_FILENAME, known(f->filename) ? f->filename :
			       known(f->module) ? f->module : UNKNOWN);
	json_object_object_add(o, EV_LINENO,
			json_object_new_int(known(f->filename) && f->lineno > 0 ? f->lineno : 0));
	json_object_object_add(o, EV_IN_APP, json_object_new_boolean(frame_in_app(f)));
	if (f->python)
		add_str(o, "platform", "python");
	else
		add_hex(o, "instruction_addr", f->pc);
}

/* No source: an empty line and empty lists, never missing keys. */
static void add_source(struct json_object *o, const struct sym_frame *f)
{
	add_str(o, EV_CONTEXT_LINE, f->context_line);
	json_object_object_add(o, EV_PRE_CONTEXT, lines_json(f->pre_context, f->n_pre));
	json_object_object_add(o, EV_POST_CONTEXT, lines_json(f->post_context, f->n_post));
}

static void add_vars(struct json_object *o, const struct sym_frame *f)
{
	struct json_object *vars = json_object_new_object();

	for (size_t i = 0; i < f->n_vars; i++)
		add_str(vars, f->vars[i].name, f->vars[i].value);
	json_object_object_add(o, EV_VARS, vars);
	if (f->vars_truncated)
		json_object_object_add(o, "vars_truncated", json_object_new_boolean(1));
}

/* The native keys beyond the Python SDK's frame: present when they say
 * something, always of one type. */
static void add_native(struct json_object *o, const struct sym_frame *f)
{
	if (known(f->symbol) && known(f->function) && strcmp(f->symbol, f->function) != 0)
		add_str(o, "symbol", f->symbol);
	if (known(f->filename) && f->colno > 0)
		json_object_object_add(o, "colno", json_object_new_int(f->colno));
	if (known(f->module)) {
		add_str(o, EV_MODULE, f->module);
		add_hex(o, "module_offset", f->module_offset);
	}
	json_object_object_add(o, "inlined", json_object_new_boolean(f->inlined));
	if (f->tail_call)
		json_object_object_add(o, "tail_call", json_object_new_boolean(1));
	if (f->from_symtab)
		json_object_object_add(o, "symbol_only", json_object_new_boolean(1));
}

static struct json_object *frame_json(const struct sym_frame *f)
{
	struct json_object *o = json_object_new_object();

	add_location(o, f);
	add_source(o, f);
	add_vars(o, f);
	if (!f->python)
		add_native(o, f);
	return o;
}

/* Oldest call first: the reverse of the unwinder's order. */
static struct json_object *stacktrace_json(const struct symbolized *sym)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = sym->n_frames; i-- > 0;)
		json_object_array_add(arr, frame_json(&sym->frames[i]));
	return arr;
}

/* chain_type is the one key that may be null: the Python SDK sends None
 * for the outermost exception (its docs' event shape), and the ingest
 * takes that. */
static void add_chained(struct json_object *arr, const char *type, const char *value,
		struct json_object *stack, const char *chain_type)
{
	struct json_object *ex = json_object_new_object();

	/* an unnamed one is "error", as the API names an unnamed error */
	add_str(ex, EV_EX_TYPE, known(type) ? type : "error");
	add_str(ex, EV_EX_VALUE, value);
	json_object_object_add(ex, EV_STACKTRACE, stack);
	json_object_object_add(ex, "chain_type",
			chain_type ? json_object_new_string(chain_type) : NULL);
	json_object_array_add(arr, ex);
}

/* "exceptions": the one reported, then what it was thrown from
 * (std::throw_with_nested), as "cause".  A cause's own stack was unwound
 * when it was caught: its stacktrace is empty, never made up. */
static void add_exceptions(struct json_object *ev, const char *type, const char *value,
		struct json_object *stack, const struct capture *cap, bool uncaught)
{
	struct json_object *arr = json_object_new_array();
	char name[BB_TYPE_MAX];

	add_chained(arr, type, value, stack, NULL);
	if (cap->rec.kind == BB_REC_ERROR) {
		for (uint32_t i = 0; i < cap->rec.n_causes; i++) {
			snprintf(name, sizeof(name), "%s", cap->rec.cause_type[i]);
			describe_unwrap_nested(name);
			add_chained(arr, name, cap->rec.cause_value[i], json_object_new_array(),
				    "cause");
		}
	} else if (uncaught) {
		for (size_t i = 0; i < cap->exception.n_causes; i++) {
			const struct cxx_cause *c = &cap->exception.causes[i];
			add_chained(arr, c->type, c->what ? c->what : "", json_object_new_array(),
				    "cause");
		}
	}
	json_object_object_add(ev, EV_EXCEPTIONS, arr);
}

static void add_user_request(struct json_object *ev, struct json_object *ctx,
		const struct bb_record *rec)
{
	if (rec->user_id[0] || rec->user_email[0] || rec->user_username[0] || rec->user_ip[0]) {
		struct json_object *u = json_object_new_object();
		if (rec->user_id[0])
			add_str(u, "id", rec->user_id);
		if (rec->user_email[0])
			add_str(u, "email", rec->user_email);
		if (rec->user_username[0])
			add_str(u, "username", rec->user_username);
		if (rec->user_ip[0])
			add_str(u, "ip_address", rec->user_ip);
		json_object_object_add(ctx, EV_CTX_USER, u);
	}
	if (rec->request_method[0] || rec->request_url[0]) {
		struct json_object *r = json_object_new_object();
		add_str(r, "method", rec->request_method);
		add_str(r, "url", rec->request_url);
		json_object_object_add(ev, EV_REQUEST, r);
	}
}

/* Python frames left out of the middle of the crashed thread's stack. */
static size_t python_omitted(const struct capture *cap)
{
	for (size_t i = 0; cap->runtime && i < cap->runtime->n_threads; i++)
		if (cap->runtime->threads[i].tid == cap->rec.tid)
			return cap->runtime->threads[i].omitted;
	return 0;
}

/* Rust's name of a thread that panicked ("main", "<unnamed>"), whole;
 * else the kernel's. */
static const char *thread_name(const struct bb_record *rec)
{
	return rec->panic_thread[0] ? rec->panic_thread : rec->thread_name;
}

static struct json_object *thread_context(const struct capture *cap)
{
	struct json_object *thread = json_object_new_object();

	json_object_object_add(thread, "tid", json_object_new_int(cap->rec.tid));
	add_str(thread, "name", thread_name(&cap->rec));
	json_object_object_add(thread, "crashed", json_object_new_boolean(
			cap->rec.kind == BB_REC_CRASH || cap->rec.kind == BB_REC_PANIC));
	size_t omitted = cap->frames_omitted + python_omitted(cap);
	if (omitted)
		json_object_object_add(thread, "frames_omitted", json_object_new_int64((int64_t)omitted));
	if (cap->frames_truncated)
		json_object_object_add(thread, "frames_truncated", json_object_new_boolean(1));
	return thread;
}

/* The function that crashed, or the innermost of the program's own
 * native code (inner to any Python frame: where in Python is said apart). */
static const char *crash_function(const struct symbolized *sym, bool in_app)
{
	for (size_t i = 0; i < sym->n_frames && !sym->frames[i].python; i++)
		if (!in_app || frame_in_app(&sym->frames[i]))
			return sym->frames[i].function;
	return NULL;
}

/* ", called from score (job.py:12)": the innermost Python frame, the
 * program's own if one is, after what happened natively. */
static void add_python_where(const struct symbolized *sym, char *message, size_t len)
{
	const struct sym_frame *where = NULL;

	for (size_t i = 0; i < sym->n_frames; i++) {
		const struct sym_frame *f = &sym->frames[i];
		if (f->python && !where)
			where = f;
		if (f->python && f->in_app) {
			where = f;
			break;
		}
	}
	size_t used = strlen(message);
	if (where && used < len)
		snprintf(message + used, len - used, ", called from %s (%s:%d)", frame_function(where),
			 base_name(known(where->filename) ? where->filename : UNKNOWN), where->lineno);
}

/* Compact frames for context.threads: where each thread was, oldest first. */
static struct json_object *brief_frames(const struct sym_frame *frames, size_t n)
{
	struct json_object *arr = json_object_new_array();

	for (size_t i = n; i-- > 0;) {
		const struct sym_frame *f = &frames[i];
		struct json_object *o = json_object_new_object();
		add_location(o, f);
		json_object_array_add(arr, o);
	}
	return arr;
}

static struct json_object *threads_context(const struct capture *cap,
		const struct symbolized *sym)
{
	struct json_object *arr = json_object_new_array();
	struct json_object *t = json_object_new_object();

	json_object_object_add(t, "tid", json_object_new_int(cap->rec.tid));
	add_str(t, "name", thread_name(&cap->rec));
	json_object_object_add(t, "crashed", json_object_new_boolean(1));
	json_object_object_add(t, "frames", brief_frames(sym->frames, sym->n_frames));
	json_object_array_add(arr, t);
	for (size_t i = 0; i < sym->n_threads; i++) {
		const struct sym_thread *st = &sym->threads[i];
		t = json_object_new_object();
		json_object_object_add(t, "tid", json_object_new_int(st->tid));
		add_str(t, "name", st->name);
		json_object_object_add(t, "crashed", json_object_new_boolean(0));
		if (st->state == 'D')
			add_str(t, "state", "uninterruptible sleep (in the kernel): not stopped, no frames");
		json_object_object_add(t, "frames", brief_frames(st->frames, st->n_frames));
		json_object_array_add(arr, t);
	}
	return arr;
}

/* An abort is an uncaught C++ exception when std::terminate was reached
 * from the C++ runtime's throw path, not just any abort after a throw. */
static bool uncaught_exception(const struct capture *cap, const struct symbolized *sym)
{
	static const char *const marks[] = {
		"std::terminate", "__cxa_throw", "__cxa_rethrow", "std::rethrow_exception",
		"__cxxabiv1::__terminate", "__cxa_call_terminate",
	};

	if (!cap->has_exception || cap->rec.signo != SIGABRT)
		return false;
	for (size_t i = 0; i < sym->n_frames; i++)
		for (size_t k = 0; k < sizeof(marks) / sizeof(marks[0]); k++)
			if (sym->frames[i].function &&
			    strncmp(sym->frames[i].function, marks[k], strlen(marks[k])) == 0)
				return true;
	return false;
}

static struct json_object *exception_context(const struct cxx_exception *ex)
{
	struct json_object *o = json_object_new_object();
	struct json_object *bases = json_object_new_array();

	add_str(o, "type", ex->type);
	if (ex->what)
		add_str(o, "what", ex->what);
	for (size_t i = 0; i < ex->n_bases; i++)
		json_object_array_add(bases, json_object_new_string(ex->bases[i]));
	json_object_object_add(o, EV_EXCEPTION_BASES, bases);
	return o;
}

/* The event's type and message: what happened, in words.  type_buf
 * holds a type that is not a constant. */
static const char *what_happened(const struct capture *cap, const struct symbolized *sym,
		bool uncaught, struct json_object *ctx, char *type_buf, size_t type_len,
		char *message, size_t len)
{
	const struct bb_record *rec = &cap->rec;

	if (rec->kind == BB_REC_PANIC) {
		rust_panic_message(rec, cap->panic_payload, sym, crash_function(sym, true), message,
				   len);
		return RUST_PANIC_TYPE;
	}
	if (rec->kind == BB_REC_ERROR) {
		snprintf(type_buf, type_len, "%s", rec->error_type[0] ? rec->error_type : "error");
		describe_unwrap_nested(type_buf);
		snprintf(message, len, "%s", rec->message);
		if (cap->has_exception)	/* its base classes, for ignore_errors */
			json_object_object_add(ctx, EV_CTX_EXCEPTION, exception_context(&cap->exception));
		return type_buf;
	}
	if (uncaught) {
		if (cap->exception.what)
			snprintf(message, len, "%s", cap->exception.what);
		else
			snprintf(message, len, "terminate called after throwing an instance of '%s'",
				 cap->exception.type);
		json_object_object_add(ctx, EV_CTX_EXCEPTION, exception_context(&cap->exception));
		return cap->exception.type;
	}
	if (rec->signo == SIGABRT && rust_panic_on_stack(sym)) {
		rust_panic_abort_message(rec, crash_function(sym, true), message, len);
	} else if (cap->abort_msg) {
		snprintf(message, len, "%s", cap->abort_msg);
		add_python_where(sym, message, len);
	} else {
		describe_message(rec, crash_function(sym, false), crash_function(sym, true),
				 message, len);
		add_python_where(sym, message, len);
	}
	return bb_signal_name(rec->signo) ?: "signal";
}

struct json_object *event_from_crash(const struct bb_config *cfg,
		const struct capture *cap, const struct symbolized *sym)
{
	struct json_object *ev = json_object_new_object();
	struct json_object *ctx = context_base(cap->runtime);
	bool is_signal = cap->rec.kind == BB_REC_CRASH;
	char message[BB_MESSAGE_MAX + BB_WHERE_MAX + 64], error_type[BB_TYPE_MAX];
	bool uncaught = is_signal && uncaught_exception(cap, sym);
	const char *type = what_happened(cap, sym, uncaught, ctx, error_type, sizeof(error_type),
					 message, sizeof(message));

	add_str(ev, EV_MESSAGE, message);
	add_str(ev, EV_EXCEPTION_TYPE, type);
	add_common(ev, cfg, &cap->rec, "error", cap->written_at);
	if (cap->written_at) {	/* from a drop: no daemon was there at the crash */
		struct json_object *drop = json_object_new_object();
		event_add_time(drop, "written", cap->written_at, 0);
		json_object_object_add(drop, "reported_late", json_object_new_boolean(1));
		json_object_object_add(ctx, "drop", drop);
	}

	json_object_object_add(ctx, EV_CTX_PROCESS, process_context(cap));
	json_object_object_add(ctx, EV_CTX_THREAD, thread_context(cap));
	if (is_signal)
		json_object_object_add(ctx, "signal", signal_context(&cap->rec));
	if (cap->rec.has_regs)
		json_object_object_add(ctx, "registers", registers_context(&cap->rec));
	json_object_object_add(ctx, "modules", modules_context(sym));
	if (is_signal) {
		json_object_object_add(ctx, "threads", threads_context(cap, sym));
		if (cap->threads_error[0])
			add_str(ctx, "threads_error", cap->threads_error);
	}
	if (cap->unwind_error[0])
		add_str(ctx, "unwind_error", cap->unwind_error);
	if (cap->runtime && cap->runtime->error[0])
		add_str(ctx, "runtime_error", cap->runtime->error);
	add_user_request(ev, ctx, &cap->rec);
	json_object_object_add(ev, EV_CONTEXT, ctx);

	json_object_object_add(ev, EV_STACKTRACE, stacktrace_json(sym));
	add_exceptions(ev, type, message, stacktrace_json(sym), cap, uncaught);
	return ev;
}

struct json_object *event_from_message(const struct bb_config *cfg,
		const struct bb_record *rec, pid_t pid, uid_t uid, const char *exe)
{
	struct json_object *ev = json_object_new_object();
	struct json_object *ctx = context_base(NULL);
	struct json_object *proc = json_object_new_object();

	add_str(ev, EV_MESSAGE, rec->message);
	add_str(ev, EV_EXCEPTION_TYPE, "");
	add_common(ev, cfg, rec, rec->level, 0);
	json_object_object_add(proc, "pid", json_object_new_int(pid));
	add_str(proc, "name", base_name(exe));
	add_str(proc, EV_PROCESS_EXE, exe);
	json_object_object_add(proc, "uid", json_object_new_int64(uid));
	json_object_object_add(ctx, EV_CTX_PROCESS, proc);
	add_user_request(ev, ctx, rec);
	json_object_object_add(ev, EV_CONTEXT, ctx);
	json_object_object_add(ev, EV_STACKTRACE, json_object_new_array());
	json_object_object_add(ev, EV_EXCEPTIONS, json_object_new_array());
	return ev;
}

char *event_serialize(struct json_object *ev, size_t *len)
{
	size_t raw_len;
	const char *raw = json_object_to_json_string_length(ev,
			JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, &raw_len);

	/* JSON's own syntax is ASCII: replacing invalid sequences can only
	 * touch the insides of strings. */
	return raw ? utf8_valid_copy(raw, raw_len, len) : NULL;
}
