/*
 * fuzz_record.c - the record decoder (common/record.c) and what the root
 * part makes of a record it accepted: a message's event, or a degraded
 * crash report (the worker never answered), through ignore_errors,
 * scrubbing, the shrinker and the serializer.
 *
 * A record is exactly sizeof(struct bb_record) bytes: the input is cut or
 * zero-padded to it, so the mutations reach the checks past the size.
 */
#include <string.h>

#include "degraded.h"
#include "event.h"
#include "fuzz.h"
#include "record.h"
#include "shrink.h"

static int tag(const char *k, size_t kl, const char *v, size_t vl, void *arg)
{
	(void)k;
	(void)v;
	*(size_t *)arg += kl + vl;
	return 0;
}

static void root_part_event(const struct bb_record *rec)
{
	const struct bb_config *cfg = fuzz_config();
	const char *exe = "/usr/bin/fuzzed";
	struct json_object *ev;

	if (rec->kind == BB_REC_MESSAGE) {
		ev = event_from_message(cfg, rec, rec->pid, 1000, exe);
	} else {
		struct degraded_input in = { .rec = rec, .pid = rec->pid, .uid = 1000, .gid = 1000,
					     .exe = exe, .reason = "the worker did not answer" };
		ev = degraded_event(cfg, &in);
	}
	fuzz_deliver(ev, SHRINK_LIMIT);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char buf[sizeof(struct bb_record)] = { 0 };
	struct bb_record rec;
	size_t n = 0;

	bb_record_parse(data, size, &rec);	/* as it came: the size is checked too */
	memcpy(buf, data, size < sizeof(buf) ? size : sizeof(buf));
	if (bb_record_parse(buf, sizeof(buf), &rec) != BB_REC_OK)
		return 0;
	bb_tags_foreach(rec.tags, tag, &n);
	bb_signal_name(rec.signo);
	root_part_event(&rec);
	return 0;
}
