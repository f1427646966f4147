/*
 * locals.c - where each local variable lives, and what it holds.
 *
 * The location expressions run on dwexpr.c's stack machine in this
 * frame: fbreg (frame base = the CFA), breg/reg, addr (+ the module's
 * bias), entry values from the caller's call sites, deref from the memory
 * copy.  Registers come from the unwinder per frame; a register it does
 * not know (caller-saved ones in outer frames) makes the variable
 * <optimized out>, as gdb would say, never a made-up value.  The DWARF
 * is the crashing user's to write: each variable and each frame gets a
 * bounded share of expression steps and rendering work.
 */
#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "callsite.h"
#include "dwexpr.h"
#include "locals.h"
#include "names.h"
#include "render.h"
#include "scrub.h"
#include "symcache.h"

/* Expression steps, nested evaluations included: a variable's at most,
 * and a frame's (gcc's expressions take a handful each). */
#define VAR_EXPR_OPS 4096
#define FRAME_EXPR_OPS 65536
/* A report's frames together (up to CAPTURE_MAX_FRAMES of them, crafted
 * alike): a render unit takes ~0.3 us, so at most ~1 s of a worker. */
#define REPORT_EXPR_OPS (1024 * 1024)
#define REPORT_RENDER_WORK (3 * 1024 * 1024)

/* The strings that filtered variables, members and keys held: hidden
 * wherever else the report shows them (another variable, a source line
 * that wrote the secret down).  Shorter ones would hide common words. */
#define SECRETS_MAX 32
#define SECRET_MIN_LEN 4

struct secrets {
	char *s[SECRETS_MAX];
	size_t n;
};

/* What a frame may still spend; shared with the frames that entry values
 * look into on its behalf. */
