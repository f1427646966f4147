/*
 * locals.c - where each local variable lives, and what it holds.
 *
 * libdw has no public DWARF expression evaluator, so this is a small stack
 * machine over the ops gcc emits: fbreg (frame base = the CFA), breg/reg,
 * addr (+ the module's bias), piece, stack_value, implicit_value, the
 * arithmetic, and deref from the memory copy.  Registers come from the
 * unwinder per frame; a register it does not know (caller-saved ones in
 * outer frames) makes the variable <optimized out>, as gdb would say,
 * never a made-up value.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callsite.h"
#include "locals.h"
#include "names.h"
#include "render.h"
#include "scrub.h"
#include "symcache.h"

#define STACK_MAX 64
#define LOC_BYTES 64

enum loc_kind { LOC_NONE, LOC_MEMORY, LOC_VALUE };

struct loc {
	enum loc_kind kind;
	uint64_t addr;
	unsigned char bytes[LOC_BYTES];
	size_t len;
};

struct frame_ctx {
	const struct capture *cap;
	Dwfl *dwfl;		/* the process's module layout, for symbol names */
	struct symbolized *sym;	/* for DW_OP_entry_value: the caller's frame */
	size_t sym_index;
	const struct capture_frame *cf;
	Dwarf_Attribute *frame_base;	/* of the subprogram that owns the physical frame */
	Dwarf_Attribute fb_mem;
	Dwarf_Addr dwarf_pc;
	Dwarf_Addr bias;
	uint64_t cfa;
	bool has_cfa;
};

static bool mem_read(void *arg, uint64_t addr, void *buf, size_t len)
{
	const struct frame_ctx *fc = arg;

	return capture_read(fc->cap, addr, buf, len);
}

/* A function's or a static object's name for a pointer, as gdb prints
 * <counter> or <handler+4>; heap and stack addresses have none. */
static bool symbol_name(void *arg, uint64_t addr, char *out, size_t outlen)
{
	const struct frame_ctx *fc = arg;
	Dwfl_Module *mod = fc->dwfl ? dwfl_addrmodule(fc->dwfl, addr) : NULL;
	Dwarf_Addr shift;
	GElf_Off off;
	const char *name;

	/* the symbol index of the cached copy: built once per file */
	Dwfl_Module *cmod = mod ? symbolize_cached_module(fc->cap, mod, &shift) : NULL;
	if (!cmod || !symcache_symbol(cmod, addr - shift, &name, &off))
		return false;
	char *d = names_demangle(name);
	if (!d)
		return false;
	char *at = strchr(d, '@');
	if (at)
		*at = '\0';
	if (off)
		snprintf(out, outlen, "%s+%llu", d, (unsigned long long)off);
	else
		snprintf(out, outlen, "%s", d);
	free(d);
	return true;
}

static bool reg(const struct frame_ctx *fc, unsigned n, uint64_t *v)
{
	if (n >= BB_NREGS || !(fc->cf->regs_known & (1u << n)))
		return false;
	*v = fc->cf->regs[n];
	return true;
}

/* ---- the stack machine ------------------------------------------------------ */

static bool eval(const struct frame_ctx *fc, Dwarf_Attribute *attr, const Dwarf_Op *ops,
		size_t nops, int depth, struct loc *out);

static bool frame_base(const struct frame_ctx *fc, int depth, uint64_t *fb)
{
	Dwarf_Op *ops;
	size_t nops;
	struct loc l;

	if (!fc->frame_base || depth > 2 ||
	    dwarf_getlocation_addr(fc->frame_base, fc->dwarf_pc, &ops, &nops, 1) <= 0 ||
	    !eval(fc, fc->frame_base, ops, nops, depth + 1, &l))
		return false;
	if (l.kind == LOC_MEMORY) {
		*fb = l.addr;
		return true;
	}
	if (l.kind == LOC_VALUE && l.len >= 8) {	/* DW_OP_regN: the register's value */
		memcpy(fb, l.bytes, 8);
		return true;
	}
	return false;
}

static bool frame_cfa(const struct capture *cap, const struct sym_frame *f, uint64_t *cfa);
static Dwarf_Attribute *owner_frame_base(struct symbolized *sym, size_t i, Dwarf_Attribute *mem);
static bool owner_function(const struct symbolized *sym, size_t i, Dwarf_Die *out);

