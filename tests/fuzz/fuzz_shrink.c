/*
 * fuzz_shrink.c - the event shrinker (daemon/shrink.c) on any JSON object
 * a worker or before_send could hand the root part, against a limit the
 * input's first two bytes choose (so that small events are shrunk too).
 */
#include "fuzz.h"

#define JSON_DEPTH 64	/* the delivery thread's */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size - 2 > INT32_MAX)
		return 0;
	size_t limit = (size_t)(data[0] | data[1] << 8);
	struct json_tokener *tok = json_tokener_new_ex(JSON_DEPTH);
	struct json_object *ev = tok ? json_tokener_parse_ex(tok, (const char *)data + 2,
							      (int)(size - 2)) : NULL;

	if (tok)
		json_tokener_free(tok);
	if (json_object_is_type(ev, json_type_object))
		fuzz_deliver(ev, limit);
	else
		json_object_put(ev);
	return 0;
}
