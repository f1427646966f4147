/*
 * panic_text.c - the words of Rust's panic hook, seen on their way to
 * stderr.
 *
 * The default hook writes the thread's name, where it panicked and the
 * message to fd 2 before the panic unwinds or aborts: in one write
 * (rustc 1.8x on) or a dozen (1.63: one per piece).  The payload itself
 * cannot be read from outside without std's type ids, so the shim reads
 * the words as they go by (common/panic_words.h takes them apart): write(2)
 * is interposed, and a write to fd 2 that starts a hook's header starts a
 * copy in a page of the thread's own; what the thread writes to fd 2 after
 * it is added until the page is full.  panic.c, or the crash handler for
 * panic = "abort", takes the copy.
 *
 * What the program writes is passed on first, unchanged, and only what the
 * kernel took is looked at: a bad buffer gets its EFAULT, not our fault.
 * A write to another fd costs one comparison more; to fd 2 a few more
 * until a header comes.  The page is mapped when a thread's first header
 * comes (mmap, not malloc: write may run in a signal handler or inside an
 * allocator) and unmapped when the thread ends.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shim.h"

#define TEXT_PAGE 4096

struct panic_text {
	uint32_t len;
	uint32_t live;	/* a header came and was not taken yet */
	char buf[TEXT_PAGE - 8];
};
_Static_assert(sizeof(struct panic_text) == TEXT_PAGE, "one page");

static __thread __attribute__((tls_model("initial-exec"))) struct panic_text *thread_text;

/* libc's own write(2), which glibc exports as __write: the cancellation
 * point, errno and all, with nothing to look up.  Looking up the next
 * write (dlsym RTLD_NEXT, or the symbol tables) would cost every program
 * ~6 us at start-up, and lazily the crash handler's own writes (drop.c)
 * would do it where only async-signal-safe calls may run.  The price: a
 * library preloaded after the shim that interposes write too is passed
 * over (before it, it calls ours and all is well: ASan's interceptors). */
extern ssize_t __write(int fd, const void *buf, size_t n);

static struct panic_text *text_page(void)
{
	if (!thread_text) {
		void *m = mmap(NULL, TEXT_PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		thread_text = m;
	}
	return thread_text;
}

static void see(const char *buf, size_t n)
{
	struct panic_text *t = thread_text;
	int saved_errno = errno;

	if (bb_panic_header_start(buf, n)) {
		t = text_page();
		if (t) {
			t->len = 0;
			t->live = 1;
		}
	}
	if (t && t->live) {
		size_t room = sizeof(t->buf) - t->len;
		memcpy(t->buf + t->len, buf, n < room ? n : room);
		t->len += (uint32_t)(n < room ? n : room);
	}
	errno = saved_errno;
}

__attribute__((visibility("default")))
ssize_t write(int fd, const void *buf, size_t n)
{
	ssize_t done = __write(fd, buf, n);

	if (__builtin_expect(fd == 2, 0) && done > 0 && shim_load.enabled)
		see(buf, (size_t)done);
	return done;
}

int shim_panic_text_take(struct panic_words *w)
{
	struct panic_text *t = thread_text;

	if (!t || !t->live)
		return -1;
	t->live = 0;
	return bb_panic_words(t->buf, t->len, w);
}

void shim_panic_text_free(void)
{
	struct panic_text *t = thread_text;

	thread_text = NULL;
	if (t)
		munmap(t, TEXT_PAGE);
}