/* The physical frame (the subprogram's sym_frame) of the caller of i. */
static size_t caller_frame(const struct symbolized *sym, size_t i)
{
	size_t want = sym->frames[i].capture_index + 1, found = sym->n_frames;

	for (size_t j = i + 1; j < sym->n_frames && sym->frames[j].capture_index <= want; j++)
		if (sym->frames[j].capture_index == want && sym->frames[j].has_scope &&
		    !sym->frames[j].tail_call && dwarf_tag(&sym->frames[j].scope) == DW_TAG_subprogram)
			found = j;
	return found;
}

/* DW_OP_entry_value(DW_OP_regN): what register N held when the function
 * was entered, from the caller's call site parameters (as gdb's n@entry). */
static bool entry_value(const struct frame_ctx *fc, unsigned regno, int depth, uint64_t *out)
{
	struct symbolized *sym = fc->sym;
	size_t gi;

	if (!sym || depth > 2 || (gi = caller_frame(sym, fc->sym_index)) == sym->n_frames)
		return false;
	struct sym_frame *g = &sym->frames[gi];
	Dwarf_Die site, param, callee, owner;
	if (!callsite_find(&g->scope, g->lookup_pc + 1 - g->bias, &site) ||
	    dwarf_child(&site, &param) != 0)
		return false;
	/* After a tail call the caller's call site passed its values to
	 * another function, not to this one: gdb refuses those too. */
	if (callsite_target(&site, &callee) &&
	    (!owner_function(sym, fc->sym_index, &owner) ||
	     !callsite_same_function(&callee, &owner)))
		return false;
	struct frame_ctx caller = { .cap = fc->cap, .dwfl = fc->dwfl, .sym = sym, .sym_index = gi,
				    .cf = &fc->cap->frames[g->capture_index],
				    .dwarf_pc = g->lookup_pc - g->bias, .bias = g->bias };
	caller.has_cfa = frame_cfa(fc->cap, g, &caller.cfa);
	caller.frame_base = owner_frame_base(sym, gi, &caller.fb_mem);
	do {
		int tag = dwarf_tag(&param);
		Dwarf_Attribute a, va;
		Dwarf_Op *ops;
		size_t nops;
		if (tag != DW_TAG_call_site_parameter && tag != DW_TAG_GNU_call_site_parameter)
			continue;
		Dwarf_Attribute *loc = dwarf_attr(&param, DW_AT_location, &a);
		if (!loc || dwarf_getlocation(loc, &ops, &nops) != 0 || nops != 1 ||
		    !((ops[0].atom >= DW_OP_reg0 && ops[0].atom <= DW_OP_reg31 &&
		       (unsigned)(ops[0].atom - DW_OP_reg0) == regno) ||
		      (ops[0].atom == DW_OP_regx && ops[0].number == regno)))
			continue;
		Dwarf_Attribute *val = dwarf_attr(&param, DW_AT_call_value, &va);
		if (!val)
			val = dwarf_attr(&param, DW_AT_GNU_call_site_value, &va);
		struct loc l;
		if (!val || dwarf_getlocation(val, &ops, &nops) != 0 ||
		    !eval(&caller, val, ops, nops, depth + 1, &l))
			return false;
		if (l.kind == LOC_MEMORY)	/* a value expression: the stack top is the value */
			*out = l.addr;
		else if (l.len >= 8)
			memcpy(out, l.bytes, 8);
		else
			return false;
		return true;
	} while (dwarf_siblingof(&param, &param) == 0);
	return false;
}

static size_t op_index(const Dwarf_Op *ops, size_t nops, Dwarf_Word offset)
{
	for (size_t i = 0; i < nops; i++)
		if (ops[i].offset == offset)
			return i;
	return nops;
}

/* Append a piece of `size` bytes from the location just computed. */
static bool add_piece(const struct frame_ctx *fc, struct loc *acc, const struct loc *piece,
		uint64_t size)
{
	if (size > LOC_BYTES - acc->len || piece->kind == LOC_NONE)
		return false;
	if (piece->kind == LOC_MEMORY) {
		if (!capture_read(fc->cap, piece->addr, acc->bytes + acc->len, size))
			return false;
	} else {
		memset(acc->bytes + acc->len, 0, size);
		memcpy(acc->bytes + acc->len, piece->bytes, piece->len < size ? piece->len : size);
	}
	acc->len += size;
	acc->kind = LOC_VALUE;
	return true;
}

