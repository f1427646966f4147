/*
 * fuzz_common.c - see fuzz.h.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "filter.h"
#include "fuzz.h"
#include "scrub.h"
#include "shrink.h"
#include "utf8.h"

static const char config_text[] =
	"scrub_value = [A-Z]{2}[0-9]{2}[A-Z0-9]{10,30} => [iban]\n"
	"scrub_value = (secret|token)=[^ ]* => \\1=[filtered]\n"
	"scrub_names = iban pin\n"
	"ignore_errors = SIGPIPE, std::logic_error, shop::Timeout\n";

const struct bb_config *fuzz_config(void)
{
	static struct bb_config cfg;
	static int made;
	char err[256];

	if (!made) {
		bb_config_init(&cfg);
		if (bb_config_parse(&cfg, "fuzz", config_text, sizeof(config_text) - 1, err,
				    sizeof(err)) != 0) {
			fprintf(stderr, "fuzz: %s\n", err);
			abort();
		}
		made = 1;
	}
	return &cfg;
}

void fuzz_deliver(struct json_object *ev, size_t limit)
{
	const struct bb_config *cfg = fuzz_config();
	struct event_facts facts;
	size_t len;

	if (!ev)
		return;
	event_facts_read(ev, &facts);
	filter_ignored(cfg, &facts);
	scrub_event(cfg, ev);
	shrink_event(ev, limit);
	char *json = event_serialize(ev, &len);
	/* what goes to disk, before_send and the ingest is UTF-8 */
	if (json && (strlen(json) != len || !utf8_is_valid(json, len)))
		abort();
	free(json);
	json_object_put(ev);
}

char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}
