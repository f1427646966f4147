/* Unit tests for common/config.c: every key, and bad input of every kind,
 * with the FILE:LINE: message a user sees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ere.h"

static int parse(struct bb_config *cfg, const char *text, char *err, size_t errlen)
{
	bb_config_init(cfg);
	return bb_config_parse(cfg, "booboo.conf", text, strlen(text), err, errlen);
}

static void defaults(void **state)
{
	struct bb_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, "", err, sizeof(err)), 0);
	assert_false(cfg.has_dsn);
	assert_null(cfg.endpoint);
	assert_string_equal(cfg.socket_path, BB_DEFAULT_SOCKET);
	assert_string_equal(cfg.spool_dir, BB_DEFAULT_SPOOL);
	assert_int_equal(cfg.hold_timeout_ms, BB_DEFAULT_HOLD_MS);
	assert_int_equal(cfg.before_send_timeout_ms, BB_DEFAULT_BEFORE_SEND_MS);
	bb_config_free(&cfg);
}

static void every_key(void **state)
{
	struct bb_config cfg;
	char err[256];
	const char *text =
		"# booboo\n"
		"\n"
		"dsn = https://tok123@ingest.example:8443/org/proj\n"
		"environment = production\n"
		"release = \"shop@1.2 \\\"beta\\\"\"\n"
		"socket = /run/b.sock\n"
		"spool_dir = /var/spool/b\n"
		"hold_timeout_ms = 250\n"
		"spool_max_events = 50\n"
		"tags = region=eu, team=pay\n"
		"source_path_map = /build/x => /src/x\n"
		"source_path_map = /b2=>/s2\n"
		"debuginfod_urls = http://127.0.0.1:8002\n"
		"ignore_errors = SIGPIPE, std::logic_error shop::Timeout\n"
		"before_send = /usr/local/bin/filter\n"
		"before_send_timeout_ms = 1500\n"
		"scrub_value = [A-Z]{2}[0-9]{2}[A-Z0-9]{10,30} => [iban]\n"
		"scrub_names = iban, pin\n";

	(void)state;
	assert_int_equal(parse(&cfg, text, err, sizeof(err)), 0);
	assert_true(cfg.has_dsn);
	assert_string_equal(cfg.dsn.token, "tok123");
	assert_string_equal(cfg.endpoint, "https://ingest.example:8443/");
	assert_string_equal(cfg.environment, "production");
	assert_string_equal(cfg.release, "shop@1.2 \"beta\"");
	assert_string_equal(cfg.socket_path, "/run/b.sock");
	assert_string_equal(cfg.spool_dir, "/var/spool/b");
	assert_int_equal(cfg.hold_timeout_ms, 250);
	assert_int_equal(cfg.spool_max_events, 50);
	assert_string_equal(cfg.tags, "region=eu, team=pay");
	assert_int_equal(cfg.n_path_maps, 2);
	assert_string_equal(cfg.path_maps[0].from, "/build/x");
	assert_string_equal(cfg.path_maps[0].to, "/src/x");
	assert_string_equal(cfg.path_maps[1].from, "/b2");
	assert_string_equal(cfg.path_maps[1].to, "/s2");
	assert_string_equal(cfg.debuginfod_urls, "http://127.0.0.1:8002");
	assert_int_equal(cfg.n_ignore_errors, 3);
	assert_string_equal(cfg.ignore_errors[1], "std::logic_error");
	assert_string_equal(cfg.before_send, "/usr/local/bin/filter");
	assert_int_equal(cfg.before_send_timeout_ms, 1500);
	assert_int_equal(cfg.n_scrub_values, 1);
	assert_string_equal(cfg.scrub_values[0].replacement, "[iban]");
	assert_int_equal(regexec(&cfg.scrub_values[0].re, "pay DE89370400440532013000 now", 0, NULL, 0), 0);
	assert_int_equal(cfg.n_scrub_names, 2);
	assert_string_equal(cfg.scrub_names[1], "pin");
	bb_config_free(&cfg);
}

static void endpoint_overrides_dsn(void **state)
{
	struct bb_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, "endpoint = http://127.0.0.1:9/\ndsn = tok\n", err, sizeof(err)), 0);
	assert_string_equal(cfg.endpoint, "http://127.0.0.1:9/");
	assert_string_equal(cfg.dsn.token, "tok");
	bb_config_free(&cfg);
	assert_int_equal(parse(&cfg, "dsn = tok\n", err, sizeof(err)), 0);
	assert_string_equal(cfg.endpoint, BB_DEFAULT_ENDPOINT);
	bb_config_free(&cfg);
	assert_int_equal(parse(&cfg, "endpoint = http://h/\n", err, sizeof(err)), 0);
	assert_null(cfg.endpoint);	/* no DSN: local mode */
	bb_config_free(&cfg);
}