static bool eval(const struct frame_ctx *fc, Dwarf_Attribute *attr, const Dwarf_Op *ops,
		size_t nops, int depth, struct loc *out)
{
	uint64_t st[STACK_MAX], a, b;
	size_t sp = 0, steps = 0;
	struct loc cur = { .kind = LOC_NONE }, acc = { .kind = LOC_NONE };
	bool pieces = false;

#define PUSH(v) do { uint64_t pv_ = (v); if (sp == STACK_MAX) return false; st[sp++] = pv_; } while (0)
#define POP(v) do { if (sp == 0) return false; (v) = st[--sp]; } while (0)
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < nops; i++) {
		const Dwarf_Op *op = &ops[i];
		uint8_t atom = op->atom;
		if (++steps > 1000)	/* DW_OP_bra loops: bounded */
			return false;
		if (atom >= DW_OP_lit0 && atom <= DW_OP_lit31) {
			PUSH(atom - DW_OP_lit0);
		} else if (atom >= DW_OP_breg0 && atom <= DW_OP_breg31) {
			if (!reg(fc, atom - DW_OP_breg0, &a))
				return false;
			PUSH(a + (uint64_t)(int64_t)op->number);
		} else if (atom >= DW_OP_reg0 && atom <= DW_OP_reg31) {
			if (!reg(fc, atom - DW_OP_reg0, &a))
				return false;
			cur.kind = LOC_VALUE;
			memcpy(cur.bytes, &a, 8);
			cur.len = 8;
		} else switch (atom) {
		case DW_OP_addr:
			PUSH(op->number + fc->bias);
			break;
		case DW_OP_regx:
			if (!reg(fc, (unsigned)op->number, &a))
				return false;
			cur.kind = LOC_VALUE;
			memcpy(cur.bytes, &a, 8);
			cur.len = 8;
			break;
		case DW_OP_bregx:
			if (!reg(fc, (unsigned)op->number, &a))
				return false;
			PUSH(a + (uint64_t)(int64_t)op->number2);
			break;
		case DW_OP_fbreg:
			if (!frame_base(fc, depth, &a))
				return false;
			PUSH(a + (uint64_t)(int64_t)op->number);
			break;
		case DW_OP_call_frame_cfa:
			if (!fc->has_cfa)
				return false;
			PUSH(fc->cfa);
			break;
		case DW_OP_const1u: case DW_OP_const2u: case DW_OP_const4u: case DW_OP_const8u:
		case DW_OP_constu:
			PUSH(op->number);
			break;
		case DW_OP_const1s: case DW_OP_const2s: case DW_OP_const4s: case DW_OP_const8s:
		case DW_OP_consts:
			PUSH((uint64_t)(int64_t)op->number);
			break;
		case DW_OP_dup: POP(a); PUSH(a); PUSH(a); break;
		case DW_OP_drop: POP(a); break;
		case DW_OP_over: if (sp < 2) return false; PUSH(st[sp - 2]); break;
		case DW_OP_pick: if (op->number >= sp) return false; PUSH(st[sp - 1 - op->number]); break;
		case DW_OP_swap: POP(a); POP(b); PUSH(a); PUSH(b); break;
		case DW_OP_rot: {
			uint64_t c;
			POP(a); POP(b); POP(c);
			PUSH(a); PUSH(c); PUSH(b);
			break;
		}
		case DW_OP_deref:
		case DW_OP_deref_size: {
			uint64_t v = 0, size = atom == DW_OP_deref ? 8 : op->number;
			POP(a);
			if (size > 8 || !capture_read(fc->cap, a, &v, size))
				return false;
			PUSH(v);
			break;
		}
		case DW_OP_abs: POP(a); PUSH((int64_t)a < 0 ? -a : a); break;
		case DW_OP_neg: POP(a); PUSH(-a); break;
		case DW_OP_not: POP(a); PUSH(~a); break;
		case DW_OP_plus_uconst: POP(a); PUSH(a + op->number); break;
		case DW_OP_plus: POP(b); POP(a); PUSH(a + b); break;
		case DW_OP_minus: POP(b); POP(a); PUSH(a - b); break;
		case DW_OP_mul: POP(b); POP(a); PUSH(a * b); break;
		case DW_OP_and: POP(b); POP(a); PUSH(a & b); break;
		case DW_OP_or: POP(b); POP(a); PUSH(a | b); break;
		case DW_OP_xor: POP(b); POP(a); PUSH(a ^ b); break;
		case DW_OP_shl: POP(b); POP(a); PUSH(b < 64 ? a << b : 0); break;
		case DW_OP_shr: POP(b); POP(a); PUSH(b < 64 ? a >> b : 0); break;
		case DW_OP_shra: POP(b); POP(a); PUSH(b < 64 ? (uint64_t)((int64_t)a >> b) : 0); break;
		case DW_OP_div:
			POP(b); POP(a);
			if (b == 0)
				return false;
			PUSH((uint64_t)((int64_t)a / (int64_t)b));
			break;
		case DW_OP_mod:
			POP(b); POP(a);
			if (b == 0)
				return false;
			PUSH(a % b);
			break;
		case DW_OP_eq: POP(b); POP(a); PUSH(a == b); break;
		case DW_OP_ne: POP(b); POP(a); PUSH(a != b); break;
		case DW_OP_lt: POP(b); POP(a); PUSH((int64_t)a < (int64_t)b); break;
		case DW_OP_gt: POP(b); POP(a); PUSH((int64_t)a > (int64_t)b); break;
		case DW_OP_le: POP(b); POP(a); PUSH((int64_t)a <= (int64_t)b); break;
		case DW_OP_ge: POP(b); POP(a); PUSH((int64_t)a >= (int64_t)b); break;
		case DW_OP_skip:
			i = op_index(ops, nops, op->offset + 3 + (Dwarf_Word)(int64_t)(int16_t)op->number);
			if (i == nops)
				return false;
			i--;
			break;
		case DW_OP_bra:
			POP(a);
			if (a) {
				i = op_index(ops, nops, op->offset + 3 + (Dwarf_Word)(int64_t)(int16_t)op->number);
				if (i == nops)
					return false;
				i--;
			}
			break;
		case DW_OP_nop:
			break;
		case DW_OP_stack_value:
			POP(a);
			cur.kind = LOC_VALUE;
			memcpy(cur.bytes, &a, 8);
			cur.len = 8;
			sp = 0;
			break;
		case DW_OP_implicit_value: {
			Dwarf_Block block;
			if (!attr || dwarf_getlocation_implicit_value(attr, op, &block) != 0 ||
			    block.length > LOC_BYTES)
				return false;
			cur.kind = LOC_VALUE;
			memcpy(cur.bytes, block.data, block.length);
			cur.len = block.length;
			break;
		}
		case DW_OP_piece:
			if (cur.kind == LOC_NONE && sp) {
				cur.kind = LOC_MEMORY;
				cur.addr = st[--sp];
			}
			if (!add_piece(fc, &acc, &cur, op->number))
				return false;
			pieces = true;
			cur.kind = LOC_NONE;
			sp = 0;
			break;
		case DW_OP_entry_value:
		case DW_OP_GNU_entry_value: {
			Dwarf_Attribute sub;
			Dwarf_Op *sops;
			size_t snops;
			unsigned r;
			if (!attr || dwarf_getlocation_attr(attr, op, &sub) != 0 ||
			    dwarf_getlocation(&sub, &sops, &snops) != 0 || snops != 1)
				return false;
			if (sops[0].atom >= DW_OP_reg0 && sops[0].atom <= DW_OP_reg31)
				r = sops[0].atom - DW_OP_reg0;
			else if (sops[0].atom == DW_OP_regx)
				r = (unsigned)sops[0].number;
			else
				return false;
			if (!entry_value(fc, r, depth, &a))
				return false;
			PUSH(a);
			break;
		}
		default:	/* implicit_pointer, typed ops: not known here */
			return false;
		}
	}
