/* Unit tests for common/record.c: every way a record can be wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

static struct bb_record good(enum bb_record_kind kind)
{
	struct bb_record r;

	bb_record_init(&r, kind);
	r.pid = 100;
	r.tid = 101;
	if (kind == BB_REC_CRASH) {
		r.signo = SIGSEGV;
		r.has_regs = 1;
	} else {
		strcpy(r.level, "info");
		strcpy(r.message, "hi");
	}
	return r;
}

static enum bb_record_err parse(struct bb_record r)
{
	struct bb_record out;

	return bb_record_parse(&r, sizeof(r), &out);
}

static void accepts_good_records(void **state)
{
	struct bb_record out, r = good(BB_REC_CRASH);

	(void)state;
	assert_int_equal(bb_record_parse(&r, sizeof(r), &out), BB_REC_OK);
	assert_int_equal(out.signo, SIGSEGV);
	assert_int_equal(parse(good(BB_REC_MESSAGE)), BB_REC_OK);
	r = good(BB_REC_MESSAGE);
	r.kind = BB_REC_ERROR;
	assert_int_equal(parse(r), BB_REC_OK);
}

static void rejects_sizes(void **state)
{
	struct bb_record out, r = good(BB_REC_CRASH);
	char big[sizeof(r) + 1];

	(void)state;
	assert_int_equal(bb_record_parse(&r, sizeof(r) - 1, &out), BB_REC_ESIZE);
	assert_int_equal(bb_record_parse(&r, 0, &out), BB_REC_ESIZE);
	memcpy(big, &r, sizeof(r));
	assert_int_equal(bb_record_parse(big, sizeof(big), &out), BB_REC_ESIZE);
	r.size = 12;
	assert_int_equal(parse(r), BB_REC_ESIZE);
}

static void rejects_bad_fields(void **state)
{
	struct bb_record r;

	(void)state;
	r = good(BB_REC_CRASH); r.magic = 1;
	assert_int_equal(parse(r), BB_REC_EMAGIC);
	r = good(BB_REC_CRASH); r.version = BB_RECORD_VERSION - 1;	/* an older shim */
	assert_int_equal(parse(r), BB_REC_EVERSION);
	r = good(BB_REC_CRASH); r.version = BB_RECORD_VERSION + 1;
	assert_int_equal(parse(r), BB_REC_EVERSION);
	r = good(BB_REC_CRASH); r.kind = 9;
	assert_int_equal(parse(r), BB_REC_EKIND);
	r = good(BB_REC_CRASH); r.signo = 0;
	assert_int_equal(parse(r), BB_REC_ESIGNAL);
	r = good(BB_REC_CRASH); r.signo = 65;
	assert_int_equal(parse(r), BB_REC_ESIGNAL);
	r = good(BB_REC_MESSAGE); r.signo = 11;
	assert_int_equal(parse(r), BB_REC_ESIGNAL);
	r = good(BB_REC_MESSAGE); strcpy(r.level, "fatal");
	assert_int_equal(parse(r), BB_REC_ELEVEL);
	r = good(BB_REC_CRASH); r.pid = -1;
	assert_int_equal(parse(r), BB_REC_EPID);
	r = good(BB_REC_CRASH); r.tid = 0;
	assert_int_equal(parse(r), BB_REC_EPID);
	r = good(BB_REC_CRASH); r.flags = 4;
	assert_int_equal(parse(r), BB_REC_EFLAGS);
	r = good(BB_REC_CRASH); r.has_regs = 7;
	assert_int_equal(parse(r), BB_REC_EFLAGS);
	r = good(BB_REC_ERROR); r.reserved = 1;
	assert_int_equal(parse(r), BB_REC_EFLAGS);
	/* causes: at most BB_CAUSES_MAX, and only a captured error has them */
	r = good(BB_REC_ERROR); r.n_causes = BB_CAUSES_MAX;
	assert_int_equal(parse(r), BB_REC_OK);
	r = good(BB_REC_ERROR); r.n_causes = BB_CAUSES_MAX + 1;
	assert_int_equal(parse(r), BB_REC_ECOUNT);
	r = good(BB_REC_ERROR); r.n_causes = 0xffffffffu;
	assert_int_equal(parse(r), BB_REC_ECOUNT);
	r = good(BB_REC_CRASH); r.n_causes = 1;
	assert_int_equal(parse(r), BB_REC_ECOUNT);
	r = good(BB_REC_MESSAGE); r.n_causes = 1;
	assert_int_equal(parse(r), BB_REC_ECOUNT);
	assert_string_not_equal(bb_record_strerror(BB_REC_ECOUNT), "unknown record error");
}

