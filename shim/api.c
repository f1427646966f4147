/*
 * api.c - the public API (booboo.h) and the per-process state it keeps:
 * user, tags, and each thread's request.
 *
 * The setters run in normal context and take a lock among themselves; the
 * crash handler reads the same static buffers without one (a torn value
 * in a crash report beats a deadlock in a crash handler).  Every buffer
 * is written with its terminator last, so a reader always finds one.
 */
#include <asm/prctl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "booboo.h"
#include "shim.h"

#define API __attribute__((visibility("default")))
#define MAX_TAGS 32
#define TAG_KEY_MAX 64
#define TAG_VALUE_MAX 128

struct request {
	char method[BB_METHOD_MAX];
	char url[BB_URL_MAX];
};

static pthread_mutex_t api_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char id[BB_USER_FIELD_MAX], email[BB_USER_FIELD_MAX];
	char username[BB_USER_FIELD_MAX], ip[BB_USER_FIELD_MAX];
} user;
static struct {
	char key[TAG_KEY_MAX];
	char value[TAG_VALUE_MAX];
} tags[MAX_TAGS];
/* A pointer, not the struct: keeps static TLS small for every thread. */
static __thread __attribute__((tls_model("initial-exec"))) struct request *thread_request;

/* ---- async-signal-safe helpers ----------------------------------------- */

static void copy_bounded(char *dst, size_t cap, const char *src)
{
	size_t n = 0;

	if (src)
		while (n + 1 < cap && src[n])
			n++;
	memcpy(dst, src ? src : "", n);
	dst[n] = '\0';
}

static size_t append(char *dst, size_t len, size_t cap, const char *src)
{
	while (len + 1 < cap && *src)
		dst[len++] = *src++;
	dst[len] = '\0';
	return len;
}

/* BOOBOO_TAGS first, then the API's tags; the daemon lets later win. */
static void fill_tags(struct bb_record *rec)
{
	size_t len = strlen(rec->tags);

	for (size_t i = 0; i < MAX_TAGS; i++) {
		if (!tags[i].key[0])
			continue;
		if (len + strlen(tags[i].key) + strlen(tags[i].value) + 3 >= sizeof(rec->tags))
			break;
		if (len)
			len = append(rec->tags, len, sizeof(rec->tags), ",");
		len = append(rec->tags, len, sizeof(rec->tags), tags[i].key);
		len = append(rec->tags, len, sizeof(rec->tags), "=");
		len = append(rec->tags, len, sizeof(rec->tags), tags[i].value);
	}
}

void shim_fill_identity(struct bb_record *rec)
{
	struct timespec ts;
	ssize_t n;

	rec->pid = (int32_t)syscall(SYS_getpid);
	rec->tid = (int32_t)syscall(SYS_gettid);
	clock_gettime(CLOCK_REALTIME, &ts);
	rec->time_sec = (uint64_t)ts.tv_sec;
	rec->time_nsec = (uint64_t)ts.tv_nsec;
	prctl(PR_GET_NAME, rec->thread_name, 0, 0, 0);
	rec->thread_name[sizeof(rec->thread_name) - 1] = '\0';
	n = readlink("/proc/self/exe", rec->exe, sizeof(rec->exe) - 1);
	rec->exe[n > 0 ? n : 0] = '\0';
	syscall(SYS_arch_prctl, ARCH_GET_FS, &rec->fs_base);
	copy_bounded(rec->user_id, sizeof(rec->user_id), user.id);
	copy_bounded(rec->user_email, sizeof(rec->user_email), user.email);
	copy_bounded(rec->user_username, sizeof(rec->user_username), user.username);
	copy_bounded(rec->user_ip, sizeof(rec->user_ip), user.ip);
	fill_tags(rec);
	struct request *r = thread_request;
	if (r) {
		copy_bounded(rec->request_method, sizeof(rec->request_method), r->method);
		copy_bounded(rec->request_url, sizeof(rec->request_url), r->url);
	}
}

void shim_fill_registers(struct bb_record *rec, const ucontext_t *uc)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	static const int map[BB_NREGS] = {
		REG_RAX, REG_RDX, REG_RCX, REG_RBX, REG_RSI, REG_RDI, REG_RBP, REG_RSP,
		REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14, REG_R15,
		REG_RIP,
	};

	for (int i = 0; i < BB_NREGS; i++)
		rec->regs[i] = (uint64_t)g[map[i]];
	rec->eflags = (uint64_t)g[REG_EFL];
	rec->err = (uint64_t)g[REG_ERR];
	rec->trapno = (uint64_t)g[REG_TRAPNO];
	rec->has_regs = 1;
}

/* ---- state ------------------------------------------------------------------ */

static void free_request(void *p)
{
	free(p);
}

void shim_api_init(void)
{
	shim_load.has_request_key = pthread_key_create(&shim_load.request_key, free_request) == 0;
}

