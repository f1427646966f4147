/*
 * dwexpr.c - a DWARF expression evaluator: the stack machine that turns a
 * variable's DW_AT_location into where its value is.
 *
 * Why our own: libdw parses expressions (Dwarf_Op) but has no public
 * evaluator.  Why careful: the daemon runs as root and evaluates DWARF
 * that any local user can write into a program they crash, so every op
 * here must end in a result or a clean refusal whatever the bytes say.
 * The stack holds DWARF's generic type, 64-bit values with no
 * signedness: arithmetic is unsigned and wraps (no signed overflow),
 * division by zero and INT64_MIN / -1 are refused (the CPU would trap),
 * shift counts of 64 or more are refused (undefined in C), the stack is
 * bounded both ways, branches must land on an op, and a loop ends when
 * the step limit or the budget shared with nested evaluations runs out.
 */
#include <dwarf.h>
#include <limits.h>
#include <string.h>

#include "dwexpr.h"

struct machine {
	const struct dwexpr_env *env;
	Dwarf_Attribute *attr;
	const Dwarf_Op *ops;
	size_t nops;
	int depth;
	uint64_t st[DWEXPR_STACK];
	size_t sp;
	struct dwexpr_loc cur;	/* a register or value op's result, not yet on the stack */
	struct dwexpr_loc acc;	/* the pieces so far */
	bool pieces;
};

static enum dwexpr_status push(struct machine *m, uint64_t v)
{
	if (m->sp == DWEXPR_STACK)
		return DWEXPR_OVERFLOW;
	m->st[m->sp++] = v;
	return DWEXPR_OK;
}

static enum dwexpr_status pop(struct machine *m, uint64_t *v)
{
	if (m->sp == 0)
		return DWEXPR_UNDERFLOW;
	*v = m->st[--m->sp];
	return DWEXPR_OK;
}

static void set_value(struct dwexpr_loc *loc, const void *bytes, size_t len)
{
	loc->kind = DWEXPR_VALUE;
	memcpy(loc->bytes, bytes, len);
	loc->len = len;
}

/* ---- ops without side effects on control flow --------------------------- */

static enum dwexpr_status binary(uint8_t atom, uint64_t a, uint64_t b, uint64_t *r)
{
	switch (atom) {
	case DW_OP_plus: *r = a + b; break;
	case DW_OP_minus: *r = a - b; break;
	case DW_OP_mul: *r = a * b; break;
	case DW_OP_and: *r = a & b; break;
	case DW_OP_or: *r = a | b; break;
	case DW_OP_xor: *r = a ^ b; break;
	case DW_OP_div:		/* signed, as gdb and the standard have it */
		if (b == 0)
			return DWEXPR_DIV_ZERO;
		if (a == (uint64_t)INT64_MIN && b == UINT64_MAX)
			return DWEXPR_DIV_OVERFLOW;
		*r = (uint64_t)((int64_t)a / (int64_t)b);
		break;
	case DW_OP_mod:		/* unsigned: what gcc means and gdb does */
		if (b == 0)
			return DWEXPR_DIV_ZERO;
		*r = a % b;
		break;
	case DW_OP_shl:
	case DW_OP_shr:
	case DW_OP_shra:
		if (b >= 64)
			return DWEXPR_BAD_SHIFT;
		*r = atom == DW_OP_shl ? a << b : atom == DW_OP_shr ? a >> b :
		     (uint64_t)((int64_t)a >> b);
		break;
	case DW_OP_eq: *r = a == b; break;
	case DW_OP_ne: *r = a != b; break;
	case DW_OP_lt: *r = (int64_t)a < (int64_t)b; break;
	case DW_OP_gt: *r = (int64_t)a > (int64_t)b; break;
	case DW_OP_le: *r = (int64_t)a <= (int64_t)b; break;
	case DW_OP_ge: *r = (int64_t)a >= (int64_t)b; break;
	default:
		return DWEXPR_UNAVAILABLE;
	}
	return DWEXPR_OK;
}

/* An op binary() carries out: 0 and 1 are operands every one of them takes. */
static bool is_binary(uint8_t atom)
{
	uint64_t r;

	return binary(atom, 0, 1, &r) == DWEXPR_OK;
}

static enum dwexpr_status do_binary(struct machine *m, uint8_t atom)
{
	uint64_t a, b, r;
	enum dwexpr_status st;

	if ((st = pop(m, &b)) || (st = pop(m, &a)) || (st = binary(atom, a, b, &r)))
		return st;
	return push(m, r);
}

static enum dwexpr_status do_unary(struct machine *m, const Dwarf_Op *op)
{
	uint64_t a;
	enum dwexpr_status st = pop(m, &a);

