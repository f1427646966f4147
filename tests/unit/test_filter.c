/* Unit tests for daemon/filter.c: before_send from a threaded daemon (no
 * NSS lookup after the fork, nothing inherited but three pipes and a
 * clean signal state, no descriptor lost on failure) and the check of
 * what the program printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "filter.h"

/* ---- NSS lookups, watched: one in a forked child is a finding ---------- */

static volatile int *nss_in_child;	/* shared with the children */
static pid_t test_pid;

static void note_nss_call(void)
{
	if (nss_in_child && getpid() != test_pid)
		*nss_in_child = 1;
}

struct passwd *getpwnam(const char *name)
{
	static struct passwd *(*real)(const char *);

	note_nss_call();
	if (!real)
		real = (struct passwd *(*)(const char *))dlsym(RTLD_NEXT, "getpwnam");
	return real(name);
}

int getpwnam_r(const char *name, struct passwd *pw, char *buf, size_t len, struct passwd **res)
{
	static int (*real)(const char *, struct passwd *, char *, size_t, struct passwd **);

	note_nss_call();
	if (!real)
		real = (int (*)(const char *, struct passwd *, char *, size_t, struct passwd **))
			dlsym(RTLD_NEXT, "getpwnam_r");
	return real(name, pw, buf, len, res);
}

/* ---- helpers ------------------------------------------------------------ */

static char dir[] = "/tmp/booboo-filter-XXXXXX";

static char *script(const char *name, const char *body)
{
	char *path = NULL;

	assert_true(asprintf(&path, "%s/%s", dir, name) > 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "#!/bin/sh\n%s", body);
	fclose(f);
	chmod(path, 0755);	/* run as nobody */
	return path;
}

static struct json_object *an_event(void)
{
	struct json_object *ev = json_object_new_object();

	json_object_object_add(ev, "message", json_object_new_string("hello"));
	return ev;
}

static enum before_send_result run(const char *prog, char *reason, size_t len,
		struct json_object **out)
{
	struct bb_config cfg;
	struct json_object *ev = an_event();

	bb_config_init(&cfg);
	cfg.before_send = strdup(prog);
	cfg.before_send_timeout_ms = 5000;
	reason[0] = '\0';
	enum before_send_result r = filter_before_send(&cfg, &ev, reason, len);
	bb_config_free(&cfg);
	if (out)
		*out = ev;
	else
		json_object_put(ev);
	return r;
}

static int open_fds(void)
{
	int n = 0;

	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* ---- before_send ----------------------------------------------------------- */

static void cat_keeps_the_event(void **state)
{
	char reason[256];
	struct json_object *ev;

	(void)state;
	assert_int_equal(run("/bin/cat", reason, sizeof(reason), &ev), BEFORE_SEND_KEEP);
	assert_string_equal(json_object_get_string(json_object_object_get(ev, "message")), "hello");
	json_object_put(ev);
}

static void no_nss_lookup_after_fork(void **state)
{
	char reason[256];

	(void)state;
	nss_in_child = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(nss_in_child != MAP_FAILED);
	test_pid = getpid();
	assert_int_equal(run("/bin/cat", reason, sizeof(reason), NULL), BEFORE_SEND_KEEP);
	assert_int_equal(*nss_in_child, 0);
	munmap((void *)nss_in_child, 4096);
	nss_in_child = NULL;
}

static void only_three_pipes_and_a_clean_signal_state(void **state)
{
	char reason[512];
	char *prog = script("fds", "ls /proc/self/fd >&2\n"
			    "grep -E '^Sig(Blk|Ign)' /proc/self/status >&2\nexit 1\n");
	int leaky = open("/dev/null", O_RDONLY);	/* no O_CLOEXEC: a careless thread's */
	sigset_t term;

	(void)state;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, NULL);	/* as the daemon's threads have them */
	signal(SIGPIPE, SIG_IGN);		/* as the daemon does */
	signal(SIGHUP, SIG_IGN);		/* as nohup would have started it */
	assert_int_equal(run(prog, reason, sizeof(reason), NULL), BEFORE_SEND_FAILED);
	sigprocmask(SIG_UNBLOCK, &term, NULL);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	close(leaky);
	/* 3 is ls's own directory */
	assert_non_null(strstr(reason, "exit status 1: 0\n1\n2\n3\nSig"));
	assert_non_null(strstr(reason, "SigBlk:\t0000000000000000"));
	assert_non_null(strstr(reason, "SigIgn:\t0000000000000000"));
	free(prog);
}