static void fails_with(const char *text, const char *want)
{
	struct bb_config cfg;
	char err[512];

	assert_int_equal(parse(&cfg, text, err, sizeof(err)), -1);
	if (!strstr(err, want))
		fail_msg("error \"%s\" does not contain \"%s\"", err, want);
	bb_config_free(&cfg);
}

/* What ere.c counts: the copies regcomp makes of what repetitions repeat. */
static void regex_cost(void **state)
{
	(void)state;
	assert_int_equal(ere_cost("[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}", 10000), 34);
	assert_int_equal(ere_cost("abc", 10000), 3);
	assert_int_equal(ere_cost("a+", 10000), 2);
	assert_int_equal(ere_cost("a*b?", 10000), 2);
	assert_int_equal(ere_cost("(ab){3}", 10000), 6);
	assert_int_equal(ere_cost("(a|bc){2,}", 10000), 9);
	assert_int_equal(ere_cost("[]a-z{]{4}\\{", 10000), 5);
	assert_int_equal(ere_cost("[[:alpha:]]+", 10000), 2);
	assert_int_equal(ere_cost("(a{100}){100}", 10000), 10000);
	assert_int_equal(ere_cost("(a{100}){101}", 10000), 10001);
	assert_int_equal(ere_cost("a{}(((", 10000), 3);	/* not a repetition; unclosed */
	assert_int_equal(ere_cost("[[:", 10000), 1);
	assert_int_equal(ere_cost("(a{65535}){65535}{65535}", 10000), 10001);
	/* a part with a loop in it costs its count squared */
	assert_int_equal(ere_cost("(\\s*[0-9]){13,19}", 10000), 2 * 19 * 19);
	assert_int_equal(ere_cost("(x*){1000}", 10000), 10001);
	assert_int_equal(ere_cost("(x+)+", 10000), 8);
	assert_null(ere_refused("[A-Z]{2}[0-9]{2}[A-Z0-9]{10,30}", 10000));
	assert_non_null(ere_refused("d*+", 10000));	/* fuzz_config: seconds of regcomp */
	assert_non_null(ere_refused("x{2}{3}", 10000));
}

static void bad_input(void **state)
{
	(void)state;
	fails_with("hold_timeout_ms = abc\n", "booboo.conf:1: hold_timeout_ms: \"abc\" is not a number");
	fails_with("hold_timeout_ms = 0\n", "booboo.conf:1: hold_timeout_ms");
	fails_with("hold_timeout_ms = 60001\n", "(1..60000)");
	fails_with("hold_timeout_ms = -5\n", "hold_timeout_ms");
	fails_with("spool_max_events = 0\n", "spool_max_events: \"0\" is not a number from 1 to 1000000");
	fails_with("uid_max_connections = 0\n", "uid_max_connections: \"0\" is not a number from 1");
	fails_with("uid_max_queued = many\n", "uid_max_queued: \"many\"");
	fails_with("uid_spool_max_events = -1\n", "uid_spool_max_events");
	fails_with("uid_spool_max_mb = 99999999\n", "uid_spool_max_mb");
	fails_with("uid_messages_per_minute = 0\n", "uid_messages_per_minute");
	fails_with("worker_timeout_ms = 10\n", "worker_timeout_ms: \"10\" is not a number from 100");
	fails_with("worker_memory_mb = 1\n", "worker_memory_mb");
	fails_with("cache_dir = cache\n", "cache_dir: \"cache\" is not an absolute path");
	fails_with("\n\nbogus = 1\n", "booboo.conf:3: unknown key \"bogus\"");
	fails_with("no equals sign\n", "booboo.conf:1: expected \"key = value\"");
	fails_with(" = value\n", "booboo.conf:1: empty key");
	fails_with("release = a\nrelease = b\n", "booboo.conf:2: release: given twice");
	fails_with("socket = run/b.sock\n", "socket: \"run/b.sock\" is not an absolute path");
	fails_with("spool_dir = x\n", "spool_dir: \"x\" is not an absolute path");
	fails_with("before_send = filter.sh\n", "before_send");
	fails_with("source_path_map = /a /b\n", "source_path_map: expected \"FROM => TO\"");
	fails_with("source_path_map = => /b\n", "source_path_map: the part before");
	fails_with("scrub_value = ([a => x\n", "scrub_value: \"([a\"");
	fails_with("ignore_errors = ,\n", "ignore_errors: empty list");
	/* regcomp would take gigabytes (fuzz_config): refused before it runs */
	fails_with("scrub_value = a++++++++++++++++++++++++++++++++ => x\n", "too big once compiled");
	fails_with("scrub_value = d*+ => x\n", "a repetition repeated at once");
	fails_with("scrub_value = (a{999}){999} => x\n", "too big once compiled");
	fails_with("scrub_value = " "((((((((((((((((" "x+" ")+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+" " => x\n",
		   "too big once compiled");
	fails_with("tags = a=1,b\n", "tags:");
	fails_with("endpoint = ftp://x/\n", "endpoint:");
	fails_with("release = \"open\n", "unterminated quoted value");
	fails_with("environment = \"a\"b\"\n", "bad quoting");
}

