/* Unit tests for daemon/dwexpr.c: the DWARF expression evaluator on
 * hand-made expressions, the ones gcc emits and the ones only an attacker
 * writes.  Every malformed one must end in a status, never a trap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dwarf.h>
#include <string.h>

#include "dwexpr.h"

/* A frame: rbx (3) and rbp (6) known, 64 bytes of memory at 0x1000. */
struct fake {
	unsigned char mem[64];
	int frame_base_calls;
};

static bool fake_reg(void *arg, unsigned regno, uint64_t *v)
{
	(void)arg;
	if (regno != 3 && regno != 6)
		return false;
	*v = regno == 3 ? 0x1000 : 0x7000;
	return true;
}

static bool fake_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	struct fake *f = arg;

	if (addr < 0x1000 || addr - 0x1000 > sizeof(f->mem) || len > sizeof(f->mem) - (addr - 0x1000))
		return false;
	memcpy(buf, f->mem + (addr - 0x1000), len);
	return true;
}

static bool fake_cfa(void *arg, uint64_t *v)
{
	(void)arg;
	*v = 0x2000;
	return true;
}

static const struct dwexpr_env *fake_env(struct fake *f, unsigned long *budget);

/* The frame base is an expression too: here DW_OP_fbreg 0, itself,
 * as crafted DWARF can say; the nesting limit must end it. */
static bool fake_frame_base(void *arg, int depth, uint64_t *v)
{
	struct fake *f = arg;
	Dwarf_Op self[] = { { .atom = DW_OP_fbreg, .number = 0, .offset = 0 } };
	struct dwexpr_loc l;

	f->frame_base_calls++;
	return dwexpr_eval(fake_env(f, NULL), NULL, self, 1, depth, &l) == DWEXPR_OK &&
	       dwexpr_word(&l, v);
}

/* One env for all: the nested ones a frame base starts are the same frame. */
static struct dwexpr_env env_mem;

static const struct dwexpr_env *fake_env(struct fake *f, unsigned long *budget)
{
	env_mem = (struct dwexpr_env){ .reg = fake_reg, .read = fake_read, .cfa = fake_cfa,
				       .frame_base = fake_frame_base, .arg = f, .bias = 0x400000,
				       .ops_left = budget };
	return &env_mem;
}

/* Ops with offsets as if each took 1 byte, branches 3: what libdw gives. */
static enum dwexpr_status run(struct fake *f, Dwarf_Op *ops, size_t n, struct dwexpr_loc *out)
{
	Dwarf_Word off = 0;

	for (size_t i = 0; i < n; i++) {
		ops[i].offset = off;
		off += ops[i].atom == DW_OP_skip || ops[i].atom == DW_OP_bra ? 3 : 1;
	}
	return dwexpr_eval(fake_env(f, NULL), NULL, ops, n, 0, out);
}

#define OP(a) { .atom = (a) }
#define OPN(a, n) { .atom = (a), .number = (Dwarf_Word)(n) }

/* A value expression's result, or fail the test. */
static uint64_t value_of(Dwarf_Op *ops, size_t n)
{
	struct fake f = { { 0 }, 0 };
	struct dwexpr_loc l;
	uint64_t v = 0;

	assert_int_equal(run(&f, ops, n, &l), DWEXPR_OK);
	assert_int_equal(l.kind, DWEXPR_VALUE);
	assert_true(dwexpr_word(&l, &v));
	return v;
}

static enum dwexpr_status status_of(Dwarf_Op *ops, size_t n)
{
	struct fake f = { { 0 }, 0 };
	struct dwexpr_loc l;

	return run(&f, ops, n, &l);
}