#undef PUSH
#undef POP
	if (pieces) {
		*out = acc;
		return acc.kind != LOC_NONE;
	}
	if (cur.kind != LOC_NONE) {
		*out = cur;
		return true;
	}
	if (sp == 0)
		return false;
	out->kind = LOC_MEMORY;
	out->addr = st[sp - 1];
	return true;
}

/* ---- one variable ------------------------------------------------------------ */

static void const_value(Dwarf_Attribute *attr, struct render_value *v, unsigned char *buf)
{
	Dwarf_Block block;
	Dwarf_Sword s;

	if (dwarf_whatform(attr) == DW_FORM_sdata && dwarf_formsdata(attr, &s) == 0) {
		memcpy(buf, &s, 8);
		v->bytes = buf;
		v->len = 8;
	} else if (dwarf_formblock(attr, &block) == 0) {
		v->bytes = block.data;
		v->len = block.length;
	} else {
		Dwarf_Word u = 0;
		dwarf_formudata(attr, &u);
		memcpy(buf, &u, 8);
		v->bytes = buf;
		v->len = 8;
	}
}

static void render_var(const struct frame_ctx *fc, Dwarf_Die *var, char *out, size_t outlen)
{
	Dwarf_Attribute attr_mem, *attr;
	Dwarf_Die type_mem, *type;
	struct render_value v = { 0 };
	struct render_ctx rc = { mem_read, symbol_name, (void *)fc };
	unsigned char buf[8];
	struct loc l;

	type = dwarf_formref_die(dwarf_attr_integrate(var, DW_AT_type, &attr_mem), &type_mem);
	if ((attr = dwarf_attr_integrate(var, DW_AT_const_value, &attr_mem)) != NULL) {
		const_value(attr, &v, buf);
	} else if ((attr = dwarf_attr(var, DW_AT_location, &attr_mem)) != NULL) {
		Dwarf_Op *ops;
		size_t nops;
		if (dwarf_getlocation_addr(attr, fc->dwarf_pc, &ops, &nops, 1) <= 0 || nops == 0 ||
		    !eval(fc, attr, ops, nops, 0, &l)) {
			snprintf(out, outlen, "<optimized out>");
			return;
		}
		if (l.kind == LOC_MEMORY) {
			v.in_memory = true;
			v.addr = l.addr;
		} else {
			v.bytes = l.bytes;
			v.len = l.len;
		}
		render_value(&rc, type, &v, out, outlen);
		return;
	} else {
		snprintf(out, outlen, "<optimized out>");
		return;
	}
	render_value(&rc, type, &v, out, outlen);
}