static void runs_as_nobody(void **state)
{
	char reason[256], want[64];
	char *prog = script("id", "id -u >&2; exit 1\n");
	struct passwd *pw = getpwnam("nobody");

	(void)state;
	if (geteuid() != 0 || !pw) {
		free(prog);
		skip();
	}
	snprintf(want, sizeof(want), "exit status 1: %u\n", (unsigned)pw->pw_uid);
	assert_int_equal(run(prog, reason, sizeof(reason), NULL), BEFORE_SEND_FAILED);
	assert_string_equal(reason, want);
	free(prog);
}

/* Room for exactly `free_fds` more descriptors. */
static void limit_fds_to(int free_fds, struct rlimit *saved)
{
	int fd = 0;

	for (int seen = 0; seen <= free_fds; fd++)
		if (fcntl(fd, F_GETFD) < 0 && ++seen > free_fds)
			break;
	getrlimit(RLIMIT_NOFILE, saved);
	struct rlimit rl = { .rlim_cur = (rlim_t)fd, .rlim_max = saved->rlim_max };
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &rl), 0);
}

static void no_descriptor_lost_when_a_pipe_fails(void **state)
{
	char reason[256];
	struct rlimit saved;

	(void)state;
	/* 4 free: stdin's and stdout's pipes are made, stderr's is not */
	for (int room = 0; room <= 5; room++) {
		int before = open_fds();
		limit_fds_to(room, &saved);
		enum before_send_result r = run("/bin/cat", reason, sizeof(reason), NULL);
		setrlimit(RLIMIT_NOFILE, &saved);
		assert_int_equal(r, BEFORE_SEND_FAILED);
		assert_non_null(strstr(reason, "cannot start"));
		assert_int_equal(open_fds(), before);
	}
}

/* ---- what the program printed -------------------------------------------- */

/* The bytes alone in a buffer of their size: what follows is not ours. */
static enum before_send_result check(const char *text, size_t len)
{
	char *buf = malloc(len ? len : 1), reason[128];
	struct json_object *obj;

	memcpy(buf, text, len);
	enum before_send_result r = filter_check_output(buf, len, &obj, reason, sizeof(reason));
	assert_true((r == BEFORE_SEND_KEEP) == (obj != NULL));
	json_object_put(obj);
	free(buf);
	return r;
}

#define CHECK(lit) check(lit, sizeof(lit) - 1)

/* {"a":[[...]]} with n brackets */
static enum before_send_result nested(size_t n)
{
	char buf[512];

	memcpy(buf, "{\"a\":", 5);
	memset(buf + 5, '[', n);
	memset(buf + 5 + n, ']', n);
	buf[5 + 2 * n] = '}';
	return check(buf, 6 + 2 * n);
}

static void output_checked(void **state)
{
	(void)state;
	assert_int_equal(CHECK(""), BEFORE_SEND_DROP);
	assert_int_equal(CHECK(" \n\t\r"), BEFORE_SEND_DROP);
	assert_int_equal(CHECK("{}"), BEFORE_SEND_KEEP);
	assert_int_equal(CHECK("\n {\"a\": [1, 2]} \n\t"), BEFORE_SEND_KEEP);
	assert_int_equal(CHECK("{} {}"), BEFORE_SEND_FAILED);
	assert_int_equal(CHECK("{}x"), BEFORE_SEND_FAILED);
	assert_int_equal(CHECK("{}\0"), BEFORE_SEND_FAILED);	/* a NUL is not a blank */
	assert_int_equal(CHECK("[1, 2]"), BEFORE_SEND_FAILED);
	assert_int_equal(CHECK("\"text\""), BEFORE_SEND_FAILED);
	assert_int_equal(CHECK("{\"a\": "), BEFORE_SEND_FAILED);
	assert_int_equal(CHECK("\0{}"), BEFORE_SEND_FAILED);
	/* nesting up to the delivery thread's limit, and past it */
	assert_int_equal(nested(50), BEFORE_SEND_KEEP);
	assert_int_equal(nested(100), BEFORE_SEND_FAILED);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) && chmod(dir, 0755) == 0 ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(cat_keeps_the_event),
		cmocka_unit_test(no_nss_lookup_after_fork),
		cmocka_unit_test(only_three_pipes_and_a_clean_signal_state),
		cmocka_unit_test(runs_as_nobody),
		cmocka_unit_test(no_descriptor_lost_when_a_pipe_fails),
		cmocka_unit_test(output_checked),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