static void dsn_is_never_echoed(void **state)
{
	struct bb_config cfg;
	char err[512];

	(void)state;
	assert_int_equal(parse(&cfg, "dsn = https://supersecret@ho st/\n", err, sizeof(err)), -1);
	assert_null(strstr(err, "supersecret"));
	assert_non_null(strstr(err, "booboo.conf:1: dsn:"));
	bb_config_free(&cfg);
}

static void limits(void **state)
{
	struct bb_config cfg;
	char err[256];
	static char big[9000];

	(void)state;
	memset(big, 'a', sizeof(big) - 1);
	memcpy(big, "release = ", 10);
	assert_int_equal(parse(&cfg, big, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "line longer than"));
	bb_config_free(&cfg);
	bb_config_init(&cfg);
	assert_int_equal(bb_config_parse(&cfg, "f", "a = b\0c", 7, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "NUL byte"));
	bb_config_free(&cfg);
}

static void per_user_keys(void **state)
{
	struct bb_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, "uid_max_connections = 3\nuid_max_queued = 4\n"
			       "uid_spool_max_events = 5\nuid_spool_max_mb = 6\n"
			       "uid_messages_per_minute = 7\nworker_timeout_ms = 800\n"
			       "worker_memory_mb = 512\ncache_dir = /var/cache/x\n", err, sizeof(err)), 0);
	assert_int_equal(cfg.uid_max_connections, 3);
	assert_int_equal(cfg.uid_max_queued, 4);
	assert_int_equal(cfg.uid_spool_max_events, 5);
	assert_int_equal(cfg.uid_spool_max_mb, 6);
	assert_int_equal(cfg.uid_messages_per_minute, 7);
	assert_int_equal(cfg.worker_timeout_ms, 800);
	assert_int_equal(cfg.worker_memory_mb, 512);
	assert_string_equal(cfg.cache_dir, "/var/cache/x");
	bb_config_free(&cfg);
	bb_config_init(&cfg);
	assert_int_equal(cfg.uid_max_connections, 16);
	assert_int_equal(cfg.worker_timeout_ms, 60000);
	assert_string_equal(cfg.cache_dir, BB_DEFAULT_CACHE);
	bb_config_free(&cfg);
}

/* What a worker is given: the file without its DSN, line numbers kept. */
static void text_for_workers(void **state)
{
	static const char file[] = "# the project\n  dsn\t= https://tok3n@h/o/p\ndsnx = 1\n"
				   "environment = prod\ndsn=https://again@h/o/p\n"
				   "dsn\r\t = crlf-t0ken\n";	/* the parser's "dsn" too (fuzz_config) */
	char path[] = "/tmp/booboo-test-XXXXXX", err[256];
	struct bb_config cfg;
	size_t len;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, file, sizeof(file) - 1), (ssize_t)sizeof(file) - 1);
	close(fd);
	bb_config_init(&cfg);
	/* "dsnx" is an unknown key: the file is refused, but its text kept */
	assert_int_equal(bb_config_load(&cfg, path, true, err, sizeof(err)), -1);
	char *text = bb_config_text_without_dsn(&cfg, &len);
	assert_non_null(text);
	assert_string_equal(text, "# the project\n\ndsnx = 1\nenvironment = prod\n\n\n");
	assert_int_equal(len, strlen(text));
	assert_null(strstr(text, "tok3n"));
	assert_null(strstr(text, "again"));
	assert_null(strstr(text, "t0ken"));
	free(text);
	bb_config_free(&cfg);
	unlink(path);
}

static void load_files(void **state)
{
	struct bb_config cfg;
	char err[512], path[] = "/tmp/booboo-test-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "environment = x\nbad line\n", 25), 25);
	close(fd);
	bb_config_init(&cfg);
	assert_int_equal(bb_config_load(&cfg, path, true, err, sizeof(err)), -1);
	assert_non_null(strstr(err, ":2: expected"));
	assert_int_equal(strncmp(err, path, strlen(path)), 0);
	bb_config_free(&cfg);
	unlink(path);
	bb_config_init(&cfg);
	assert_int_equal(bb_config_load(&cfg, path, false, err, sizeof(err)), 0);	/* absent: defaults */
	assert_int_equal(bb_config_load(&cfg, path, true, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "No such file"));
	assert_int_equal(bb_config_load(&cfg, "/tmp", true, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a regular file"));
	bb_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(every_key),
		cmocka_unit_test(endpoint_overrides_dsn),
		cmocka_unit_test(regex_cost),
		cmocka_unit_test(bad_input),
		cmocka_unit_test(dsn_is_never_echoed),
		cmocka_unit_test(limits),
		cmocka_unit_test(load_files),
		cmocka_unit_test(per_user_keys),
		cmocka_unit_test(text_for_workers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
