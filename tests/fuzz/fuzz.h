/*
 * fuzz.h - what the libFuzzer targets share (fuzz_common.c).
 */
#ifndef BB_FUZZ_H
#define BB_FUZZ_H

#include <json-c/json.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A configuration as an administrator might write it: scrub_value rules,
 * scrub_names and ignore_errors, so that their code runs too. */
const struct bb_config *fuzz_config(void);

/* The root part's last stages, as delivery.c runs them on an event:
 * ignore_errors, scrubbing, the shrinker and the serializer (to `limit`
 * bytes); checks what they promise.  Takes ev. */
void fuzz_deliver(struct json_object *ev, size_t limit);

/* data[0..size) as a NUL-terminated string (malloc'd, cut at a NUL). */
char *fuzz_string(const uint8_t *data, size_t size);

#endif