static void locations(void **state)
{
	struct fake f = { { 0 }, 0 };
	struct dwexpr_loc l;

	(void)state;
	Dwarf_Op breg[] = { OPN(DW_OP_breg3, 16) };
	assert_int_equal(run(&f, breg, 1, &l), DWEXPR_OK);
	assert_int_equal(l.kind, DWEXPR_MEMORY);
	assert_int_equal(l.addr, 0x1010);
	Dwarf_Op addr[] = { OPN(DW_OP_addr, 0x4010) };
	assert_int_equal(run(&f, addr, 1, &l), DWEXPR_OK);
	assert_int_equal(l.addr, 0x404010);		/* + the module's bias */
	Dwarf_Op cfa[] = { OP(DW_OP_call_frame_cfa), OPN(DW_OP_plus_uconst, 8) };
	assert_int_equal(run(&f, cfa, 2, &l), DWEXPR_OK);
	assert_int_equal(l.addr, 0x2008);
	Dwarf_Op reg[] = { OP(DW_OP_reg6) };
	assert_int_equal(run(&f, reg, 1, &l), DWEXPR_OK);
	assert_int_equal(l.kind, DWEXPR_VALUE);
	assert_int_equal(l.len, 8);
	/* a register the unwinder does not know: <optimized out> */
	Dwarf_Op unknown[] = { OP(DW_OP_reg0) };
	assert_int_equal(run(&f, unknown, 1, &l), DWEXPR_UNAVAILABLE);
	Dwarf_Op huge_regx[] = { OPN(DW_OP_regx, 0x100000003ULL) };	/* not register 3 */
	assert_int_equal(run(&f, huge_regx, 1, &l), DWEXPR_UNAVAILABLE);
	assert_string_equal(dwexpr_status_text(DWEXPR_UNAVAILABLE), "<optimized out>");
}

static void arithmetic_wraps(void **state)
{
	(void)state;
	Dwarf_Op add[] = { OPN(DW_OP_constu, INT64_MAX), OP(DW_OP_lit1), OP(DW_OP_plus), OP(DW_OP_stack_value) };
	assert_int_equal(value_of(add, 4), (uint64_t)INT64_MIN);
	Dwarf_Op sub[] = { OP(DW_OP_lit0), OP(DW_OP_lit1), OP(DW_OP_minus), OP(DW_OP_stack_value) };
	assert_int_equal(value_of(sub, 4), UINT64_MAX);
	Dwarf_Op mul[] = { OPN(DW_OP_constu, INT64_MIN), OPN(DW_OP_consts, -1), OP(DW_OP_mul), OP(DW_OP_stack_value) };
	assert_int_equal(value_of(mul, 4), (uint64_t)INT64_MIN);
	Dwarf_Op neg[] = { OPN(DW_OP_constu, INT64_MIN), OP(DW_OP_neg), OP(DW_OP_stack_value) };
	assert_int_equal(value_of(neg, 3), (uint64_t)INT64_MIN);
	Dwarf_Op abs[] = { OPN(DW_OP_constu, INT64_MIN), OP(DW_OP_abs), OP(DW_OP_stack_value) };
	assert_int_equal(value_of(abs, 3), (uint64_t)INT64_MIN);
	Dwarf_Op div[] = { OPN(DW_OP_consts, -7), OP(DW_OP_lit2), OP(DW_OP_div), OP(DW_OP_stack_value) };
	assert_int_equal(value_of(div, 4), (uint64_t)-3);	/* signed, toward zero */
	Dwarf_Op mod[] = { OPN(DW_OP_consts, -1), OP(DW_OP_lit10), OP(DW_OP_mod), OP(DW_OP_stack_value) };
	assert_int_equal(value_of(mod, 4), UINT64_MAX % 10);	/* unsigned, as gdb */
	Dwarf_Op shra[] = { OPN(DW_OP_consts, -8), OP(DW_OP_lit1), OP(DW_OP_shra), OP(DW_OP_stack_value) };
	assert_int_equal(value_of(shra, 4), (uint64_t)-4);
	Dwarf_Op lt[] = { OPN(DW_OP_consts, -1), OP(DW_OP_lit0), OP(DW_OP_lt), OP(DW_OP_stack_value) };
	assert_int_equal(value_of(lt, 4), 1);		/* a signed comparison */
}

