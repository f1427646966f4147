/*
 * record.h - the wire record a crashing process (or the booboo CLI, or the
 * public API) hands to boobood over the Unix socket.
 *
 * One record is one SOCK_SEQPACKET message of exactly sizeof(struct
 * bb_record) bytes: fixed layout, fixed bounds, no pointers, so the shim can
 * fill it from a signal handler without allocating and the daemon can
 * validate it with a handful of comparisons.  A crash record travels with
 * two file descriptors (SCM_RIGHTS): the sender's /proc/self/mem and
 * /proc/self/maps, opened by the sender itself, so the daemon can only ever
 * read the memory of the process that sent the record.
 *
 * The daemon answers a crash record with one struct bb_ack once it no
 * longer needs the process; the shim waits for it at most its hold bound.
 */
#ifndef BB_RECORD_H
#define BB_RECORD_H

#include <stddef.h>
#include <stdint.h>

#define BB_RECORD_MAGIC   0x4b524242u /* "BBRK" little endian */
#define BB_RECORD_VERSION 3u	/* 2: causes of a captured exception; 3: Rust panics */

enum bb_record_kind {
	BB_REC_CRASH = 1,	/* fatal signal, from the shim's handler */
	BB_REC_MESSAGE = 2,	/* capture_message: booboo CLI or API */
	BB_REC_ERROR = 3,	/* capture_error: a handled error with the caller's
				 * stack; the process goes on running after the ack */
	BB_REC_PANIC = 4,	/* a Rust panic, seen where it starts unwinding: held
				 * like an error (panic_count 0), or the count of
				 * later panics at the same place (not held) */
};

/* x86-64 general registers in DWARF numbering (0..16), as libdwfl wants
 * them: rax rdx rcx rbx rsi rdi rbp rsp r8..r15 rip. */
#define BB_NREGS 17
#define BB_REG_RSP 7
#define BB_REG_RIP 16

#define BB_THREAD_NAME_MAX 16	/* TASK_COMM_LEN */
#define BB_ENV_MAX 64
#define BB_RELEASE_MAX 128
#define BB_TAGS_MAX 512		/* "k=v,k=v" as given in BOOBOO_TAGS */
#define BB_LEVEL_MAX 8
#define BB_MESSAGE_MAX 2048
#define BB_EXE_MAX 256
#define BB_TYPE_MAX 256
#define BB_USER_FIELD_MAX 128
#define BB_METHOD_MAX 16
#define BB_URL_MAX 1024
#define BB_CAUSES_MAX 4
#define BB_CAUSE_VALUE_MAX 512
#define BB_WHERE_MAX 256	/* a panic's "src/main.rs:14:9" */
#define BB_PANIC_THREAD_MAX 64	/* the Rust thread's name, uncut by the kernel's 16 */

struct bb_record {
	uint32_t magic;		/* BB_RECORD_MAGIC */
	uint16_t version;	/* BB_RECORD_VERSION */
	uint16_t kind;		/* enum bb_record_kind */
	uint32_t size;		/* sizeof(struct bb_record) */
	uint32_t flags;		/* reserved, 0 */

	int32_t pid;		/* getpid() of the sender: must match SO_PEERCRED */
	int32_t tid;		/* crashing (or calling) thread */
	int32_t signo;		/* crash: 1..64; message: 0 */
	int32_t si_code;
	int32_t si_errno;
	uint32_t has_regs;	/* 1 when regs[] is valid */
	uint64_t fault_addr;	/* si_addr */
	uint64_t time_sec;	/* CLOCK_REALTIME at the crash */
	uint64_t time_nsec;
	uint64_t regs[BB_NREGS];	/* DWARF order, see above */
	uint64_t eflags;
	uint64_t fs_base;
	uint64_t err;		/* REG_ERR: page-fault error code on SIGSEGV */
	uint64_t trapno;
	uint64_t exc_object;	/* last C++ exception thrown by this thread; a
				 * panic's: its _Unwind_Exception */
	uint64_t exc_tinfo;	/* its std::type_info *, 0 if none */