	if (st)
		return st;
	switch (op->atom) {
	case DW_OP_abs: return push(m, (int64_t)a < 0 ? -a : a);
	case DW_OP_neg: return push(m, -a);
	case DW_OP_not: return push(m, ~a);
	case DW_OP_plus_uconst: return push(m, a + op->number);
	}
	return DWEXPR_UNAVAILABLE;
}

/* dup, drop, over, pick, swap, rot: the stack rearranged, never beyond it. */
static enum dwexpr_status do_stack(struct machine *m, const Dwarf_Op *op)
{
	uint64_t a, b, c;
	enum dwexpr_status st;

	switch (op->atom) {
	case DW_OP_dup:
		return m->sp ? push(m, m->st[m->sp - 1]) : DWEXPR_UNDERFLOW;
	case DW_OP_drop:
		return pop(m, &a);
	case DW_OP_over:
		return m->sp >= 2 ? push(m, m->st[m->sp - 2]) : DWEXPR_UNDERFLOW;
	case DW_OP_pick:
		return op->number < m->sp ? push(m, m->st[m->sp - 1 - op->number]) : DWEXPR_UNDERFLOW;
	case DW_OP_swap:
		if ((st = pop(m, &a)) || (st = pop(m, &b)))
			return st;
		m->st[m->sp++] = a;	/* room: two were just popped */
		m->st[m->sp++] = b;
		return DWEXPR_OK;
	case DW_OP_rot:
		if ((st = pop(m, &a)) || (st = pop(m, &b)) || (st = pop(m, &c)))
			return st;
		m->st[m->sp++] = a;
		m->st[m->sp++] = c;
		m->st[m->sp++] = b;
		return DWEXPR_OK;
	}
	return DWEXPR_UNAVAILABLE;
}

static enum dwexpr_status do_deref(struct machine *m, const Dwarf_Op *op)
{
	uint64_t a, v = 0, size = op->atom == DW_OP_deref ? 8 : op->number;
	enum dwexpr_status st = pop(m, &a);

	if (st)
		return st;
	if (size == 0 || size > sizeof(v))
		return DWEXPR_BAD_SIZE;
	if (!m->env->read(m->env->arg, a, &v, size))	/* little-endian: zero-extended */
		return DWEXPR_UNAVAILABLE;
	return push(m, v);
}

/* ---- registers and the frame ------------------------------------------------ */

static enum dwexpr_status reg(const struct machine *m, Dwarf_Word regno, uint64_t *v)
{
	if (regno > UINT_MAX || !m->env->reg(m->env->arg, (unsigned)regno, v))
		return DWEXPR_UNAVAILABLE;
	return DWEXPR_OK;
}

/* reg/breg/regx/bregx/fbreg/call_frame_cfa/addr: what the frame gives. */
static enum dwexpr_status do_frame(struct machine *m, const Dwarf_Op *op)
{
	const struct dwexpr_env *env = m->env;
	uint8_t atom = op->atom;
	uint64_t a;
	enum dwexpr_status st;

	if (atom >= DW_OP_breg0 && atom <= DW_OP_breg31)
		return (st = reg(m, atom - DW_OP_breg0, &a)) ? st : push(m, a + op->number);
	if ((atom >= DW_OP_reg0 && atom <= DW_OP_reg31) || atom == DW_OP_regx) {
		if ((st = reg(m, atom == DW_OP_regx ? op->number : (Dwarf_Word)(atom - DW_OP_reg0), &a)))
			return st;
		set_value(&m->cur, &a, sizeof(a));
		return DWEXPR_OK;
	}
	switch (atom) {
	case DW_OP_bregx:
		return (st = reg(m, op->number, &a)) ? st : push(m, a + op->number2);
	case DW_OP_fbreg:
		if (!env->frame_base || !env->frame_base(env->arg, m->depth + 1, &a))
			return DWEXPR_UNAVAILABLE;
		return push(m, a + op->number);
	case DW_OP_call_frame_cfa:
		if (!env->cfa || !env->cfa(env->arg, &a))
			return DWEXPR_UNAVAILABLE;
		return push(m, a);
	case DW_OP_addr:
		return push(m, op->number + env->bias);
	}
	return DWEXPR_UNAVAILABLE;
}

static bool is_frame_op(uint8_t atom)
{
	return (atom >= DW_OP_breg0 && atom <= DW_OP_breg31) ||
	       (atom >= DW_OP_reg0 && atom <= DW_OP_reg31) || atom == DW_OP_regx ||
	       atom == DW_OP_bregx || atom == DW_OP_fbreg || atom == DW_OP_call_frame_cfa ||
	       atom == DW_OP_addr;
}

/* DW_OP_entry_value(DW_OP_regN): what register N held when the function
 * was entered; the frame's callback finds it in the caller. */