static void traps_refused(void **state)
{
	(void)state;
	/* INT64_MIN / -1 traps on x86-64 (SIGFPE): the daemon would die */
	Dwarf_Op div_trap[] = { OPN(DW_OP_constu, INT64_MIN), OPN(DW_OP_consts, -1), OP(DW_OP_div),
				OP(DW_OP_stack_value) };
	assert_int_equal(status_of(div_trap, 4), DWEXPR_DIV_OVERFLOW);
	Dwarf_Op div_zero[] = { OP(DW_OP_lit5), OP(DW_OP_lit0), OP(DW_OP_div), OP(DW_OP_stack_value) };
	assert_int_equal(status_of(div_zero, 4), DWEXPR_DIV_ZERO);
	assert_string_equal(dwexpr_status_text(DWEXPR_DIV_ZERO), "<error: Division by zero>");
	Dwarf_Op mod_zero[] = { OP(DW_OP_lit5), OP(DW_OP_lit0), OP(DW_OP_mod), OP(DW_OP_stack_value) };
	assert_int_equal(status_of(mod_zero, 4), DWEXPR_DIV_ZERO);
	static const uint8_t shifts[] = { DW_OP_shl, DW_OP_shr, DW_OP_shra };
	for (size_t i = 0; i < sizeof(shifts); i++) {
		Dwarf_Op by64[] = { OP(DW_OP_lit1), OPN(DW_OP_constu, 64), OP(shifts[i]), OP(DW_OP_stack_value) };
		assert_int_equal(status_of(by64, 4), DWEXPR_BAD_SHIFT);
		Dwarf_Op negative[] = { OP(DW_OP_lit1), OPN(DW_OP_consts, -1), OP(shifts[i]), OP(DW_OP_stack_value) };
		assert_int_equal(status_of(negative, 4), DWEXPR_BAD_SHIFT);
		Dwarf_Op by63[] = { OP(DW_OP_lit1), OPN(DW_OP_constu, 63), OP(shifts[i]), OP(DW_OP_stack_value) };
		assert_int_equal(status_of(by63, 4), DWEXPR_OK);
	}
}

static void stack_bounds(void **state)
{
	Dwarf_Op ops[DWEXPR_STACK + 2];

	(void)state;
	static const uint8_t need_one[] = { DW_OP_drop, DW_OP_dup, DW_OP_neg, DW_OP_deref, DW_OP_stack_value, DW_OP_bra };
	for (size_t i = 0; i < sizeof(need_one); i++) {
		Dwarf_Op empty[] = { OP(need_one[i]) };
		assert_int_equal(status_of(empty, 1), DWEXPR_UNDERFLOW);
	}
	static const uint8_t need_two[] = { DW_OP_plus, DW_OP_div, DW_OP_swap, DW_OP_over, DW_OP_eq };
	for (size_t i = 0; i < sizeof(need_two); i++) {
		Dwarf_Op one[] = { OP(DW_OP_lit1), OP(need_two[i]) };
		assert_int_equal(status_of(one, 2), DWEXPR_UNDERFLOW);
	}
	Dwarf_Op rot[] = { OP(DW_OP_lit1), OP(DW_OP_lit2), OP(DW_OP_rot) };
	assert_int_equal(status_of(rot, 3), DWEXPR_UNDERFLOW);
	Dwarf_Op pick[] = { OP(DW_OP_lit1), OP(DW_OP_lit2), OPN(DW_OP_pick, 2) };
	assert_int_equal(status_of(pick, 3), DWEXPR_UNDERFLOW);
	Dwarf_Op pick_huge[] = { OP(DW_OP_lit1), OPN(DW_OP_pick, UINT64_MAX) };
	assert_int_equal(status_of(pick_huge, 2), DWEXPR_UNDERFLOW);
	Dwarf_Op pick_ok[] = { OP(DW_OP_lit7), OP(DW_OP_lit2), OPN(DW_OP_pick, 1), OP(DW_OP_stack_value) };
	assert_int_equal(value_of(pick_ok, 4), 7);
	for (size_t i = 0; i < DWEXPR_STACK + 1; i++)
		ops[i] = (Dwarf_Op)OP(DW_OP_lit1);
	assert_int_equal(status_of(ops, DWEXPR_STACK), DWEXPR_OK);
	assert_int_equal(status_of(ops, DWEXPR_STACK + 1), DWEXPR_OVERFLOW);
}

