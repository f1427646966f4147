/* Unit tests for daemon/describe.c: the sentence at the top of a report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <signal.h>
#include <string.h>

#include "describe.h"

static struct bb_record fault(int signo, int code, uint64_t addr)
{
	struct bb_record r;

	memset(&r, 0, sizeof(r));
	r.signo = signo;
	r.si_code = code;
	r.fault_addr = addr;
	r.has_regs = 1;
	r.regs[BB_REG_RSP] = 0x7ffc00100000;
	return r;
}

static void segv(void **state)
{
	char msg[256];
	struct bb_record r = fault(SIGSEGV, SEGV_MAPERR, 0);

	(void)state;
	r.trapno = 14;
	r.err = 0x4;	/* user-mode read */
	describe_message(&r, "deref", "deref", msg, sizeof(msg));
	assert_string_equal(msg, "SIGSEGV: invalid read at 0x0 (address not mapped) in deref");
	r.err = 0x6;
	describe_message(&r, NULL, NULL, msg, sizeof(msg));
	assert_string_equal(msg, "SIGSEGV: invalid write at 0x0 (address not mapped)");
	r.err = 0x14;
	assert_string_equal(describe_access(&r), "instruction fetch");
	r = fault(SIGSEGV, SEGV_ACCERR, 0x1000);
	describe_message(&r, "strlen", "main", msg, sizeof(msg));
	assert_string_equal(msg, "SIGSEGV: invalid memory access at 0x1000 "
			    "(invalid permissions for mapped object) in strlen called from main");
}

static void overflow(void **state)
{
	char msg[256];
	struct bb_record r = fault(SIGSEGV, SEGV_MAPERR, 0x7ffc00100000 - 8);

	(void)state;
	r.trapno = 14;
	r.err = 0x6;
	assert_true(describe_is_stack_overflow(&r));
	describe_message(&r, "recurse", "recurse", msg, sizeof(msg));
	assert_non_null(strstr(msg, "SIGSEGV: stack overflow (invalid write at 0x7ffc000ffff8"));
	r.fault_addr = 0;
	assert_false(describe_is_stack_overflow(&r));
}

static void other_signals(void **state)
{
	char msg[256];
	struct bb_record r = fault(SIGFPE, FPE_INTDIV, 0x401000);

	(void)state;
	describe_message(&r, "avg", "avg", msg, sizeof(msg));
	assert_string_equal(msg, "SIGFPE: integer divide by zero at 0x401000 in avg");
	r = fault(SIGABRT, SI_TKILL, 0);
	describe_message(&r, "raise", "main", msg, sizeof(msg));
	assert_string_equal(msg, "SIGABRT: the program aborted (abort() was called) in main");
	r = fault(SIGILL, ILL_ILLOPN, 0x1234);
	describe_message(&r, NULL, NULL, msg, sizeof(msg));
	assert_string_equal(msg, "SIGILL: illegal operand at 0x1234");
	r = fault(SIGBUS, BUS_ADRERR, 0x7f0000000000);
	describe_message(&r, NULL, NULL, msg, sizeof(msg));
	assert_non_null(strstr(msg, "nonexistent physical address"));
	r = fault(SIGSEGV, SI_USER, 0);
	describe_message(&r, NULL, NULL, msg, sizeof(msg));
	assert_string_equal(msg, "SIGSEGV: sent by kill()");
	assert_string_equal(describe_code_name(SIGSEGV, SI_USER), "SI_USER");
	assert_null(describe_code_name(SIGSEGV, 77));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(segv),
		cmocka_unit_test(overflow),
		cmocka_unit_test(other_signals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
