/*
 * record.c - validation of the wire record, for the daemon (which trusts
 * nothing it receives: from the socket, and inside drops).  Nothing here
 * allocates or locks, so the shim may link it too.
 */
#include <signal.h>
#include <string.h>

#include "record.h"

static int terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

static int causes_terminated(const struct bb_record *r)
{
	for (size_t i = 0; i < BB_CAUSES_MAX; i++)
		if (!terminated(r->cause_type[i], sizeof(r->cause_type[i])) ||
		    !terminated(r->cause_value[i], sizeof(r->cause_value[i])))
			return 0;
	return 1;
}

static int strings_terminated(const struct bb_record *r)
{
	return terminated(r->thread_name, sizeof(r->thread_name)) &&
	       terminated(r->exe, sizeof(r->exe)) &&
	       terminated(r->environment, sizeof(r->environment)) &&
	       terminated(r->release, sizeof(r->release)) &&
	       terminated(r->tags, sizeof(r->tags)) &&
	       terminated(r->level, sizeof(r->level)) &&
	       terminated(r->message, sizeof(r->message)) &&
	       terminated(r->error_type, sizeof(r->error_type)) &&
	       terminated(r->user_id, sizeof(r->user_id)) &&
	       terminated(r->user_email, sizeof(r->user_email)) &&
	       terminated(r->user_username, sizeof(r->user_username)) &&
	       terminated(r->user_ip, sizeof(r->user_ip)) &&
	       terminated(r->request_method, sizeof(r->request_method)) &&
	       terminated(r->request_url, sizeof(r->request_url)) &&
	       terminated(r->panic_where, sizeof(r->panic_where)) &&
	       terminated(r->panic_thread, sizeof(r->panic_thread)) &&
	       causes_terminated(r);
}

static int level_valid(const char *level)
{
	return strcmp(level, "info") == 0 || strcmp(level, "warning") == 0 ||
	       strcmp(level, "error") == 0;
}

/* A site's first panic is held (registers); the later ones are counts
 * (none).  Only a panic has a site or a count. */
static int panic_fields_valid(const struct bb_record *r)
{
	if (r->panic_reserved != 0)
		return 0;
	if (r->kind != BB_REC_PANIC)
		return r->panic_site == 0 && r->panic_count == 0 && r->panic_first_sec == 0;
	if (r->panic_count == 0)
		return r->panic_first_sec == 0;
	return r->has_regs == 0 && r->panic_first_sec <= r->time_sec;
}

enum bb_record_err bb_record_parse(const void *buf, size_t len, struct bb_record *out)
{
	if (len != sizeof(*out))
		return BB_REC_ESIZE;
	memcpy(out, buf, sizeof(*out));
	if (out->magic != BB_RECORD_MAGIC)
		return BB_REC_EMAGIC;
	if (out->version != BB_RECORD_VERSION)
		return BB_REC_EVERSION;
	if (out->size != sizeof(*out))
		return BB_REC_ESIZE;
	if (out->flags != 0 || out->reserved != 0)
		return BB_REC_EFLAGS;
	if (out->n_causes > BB_CAUSES_MAX ||
	    (out->n_causes && out->kind != BB_REC_ERROR))
		return BB_REC_ECOUNT;
	if (out->pid <= 0 || out->tid <= 0)
		return BB_REC_EPID;
	if (out->time_nsec >= 1000000000u)
		return BB_REC_ETIME;
	if (!strings_terminated(out))
		return BB_REC_ESTRING;
	if (!panic_fields_valid(out))
		return BB_REC_EPANIC;
	switch (out->kind) {
	case BB_REC_CRASH:
		if (out->signo < 1 || out->signo > 64)
			return BB_REC_ESIGNAL;
		if (out->has_regs > 1)
			return BB_REC_EFLAGS;
		break;
	case BB_REC_ERROR:
	case BB_REC_PANIC:
		if (out->has_regs > 1)
			return BB_REC_EFLAGS;
		__attribute__((fallthrough));	/* like a message, with a stack */
	case BB_REC_MESSAGE:
		if (out->signo != 0)
			return BB_REC_ESIGNAL;
		if (!level_valid(out->level))
			return BB_REC_ELEVEL;
		break;
	default:
		return BB_REC_EKIND;
	}
	return BB_REC_OK;
}