	/* Every string field is NUL-terminated within its array; the daemon
	 * rejects the record otherwise. */
	char thread_name[BB_THREAD_NAME_MAX];
	char exe[BB_EXE_MAX];		/* readlink /proc/self/exe, informative */
	char environment[BB_ENV_MAX];	/* BOOBOO_ENVIRONMENT at load */
	char release[BB_RELEASE_MAX];	/* BOOBOO_RELEASE at load */
	char tags[BB_TAGS_MAX];		/* BOOBOO_TAGS at load */
	char level[BB_LEVEL_MAX];	/* message: info|warning|error */
	char message[BB_MESSAGE_MAX];	/* message / error text */
	char error_type[BB_TYPE_MAX];	/* capture_error's type */
	/* booboo_set_user(): any of them may be empty */
	char user_id[BB_USER_FIELD_MAX];
	char user_email[BB_USER_FIELD_MAX];
	char user_username[BB_USER_FIELD_MAX];
	char user_ip[BB_USER_FIELD_MAX];
	/* booboo_set_request() of the calling thread */
	char request_method[BB_METHOD_MAX];
	char request_url[BB_URL_MAX];
	/* booboo_capture_exception(): the exceptions the captured one was
	 * thrown from (std::throw_with_nested), the nearest first; only in
	 * BB_REC_ERROR records */
	uint32_t n_causes;
	uint32_t reserved;	/* 0 */
	char cause_type[BB_CAUSES_MAX][BB_TYPE_MAX];
	char cause_value[BB_CAUSES_MAX][BB_CAUSE_VALUE_MAX];
	/* A Rust panic.  The shim reports a site's first panic in a
	 * BB_REC_PANIC held, with the stack (panic_count 0, the two
	 * descriptors), and the panics after it at the same site as counts:
	 * panic_count of them, the first at panic_first_sec, the last at
	 * time_sec, without registers or descriptors.  message is the panic
	 * message as Rust's hook printed it ("" when it printed none).
	 * panic_site, panic_first_sec and panic_count are 0 in the other
	 * kinds; a crash (panic = "abort": the SIGABRT after the hook) may
	 * carry the words. */
	uint64_t panic_site;	/* the shim's id of the site (its place in the code) */
	uint64_t panic_first_sec;
	uint32_t panic_count;
	uint32_t panic_reserved;	/* 0 */
	char panic_where[BB_WHERE_MAX];	/* "" when unknown */
	char panic_thread[BB_PANIC_THREAD_MAX];	/* "" when unknown */
};

#define BB_ACK_MAGIC 0x4b434142u /* "BACK" */
struct bb_ack {
	uint32_t magic;
	uint32_t status;	/* 0 = recorded; non-zero = refused (still fine to die) */
};

enum bb_record_err {
	BB_REC_OK = 0,
	BB_REC_ESIZE,		/* length is not sizeof(struct bb_record) */
	BB_REC_EMAGIC,
	BB_REC_EVERSION,
	BB_REC_EKIND,
	BB_REC_ESIGNAL,		/* signal number out of range for the kind */
	BB_REC_ESTRING,		/* a string field is not NUL-terminated */
	BB_REC_ELEVEL,		/* message level not info|warning|error */
	BB_REC_EPID,		/* pid/tid not positive */
	BB_REC_EFLAGS,
	BB_REC_ECOUNT,		/* n_causes above BB_CAUSES_MAX, or causes where
				 * the kind has none */
	BB_REC_ETIME,		/* time_nsec not below 1e9 */
	BB_REC_EPANIC,		/* panic fields in another kind, or a panic count
				 * with registers, or its first time after its last */
};

/* A zeroed record of this kind with its header (magic, version, kind,
 * size).  Async-signal-safe: the shim's crash handler starts with it. */
void bb_record_init(struct bb_record *rec, enum bb_record_kind kind);

/* Check a received buffer; on BB_REC_OK *out holds a copy that is safe to
 * use (all strings terminated, all numbers in range). */
enum bb_record_err bb_record_parse(const void *buf, size_t len, struct bb_record *out);
const char *bb_record_strerror(enum bb_record_err err);

/* A record's time more than this away from the daemon's clock is not
 * believed (event.c): the daemon's own time stands in for it. */
#define BB_TIME_SKEW_MAX_SEC (24u * 3600u)

/* Is sec (a record's time_sec) more than BB_TIME_SKEW_MAX_SEC away from
 * now?  Unsigned throughout: a forged time near 2^64 does not wrap. */
int bb_record_time_off(uint64_t sec, uint64_t now);

/* Parse BOOBOO_TAGS-style "k=v,k=v" text.  Calls fn for each pair; returns
 * 0, or -1 when the text is malformed (a pair without '=', an empty key). */
int bb_tags_foreach(const char *text, int (*fn)(const char *key, size_t klen,
		const char *val, size_t vlen, void *arg), void *arg);

/* Does the sender wait for the daemon while its memory is read (a crash,
 * a captured error, a site's first panic)?  Such a record comes with
 * the sender's /proc/PID/mem and maps; the others (a message, a panic
 * count) come alone and are not waited for. */
int bb_record_held(const struct bb_record *rec);

/* "crash", "message", "error", "panic": for logs. */
const char *bb_record_kind_name(const struct bb_record *rec);

/* Name of a fatal signal ("SIGSEGV"), or NULL for unknown numbers. */
const char *bb_signal_name(int signo);

#endif
