/* record_seeds.c OUTDIR: writes valid records of each kind, as the shim
 * fills them, as seeds for fuzz_record (see make-seeds.sh). */
#include <stdio.h>
#include <string.h>

#include "record.h"

static void put(const char *dir, const char *name, const struct bb_record *r)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (!(f = fopen(path, "wb")) || fwrite(r, sizeof(*r), 1, f) != 1 || fclose(f) != 0)
		perror(path);
}

static void base(struct bb_record *r, enum bb_record_kind kind)
{
	memset(r, 0, sizeof(*r));
	r->magic = BB_RECORD_MAGIC;
	r->version = BB_RECORD_VERSION;
	r->kind = (uint16_t)kind;
	r->size = sizeof(*r);
	r->pid = 4242;
	r->tid = 4243;
	r->time_sec = 1790000000;
	r->time_nsec = 123456789;
	strcpy(r->thread_name, "worker-1");
	strcpy(r->exe, "/usr/bin/shop");
	strcpy(r->environment, "production");
	strcpy(r->release, "shop@1.4.2");
	strcpy(r->tags, "region=eu, team=payments,,host=h1");
	strcpy(r->user_id, "42");
	strcpy(r->user_email, "alice@example.com");
	strcpy(r->request_method, "POST");
	strcpy(r->request_url, "/checkout?iban=DE89370400440532013000&token=abc");
}

int main(int argc, char **argv)
{
	struct bb_record r;

	if (argc != 2)
		return 2;
	base(&r, BB_REC_CRASH);
	r.signo = 11;
	r.si_code = 1;
	r.fault_addr = 0x10;
	r.has_regs = 1;
	for (int i = 0; i < BB_NREGS; i++)
		r.regs[i] = 0x7ffc00001000ull + (uint64_t)i * 8;
	put(argv[1], "crash", &r);
	r.signo = 6;
	r.exc_object = 0x5555deadbeef;
	r.exc_tinfo = 0x7f0000001000;
	put(argv[1], "abort", &r);

	base(&r, BB_REC_MESSAGE);
	strcpy(r.level, "warning");
	strcpy(r.message, "disk at 91% for DE89370400440532013000 secret=hunter2");
	put(argv[1], "message", &r);

	base(&r, BB_REC_ERROR);
	strcpy(r.level, "error");
	strcpy(r.error_type, "shop::PaymentDeclined");
	strcpy(r.message, "card declined");
	r.has_regs = 1;
	r.n_causes = 2;
	strcpy(r.cause_type[0], "std::runtime_error");
	strcpy(r.cause_value[0], "gateway timed out");
	strcpy(r.cause_type[1], "std::logic_error");
	strcpy(r.cause_value[1], "bad state \x1b[31m");
	put(argv[1], "error", &r);

	/* a Rust panic site's first panic, held with its registers, and a
	 * count of the later ones there */
	base(&r, BB_REC_PANIC);
	strcpy(r.level, "error");
	strcpy(r.message, "index out of bounds: the len is 2 but the index is 5");
	strcpy(r.panic_where, "src/main.rs:14:9");
	strcpy(r.panic_thread, "ledger-writer-thread");
	r.panic_site = 0x9e3779b97f4a7c15ull;
	r.has_regs = 1;
	r.exc_object = 0x5555deadbeef;
	put(argv[1], "panic", &r);
	r.has_regs = 0;
	r.exc_object = 0;
	r.panic_count = 41;
	r.panic_first_sec = r.time_sec - 5;
	put(argv[1], "panic-count", &r);
	return 0;
}