int bb_record_held(const struct bb_record *rec)
{
	return rec->kind == BB_REC_CRASH || rec->kind == BB_REC_ERROR ||
	       (rec->kind == BB_REC_PANIC && rec->panic_count == 0);
}

void bb_record_init(struct bb_record *rec, enum bb_record_kind kind)
{
	memset(rec, 0, sizeof(*rec));
	rec->magic = BB_RECORD_MAGIC;
	rec->version = BB_RECORD_VERSION;
	rec->kind = (uint16_t)kind;
	rec->size = sizeof(*rec);
}

const char *bb_record_kind_name(const struct bb_record *rec)
{
	switch (rec->kind) {
	case BB_REC_CRASH: return "crash";
	case BB_REC_MESSAGE: return "message";
	case BB_REC_ERROR: return "error";
	case BB_REC_PANIC: return rec->panic_count ? "panic count" : "panic";
	}
	return "record";
}

const char *bb_record_strerror(enum bb_record_err err)
{
	switch (err) {
	case BB_REC_OK: return "ok";
	case BB_REC_ESIZE: return "wrong record size";
	case BB_REC_EMAGIC: return "bad magic (not a booboo record)";
	case BB_REC_EVERSION: return "unsupported record version";
	case BB_REC_EKIND: return "unknown record kind";
	case BB_REC_ESIGNAL: return "signal number out of range";
	case BB_REC_ESTRING: return "unterminated string field";
	case BB_REC_ELEVEL: return "level is not info, warning or error";
	case BB_REC_EPID: return "pid or tid not positive";
	case BB_REC_EFLAGS: return "reserved flags set";
	case BB_REC_ECOUNT: return "too many exception causes, or causes in a record that has none";
	case BB_REC_ETIME: return "timestamp nanoseconds not below 1000000000";
	case BB_REC_EPANIC: return "panic site or count in a record that is no panic, a panic "
				   "count with registers, or its first time after its last";
	}
	return "unknown record error";
}

int bb_record_time_off(uint64_t sec, uint64_t now)
{
	return sec > now ? sec - now > BB_TIME_SKEW_MAX_SEC : now - sec > BB_TIME_SKEW_MAX_SEC;
}

int bb_tags_foreach(const char *text, int (*fn)(const char *key, size_t klen,
		const char *val, size_t vlen, void *arg), void *arg)
{
	const char *p = text;

	while (*p) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *eq;

		while (n && (*p == ' ' || *p == '\t'))
			p++, n--;
		eq = memchr(p, '=', n);
		if (n == 0) {	/* tolerate "a=b," and ",," */
			p = end ? end + 1 : p;
			if (!end)
				break;
			continue;
		}
		if (!eq || eq == p)
			return -1;
		size_t klen = (size_t)(eq - p);
		while (klen && (p[klen - 1] == ' ' || p[klen - 1] == '\t'))
			klen--;
		const char *val = eq + 1;
		size_t vlen = n - (size_t)(val - p);
		while (vlen && (*val == ' ' || *val == '\t'))
			val++, vlen--;
		while (vlen && (val[vlen - 1] == ' ' || val[vlen - 1] == '\t'))
			vlen--;
		if (klen == 0)
			return -1;
		if (fn && fn(p, klen, val, vlen, arg) != 0)
			return -1;
		if (!end)
			break;
		p = end + 1;
	}
	return 0;
}

const char *bb_signal_name(int signo)
{
	switch (signo) {
	case SIGSEGV: return "SIGSEGV";
	case SIGBUS: return "SIGBUS";
	case SIGILL: return "SIGILL";
	case SIGFPE: return "SIGFPE";
	case SIGABRT: return "SIGABRT";
	case SIGTRAP: return "SIGTRAP";
	case SIGSYS: return "SIGSYS";
	case SIGPIPE: return "SIGPIPE";
	case SIGTERM: return "SIGTERM";
	case SIGKILL: return "SIGKILL";
	case SIGINT: return "SIGINT";
	case SIGQUIT: return "SIGQUIT";
	case SIGHUP: return "SIGHUP";
	case SIGUSR1: return "SIGUSR1";
	case SIGUSR2: return "SIGUSR2";
	case SIGALRM: return "SIGALRM";
	case SIGXCPU: return "SIGXCPU";
	case SIGXFSZ: return "SIGXFSZ";
	}
	return NULL;
}