API void booboo_set_user(const char *id, const char *email, const char *username,
		const char *ip_address)
{
	pthread_mutex_lock(&api_lock);
	copy_bounded(user.id, sizeof(user.id), id);
	copy_bounded(user.email, sizeof(user.email), email);
	copy_bounded(user.username, sizeof(user.username), username);
	copy_bounded(user.ip, sizeof(user.ip), ip_address);
	pthread_mutex_unlock(&api_lock);
}

static int tag_text_ok(const char *s, size_t max)
{
	return s && *s && strlen(s) < max && !strpbrk(s, ",=");
}

API int booboo_set_tag(const char *key, const char *value)
{
	int rc = -1;
	size_t i, free_slot = MAX_TAGS;

	if (!tag_text_ok(key, TAG_KEY_MAX) || (value && !tag_text_ok(value, TAG_VALUE_MAX) && *value))
		return -1;
	pthread_mutex_lock(&api_lock);
	for (i = 0; i < MAX_TAGS; i++) {
		if (tags[i].key[0] && strcmp(tags[i].key, key) == 0)
			break;
		if (!tags[i].key[0] && free_slot == MAX_TAGS)
			free_slot = i;
	}
	if (i == MAX_TAGS)
		i = free_slot;
	if (i < MAX_TAGS) {
		if (!value) {
			tags[i].key[0] = '\0';
		} else {
			tags[i].key[0] = '\0';	/* hidden while it changes */
			copy_bounded(tags[i].value, sizeof(tags[i].value), value);
			copy_bounded(tags[i].key, sizeof(tags[i].key), key);
		}
		rc = 0;
	}
	pthread_mutex_unlock(&api_lock);
	return rc;
}

API void booboo_set_request(const char *method, const char *url)
{
	struct request *r = thread_request;

	/* Without our key (BOOBOO_DISABLE, or none was free) key 0 would be
	 * another library's: nothing is kept. */
	if (!shim_load.has_request_key)
		return;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return;
		pthread_setspecific(shim_load.request_key, r);	/* freed at thread exit */
		thread_request = r;
	}
	r->url[0] = '\0';
	copy_bounded(r->method, sizeof(r->method), method);
	copy_bounded(r->url, sizeof(r->url), url);
}

API void booboo_clear_request(void)
{
	struct request *r = thread_request;

	if (r) {
		r->method[0] = '\0';
		r->url[0] = '\0';
	}
}

/* ---- captures ------------------------------------------------------------------ */

static int level_ok(const char *level)
{
	return strcmp(level, "info") == 0 || strcmp(level, "warning") == 0 ||
	       strcmp(level, "error") == 0;
}

API int booboo_capture_message(const char *message, const char *level)
{
	struct bb_record rec;

	if (!shim_load.enabled || !message)
		return -1;
	if (!level)
		level = "info";
	if (!level_ok(level))
		return -1;
	shim_record_start(&rec, BB_REC_MESSAGE);
	shim_fill_identity(&rec);
	copy_bounded(rec.level, sizeof(rec.level), level);
	copy_bounded(rec.message, sizeof(rec.message), message);
	return shim_transport_post(&rec);	/* queued, as the Python SDK's: no wait */
}

_Static_assert(BOOBOO_CAUSES_MAX == BB_CAUSES_MAX, "booboo.h and record.h disagree");

/* A handled error with the caller's stack; causes may be NULL. */
static int capture_error(const char *type, const char *message,
		const struct booboo_exception *causes, size_t n_causes,
		const void *object, const void *type_info)
{
	struct bb_record rec;
	ucontext_t uc;

	if (!shim_load.enabled)
		return -1;
	shim_record_start(&rec, BB_REC_ERROR);
	shim_fill_identity(&rec);
	copy_bounded(rec.level, sizeof(rec.level), "error");
	copy_bounded(rec.error_type, sizeof(rec.error_type), type ? type : "error");
	copy_bounded(rec.message, sizeof(rec.message), message ? message : "");
	/* what the daemon needs to match ignore_errors against base classes */
	rec.exc_object = (uintptr_t)object;
	rec.exc_tinfo = (uintptr_t)type_info;
	for (size_t i = 0; causes && i < n_causes && i < BB_CAUSES_MAX; i++) {
		copy_bounded(rec.cause_type[i], sizeof(rec.cause_type[i]),
			     causes[i].type ? causes[i].type : "error");
		copy_bounded(rec.cause_value[i], sizeof(rec.cause_value[i]),
			     causes[i].message ? causes[i].message : "");
		rec.n_causes++;
	}
	/* The daemon unwinds from here; the shim's own frames are left out
	 * of the report. */
	if (getcontext(&uc) != 0)
		return -1;
	shim_fill_registers(&rec, &uc);
	return shim_transport_send(&rec, true);
}

API int booboo_capture_error(const char *type, const char *message)
{
	return capture_error(type, message, NULL, 0, NULL, NULL);
}

API int booboo_capture_exception(const struct booboo_exception *chain, size_t n,
		const void *object, const void *type_info)
{
	if (!chain || n == 0)
		return -1;
	return capture_error(chain[0].type, chain[0].message, chain + 1, n - 1,
			     object, type_info);
}