struct frame_budget {
	unsigned long expr_ops;		/* the frame's */
	unsigned long var_ops;		/* the variable being evaluated's */
	unsigned long render_work;	/* see render.h */
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
	struct frame_budget *budget;
	const struct bb_config *cfg;	/* the sensitive names and scrub_value rules */
	struct secrets *secrets;
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

static bool reg(void *arg, unsigned n, uint64_t *v)
{
	const struct frame_ctx *fc = arg;

	if (n >= BB_NREGS || !(fc->cf->regs_known & (1u << n)))
		return false;
	*v = fc->cf->regs[n];
	return true;
}

static bool cfa(void *arg, uint64_t *v)
{
	const struct frame_ctx *fc = arg;

	*v = fc->cfa;
	return fc->has_cfa;
}

/* ---- expressions in this frame ------------------------------------------------ */

static bool frame_base(void *arg, int depth, uint64_t *fb);
static bool entry_value(void *arg, unsigned regno, int depth, uint64_t *out);

static enum dwexpr_status eval(const struct frame_ctx *fc, Dwarf_Attribute *attr,
		const Dwarf_Op *ops, size_t nops, int depth, struct dwexpr_loc *out)
{
	struct dwexpr_env env = {
		.reg = reg, .read = mem_read, .frame_base = frame_base, .cfa = cfa,
		.entry_value = entry_value, .arg = (void *)fc, .bias = fc->bias,
		.ops_left = &fc->budget->var_ops,
	};

	return dwexpr_eval(&env, attr, ops, nops, depth, out);
}

/* A variable's own location, within its share of the frame's steps. */
static enum dwexpr_status eval_var(const struct frame_ctx *fc, Dwarf_Attribute *attr,
		const Dwarf_Op *ops, size_t nops, struct dwexpr_loc *out)
{
	struct frame_budget *b = fc->budget;

	b->var_ops = b->expr_ops < VAR_EXPR_OPS ? b->expr_ops : VAR_EXPR_OPS;
	unsigned long start = b->var_ops;
	enum dwexpr_status st = eval(fc, attr, ops, nops, 0, out);
	b->expr_ops -= start - b->var_ops;
	return st;
}

static bool frame_base(void *arg, int depth, uint64_t *fb)
{
	const struct frame_ctx *fc = arg;
	Dwarf_Op *ops;
	size_t nops;
	struct dwexpr_loc l;

	/* DW_OP_regN gives the register's value: the base itself */
	return fc->frame_base &&
	       dwarf_getlocation_addr(fc->frame_base, fc->dwarf_pc, &ops, &nops, 1) > 0 &&
	       eval(fc, fc->frame_base, ops, nops, depth, &l) == DWEXPR_OK && dwexpr_word(&l, fb);
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

/* Is the call site parameter `param` the one for register regno? */
static bool param_for_register(Dwarf_Die *param, unsigned regno)
{
	int tag = dwarf_tag(param);
	Dwarf_Attribute a;
	Dwarf_Op *ops;
	size_t nops;

	if (tag != DW_TAG_call_site_parameter && tag != DW_TAG_GNU_call_site_parameter)
		return false;
	Dwarf_Attribute *loc = dwarf_attr(param, DW_AT_location, &a);
	if (!loc || dwarf_getlocation(loc, &ops, &nops) != 0 || nops != 1)
		return false;
	return (ops[0].atom >= DW_OP_reg0 && ops[0].atom <= DW_OP_reg31 &&
		(unsigned)(ops[0].atom - DW_OP_reg0) == regno) ||
	       (ops[0].atom == DW_OP_regx && ops[0].number == regno);
}

/* DW_OP_entry_value(DW_OP_regN): what register N held when the function
 * was entered, from the caller's call site parameters (as gdb's n@entry). */
static bool entry_value(void *arg, unsigned regno, int depth, uint64_t *out)
{
	const struct frame_ctx *fc = arg;
	struct symbolized *sym = fc->sym;
	size_t gi;

	if (!sym || (gi = caller_frame(sym, fc->sym_index)) == sym->n_frames)
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
				    .dwarf_pc = g->lookup_pc - g->bias, .bias = g->bias,
				    .budget = fc->budget, .cfg = fc->cfg, .secrets = fc->secrets };
	caller.has_cfa = frame_cfa(fc->cap, g, &caller.cfa);
	caller.frame_base = owner_frame_base(sym, gi, &caller.fb_mem);
	do {
		Dwarf_Attribute va;
		Dwarf_Op *ops;
		size_t nops;
		struct dwexpr_loc l;
		if (!param_for_register(&param, regno))
			continue;
		Dwarf_Attribute *val = dwarf_attr(&param, DW_AT_call_value, &va);
		if (!val)
			val = dwarf_attr(&param, DW_AT_GNU_call_site_value, &va);
		/* a value expression: a memory result is the stack top, the value */
		return val && dwarf_getlocation(val, &ops, &nops) == 0 &&
		       eval(&caller, val, ops, nops, depth, &l) == DWEXPR_OK && dwexpr_word(&l, out);
	} while (dwarf_siblingof(&param, &param) == 0);
	return false;
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

/* Members, fields and string keys inside values are filtered by the
 * names that filter variables. */
static bool sensitive(void *arg, const char *name)
{
	const struct frame_ctx *fc = arg;

	return scrub_name_is_sensitive(fc->cfg, name);
}

/* The scrub_value rules, on each string inside a value before it is cut. */
static char *scrub(void *arg, const char *text)
{
	const struct frame_ctx *fc = arg;

	return fc->cfg && fc->cfg->n_scrub_values ? scrub_string(fc->cfg, text) : NULL;
}

static void remember_secret(void *arg, const char *text, size_t len)
{
	struct secrets *sec = ((const struct frame_ctx *)arg)->secrets;

	if (!sec || len < SECRET_MIN_LEN || sec->n == SECRETS_MAX)
		return;
	for (size_t i = 0; i < sec->n; i++)
		if (strlen(sec->s[i]) == len && memcmp(sec->s[i], text, len) == 0)
			return;
	if ((sec->s[sec->n] = strndup(text, len)) != NULL)
		sec->n++;
}

static struct render_ctx render_ctx_of(const struct frame_ctx *fc)
{
	return (struct render_ctx){ .read = mem_read, .symbol = symbol_name, .sensitive = sensitive,
				    .scrub = fc->cfg && fc->cfg->n_scrub_values ? scrub : NULL,
				    .secret = remember_secret,
				    .arg = (void *)fc, .work = &fc->budget->render_work };
}

/* text with every secret replaced by [filtered]; NULL when none is in it. */
static char *without_secrets(const struct secrets *sec, const char *text)
{
	char *cur = NULL;

	for (size_t i = 0; text && i < sec->n; i++) {
		const char *in = cur ? cur : text, *hit = strstr(in, sec->s[i]);
		if (!hit)
			continue;
		size_t n = strlen(sec->s[i]), len = strlen(in);
		char *out = malloc(len / n * sizeof(RENDER_FILTERED) + len + 1), *w = out;
		if (!out)
			continue;
		for (const char *p = in; ; hit = strstr(p, sec->s[i])) {
			size_t keep = hit ? (size_t)(hit - p) : strlen(p);
			memcpy(w, p, keep);
			w += keep;
			if (!hit)
				break;
			memcpy(w, RENDER_FILTERED, sizeof(RENDER_FILTERED) - 1);
			w += sizeof(RENDER_FILTERED) - 1;
			p = hit + n;
		}
		*w = '\0';
		free(cur);
		cur = out;
	}
	return cur;
}

static void hide_in(const struct secrets *sec, char **text)
{
	char *clean = without_secrets(sec, *text);

	if (clean) {
		free(*text);
		*text = clean;
	}
}

/* Every variable and source line of the report, without the secrets. */
static void hide_secrets(struct symbolized *sym, struct secrets *sec)
{
	for (size_t i = 0; sec->n && i < sym->n_frames; i++) {
		struct sym_frame *f = &sym->frames[i];
		for (size_t v = 0; v < f->n_vars; v++)
			hide_in(sec, &f->vars[v].value);
		hide_in(sec, &f->context_line);
		for (size_t k = 0; k < f->n_pre; k++)
			hide_in(sec, &f->pre_context[k]);
		for (size_t k = 0; k < f->n_post; k++)
			hide_in(sec, &f->post_context[k]);
	}
	for (size_t i = 0; i < sec->n; i++)
		free(sec->s[i]);
	sec->n = 0;
}

static void render_var(const struct frame_ctx *fc, Dwarf_Die *var, char *out, size_t outlen)
{
	Dwarf_Attribute attr_mem, *attr;
	Dwarf_Die type_mem, *type;
	struct render_value v = { 0 };
	struct render_ctx rc = render_ctx_of(fc);
	unsigned char buf[8];
	struct dwexpr_loc l;

	type = dwarf_formref_die(dwarf_attr_integrate(var, DW_AT_type, &attr_mem), &type_mem);
	if ((attr = dwarf_attr_integrate(var, DW_AT_const_value, &attr_mem)) != NULL) {
		const_value(attr, &v, buf);
	} else if ((attr = dwarf_attr(var, DW_AT_location, &attr_mem)) != NULL) {
		Dwarf_Op *ops;
		size_t nops;
		enum dwexpr_status st = DWEXPR_UNAVAILABLE;
		if (dwarf_getlocation_addr(attr, fc->dwarf_pc, &ops, &nops, 1) <= 0 || nops == 0 ||
		    (st = eval_var(fc, attr, ops, nops, &l)) != DWEXPR_OK) {
			snprintf(out, outlen, "%s", dwexpr_status_text(st));
			return;
		}
		if (l.kind == DWEXPR_MEMORY) {
			v.in_memory = true;
			v.addr = l.addr;
		} else {
			v.bytes = l.bytes;
			v.len = l.len;
		}
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
	render_var(c->fc, var, value, sizeof(value));
	if (scrub_name_is_sensitive(c->cfg, name)) {
		struct render_ctx rc = render_ctx_of(c->fc);
		render_report_secrets(&rc, value);
		snprintf(value, sizeof(value), "[filtered]");
	}
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
	struct dwexpr_loc l;
	uint64_t obj = 0;
	Dwarf_Die ptr_mem, cls, child, *ptr = dwarf_formref_die(dwarf_attr_integrate(closure_param,
			DW_AT_type, &a), &ptr_mem);

	if (!ptr || dwarf_peel_type(ptr, &ptr_mem) != 0 || dwarf_tag(&ptr_mem) != DW_TAG_pointer_type ||
	    !dwarf_formref_die(dwarf_attr_integrate(&ptr_mem, DW_AT_type, &a), &cls) ||
	    dwarf_peel_type(&cls, &cls) != 0 || dwarf_child(&cls, &child) != 0)
		return;
	Dwarf_Attribute *loc = dwarf_attr(closure_param, DW_AT_location, &a);
	if (!loc || dwarf_getlocation_addr(loc, fc->dwarf_pc, &ops, &nops, 1) <= 0 ||
	    eval_var(fc, loc, ops, nops, &l) != DWEXPR_OK)
		return;
	/* the closure pointer: in memory, or the value itself */
	if (l.kind == DWEXPR_MEMORY ? !capture_read(fc->cap, l.addr, &obj, 8) : !dwexpr_word(&l, &obj))
		return;
	struct render_ctx rc = render_ctx_of(fc);
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

static unsigned long at_most(unsigned long a, unsigned long b)
{
	return a < b ? a : b;
}

/* A frame's share of what the report may still spend. */
static struct frame_budget frame_share(const struct frame_budget *report)
{
	return (struct frame_budget){
		.expr_ops = at_most(FRAME_EXPR_OPS, report->expr_ops),
		.render_work = at_most(RENDER_WORK_PER_FRAME, report->render_work),
	};
}

static void frame_spent(struct frame_budget *report, const struct frame_budget *given,
		const struct frame_budget *left)
{
	report->expr_ops -= given->expr_ops - left->expr_ops;
	report->render_work -= given->render_work - left->render_work;
}

void locals_enrich(struct symbolized *sym, const struct capture *cap,
		const struct bb_config *cfg)
{
	struct frame_budget report = { .expr_ops = REPORT_EXPR_OPS,
				       .render_work = REPORT_RENDER_WORK };
	struct secrets secrets = { .n = 0 };

	for (size_t i = 0; i < sym->n_frames; i++) {
		struct sym_frame *f = &sym->frames[i];
		const struct frame_budget given = frame_share(&report);
		struct frame_budget budget = given;
		struct frame_ctx fc = { .cap = cap, .dwfl = sym->dwfl, .sym = sym, .sym_index = i,
					.budget = &budget, .cfg = cfg, .secrets = &secrets };
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
		frame_spent(&report, &given, &budget);
	}
	hide_secrets(sym, &secrets);
}
