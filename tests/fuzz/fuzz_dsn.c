/*
 * fuzz_dsn.c - the DSN and endpoint parsers (common/dsn.c) on any text:
 * what they accept fits its buffers and masks to a prefix of the token.
 */
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), endpoint[BB_ENDPOINT_MAX], masked[32];
	struct bb_dsn dsn;

	if (bb_dsn_parse(text, &dsn) == BB_DSN_OK) {
		size_t tl = strnlen(dsn.token, sizeof(dsn.token)), el = strnlen(dsn.endpoint,
				sizeof(dsn.endpoint));
		if (tl == 0 || tl == sizeof(dsn.token) || el == sizeof(dsn.endpoint) ||
		    dsn.endpoint[el - 1] != '/')
			abort();
		bb_token_mask(dsn.token, masked, sizeof(masked));
		if (strlen(masked) >= tl + 4 && tl > 4)	/* never the whole token */
			abort();
	}
	bb_endpoint_parse(text, endpoint, sizeof(endpoint));
	bb_dsn_strerror((enum bb_dsn_err)(size % 10));
	free(text);
	return 0;
}
