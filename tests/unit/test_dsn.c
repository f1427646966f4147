/* Unit tests for common/dsn.c: the DSN as the official SDKs parse it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "dsn.h"

static void parses(const char *dsn, const char *token, const char *endpoint)
{
	struct bb_dsn d;

	assert_int_equal(bb_dsn_parse(dsn, &d), BB_DSN_OK);
	assert_string_equal(d.token, token);
	assert_string_equal(d.endpoint, endpoint);
}

static void url_forms(void **state)
{
	(void)state;
	parses("https://abc123@ingest.booboo.dev/acme/shop", "abc123", "https://ingest.booboo.dev/");
	parses("http://tok@127.0.0.1:8000/x/y", "tok", "http://127.0.0.1:8000/");
	parses("https://tok@host", "tok", "https://host/");
	parses("HTTPS://tok@Host:443/", "tok", "https://Host:443/");
	parses("  https://tok@host/p  \n", "tok", "https://host/");
	parses("https://tok:ignored@host/", "tok", "https://host/");
	parses("http://tok@[::1]:9000/p", "tok", "http://[::1]:9000/");
	parses("https://tok@host?x=1", "tok", "https://host/");
}

static void bare_token(void **state)
{
	(void)state;
	parses("abc123", "abc123", BB_DEFAULT_ENDPOINT);
	parses(" abc123 ", "abc123", BB_DEFAULT_ENDPOINT);
}

static void fails(const char *dsn, enum bb_dsn_err want)
{
	struct bb_dsn d;

	assert_int_equal(bb_dsn_parse(dsn, &d), want);
	assert_non_null(bb_dsn_strerror(want));
}

static void bad_input(void **state)
{
	(void)state;
	fails(NULL, BB_DSN_EEMPTY);
	fails("", BB_DSN_EEMPTY);
	fails("   \t", BB_DSN_EEMPTY);
	fails("ftp://tok@host/", BB_DSN_ESCHEME);
	fails("https://host/", BB_DSN_ENOTOKEN);
	fails("https://@host/", BB_DSN_ENOTOKEN);
	fails("https://tok@/x", BB_DSN_ENOHOST);
	fails("https://tok@:80/", BB_DSN_ENOHOST);
	fails("https://tok@host:0/", BB_DSN_EPORT);
	fails("https://tok@host:65536/", BB_DSN_EPORT);
	fails("https://tok@host:8x/", BB_DSN_EPORT);
	fails("https://tok@host:/", BB_DSN_EPORT);
	fails("https://to k@host/", BB_DSN_ECHAR);
	fails("tok\"en", BB_DSN_ECHAR);
	fails("tok@host", BB_DSN_ESCHEME);
	fails("https://tok@[::1/", BB_DSN_ENOHOST);
	char big[600];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	fails(big, BB_DSN_ETOOLONG);
}

static void endpoint(void **state)
{
	char out[BB_ENDPOINT_MAX];

	(void)state;
	assert_int_equal(bb_endpoint_parse("http://127.0.0.1:8000", out, sizeof(out)), BB_DSN_OK);
	assert_string_equal(out, "http://127.0.0.1:8000/");
	assert_int_equal(bb_endpoint_parse("https://h/api/ingest", out, sizeof(out)), BB_DSN_OK);
	assert_string_equal(out, "https://h/api/ingest/");
	assert_int_equal(bb_endpoint_parse("gopher://h/", out, sizeof(out)), BB_DSN_ESCHEME);
	assert_int_equal(bb_endpoint_parse("http://h:99999/", out, sizeof(out)), BB_DSN_EPORT);
	assert_int_equal(bb_endpoint_parse("", out, sizeof(out)), BB_DSN_EEMPTY);
}

static void mask(void **state)
{
	char out[32];

	(void)state;
	bb_token_mask("abcdef123456", out, sizeof(out));
	assert_string_equal(out, "abcd...");
	bb_token_mask("abc", out, sizeof(out));
	assert_string_equal(out, "****");
	bb_token_mask(NULL, out, sizeof(out));
	assert_string_equal(out, "****");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(url_forms),
		cmocka_unit_test(bare_token),
		cmocka_unit_test(bad_input),
		cmocka_unit_test(endpoint),
		cmocka_unit_test(mask),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
