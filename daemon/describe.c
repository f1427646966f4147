/*
 * describe.c - turns a signal, its si_code and the x86-64 page-fault error
 * code into the sentence at the top of a report.  Kept apart from the
 * event writer because every new cause of death (assert, uncaught C++
 * exception, heap corruption) is another sentence here, not more JSON.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "describe.h"

struct code_text {
	int signo, code;
	const char *name, *meaning;
};

static const struct code_text codes[] = {
	{ SIGSEGV, SEGV_MAPERR, "SEGV_MAPERR", "address not mapped" },
	{ SIGSEGV, SEGV_ACCERR, "SEGV_ACCERR", "invalid permissions for mapped object" },
	{ SIGSEGV, 3, "SEGV_BNDERR", "failed address bound checks" },
	{ SIGSEGV, 4, "SEGV_PKUERR", "access denied by memory protection keys" },
	{ SIGBUS, BUS_ADRALN, "BUS_ADRALN", "invalid address alignment" },
	{ SIGBUS, BUS_ADRERR, "BUS_ADRERR", "nonexistent physical address" },
	{ SIGBUS, BUS_OBJERR, "BUS_OBJERR", "object-specific hardware error" },
	{ SIGBUS, 4, "BUS_MCEERR_AR", "hardware memory error, action required" },
	{ SIGBUS, 5, "BUS_MCEERR_AO", "hardware memory error, action optional" },
	{ SIGILL, ILL_ILLOPC, "ILL_ILLOPC", "illegal opcode" },
	{ SIGILL, ILL_ILLOPN, "ILL_ILLOPN", "illegal operand" },
	{ SIGILL, ILL_ILLADR, "ILL_ILLADR", "illegal addressing mode" },
	{ SIGILL, ILL_ILLTRP, "ILL_ILLTRP", "illegal trap" },
	{ SIGILL, ILL_PRVOPC, "ILL_PRVOPC", "privileged opcode" },
	{ SIGILL, ILL_PRVREG, "ILL_PRVREG", "privileged register" },
	{ SIGILL, ILL_COPROC, "ILL_COPROC", "coprocessor error" },
	{ SIGILL, ILL_BADSTK, "ILL_BADSTK", "internal stack error" },
	{ SIGFPE, FPE_INTDIV, "FPE_INTDIV", "integer divide by zero" },
	{ SIGFPE, FPE_INTOVF, "FPE_INTOVF", "integer overflow" },
	{ SIGFPE, FPE_FLTDIV, "FPE_FLTDIV", "floating-point divide by zero" },
	{ SIGFPE, FPE_FLTOVF, "FPE_FLTOVF", "floating-point overflow" },
	{ SIGFPE, FPE_FLTUND, "FPE_FLTUND", "floating-point underflow" },
	{ SIGFPE, FPE_FLTRES, "FPE_FLTRES", "floating-point inexact result" },
	{ SIGFPE, FPE_FLTINV, "FPE_FLTINV", "invalid floating-point operation" },
	{ SIGFPE, FPE_FLTSUB, "FPE_FLTSUB", "subscript out of range" },
	{ SIGTRAP, TRAP_BRKPT, "TRAP_BRKPT", "breakpoint" },
	{ SIGTRAP, TRAP_TRACE, "TRAP_TRACE", "trace trap" },
	{ SIGSYS, 1, "SYS_SECCOMP", "system call blocked by seccomp" },
};

static const struct code_text generic[] = {
	{ 0, SI_USER, "SI_USER", "sent by kill()" },
	{ 0, SI_KERNEL, "SI_KERNEL", "sent by the kernel" },
	{ 0, SI_QUEUE, "SI_QUEUE", "sent by sigqueue()" },
	{ 0, SI_TIMER, "SI_TIMER", "POSIX timer expired" },
	{ 0, SI_MESGQ, "SI_MESGQ", "message queue state changed" },
	{ 0, SI_ASYNCIO, "SI_ASYNCIO", "AIO completed" },
	{ 0, SI_TKILL, "SI_TKILL", "sent by tkill() or raise()" },
};

static const struct code_text *find_code(int signo, int code)
{
	if (code > 0 && code != SI_KERNEL)
		for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
			if (codes[i].signo == signo && codes[i].code == code)
				return &codes[i];
	for (size_t i = 0; i < sizeof(generic) / sizeof(generic[0]); i++)
		if (generic[i].code == code)
			return &generic[i];
	return NULL;
}

const char *describe_code_meaning(int signo, int code)
{
	const struct code_text *t = find_code(signo, code);
	return t ? t->meaning : NULL;
}

const char *describe_code_name(int signo, int code)
{
	const struct code_text *t = find_code(signo, code);
	return t ? t->name : NULL;
}

#define X86_TRAP_PF 14
#define X86_PF_WRITE 0x2
#define X86_PF_INSTR 0x10

const char *describe_access(const struct bb_record *rec)
{
	if (rec->signo != SIGSEGV || !rec->has_regs || rec->trapno != X86_TRAP_PF)
		return NULL;
	if (rec->err & X86_PF_INSTR)
		return "instruction fetch";
	return (rec->err & X86_PF_WRITE) ? "write" : "read";
}

int describe_is_stack_overflow(const struct bb_record *rec)
{
	uint64_t sp = rec->regs[BB_REG_RSP], addr = rec->fault_addr;

	if ((rec->signo != SIGSEGV && rec->signo != SIGBUS) || !rec->has_regs ||
	    rec->si_code <= 0)
		return 0;
	/* A push or call below an exhausted stack faults a few bytes under
	 * rsp, in the guard gap; a wild pointer almost never lands there. */
	return addr + 65536 >= sp && addr <= sp + 256;
}