static void branches(void **state)
{
	(void)state;
	/* lit1; dup; bra -4: back to the dup for ever (offsets 0, 1, 2..4; 5 - 4 = 1) */
	Dwarf_Op spin[] = { OP(DW_OP_lit1), OP(DW_OP_dup), OPN(DW_OP_bra, -4) };
	assert_int_equal(status_of(spin, 3), DWEXPR_TOO_LONG);
	Dwarf_Op forever[] = { OPN(DW_OP_skip, -3) };		/* to its own start */
	assert_int_equal(status_of(forever, 1), DWEXPR_TOO_LONG);
	/* past the last op: the end of the expression (lit1 skipped) */
	struct fake f = { { 0 }, 0 };
	struct dwexpr_loc l;
	Dwarf_Op to_end[] = { OP(DW_OP_lit2), OPN(DW_OP_skip, 100), OP(DW_OP_lit1) };
	assert_int_equal(run(&f, to_end, 3, &l), DWEXPR_OK);
	assert_int_equal(l.kind, DWEXPR_MEMORY);
	assert_int_equal(l.addr, 2);
	Dwarf_Op backwards[] = { OPN(DW_OP_skip, -32768) };
	assert_int_equal(status_of(backwards, 1), DWEXPR_BAD_BRANCH);
	Dwarf_Op mid_op[] = { OPN(DW_OP_skip, 1), OPN(DW_OP_skip, 0), OP(DW_OP_lit1) };	/* into an op */
	assert_int_equal(status_of(mid_op, 3), DWEXPR_BAD_BRANCH);
	/* lit0; bra +1 (not taken); lit3; skip +1; lit4; stack_value -> 3 */
	Dwarf_Op taken[] = { OP(DW_OP_lit0), OPN(DW_OP_bra, 1), OP(DW_OP_lit3), OPN(DW_OP_skip, 1),
			     OP(DW_OP_lit4), OP(DW_OP_stack_value) };
	assert_int_equal(value_of(taken, 6), 3);
}

static void budget_shared(void **state)
{
	struct fake f = { { 0 }, 0 };
	struct dwexpr_loc l;
	unsigned long budget = 10;

	(void)state;
	Dwarf_Op spin[] = { OPN(DW_OP_skip, -3) };
	spin[0].offset = 0;
	assert_int_equal(dwexpr_eval(fake_env(&f, &budget), NULL, spin, 1, 0, &l), DWEXPR_TOO_LONG);
	assert_int_equal(budget, 0);
	/* a spent budget refuses even a one-op expression */
	Dwarf_Op one[] = { OP(DW_OP_lit1) };
	assert_int_equal(dwexpr_eval(fake_env(&f, &budget), NULL, one, 1, 0, &l), DWEXPR_TOO_LONG);
}

static void nesting_bounded(void **state)
{
	struct fake f = { { 0 }, 0 };
	struct dwexpr_loc l;

	(void)state;
	/* a frame base defined by itself: refused after DWEXPR_DEPTH levels */
	Dwarf_Op fbreg[] = { OPN(DW_OP_fbreg, 8) };
	assert_int_equal(run(&f, fbreg, 1, &l), DWEXPR_UNAVAILABLE);
	assert_int_equal(f.frame_base_calls, DWEXPR_DEPTH + 1);	/* the last one refused */
	assert_int_equal(dwexpr_eval(fake_env(&f, NULL), NULL, fbreg, 1, DWEXPR_DEPTH + 1, &l),
			 DWEXPR_TOO_DEEP);
	/* entry values and implicit values need the attribute: refused without */
	Dwarf_Op entry[] = { OP(DW_OP_entry_value) };
	assert_int_equal(run(&f, entry, 1, &l), DWEXPR_UNAVAILABLE);
	Dwarf_Op implicit[] = { OPN(DW_OP_implicit_value, 4) };
	assert_int_equal(run(&f, implicit, 1, &l), DWEXPR_UNAVAILABLE);
}

