/* Unit tests for common/panic_words.c: the headers rustc's panic hooks
 * write, as the shim sees them go to stderr (also cut short). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "panic_words.h"

struct expect {
	const char *text, *thread, *where, *message;
};

static void check(const struct expect *e)
{
	struct panic_words w;
	char got[512];

	assert_int_equal(bb_panic_words(e->text, strlen(e->text), &w), 0);
	snprintf(got, sizeof(got), "%.*s", (int)w.thread_len, w.thread);
	assert_string_equal(got, e->thread);
	snprintf(got, sizeof(got), "%.*s", (int)w.where_len, w.where);
	assert_string_equal(got, e->where);
	snprintf(got, sizeof(got), "%.*s", (int)w.message_len, w.message);
	assert_string_equal(got, e->message);
}

static const char NOTE[] =
	"note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n";

/* rustc < 1.73 (Debian 12's 1.63). */
static void old_hook(void **state)
{
	static char first[256], traced[256];
	(void)state;
	snprintf(first, sizeof(first), "thread 'main' panicked at 'config must exist: Os { code: 2, "
		 "kind: NotFound, message: \"No such file or directory\" }', src/main.rs:14:9\n%s",
		 NOTE);
	snprintf(traced, sizeof(traced), "thread '<unnamed>' panicked at 'index out of bounds: "
		 "the len is 2 but the index is 5', src/lib.rs:5:77\nstack backtrace:\n   0: x\n");
	const struct expect cases[] = {
		{ first, "main", "src/main.rs:14:9", "config must exist: Os { code: 2, kind: "
		  "NotFound, message: \"No such file or directory\" }" },
		{ traced, "<unnamed>", "src/lib.rs:5:77",
		  "index out of bounds: the len is 2 but the index is 5" },
		/* assert_eq!: lines, quotes and "', " inside the message */
		{ "thread 'worker-7' panicked at 'assertion failed: `(left == right)`\n  left: `2`,\n"
		  " right: `3`: it's', he said', p.rs:15:27\n", "worker-7", "p.rs:15:27",
		  "assertion failed: `(left == right)`\n  left: `2`,\n right: `3`: it's', he said" },
		/* cut before the location: the message is what there is */
		{ "thread 'main' panicked at 'a long message", "main", "", "a long message" },
		{ "thread 'it's mine' panicked at 'x', a.rs:1:2\n", "it's mine", "a.rs:1:2", "x" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(&cases[i]);
}

/* rustc 1.73 on, and 1.8x on with the thread's id and a leading newline. */
static void new_hook(void **state)
{
	static char first[256];
	(void)state;
	snprintf(first, sizeof(first), "\nthread 'main' (734) panicked at src/main.rs:14:9:\n"
		 "config must exist\n%s", NOTE);
	const struct expect cases[] = {
		{ first, "main", "src/main.rs:14:9", "config must exist" },
		{ "thread 'w' panicked at p.rs:5:78:\nindex out of bounds\n", "w", "p.rs:5:78",
		  "index out of bounds" },
		{ "\nthread '<unnamed>' (740) panicked at p.rs:15:27:\nassertion `left == right` "
		  "failed: math\n  left: 2\n right: 3\nstack backtrace:\n   0: x\n", "<unnamed>",
		  "p.rs:15:27", "assertion `left == right` failed: math\n  left: 2\n right: 3" },
		{ "thread 'main' panicked at C:\\x.rs:1:2:\n\n", "main", "C:\\x.rs:1:2", "" },
		/* a name that ends like an id */
		{ "thread 'pool (3)' panicked at a.rs:1:2:\nm\n", "pool (3)", "a.rs:1:2", "m" },
		/* cut in the header: no location, what there is */
		{ "thread 'main' panicked at src/ma", "main", "", "src/ma" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check(&cases[i]);
}

static void not_a_header(void **state)
{
	struct panic_words w;
	static const char *const texts[] = {
		"", "thread", "thread 'main' said hello\n", "\n\nthread 'x' panicked at a:1:2:\nm\n",
		"error: thread 'x' panicked at a:1:2:\nm\n", "thread x' panicked at a:1:2:\n",
		"thread 'x' (zz) panicked at a.rs:1:2:\nm\n",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		assert_int_equal(bb_panic_words(texts[i], strlen(texts[i]), &w), -1);
	assert_true(bb_panic_header_start("thread '", 8));
	assert_true(bb_panic_header_start("\nthread 'main' (1) panicked", 27));
	assert_false(bb_panic_header_start("thread", 6));
	assert_false(bb_panic_header_start("note: thread '", 14));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(old_hook),
		cmocka_unit_test(new_hook),
		cmocka_unit_test(not_a_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