/* ---- scopes --------------------------------------------------------------------- */

struct collect {
	const struct frame_ctx *fc;
	const struct bb_config *cfg;
	struct sym_frame *frame;
};

static bool skip_name(Dwarf_Die *var, const char *name)
{
	Dwarf_Attribute a;
	bool artificial = dwarf_attr_integrate(var, DW_AT_artificial, &a) != NULL;

	if (!name || !*name)
		return true;
	if (artificial)
		return strcmp(name, "this") != 0;	/* gdb shows `this`; other made-up names are noise */
	return strncmp(name, "__", 2) == 0 || strncmp(name, "._", 2) == 0;
}

static bool already(const struct sym_frame *f, const char *name)
{
	for (size_t i = 0; i < f->n_vars; i++)
		if (strcmp(f->vars[i].name, name) == 0)
			return true;
	return false;
}

static void push_var(struct sym_frame *f, const char *name, const char *value)
{
	struct sym_var *grown = realloc(f->vars, (f->n_vars + 1) * sizeof(*grown));

	if (!grown)
		return;
	f->vars = grown;
	f->vars[f->n_vars].name = strdup(name);
	f->vars[f->n_vars].value = strdup(value);
	if (f->vars[f->n_vars].name && f->vars[f->n_vars].value)
		f->n_vars++;
	else {
		free(f->vars[f->n_vars].name);
		free(f->vars[f->n_vars].value);
	}
}

static void add_var(struct collect *c, Dwarf_Die *var)
{
	struct sym_frame *f = c->frame;
	const char *name = dwarf_diename(var);
	char value[RENDER_MAX + 8];

	if (skip_name(var, name) || already(f, name))
		return;
	if (f->n_vars == LOCALS_MAX_PER_FRAME) {
		f->vars_truncated = true;
		return;
	}
	if (scrub_name_is_sensitive(c->cfg, name))
		snprintf(value, sizeof(value), "[filtered]");
	else
		render_var(c->fc, var, value, sizeof(value));
	push_var(f, name, value);
}

/* A C++ lambda's captures, shown as locals like gdb does: the members of
 * the closure object that __closure points to, "__qty" as "qty". */
