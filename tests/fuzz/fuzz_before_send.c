/*
 * fuzz_before_send.c - the check of what a before_send program printed
 * (filter_check_output, daemon/filter.c), then what the root part does
 * with an object it accepted: shrink it and write it out.  The output is
 * in a buffer of exactly its size, as the pipe left it: nothing after it
 * may be read.
 */
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "fuzz.h"
#include "shrink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *out = malloc(size ? size : 1), reason[512];
	struct json_object *obj;

	if (!out)
		return 0;
	memcpy(out, data, size);
	enum before_send_result r = filter_check_output(out, size, &obj, reason, sizeof(reason));
	free(out);
	if ((r == BEFORE_SEND_KEEP) != (obj != NULL))
		abort();
	fuzz_deliver(obj, SHRINK_LIMIT);
	return 0;
}
