/*
 * panic.c - Rust panics, seen where they start unwinding.
 *
 * With panic = "unwind" (rustc's default) a panic raises an exception of
 * class "MOZ\0RUST" through libgcc_s's _Unwind_RaiseException, which the
 * shim stands in front of: the panic site is still on the stack, and the
 * hook has just written its words (panic_text.c).  Whether something will
 * catch it cannot be known there: every panic is caught, by std itself at
 * the thread's top (that is how main's panic becomes exit status 101) or
 * by the program's catch_unwind, and which one is a question of symbols.
 * So every panic is reported, as Sentry's Rust SDK reports each through
 * its hook: a panic is a bug, also when something catches it.
 *
 * Cheap in a loop: a site's first panic in the process (a site: where it
 * panicked, from the hook's words, or the return addresses when the hook
 * said nothing) is sent like booboo_capture_error, the thread held while
 * the daemon reads its stack; the later ones at the same site are counted
 * (a few atomic operations) and the count is posted, not waited for, at
 * most once a second per site and at exit.  The daemon makes the count
 * repeats of the site's first event, grouped as other repeats are.
 *
 * Nothing here allocates or takes a lock of the program's: a panic may
 * happen inside an allocator or under a lock.  The unwinder is found at
 * the first panic without dlsym (elf_next.c).
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>
#include <unwind.h>

#include "shim.h"

/* "MOZ\0RUST": a big-endian number in rustc 1.63's exceptions, the bytes
 * in order in 1.95's */
#define RUST_CLASS_BE 0x4d4f5a0052555354ull
#define RUST_CLASS_BYTES 0x54535552005a4f4dull
#define SITES 256
#define COUNT_EVERY_MS 1000
#define STACK_KEY_FRAMES 24

struct site {
	_Atomic uint64_t key;	/* 0: free */
	atomic_uint pending;	/* panics here since the last count went */
	_Atomic uint64_t first_sec;	/* the first of them */
	atomic_long next_count_ms;	/* no count goes before */
};

static struct site sites[SITES];
static atomic_int sites_pid;	/* whose they are: a forked child's are its parent's */

typedef _Unwind_Reason_Code (*raise_fn)(struct _Unwind_Exception *);
typedef _Unwind_Reason_Code (*backtrace_fn)(_Unwind_Trace_Fn, void *);
typedef _Unwind_Ptr (*get_ip_fn)(struct _Unwind_Context *);

static _Atomic(void *) next_raise, next_backtrace, next_get_ip;

/* ---- where it panicked ------------------------------------------------- */

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	for (const unsigned char *c = p; n--; c++)
		h = (h ^ *c) * 0x100000001b3ull;
	return h;
}

struct trace {
	get_ip_fn get_ip;
	uint64_t hash;
	int frames;
};

static _Unwind_Reason_Code hash_frame(struct _Unwind_Context *ctx, void *arg)
{
	struct trace *t = arg;
	uintptr_t ip = t->get_ip(ctx);

	t->hash = fnv(t->hash, &ip, sizeof(ip));
	return ++t->frames < STACK_KEY_FRAMES ? _URC_NO_REASON : _URC_END_OF_STACK;
}

/* "src/main.rs:14:9" when the hook said it, else the innermost return
 * addresses (a loop's panics return through the same ones). */
static uint64_t site_key(const struct panic_words *w)
{
	uint64_t h = 0xcbf29ce484222325ull;

	if (w && w->where_len) {
		h = fnv(h, w->where, w->where_len);
	} else {
		struct trace t = { (get_ip_fn)shim_elf_next_cached(&next_get_ip, "_Unwind_GetIP"),
				   h, 0 };
		backtrace_fn bt = (backtrace_fn)shim_elf_next_cached(&next_backtrace,
								     "_Unwind_Backtrace");
		if (bt && t.get_ip)
			bt(hash_frame, &t);
		h = t.hash;
	}
	return h ? h : 1;
}

/* The site's slot, claimed when new (*first); NULL when all are taken. */
static struct site *site_of(uint64_t key, bool *first)
{
	int pid = (int)getpid(), was = atomic_load(&sites_pid);

	/* A forked child's table is its parent's: not its sites, not its
	 * counts to send.  (A pthread_atfork handler would say so at no cost
	 * per panic, but registering it costs every program's start.) */
	if (was != pid && atomic_compare_exchange_strong(&sites_pid, &was, pid) && was != 0)
		memset(sites, 0, sizeof(sites));
	for (size_t i = 0; i < SITES; i++) {
		struct site *s = &sites[(key + i) % SITES];
		uint64_t k = atomic_load(&s->key);
		if (k == 0 && atomic_compare_exchange_strong(&s->key, &k, key)) {
			atomic_store(&s->next_count_ms, shim_now_ms() + COUNT_EVERY_MS);
			*first = true;
			return s;
		}
		if (k == key)
			return s;
	}
	return NULL;
}