static void add_captures(struct collect *c, Dwarf_Die *closure_param)
{
	const struct frame_ctx *fc = c->fc;
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t nops;
	struct loc l;
	uint64_t obj = 0;
	Dwarf_Die ptr_mem, cls, child, *ptr = dwarf_formref_die(dwarf_attr_integrate(closure_param,
			DW_AT_type, &a), &ptr_mem);

	if (!ptr || dwarf_peel_type(ptr, &ptr_mem) != 0 || dwarf_tag(&ptr_mem) != DW_TAG_pointer_type ||
	    !dwarf_formref_die(dwarf_attr_integrate(&ptr_mem, DW_AT_type, &a), &cls) ||
	    dwarf_peel_type(&cls, &cls) != 0 || dwarf_child(&cls, &child) != 0)
		return;
	Dwarf_Attribute *loc = dwarf_attr(closure_param, DW_AT_location, &a);
	if (!loc || dwarf_getlocation_addr(loc, fc->dwarf_pc, &ops, &nops, 1) <= 0 ||
	    !eval(fc, loc, ops, nops, 0, &l))
		return;
	if (l.kind == LOC_MEMORY ? !capture_read(fc->cap, l.addr, &obj, 8) : l.len < 8)
		return;
	if (l.kind == LOC_VALUE)
		memcpy(&obj, l.bytes, 8);
	struct render_ctx rc = { mem_read, symbol_name, (void *)fc };
	do {
		const char *name = dwarf_diename(&child);
		Dwarf_Attribute ma;
		Dwarf_Word off = 0;
		Dwarf_Die mt_mem, *mt;
		char value[RENDER_MAX + 8];
		if (dwarf_tag(&child) != DW_TAG_member || !name || strncmp(name, "__", 2) != 0 ||
		    !name[2] || already(c->frame, name + 2) || c->frame->n_vars == LOCALS_MAX_PER_FRAME)
			continue;
		dwarf_formudata(dwarf_attr(&child, DW_AT_data_member_location, &ma), &off);
		mt = dwarf_formref_die(dwarf_attr_integrate(&child, DW_AT_type, &ma), &mt_mem);
		struct render_value v = { .in_memory = true, .addr = obj + off };
		Dwarf_Die peeled;
		if (mt && dwarf_peel_type(mt, &peeled) == 0 &&
		    (dwarf_tag(&peeled) == DW_TAG_reference_type ||
		     dwarf_tag(&peeled) == DW_TAG_rvalue_reference_type)) {
			/* by-reference capture: the variable itself, as gdb shows it */
			uint64_t target = 0;
			if (!capture_read(fc->cap, v.addr, &target, 8))
				continue;
			v.addr = target;
			mt = dwarf_formref_die(dwarf_attr_integrate(&peeled, DW_AT_type, &ma), &mt_mem);
		}
		if (scrub_name_is_sensitive(c->cfg, name + 2))
			snprintf(value, sizeof(value), "[filtered]");
		else
			render_value(&rc, mt, &v, value, sizeof(value));
		push_var(c->frame, name + 2, value);
	} while (dwarf_siblingof(&child, &child) == 0);
}

/* Parameters are direct children of the function (or inlined call). */
static void add_params(struct collect *c, Dwarf_Die *scope)
{
	Dwarf_Die child, closure;
	bool has_closure = false;

	if (dwarf_child(scope, &child) != 0)
		return;
	do {
		if (dwarf_tag(&child) != DW_TAG_formal_parameter)
			continue;
		const char *name = dwarf_diename(&child);
		if (name && strcmp(name, "__closure") == 0)
			closure = child, has_closure = true;
		add_var(c, &child);
	} while (dwarf_siblingof(&child, &child) == 0);
	if (has_closure)
		add_captures(c, &closure);
}

/* Locals of the blocks that hold the pc, inner blocks before outer ones
 * (the way gdb lists them); nested inlined calls are frames of their own
 * and are not entered. */
