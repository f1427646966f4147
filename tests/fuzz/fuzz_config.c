/*
 * fuzz_config.c - the configuration parser (common/config.c) on any text,
 * and the worker's copy of it without the DSN.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bb_config cfg;
	char err[512];
	size_t len;

	bb_config_init(&cfg);
	if (bb_config_parse(&cfg, "fuzz.conf", (const char *)data, size, err, sizeof(err)) == 0) {
		/* the worker's copy: parsed again, it must hold no DSN */
		cfg.text = malloc(size + 1);
		memcpy(cfg.text, data, size);
		cfg.text[size] = '\0';
		cfg.text_len = size;
		char *text = bb_config_text_without_dsn(&cfg, &len);
		struct bb_config again;
		bb_config_init(&again);
		if (text && bb_config_parse(&again, "worker", text, len, err, sizeof(err)) == 0 &&
		    again.has_dsn)
			abort();
		bb_config_free(&again);
		free(text);
	} else if (!memchr(err, '\0', sizeof(err))) {
		abort();
	}
	bb_config_free(&cfg);
	return 0;
}