static enum dwexpr_status do_entry_value(struct machine *m, const Dwarf_Op *op)
{
	const struct dwexpr_env *env = m->env;
	Dwarf_Attribute sub;
	Dwarf_Op *sops;
	size_t snops;
	Dwarf_Word r;
	uint64_t v;

	if (!m->attr || !env->entry_value || dwarf_getlocation_attr(m->attr, op, &sub) != 0 ||
	    dwarf_getlocation(&sub, &sops, &snops) != 0 || snops != 1)
		return DWEXPR_UNAVAILABLE;
	if (sops[0].atom >= DW_OP_reg0 && sops[0].atom <= DW_OP_reg31)
		r = sops[0].atom - DW_OP_reg0;
	else if (sops[0].atom == DW_OP_regx)
		r = sops[0].number;
	else
		return DWEXPR_UNAVAILABLE;
	if (r > UINT_MAX || !env->entry_value(env->arg, (unsigned)r, m->depth + 1, &v))
		return DWEXPR_UNAVAILABLE;
	return push(m, v);
}

/* ---- values and pieces ---------------------------------------------------- */

static enum dwexpr_status do_implicit_value(struct machine *m, const Dwarf_Op *op)
{
	Dwarf_Block block;

	if (!m->attr || dwarf_getlocation_implicit_value(m->attr, op, &block) != 0)
		return DWEXPR_UNAVAILABLE;
	if (block.length > DWEXPR_BYTES)
		return DWEXPR_BAD_SIZE;
	set_value(&m->cur, block.data, block.length);
	return DWEXPR_OK;
}

/* DW_OP_piece: `size` bytes of the location just computed appended to the
 * value; the whole never exceeds DWEXPR_BYTES. */
static enum dwexpr_status do_piece(struct machine *m, uint64_t size)
{
	struct dwexpr_loc *acc = &m->acc, *piece = &m->cur;

	if (piece->kind == DWEXPR_NONE && m->sp) {
		piece->kind = DWEXPR_MEMORY;
		piece->addr = m->st[--m->sp];
	}
	if (size > DWEXPR_BYTES - acc->len)
		return DWEXPR_BAD_SIZE;
	if (piece->kind == DWEXPR_NONE)
		return DWEXPR_UNAVAILABLE;
	if (piece->kind == DWEXPR_MEMORY) {
		if (!m->env->read(m->env->arg, piece->addr, acc->bytes + acc->len, size))
			return DWEXPR_UNAVAILABLE;
	} else {
		memset(acc->bytes + acc->len, 0, size);
		memcpy(acc->bytes + acc->len, piece->bytes, piece->len < size ? piece->len : size);
	}
	acc->len += size;
	acc->kind = DWEXPR_VALUE;
	m->pieces = true;
	piece->kind = DWEXPR_NONE;
	m->sp = 0;
	return DWEXPR_OK;
}

/* ---- control flow ------------------------------------------------------------ */

/* The index of the op that starts at `offset`: libdw gives the ops in
 * ascending offsets.  nops when none does. */
static size_t op_at(const Dwarf_Op *ops, size_t nops, Dwarf_Word offset)
{
	size_t lo = 0, hi = nops;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ops[mid].offset == offset)
			return mid;
		if (ops[mid].offset < offset)
			lo = mid + 1;
		else
			hi = mid;
	}
	return nops;
}

/* skip and bra: a 2-byte signed displacement from the end of the 3-byte
 * op, to the start of an op or to the end of the expression.  Dwarf_Op
 * does not say where the last op ends: any target past its start ends
 * the evaluation, which is where a valid branch there goes. */
static enum dwexpr_status do_jump(struct machine *m, const Dwarf_Op *op, size_t *next)
{
	uint64_t cond = 1;
	enum dwexpr_status st;

	if (op->atom == DW_OP_bra && (st = pop(m, &cond)))
		return st;
	if (!cond)
		return DWEXPR_OK;
	int64_t to = (int64_t)op->offset + 3 + (int16_t)op->number;
	if (to > (int64_t)m->ops[m->nops - 1].offset) {
		*next = m->nops;
		return DWEXPR_OK;
	}
	size_t i = to < 0 ? m->nops : op_at(m->ops, m->nops, (Dwarf_Word)to);
	if (i == m->nops)
		return DWEXPR_BAD_BRANCH;
	*next = i;
	return DWEXPR_OK;
}

/* ---- the machine ------------------------------------------------------------- */

/* Execute ops[i]; *next is the op to run after it. */
static enum dwexpr_status step(struct machine *m, size_t i, size_t *next)
{
	const Dwarf_Op *op = &m->ops[i];
	uint8_t atom = op->atom;
	uint64_t a;