static void walk_locals(struct collect *c, Dwarf_Die *scope)
{
	Dwarf_Die chain[32], child;
	size_t n = 0;

	chain[n++] = *scope;
	for (bool found = true; found && n < 32;) {
		found = false;
		if (dwarf_child(&chain[n - 1], &child) != 0)
			break;
		do {
			if (dwarf_tag(&child) == DW_TAG_lexical_block &&
			    dwarf_haspc(&child, c->fc->dwarf_pc) == 1) {
				chain[n++] = child;
				found = true;
				break;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	for (size_t i = n; i-- > 0;) {
		/* only this block's own variables: blocks were chained above */
		if (dwarf_child(&chain[i], &child) != 0)
			continue;
		do {
			if (dwarf_tag(&child) == DW_TAG_variable)
				add_var(c, &child);
		} while (dwarf_siblingof(&child, &child) == 0);
	}
}

/* ---- frames ------------------------------------------------------------------------ */

/* The CFA of capture frame i: the caller's stack pointer on x86-64, or
 * from the module's CFI when the caller is not known. */
static bool frame_cfa(const struct capture *cap, const struct sym_frame *f, uint64_t *cfa)
{
	size_t i = f->capture_index;
	Dwarf_CFI *cfi;
	Dwarf_Addr cfi_bias;
	Dwarf_Frame *frame;
	Dwarf_Op *ops;
	size_t nops;

	if (i + 1 < cap->n_frames && (cap->frames[i + 1].regs_known & (1u << BB_REG_RSP)) &&
	    !(cap->frames_omitted && i + 1 == CAPTURE_HEAD_FRAMES)) {
		*cfa = cap->frames[i + 1].regs[BB_REG_RSP];
		return true;
	}
	if (!f->mod)
		return false;
	cfi = dwfl_module_eh_cfi(f->mod, &cfi_bias);
	if (!cfi || dwarf_cfi_addrframe(cfi, f->lookup_pc - f->shift - cfi_bias, &frame) != 0)
		return false;
	bool ok = false;
	if (dwarf_frame_cfa(frame, &ops, &nops) == 0 && nops == 1 &&
	    ops[0].atom >= DW_OP_breg0 && ops[0].atom <= DW_OP_breg31) {
		unsigned r = ops[0].atom - DW_OP_breg0;
		const struct capture_frame *cf = &cap->frames[i];
		if (r < BB_NREGS && (cf->regs_known & (1u << r))) {
			*cfa = cf->regs[r] + (uint64_t)(int64_t)ops[0].number;
			ok = true;
		}
	}
	free(frame);
	return ok;
}

/* The subprogram that owns frame i's physical frame (i itself, or the
 * function i was inlined into). */
static bool owner_function(const struct symbolized *sym, size_t i, Dwarf_Die *out)
{
	for (size_t j = i; j < sym->n_frames; j++) {
		const struct sym_frame *g = &sym->frames[j];
		if (g->capture_index != sym->frames[i].capture_index || !g->has_scope ||
		    g->tail_call != sym->frames[i].tail_call)
			break;
		if (dwarf_tag((Dwarf_Die *)&g->scope) == DW_TAG_subprogram) {
			*out = g->scope;
			return true;
		}
	}
	return false;
}

/* DW_AT_frame_base of the subprogram that owns frame i's physical frame. */
static Dwarf_Attribute *owner_frame_base(struct symbolized *sym, size_t i, Dwarf_Attribute *mem)
{
	Dwarf_Die owner;

	if (!owner_function(sym, i, &owner))
		return NULL;
	return dwarf_attr_integrate(&owner, DW_AT_frame_base, mem);
}

/* A frame rebuilt from a tail call has no registers of its own: only what
 * needs none (statics, constants) can be shown; the rest is
 * <optimized out>, as gdb shows it. */
static const struct capture_frame no_registers;

void locals_enrich(struct symbolized *sym, const struct capture *cap,
		const struct bb_config *cfg)
{
	for (size_t i = 0; i < sym->n_frames; i++) {
		struct sym_frame *f = &sym->frames[i];
		struct frame_ctx fc = { .cap = cap, .dwfl = sym->dwfl, .sym = sym, .sym_index = i };
		if (!f->has_scope || f->capture_index >= cap->n_frames)
			continue;
		fc.dwarf_pc = f->lookup_pc - f->bias;
		fc.bias = f->bias;
		if (f->tail_call) {
			fc.cf = &no_registers;
			fc.sym = NULL;	/* and no entry values */
		} else {
			fc.cf = &cap->frames[f->capture_index];
			fc.has_cfa = frame_cfa(cap, f, &fc.cfa);
			fc.frame_base = owner_frame_base(sym, i, &fc.fb_mem);
		}
		struct collect c = { .fc = &fc, .cfg = cfg, .frame = f };
		add_params(&c, &f->scope);
		walk_locals(&c, &f->scope);
	}
}