static void memory_and_pieces(void **state)
{
	struct fake f = { { 0 }, 0 };
	struct dwexpr_loc l;

	(void)state;
	for (int i = 0; i < 64; i++)
		f.mem[i] = (unsigned char)(i + 1);
	Dwarf_Op deref4[] = { OP(DW_OP_breg3), OPN(DW_OP_deref_size, 4), OP(DW_OP_stack_value) };
	assert_int_equal(run(&f, deref4, 3, &l), DWEXPR_OK);
	assert_int_equal(l.bytes[0], 1);
	assert_int_equal(l.bytes[3], 4);
	assert_int_equal(l.bytes[4], 0);		/* zero-extended */
	Dwarf_Op deref0[] = { OP(DW_OP_breg3), OPN(DW_OP_deref_size, 0) };
	assert_int_equal(run(&f, deref0, 2, &l), DWEXPR_BAD_SIZE);
	Dwarf_Op deref9[] = { OP(DW_OP_breg3), OPN(DW_OP_deref_size, 9) };
	assert_int_equal(run(&f, deref9, 2, &l), DWEXPR_BAD_SIZE);
	Dwarf_Op deref_huge[] = { OP(DW_OP_breg3), OPN(DW_OP_deref_size, UINT64_MAX) };
	assert_int_equal(run(&f, deref_huge, 2, &l), DWEXPR_BAD_SIZE);
	Dwarf_Op deref_away[] = { OP(DW_OP_lit0), OP(DW_OP_deref) };	/* not in the copy */
	assert_int_equal(run(&f, deref_away, 2, &l), DWEXPR_UNAVAILABLE);
	/* a register then 8 bytes of memory, pieced */
	Dwarf_Op pieces[] = { OP(DW_OP_reg6), OPN(DW_OP_piece, 8), OPN(DW_OP_breg3, 8), OPN(DW_OP_piece, 8) };
	assert_int_equal(run(&f, pieces, 4, &l), DWEXPR_OK);
	assert_int_equal(l.kind, DWEXPR_VALUE);
	assert_int_equal(l.len, 16);
	assert_int_equal(l.bytes[8], 9);
	/* pieces beyond DWEXPR_BYTES in total, or one huge piece */
	Dwarf_Op too_many[] = { OP(DW_OP_reg6), OPN(DW_OP_piece, 40), OP(DW_OP_reg6), OPN(DW_OP_piece, 40) };
	assert_int_equal(run(&f, too_many, 4, &l), DWEXPR_BAD_SIZE);
	Dwarf_Op huge[] = { OP(DW_OP_reg6), OPN(DW_OP_piece, UINT64_MAX) };
	assert_int_equal(run(&f, huge, 2, &l), DWEXPR_BAD_SIZE);
	/* an unknown op: not evaluated, and not a crash */
	Dwarf_Op odd[] = { OP(0xff) };
	assert_int_equal(run(&f, odd, 1, &l), DWEXPR_UNAVAILABLE);
	assert_int_equal(run(&f, NULL, 0, &l), DWEXPR_UNAVAILABLE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(locations),
		cmocka_unit_test(arithmetic_wraps),
		cmocka_unit_test(traps_refused),
		cmocka_unit_test(stack_bounds),
		cmocka_unit_test(branches),
		cmocka_unit_test(budget_shared),
		cmocka_unit_test(nesting_bounded),
		cmocka_unit_test(memory_and_pieces),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