	*next = i + 1;
	if (atom >= DW_OP_lit0 && atom <= DW_OP_lit31)
		return push(m, atom - DW_OP_lit0);
	if (is_frame_op(atom))
		return do_frame(m, op);
	if (is_binary(atom))
		return do_binary(m, atom);
	switch (atom) {
	case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u: case DW_OP_const8u:
	case DW_OP_constu:
	case DW_OP_const1s: case DW_OP_const2s: case DW_OP_const4s: case DW_OP_const8s:
	case DW_OP_consts:	/* libdw already sign-extended the signed ones */
		return push(m, op->number);
	case DW_OP_dup: case DW_OP_drop: case DW_OP_over: case DW_OP_pick:
	case DW_OP_swap: case DW_OP_rot:
		return do_stack(m, op);
	case DW_OP_abs: case DW_OP_neg: case DW_OP_not: case DW_OP_plus_uconst:
		return do_unary(m, op);
	case DW_OP_deref: case DW_OP_deref_size:
		return do_deref(m, op);
	case DW_OP_skip: case DW_OP_bra:
		return do_jump(m, op, next);
	case DW_OP_nop:
		return DWEXPR_OK;
	case DW_OP_stack_value: {
		enum dwexpr_status st = pop(m, &a);
		if (st)
			return st;
		set_value(&m->cur, &a, sizeof(a));
		m->sp = 0;
		return DWEXPR_OK;
	}
	case DW_OP_implicit_value:
		return do_implicit_value(m, op);
	case DW_OP_piece:
		return do_piece(m, op->number);
	case DW_OP_entry_value: case DW_OP_GNU_entry_value:
		return do_entry_value(m, op);
	}
	return DWEXPR_UNAVAILABLE;	/* implicit_pointer, typed ops, bit_piece: not handled */
}

/* One unit of the shared budget, if there is one. */
static bool spend(const struct dwexpr_env *env)
{
	if (!env->ops_left)
		return true;
	if (*env->ops_left == 0)
		return false;
	--*env->ops_left;
	return true;
}

static enum dwexpr_status result(const struct machine *m, struct dwexpr_loc *out)
{
	if (m->pieces) {
		*out = m->acc;
		return DWEXPR_OK;
	}
	if (m->cur.kind != DWEXPR_NONE) {
		*out = m->cur;
		return DWEXPR_OK;
	}
	if (m->sp == 0)
		return DWEXPR_UNAVAILABLE;
	out->kind = DWEXPR_MEMORY;
	out->addr = m->st[m->sp - 1];
	return DWEXPR_OK;
}

enum dwexpr_status dwexpr_eval(const struct dwexpr_env *env, Dwarf_Attribute *attr,
		const Dwarf_Op *ops, size_t nops, int depth, struct dwexpr_loc *out)
{
	struct machine m = { .env = env, .attr = attr, .ops = ops, .nops = nops, .depth = depth };
	size_t steps = 0;

	memset(out, 0, sizeof(*out));
	if (depth > DWEXPR_DEPTH)
		return DWEXPR_TOO_DEEP;
	for (size_t i = 0; i < nops;) {
		enum dwexpr_status st;
		if (++steps > DWEXPR_STEPS || !spend(env))
			return DWEXPR_TOO_LONG;
		if ((st = step(&m, i, &i)) != DWEXPR_OK)
			return st;
	}
	return result(&m, out);
}

bool dwexpr_word(const struct dwexpr_loc *loc, uint64_t *out)
{
	if (loc->kind == DWEXPR_MEMORY) {
		*out = loc->addr;
		return true;
	}
	if (loc->kind != DWEXPR_VALUE || loc->len < sizeof(*out))
		return false;
	memcpy(out, loc->bytes, sizeof(*out));
	return true;
}

const char *dwexpr_status_text(enum dwexpr_status st)
{
	switch (st) {
	case DWEXPR_OK:
	case DWEXPR_UNAVAILABLE:
		break;
	case DWEXPR_DIV_ZERO: return "<error: Division by zero>";	/* gdb's words */
	case DWEXPR_DIV_OVERFLOW: return "<error: Division overflow>";
	case DWEXPR_BAD_SHIFT: return "<error: DWARF shift count out of range>";
	case DWEXPR_UNDERFLOW: return "<error: DWARF expression stack underflow>";
	case DWEXPR_OVERFLOW: return "<error: DWARF expression stack overflow>";
	case DWEXPR_BAD_BRANCH: return "<error: DWARF branch to no operation>";
	case DWEXPR_TOO_LONG: return "<error: DWARF expression runs too long>";
	case DWEXPR_BAD_SIZE: return "<error: DWARF expression size out of range>";
	case DWEXPR_TOO_DEEP: return "<error: DWARF expressions nested too deep>";
	}
	return "<optimized out>";
}