static void rejects_unterminated_strings(void **state)
{
	struct bb_record r;

	(void)state;
	r = good(BB_REC_CRASH); memset(r.thread_name, 'x', sizeof(r.thread_name));
	assert_int_equal(parse(r), BB_REC_ESTRING);
	r = good(BB_REC_MESSAGE); memset(r.message, 'x', sizeof(r.message));
	assert_int_equal(parse(r), BB_REC_ESTRING);
	r = good(BB_REC_CRASH); memset(r.request_url, 'x', sizeof(r.request_url));
	assert_int_equal(parse(r), BB_REC_ESTRING);
	r = good(BB_REC_CRASH); memset(r.tags, 'x', sizeof(r.tags));
	assert_int_equal(parse(r), BB_REC_ESTRING);
	/* every cause's strings, used or not */
	r = good(BB_REC_ERROR); memset(r.cause_type[BB_CAUSES_MAX - 1], 'x', BB_TYPE_MAX);
	assert_int_equal(parse(r), BB_REC_ESTRING);
	r = good(BB_REC_ERROR); r.n_causes = 1;
	memset(r.cause_value[0], 'x', BB_CAUSE_VALUE_MAX);
	assert_int_equal(parse(r), BB_REC_ESTRING);
	assert_string_not_equal(bb_record_strerror(BB_REC_ESTRING), "ok");
}

static void rejects_nanoseconds_out_of_range(void **state)
{
	struct bb_record r;

	(void)state;
	r = good(BB_REC_CRASH); r.time_sec = 1700000000; r.time_nsec = 999999999;
	assert_int_equal(parse(r), BB_REC_OK);
	r = good(BB_REC_CRASH); r.time_nsec = 1000000000;
	assert_int_equal(parse(r), BB_REC_ETIME);
	r = good(BB_REC_MESSAGE); r.time_nsec = UINT64_MAX;
	assert_int_equal(parse(r), BB_REC_ETIME);
	r = good(BB_REC_ERROR); r.time_nsec = 1000000000;
	assert_int_equal(parse(r), BB_REC_ETIME);
	assert_string_equal(bb_record_strerror(BB_REC_ETIME),
			    "timestamp nanoseconds not below 1000000000");
}

static void time_more_than_a_day_off(void **state)
{
	const uint64_t now = 1700000000, day = 24 * 3600;

	(void)state;
	assert_false(bb_record_time_off(now, now));
	assert_false(bb_record_time_off(now - day, now));	/* a day: believed */
	assert_false(bb_record_time_off(now + day, now));
	assert_true(bb_record_time_off(now - day - 1, now));
	assert_true(bb_record_time_off(now + day + 1, now));
	assert_true(bb_record_time_off(0, now));		/* a clock that never ran */
	assert_true(bb_record_time_off(UINT64_MAX, now));	/* no wrap */
	assert_true(bb_record_time_off((uint64_t)INT64_MAX + 1, now));	/* negative as time_t */
	assert_false(bb_record_time_off(5, 0));
}

static int collect(const char *k, size_t kl, const char *v, size_t vl, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);

	n += (size_t)snprintf(out + n, 256 - n, "[%.*s=%.*s]", (int)kl, k, (int)vl, v);
	return 0;
}

static void tags(void **state)
{
	char out[256] = "";

	(void)state;
	assert_int_equal(bb_tags_foreach("a=1, b = two ,c=", collect, out), 0);
	assert_string_equal(out, "[a=1][b=two][c=]");
	out[0] = '\0';
	assert_int_equal(bb_tags_foreach("", collect, out), 0);
	assert_string_equal(out, "");
	assert_int_equal(bb_tags_foreach("a=1,,b=2,", NULL, NULL), 0);
	assert_int_equal(bb_tags_foreach("novalue", NULL, NULL), -1);
	assert_int_equal(bb_tags_foreach("=v", NULL, NULL), -1);
	assert_int_equal(bb_tags_foreach("a=1, =2", NULL, NULL), -1);
}

/* A site's first panic is held (registers, no count); the later ones are
 * counts without registers; no other kind has a site or a count. */