static void describe_fault(const struct bb_record *rec, char *out, size_t outlen)
{
	const char *meaning = describe_code_meaning(rec->signo, rec->si_code);
	const char *access = describe_access(rec);
	char addr[32];

	snprintf(addr, sizeof(addr), "0x%llx", (unsigned long long)rec->fault_addr);
	if (describe_is_stack_overflow(rec)) {
		snprintf(out, outlen, "stack overflow (invalid %s at %s, %s)",
			 access ? access : "access", addr, meaning ? meaning : "guard page");
	} else if (rec->signo == SIGSEGV && rec->si_code == SI_KERNEL) {
		snprintf(out, outlen, "general protection fault (a non-canonical or "
			 "privileged address; the faulting address is unknown)");
	} else if (rec->signo == SIGSEGV || rec->signo == SIGBUS) {
		snprintf(out, outlen, "invalid %s at %s (%s)",
			 access ? (strcmp(access, "instruction fetch") == 0 ?
				   "instruction fetch" : access) : "memory access",
			 addr, meaning ? meaning : "unknown cause");
	} else if (meaning) {
		snprintf(out, outlen, "%s at %s", meaning, addr);
	} else {
		snprintf(out, outlen, "fatal signal (si_code %d) at %s", rec->si_code, addr);
	}
}

void describe_message(const struct bb_record *rec, const char *function,
		const char *app_function, char *out, size_t outlen)
{
	const char *name = bb_signal_name(rec->signo);
	char what[256], where[256] = "";

	if (rec->signo == SIGABRT && rec->si_code <= 0)
		snprintf(what, sizeof(what), "the program aborted (abort() was called)");
	else if (rec->si_code <= 0 && rec->si_code != SI_KERNEL)
		snprintf(what, sizeof(what), "%s",
			 describe_code_meaning(rec->signo, rec->si_code) ?: "sent by a process");
	else
		describe_fault(rec, what, sizeof(what));

	if (rec->signo == SIGABRT && app_function)
		snprintf(where, sizeof(where), " in %.200s", app_function);
	else if (function && app_function && strcmp(function, app_function) != 0)
		snprintf(where, sizeof(where), " in %.100s called from %.100s", function, app_function);
	else if (function || app_function)
		snprintf(where, sizeof(where), " in %.200s", function ? function : app_function);
	snprintf(out, outlen, "%s: %s%s", name ? name : "signal", what, where);
}

void describe_unwrap_nested(char *name)
{
	static const char wrapper[] = "std::_Nested_exception<";
	size_t len = strlen(name), wl = sizeof(wrapper) - 1;

	if (len <= wl + 1 || strncmp(name, wrapper, wl) != 0 || name[len - 1] != '>')
		return;
	memmove(name, name + wl, len - wl - 1);
	len -= wl + 1;
	while (len && name[len - 1] == ' ')	/* "Foo<Bar> >" from older demanglers */
		len--;
	name[len] = '\0';
}
