/*
 * render.c - values as gdb's `bt full` prints them: integers, chars
 * (65 'A'), floats with gdb's digits, bool, enums by name, pointers in
 * hex, char pointers and char arrays as gdb quotes them (repeats and
 * all), structs one level deep, arrays, references; std::string and
 * std::vector in render_std.c.  Everything is read from the crash's
 * memory copy through a callback that can say "not there": a garbage
 * pointer renders as <unreadable 0x...>, never a fault.  The types come
 * from DWARF that the crashing user may have written: the nesting shown
 * is bounded (RENDER_DEPTH; a reference, which adds none, may not refer
 * to a reference), and so is the work, whatever the types say.
 */
#include <dwarf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "render_priv.h"

#define ENUM_SCOPE_WORK 64	/* naming an enum's scopes walks its CU: a flat price */

void out_put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->full)
		return;
	if (o->len + n >= o->cap) {
		n = o->cap - 1 - o->len;
		o->full = true;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

void out_putf(struct out *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	out_put(o, tmp);
}

bool out_spend(struct out *o, unsigned long units)
{
	if (o->w->work < units) {
		o->w->work = 0;
		o->full = true;
		return false;
	}
	o->w->work -= units;
	return true;
}

/* ---- reading ------------------------------------------------------------ */

bool render_bytes(const struct render_ctx *ctx, const struct render_value *v,
		size_t off, void *buf, size_t len)
{
	if (!v->in_memory) {
		if (off > v->len || len > v->len - off)
			return false;
		memcpy(buf, v->bytes + off, len);
		return true;
	}
	return ctx->read(ctx->arg, v->addr + off, buf, len);
}

struct render_value render_sub(const struct render_value *v, size_t off)
{
	struct render_value s = *v;

	if (s.in_memory)
		s.addr += off;
	else if (off <= s.len) {
		s.bytes += off;
		s.len -= off;
	} else {
		s.len = 0;
	}
	return s;
}

void render_unreadable(struct out *o, const struct render_value *v)
{
	if (v->in_memory)
		out_putf(o, "<unreadable 0x%" PRIx64 ">", v->addr);
	else
		out_put(o, "<optimized out>");
}

/* ---- types ---------------------------------------------------------------- */

Dwarf_Die *render_type_of(Dwarf_Die *die, Dwarf_Die *mem)
{
	Dwarf_Attribute a;

	return dwarf_formref_die(dwarf_attr_integrate(die, DW_AT_type, &a), mem);
}

bool render_peel(Dwarf_Die *type, Dwarf_Die *out)
{
	return dwarf_peel_type(type, out) == 0;
}

uint64_t render_attr_u(Dwarf_Die *die, int name, uint64_t dflt)
{
	Dwarf_Attribute a;
	Dwarf_Word w;

	return dwarf_formudata(dwarf_attr_integrate(die, name, &a), &w) == 0 ? w : dflt;
}

static size_t aggregate_size(Dwarf_Die *t)
{
	Dwarf_Word size;

	if (dwarf_tag(t) == DW_TAG_pointer_type || dwarf_tag(t) == DW_TAG_reference_type ||
	    dwarf_tag(t) == DW_TAG_rvalue_reference_type)
		return (size_t)render_attr_u(t, DW_AT_byte_size, 8);
	return dwarf_aggregate_size(t, &size) == 0 ? (size_t)size : 0;
}

/* The size of a type, asked once per value and type: libdw walks the
 * type's DIEs for it (arrays of arrays to 256 levels). */
size_t render_type_size(struct out *o, Dwarf_Die *type)
{
	struct walk *w = o->w;
	Dwarf_Die t;

	if (!render_peel(type, &t))
		return 0;
	for (size_t i = 0; i < w->n_sizes && i < RENDER_SIZES; i++)
		if (w->sizes[i].die == t.addr)
			return w->sizes[i].size;
	size_t size = aggregate_size(&t);
	size_t slot = w->n_sizes++ % RENDER_SIZES;	/* the oldest goes */
	w->sizes[slot].die = t.addr;
	w->sizes[slot].size = size;
	return size;
}

static bool is_char_type(Dwarf_Die *type)
{
	Dwarf_Die t;

	if (!type || !render_peel(type, &t) || dwarf_tag(&t) != DW_TAG_base_type)
		return false;
	uint64_t enc = render_attr_u(&t, DW_AT_encoding, 0);
	return render_attr_u(&t, DW_AT_byte_size, 0) == 1 &&
	       (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char ||
		(enc == DW_ATE_UTF && 0));
}

/* ---- chars and strings ------------------------------------------------------- */

/* One char as gdb escapes it inside quotes q ('"' or '\''). */
static void put_char(struct out *o, const unsigned char *s, size_t left, char q, size_t *used)
{
	static const char esc[] = { ['\a'] = 'a', ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n',
				    ['\v'] = 'v', ['\f'] = 'f', ['\r'] = 'r' };
	unsigned char c = s[0];
	char tmp[8];

	*used = 1;
	if (c == (unsigned char)q || c == '\\') {
		snprintf(tmp, sizeof(tmp), "\\%c", c);
	} else if (c >= 0x20 && c < 0x7f) {
		snprintf(tmp, sizeof(tmp), "%c", c);
	} else if (c < sizeof(esc) && esc[c]) {
		snprintf(tmp, sizeof(tmp), "\\%c", esc[c]);
	} else if (c >= 0xc2 && c <= 0xf4) {
		/* A valid UTF-8 sequence passes through, as on a UTF-8 terminal. */
		size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2, i;
		for (i = 1; i < n && i < left && (s[i] & 0xc0) == 0x80; i++)
			;
		if (i == n) {
			memcpy(tmp, s, n);
			tmp[n] = '\0';
			*used = n;
		} else {
			snprintf(tmp, sizeof(tmp), "\\%03o", c);
		}
	} else {
		snprintf(tmp, sizeof(tmp), "\\%03o", c);
	}
	out_put(o, tmp);
}

static size_t run_length(const unsigned char *s, size_t n)
{
	size_t r = 1;

	while (r < n && s[r] == s[0])
		r++;
	return r;
}

void render_chars_into(struct out *o, const unsigned char *s, size_t n, bool more)
{
	bool in_quotes = false, first = true;
	size_t i = 0, used;

	if (n == 0) {
		out_put(o, "\"\"");
		return;
	}
	while (i < n && !o->full) {
		size_t r = run_length(s + i, n - i);
		if (r > RENDER_REPEATS) {
			if (in_quotes)
				out_put(o, "\"");
			in_quotes = false;
			if (!first)
				out_put(o, ", ");
			out_put(o, "'");
			put_char(o, s + i, 1, '\'', &used);
			out_putf(o, "' <repeats %zu times>", r);
			i += r;
		} else {
			if (!in_quotes) {
				if (!first)
					out_put(o, ", ");
				out_put(o, "\"");
				in_quotes = true;
			}
			put_char(o, s + i, n - i, '"', &used);
			i += used;
		}
		first = false;
	}
	if (in_quotes)
		out_put(o, "\"");
	if (more)
		out_put(o, "...");
}

void render_chars(const unsigned char *s, size_t n, bool more, char *out, size_t outlen)
{
	struct out o = { out, 0, outlen, false, NULL };	/* quoting does no DWARF work */

	out[0] = '\0';
	render_chars_into(&o, s, n, more);
}

/* A NUL-terminated string at addr, gdb style (at most 200 chars). */
static void c_string(const struct render_ctx *ctx, struct out *o, uint64_t addr)
{
	unsigned char buf[RENDER_STRING_MAX + 1];
	size_t n = 0;

	while (n < sizeof(buf) && ctx->read(ctx->arg, addr + n, buf + n, 1)) {
		if (buf[n] == '\0')
			break;
		n++;
	}
	if (n < sizeof(buf) && !ctx->read(ctx->arg, addr + n, buf + n, 1)) {
		out_putf(o, "<unreadable 0x%" PRIx64 ">", addr + n);
		return;
	}
	bool more = n > RENDER_STRING_MAX;
	render_chars_into(o, buf, more ? RENDER_STRING_MAX : n, more);
}

/* ---- the kinds of value -------------------------------------------------------- */

static void render_base(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		struct out *o)
{
	uint64_t enc = render_attr_u(t, DW_AT_encoding, 0), size = render_attr_u(t, DW_AT_byte_size, 0);
	unsigned char b[16] = { 0 };

	if (size == 0 || size > sizeof(b) || !render_bytes(ctx, v, 0, b, size)) {
		render_unreadable(o, v);
		return;
	}
	uint64_t u = 0;
	memcpy(&u, b, size < 8 ? size : 8);
	int64_t s = size < 8 && (u >> (size * 8 - 1)) & 1 ? (int64_t)(u | (~0ULL << (size * 8))) : (int64_t)u;
	switch (enc) {
	case DW_ATE_boolean:
		if (u <= 1)
			out_put(o, u ? "true" : "false");
		else
			out_putf(o, "%" PRIu64, u);
		return;
	case DW_ATE_float:
		if (size == 4) {
			float f;
			memcpy(&f, b, 4);
			out_putf(o, "%.9g", f);
		} else if (size == 8) {
			double d;
			memcpy(&d, b, 8);
			out_putf(o, "%.17g", d);
		} else {
			long double ld = 0;
			memcpy(&ld, b, size < sizeof(ld) ? size : sizeof(ld));
			out_putf(o, "%.18Lg", ld);
		}
		return;
	case DW_ATE_signed_char:
	case DW_ATE_unsigned_char: {
		size_t used;
		if (size != 1)
			break;
		out_putf(o, "%" PRId64 " '", enc == DW_ATE_signed_char ? s : (int64_t)u);
		put_char(o, b, 1, '\'', &used);
		out_put(o, "'");
		return;
	}
	case DW_ATE_signed:
		if (size <= 8) {
			out_putf(o, "%" PRId64, s);
			return;
		}
		break;
	case DW_ATE_unsigned:
	case DW_ATE_UTF:
		if (size <= 8) {
			out_putf(o, "%" PRIu64, u);
			return;
		}
		break;
	}
	/* 128-bit and exotic encodings: the bytes, high first, like gdb's /x */
	out_put(o, "0x");
	for (size_t i = size; i-- > 0;)
		out_putf(o, "%02x", b[i]);
}

/* gdb qualifies a C++ enumerator with the enum's namespaces and classes
 * (shop::PAID), and a scoped enum's with the enum too (Color::Red). */
static void put_enum_scope(struct out *o, Dwarf_Die *t)
{
	Dwarf_Attribute a;
	const char *name = dwarf_diename(t);
	char *q;

	if (dwarf_attr_integrate(t, DW_AT_enum_class, &a) && name)
		q = names_qualified(t, name);
	else
		q = names_qualified(t, "");
	if (q) {
		out_put(o, q);
		if (dwarf_attr_integrate(t, DW_AT_enum_class, &a) && name)
			out_put(o, "::");
	}
	free(q);
}

static void render_enum(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		struct out *o)
{
	size_t size = (size_t)render_attr_u(t, DW_AT_byte_size, 4);
	int64_t val = 0;
	Dwarf_Die child;

	if (size == 0 || size > 8 || !render_bytes(ctx, v, 0, &val, size)) {
		render_unreadable(o, v);
		return;
	}
	if (size < 8 && (val >> (size * 8 - 1)) & 1)
		val |= (int64_t)(~0ULL << (size * 8));	/* sign-extend */
	if (dwarf_child(t, &child) == 0) {
		do {
			Dwarf_Attribute a;
			Dwarf_Sword sv;
			Dwarf_Word uv;
			if (!out_spend(o, 1))
				return;
			if (dwarf_tag(&child) != DW_TAG_enumerator)
				continue;
			Dwarf_Attribute *cv = dwarf_attr(&child, DW_AT_const_value, &a);
			bool match = (dwarf_formsdata(cv, &sv) == 0 && sv == val) ||
				     (dwarf_formudata(cv, &uv) == 0 && (int64_t)uv == val);
			if (match) {
				if (out_spend(o, ENUM_SCOPE_WORK))
					put_enum_scope(o, t);
				out_put(o, dwarf_diename(&child) ?: "?");
				return;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	out_putf(o, "%" PRId64, val);
}

static void render_pointer(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		struct out *o)
{
	uint64_t p = 0;
	Dwarf_Die target_mem, *target = render_type_of(t, &target_mem);

	if (!render_bytes(ctx, v, 0, &p, 8)) {
		render_unreadable(o, v);
		return;
	}
	char sym[256];

	out_putf(o, "0x%" PRIx64, p);
	if (p && target && is_char_type(target)) {
		out_put(o, " ");
		c_string(ctx, o, p);
	} else if (p && ctx->symbol && ctx->symbol(ctx->arg, p, sym, sizeof(sym))) {
		out_putf(o, " <%s>", sym);
	}
}

static void render_reference(const struct render_ctx *ctx, Dwarf_Die *t,
		const struct render_value *v, int depth, struct out *o)
{
	uint64_t p = 0;
	Dwarf_Die target_mem, *target = render_type_of(t, &target_mem), peeled;

	if (!render_bytes(ctx, v, 0, &p, 8)) {
		render_unreadable(o, v);
		return;
	}
	/* gdb shows where a reference points only for a variable itself, and
	 * not when a pretty printer (std::string, std::vector) renders it */
	if (depth == 0 && !(target && render_is_pretty_printed(target)))
		out_putf(o, "@0x%" PRIx64 ": ", p);
	/* The target renders at this depth (a reference is no nesting), so a
	 * reference to a reference, which C++ cannot write, would never end. */
	if (target && render_peel(target, &peeled) &&
	    (dwarf_tag(&peeled) == DW_TAG_reference_type ||
	     dwarf_tag(&peeled) == DW_TAG_rvalue_reference_type)) {
		out_put(o, "<error: reference to a reference>");
		return;
	}
	if (target) {
		struct render_value rv = { .in_memory = true, .addr = p };
		render_any(ctx, target, &rv, depth, o);
	}
}

bool render_bitfield(const unsigned char *buf, size_t len, unsigned shift, unsigned bits,
		uint64_t *out)
{
	size_t need = (shift + bits + 7) / 8;	/* 9 when 64 bits start at bit 1 to 7 */
	uint64_t lo = 0;

	if (bits == 0 || bits > 64 || shift > 7 || need > len)
		return false;
	memcpy(&lo, buf, need < sizeof(lo) ? need : sizeof(lo));
	uint64_t v = lo >> shift;
	if (need > sizeof(lo))
		v |= (uint64_t)buf[8] << (64 - shift);	/* need > 8 means shift > 0 */
	*out = bits == 64 ? v : v & ((1ULL << bits) - 1);
	return true;
}

/* A bit-field member: DW_AT_data_bit_offset counts from the struct's start. */
static void render_bitfield_member(const struct render_ctx *ctx, Dwarf_Die *member,
		const struct render_value *v, uint64_t bits, struct out *o)
{
	uint64_t bitoff = render_attr_u(member, DW_AT_data_bit_offset, 0), val;
	unsigned char raw[9];
	size_t need = (size_t)((bits + bitoff % 8 + 7) / 8);
	struct render_value bv = render_sub(v, (size_t)(bitoff / 8));

	if (need > sizeof(raw) || !render_bytes(ctx, &bv, 0, raw, need) ||
	    !render_bitfield(raw, need, (unsigned)(bitoff % 8), (unsigned)bits, &val))
		render_unreadable(o, &bv);
	else
		out_putf(o, "%" PRIu64, val);
}

static void render_struct(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o)
{
	Dwarf_Die child;
	bool first = true;

	if (render_library_type(ctx, t, v, depth, o))
		return;
	if (depth > 1) {
		out_put(o, "{...}");
		return;
	}
	out_put(o, "{");
	if (dwarf_child(t, &child) == 0) {
		do {
			int tag = dwarf_tag(&child);
			Dwarf_Attribute a;
			if (!out_spend(o, 1))
				return;
			if ((tag != DW_TAG_member && tag != DW_TAG_inheritance) ||
			    dwarf_attr(&child, DW_AT_external, &a) || dwarf_attr(&child, DW_AT_declaration, &a))
				continue;	/* static members live elsewhere */
			Dwarf_Die mt_mem, *mt = render_type_of(&child, &mt_mem);
			if (!mt)
				continue;
			if (!first)
				out_put(o, ", ");
			first = false;
			if (tag == DW_TAG_inheritance)
				out_putf(o, "<%s> = ", dwarf_diename(mt) ?: "?");
			else if (dwarf_diename(&child))
				out_putf(o, "%s = ", dwarf_diename(&child));
			struct render_value mv = render_sub(v, (size_t)render_attr_u(&child, DW_AT_data_member_location, 0));
			uint64_t bits = render_attr_u(&child, DW_AT_bit_size, 0);
			if (bits && bits < 64)
				render_bitfield_member(ctx, &child, v, bits, o);
			else
				render_any(ctx, mt, &mv, depth + 1, o);
		} while (!o->full && dwarf_siblingof(&child, &child) == 0);
	}
	out_put(o, "}");
}

/* A run of `run` equal elements, gdb's way: written out up to
 * RENDER_REPEATS, "<repeats N times>" beyond. */
static void flush_run(struct out *o, const char *elem, size_t run, bool *first)
{
	if (!run)
		return;
	if (!*first)
		out_put(o, ", ");
	*first = false;
	if (run > RENDER_REPEATS) {
		out_putf(o, "%s <repeats %zu times>", elem, run);
		return;
	}
	for (size_t k = 0; k < run; k++)
		out_putf(o, "%s%s", k ? ", " : "", elem);
}

/* {a, b, c} with gdb's <repeats N times> for long runs of equal elements.
 * Equal elements fill no text, so the walk stops on the work budget, not
 * only on the length: the value then ends in "...". */
void render_elements(const struct render_ctx *ctx, Dwarf_Die *elem, uint64_t addr,
		size_t count, size_t esize, bool more, int depth, struct out *o)
{
	char prev[RENDER_MAX + 8] = "", cur[RENDER_MAX + 8];
	size_t run = 0;
	bool first = true;

	out_put(o, "{");
	for (size_t i = 0; i < count && !o->full && o->w->work; i++) {
		struct out e = { cur, 0, sizeof(cur), false, o->w };
		struct render_value ev = { .in_memory = true, .addr = addr + i * esize };
		cur[0] = '\0';
		render_any(ctx, elem, &ev, depth, &e);
		if (run && strcmp(cur, prev) == 0) {
			run++;
			continue;
		}
		flush_run(o, prev, run, &first);
		memcpy(prev, cur, sizeof(prev));
		run = 1;
	}
	flush_run(o, prev, run, &first);
	if (!o->w->work) {
		o->full = true;		/* cut: the caller says so with "..." */
		return;
	}
	if (more)
		out_put(o, "...");
	out_put(o, "}");
}

static void render_array(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o)
{
	Dwarf_Die child, elem_mem, *elem = render_type_of(t, &elem_mem);
	uint64_t count = 0;

	if (!elem || dwarf_child(t, &child) != 0) {
		out_put(o, "{...}");
		return;
	}
	do {
		if (!out_spend(o, 1))
			return;
		if (dwarf_tag(&child) == DW_TAG_subrange_type) {
			Dwarf_Attribute a;
			if (dwarf_attr(&child, DW_AT_count, &a))
				count = render_attr_u(&child, DW_AT_count, 0);
			else if (dwarf_attr(&child, DW_AT_upper_bound, &a))
				count = render_attr_u(&child, DW_AT_upper_bound, 0) + 1;
			break;	/* the first dimension; inner ones render as elements */
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	size_t esize = render_type_size(o, elem);
	if (count == 0 || esize == 0) {
		out_put(o, "{}");
		return;
	}
	if (is_char_type(elem)) {
		unsigned char buf[RENDER_STRING_MAX + 1];
		size_t n = count > RENDER_STRING_MAX ? RENDER_STRING_MAX : (size_t)count;
		if (!render_bytes(ctx, v, 0, buf, n)) {
			render_unreadable(o, v);
			return;
		}
		/* gdb drops the one NUL that ends a full array */
		if (n == count && buf[n - 1] == '\0')
			n--;
		render_chars_into(o, buf, n, count > RENDER_STRING_MAX);
		return;
	}
	if (!v->in_memory) {
		out_put(o, "{...}");
		return;
	}
	render_elements(ctx, elem, v->addr, count > MAX_ELEMENTS ? MAX_ELEMENTS : (size_t)count,
			esize, count > MAX_ELEMENTS, depth + 1, o);
}

void render_any(const struct render_ctx *ctx, Dwarf_Die *type, const struct render_value *v,
		int depth, struct out *o)
{
	Dwarf_Die t;

	if (depth > RENDER_DEPTH || o->full) {
		out_put(o, "...");
		return;
	}
	if (!out_spend(o, 1))
		return;
	if (!type || !render_peel(type, &t)) {
		out_put(o, "<unknown type>");
		return;
	}
	switch (dwarf_tag(&t)) {
	case DW_TAG_base_type:
		render_base(ctx, &t, v, o);
		break;
	case DW_TAG_enumeration_type:
		render_enum(ctx, &t, v, o);
		break;
	case DW_TAG_pointer_type:
	case DW_TAG_ptr_to_member_type:
		render_pointer(ctx, &t, v, o);
		break;
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		render_reference(ctx, &t, v, depth, o);
		break;
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
	case DW_TAG_union_type:
		render_struct(ctx, &t, v, depth, o);
		break;
	case DW_TAG_array_type:
		render_array(ctx, &t, v, depth, o);
		break;
	case DW_TAG_unspecified_type:	/* decltype(nullptr) */
		out_put(o, "0x0");
		break;
	default:
		out_put(o, "<unsupported type>");
	}
}

void render_value(const struct render_ctx *ctx, Dwarf_Die *type, const struct render_value *v,
		char *out, size_t outlen)
{
	char buf[RENDER_MAX + 64];
	unsigned long frame_left = ctx->work ? *ctx->work : RENDER_WORK_PER_VALUE;
	struct walk w = { .work = frame_left < RENDER_WORK_PER_VALUE ? frame_left : RENDER_WORK_PER_VALUE };
	unsigned long start = w.work;
	struct out o = { buf, 0, sizeof(buf), false, &w };

	buf[0] = '\0';
	render_any(ctx, type, v, 0, &o);
	if (ctx->work)
		*ctx->work -= start - w.work;
	/* cut by length or by work: "..." where it stops, as gdb ends what it
	 * does not print */
	if (o.len > RENDER_MAX || o.full)
		memcpy(buf + (o.len < RENDER_MAX - 3 ? o.len : RENDER_MAX - 3), "...", 4);
	snprintf(out, outlen, "%s", buf);
}