static void panic_records(void **state)
{
	struct bb_record r = good(BB_REC_PANIC);

	(void)state;
	r.has_regs = 1;
	r.panic_site = 42;
	assert_int_equal(parse(r), BB_REC_OK);
	r.panic_first_sec = 1;	/* a first time without a count */
	assert_int_equal(parse(r), BB_REC_EPANIC);
	r = good(BB_REC_PANIC);
	r.panic_count = 7;
	r.panic_first_sec = 1700000000;
	r.time_sec = 1700000005;
	assert_int_equal(parse(r), BB_REC_OK);
	r.has_regs = 1;		/* a count is not held: no registers */
	assert_int_equal(parse(r), BB_REC_EPANIC);
	r.has_regs = 0;
	r.panic_first_sec = r.time_sec + 1;
	assert_int_equal(parse(r), BB_REC_EPANIC);
	r = good(BB_REC_PANIC);
	r.panic_reserved = 1;
	assert_int_equal(parse(r), BB_REC_EPANIC);
	r = good(BB_REC_PANIC);
	strcpy(r.level, "fatal");
	assert_int_equal(parse(r), BB_REC_ELEVEL);
	r = good(BB_REC_PANIC);
	r.signo = SIGABRT;
	assert_int_equal(parse(r), BB_REC_ESIGNAL);
	r = good(BB_REC_PANIC);
	memset(r.panic_where, 'x', sizeof(r.panic_where));
	assert_int_equal(parse(r), BB_REC_ESTRING);
	r = good(BB_REC_PANIC);
	memset(r.panic_thread, 'x', sizeof(r.panic_thread));
	assert_int_equal(parse(r), BB_REC_ESTRING);
	r = good(BB_REC_ERROR);
	r.panic_site = 1;
	assert_int_equal(parse(r), BB_REC_EPANIC);
	r = good(BB_REC_MESSAGE);
	r.panic_count = 1;
	assert_int_equal(parse(r), BB_REC_EPANIC);
	r = good(BB_REC_CRASH);	/* panic = "abort": the words, no site */
	strcpy(r.panic_where, "src/main.rs:3:5");
	strcpy(r.panic_thread, "main");
	assert_int_equal(parse(r), BB_REC_OK);
	r.panic_first_sec = 1;
	assert_int_equal(parse(r), BB_REC_EPANIC);
}

static void signal_names(void **state)
{
	(void)state;
	assert_string_equal(bb_signal_name(SIGSEGV), "SIGSEGV");
	assert_string_equal(bb_signal_name(SIGSYS), "SIGSYS");
	assert_null(bb_signal_name(0));
	assert_null(bb_signal_name(99));
}

/* fuzz_record's seeds are records of today's layout: a seed the decoder
 * refuses at once (an older version or size) leaves the fuzzer before
 * every check worth reaching, and its runs pass finding nothing. */
static void fuzz_seeds_are_records(void **state)
{
	(void)state;
	const char *dir = getenv("BB_RECORD_SEEDS");
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	int kinds = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL) {
		char path[4096];
		unsigned char buf[sizeof(struct bb_record) + 1];
		struct bb_record rec;
		FILE *f;
		size_t n;
		if (e->d_name[0] == '.' || strncmp(e->d_name, "regress-", 8) == 0)
			continue;	/* regressions keep the bytes that found a bug */
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		assert_non_null(f = fopen(path, "rb"));
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		if (bb_record_parse(buf, n, &rec) != BB_REC_OK)
			fail_msg("%s is no record of this layout: make-seeds.sh makes them again", path);
		kinds |= 1 << rec.kind;
	}
	closedir(d);
	assert_int_equal(kinds, 1 << BB_REC_CRASH | 1 << BB_REC_MESSAGE | 1 << BB_REC_ERROR |
				1 << BB_REC_PANIC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_good_records),
		cmocka_unit_test(rejects_sizes),
		cmocka_unit_test(rejects_bad_fields),
		cmocka_unit_test(rejects_unterminated_strings),
		cmocka_unit_test(rejects_nanoseconds_out_of_range),
		cmocka_unit_test(time_more_than_a_day_off),
		cmocka_unit_test(tags),
		cmocka_unit_test(panic_records),
		cmocka_unit_test(signal_names),
		cmocka_unit_test(fuzz_seeds_are_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