/* ---- the record ---------------------------------------------------------- */

static void copy_slice(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		n = cap - 1;	/* the daemon mends a cut UTF-8 sequence */
	memcpy(dst, src, n);
	dst[n] = '\0';
}

void shim_panic_fill_words(struct bb_record *rec, const struct panic_words *w)
{
	if (!w)
		return;
	copy_slice(rec->message, sizeof(rec->message), w->message, w->message_len);
	copy_slice(rec->panic_where, sizeof(rec->panic_where), w->where, w->where_len);
	copy_slice(rec->panic_thread, sizeof(rec->panic_thread), w->thread, w->thread_len);
}

static void start_panic_record(struct bb_record *rec, uint64_t key, const struct panic_words *w)
{
	shim_record_start(rec, BB_REC_PANIC);
	shim_fill_identity(rec);
	memcpy(rec->level, "error", sizeof("error"));
	rec->panic_site = key;
	shim_panic_fill_words(rec, w);
}

/* A record is big (~9 KiB): mapped for the send, not put on a stack the
 * program may have made small (a Rust thread's may be 16 KiB). */
struct send_space {
	struct bb_record rec;
	ucontext_t uc;
};

static struct send_space *space_map(void)
{
	void *m = mmap(NULL, sizeof(struct send_space), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return m == MAP_FAILED ? NULL : m;
}

/* The site's first panic: held while the daemon reads the stack, as
 * booboo_capture_error is. */
static void send_held(struct _Unwind_Exception *exc, uint64_t key, const struct panic_words *w)
{
	struct send_space *sp = space_map();

	if (!sp)
		return;
	start_panic_record(&sp->rec, key, w);
	sp->rec.exc_object = (uintptr_t)exc;
	if (getcontext(&sp->uc) == 0) {
		shim_fill_registers(&sp->rec, &sp->uc);
		shim_transport_send(&sp->rec, true);
	}
	munmap(sp, sizeof(*sp));
}

/* The panics counted at a site since its last count: posted, not held. */
static void send_count(struct site *s, const struct panic_words *w)
{
	struct send_space *sp;
	unsigned n = atomic_exchange(&s->pending, 0);

	if (!n || !(sp = space_map()))
		return;
	start_panic_record(&sp->rec, atomic_load(&s->key), w);
	sp->rec.panic_count = n;
	sp->rec.panic_first_sec = atomic_load(&s->first_sec);
	if (sp->rec.panic_first_sec > sp->rec.time_sec || sp->rec.panic_first_sec == 0)
		sp->rec.panic_first_sec = sp->rec.time_sec;
	shim_transport_post(&sp->rec);
	munmap(sp, sizeof(*sp));
}

static void count_repeat(struct site *s, const struct panic_words *w)
{
	if (atomic_fetch_add(&s->pending, 1) == 0)
		atomic_store(&s->first_sec, (uint64_t)time(NULL));
	long now = shim_now_ms(), due = atomic_load(&s->next_count_ms);
	if (now >= due && atomic_compare_exchange_strong(&s->next_count_ms, &due,
							 now + COUNT_EVERY_MS))
		send_count(s, w);
}

static void on_panic(struct _Unwind_Exception *exc)
{
	struct panic_words words;
	const struct panic_words *w = shim_panic_text_take(&words) == 0 ? &words : NULL;
	uint64_t key = site_key(w);
	bool first = false;
	struct site *s = site_of(key, &first);

	if (!s || first)
		send_held(exc, key, w);	/* a full table: every panic in full */
	else
		count_repeat(s, w);
}

/* At exit: the counts not sent yet (a forked child's table is still its
 * parent's until it panics: nothing of its own to send). */
void shim_panic_flush(void)
{
	if (atomic_load(&sites_pid) != (int)getpid())
		return;
	for (size_t i = 0; i < SITES; i++)
		if (atomic_load(&sites[i].key) && atomic_load(&sites[i].pending))
			send_count(&sites[i], NULL);
}

__attribute__((visibility("default")))
_Unwind_Reason_Code _Unwind_RaiseException(struct _Unwind_Exception *exc)
{
	raise_fn real = (raise_fn)shim_elf_next_cached(&next_raise, "_Unwind_RaiseException");

	if (exc && (exc->exception_class == RUST_CLASS_BE ||
		    exc->exception_class == RUST_CLASS_BYTES) && shim_load.enabled)
		on_panic(exc);
	if (!real)
		return _URC_FATAL_PHASE1_ERROR;	/* no unwinder: what the caller handles */
	return real(exc);
}
