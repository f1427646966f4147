/*
 * render.c - values as gdb's `bt full` prints them: integers, chars
 * (65 'A'), floats with gdb's digits, bool, enums by name, pointers in
 * hex, char pointers and char arrays as gdb quotes them (repeats and
 * all), structs one level deep, arrays, references, std::string and
 * std::vector.  Everything is read from the crash's memory copy through
 * a callback that can say "not there": a garbage pointer renders as
 * <unreadable 0x...>, never a fault, and every loop is bounded.
 */
#include <dwarf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "render.h"

#define MAX_ELEMENTS 200	/* gdb's print elements */
#define MAX_OBJECT (64 * 1024)	/* biggest value we copy in one piece */

struct out {
	char *p;
	size_t len, cap;
	bool full;
};

static void put(struct out *o, const char *s)
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

static void putf(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct out *o, const char *fmt, ...)
{
	char tmp[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	put(o, tmp);
}

/* ---- reading ------------------------------------------------------------ */

static bool value_bytes(const struct render_ctx *ctx, const struct render_value *v,
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

static struct render_value sub_value(const struct render_value *v, size_t off)
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

static void unreadable(struct out *o, const struct render_value *v)
{
	if (v->in_memory)
		putf(o, "<unreadable 0x%" PRIx64 ">", v->addr);
	else
		put(o, "<optimized out>");
}

/* ---- types ---------------------------------------------------------------- */

static Dwarf_Die *type_of(Dwarf_Die *die, Dwarf_Die *mem)
{
	Dwarf_Attribute a;

	return dwarf_formref_die(dwarf_attr_integrate(die, DW_AT_type, &a), mem);
}

static bool peel(Dwarf_Die *type, Dwarf_Die *out)
{
	return dwarf_peel_type(type, out) == 0;
}

static uint64_t attr_u(Dwarf_Die *die, int name, uint64_t dflt)
{
	Dwarf_Attribute a;
	Dwarf_Word w;

	return dwarf_formudata(dwarf_attr_integrate(die, name, &a), &w) == 0 ? w : dflt;
}

static size_t type_size(Dwarf_Die *type)
{
	Dwarf_Word size;
	Dwarf_Die t;

	if (!peel(type, &t))
		return 0;
	if (dwarf_tag(&t) == DW_TAG_pointer_type || dwarf_tag(&t) == DW_TAG_reference_type ||
	    dwarf_tag(&t) == DW_TAG_rvalue_reference_type)
		return (size_t)attr_u(&t, DW_AT_byte_size, 8);
	return dwarf_aggregate_size(&t, &size) == 0 ? (size_t)size : 0;
}

static bool is_char_type(Dwarf_Die *type)
{
	Dwarf_Die t;

	if (!type || !peel(type, &t) || dwarf_tag(&t) != DW_TAG_base_type)
		return false;
	uint64_t enc = attr_u(&t, DW_AT_encoding, 0);
	return attr_u(&t, DW_AT_byte_size, 0) == 1 &&
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
	put(o, tmp);
}

static size_t run_length(const unsigned char *s, size_t n)
{
	size_t r = 1;

	while (r < n && s[r] == s[0])
		r++;
	return r;
}

static void chars_into(struct out *o, const unsigned char *s, size_t n, bool more)
{
	bool in_quotes = false, first = true;
	size_t i = 0, used;

	if (n == 0) {
		put(o, "\"\"");
		return;
	}
	while (i < n && !o->full) {
		size_t r = run_length(s + i, n - i);
		if (r > RENDER_REPEATS) {
			if (in_quotes)
				put(o, "\"");
			in_quotes = false;
			if (!first)
				put(o, ", ");
			put(o, "'");
			put_char(o, s + i, 1, '\'', &used);
			putf(o, "' <repeats %zu times>", r);
			i += r;
		} else {
			if (!in_quotes) {
				if (!first)
					put(o, ", ");
				put(o, "\"");
				in_quotes = true;
			}
			put_char(o, s + i, n - i, '"', &used);
			i += used;
		}
		first = false;
	}
	if (in_quotes)
		put(o, "\"");
	if (more)
		put(o, "...");
}

void render_chars(const unsigned char *s, size_t n, bool more, char *out, size_t outlen)
{
	struct out o = { out, 0, outlen, false };

	out[0] = '\0';
	chars_into(&o, s, n, more);
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
		putf(o, "<unreadable 0x%" PRIx64 ">", addr + n);
		return;
	}
	bool more = n > RENDER_STRING_MAX;
	chars_into(o, buf, more ? RENDER_STRING_MAX : n, more);
}

/* ---- the kinds of value -------------------------------------------------------- */

static void render(const struct render_ctx *ctx, Dwarf_Die *type, const struct render_value *v,
		int depth, struct out *o);

static void render_base(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		struct out *o)
{
	uint64_t enc = attr_u(t, DW_AT_encoding, 0), size = attr_u(t, DW_AT_byte_size, 0);
	unsigned char b[16] = { 0 };

	if (size == 0 || size > sizeof(b) || !value_bytes(ctx, v, 0, b, size)) {
		unreadable(o, v);
		return;
	}
	uint64_t u = 0;
	memcpy(&u, b, size < 8 ? size : 8);
	int64_t s = size < 8 && (u >> (size * 8 - 1)) & 1 ? (int64_t)(u | (~0ULL << (size * 8))) : (int64_t)u;
	switch (enc) {
	case DW_ATE_boolean:
		if (u <= 1)
			put(o, u ? "true" : "false");
		else
			putf(o, "%" PRIu64, u);
		return;
	case DW_ATE_float:
		if (size == 4) {
			float f;
			memcpy(&f, b, 4);
			putf(o, "%.9g", f);
		} else if (size == 8) {
			double d;
			memcpy(&d, b, 8);
			putf(o, "%.17g", d);
		} else {
			long double ld = 0;
			memcpy(&ld, b, size < sizeof(ld) ? size : sizeof(ld));
			putf(o, "%.18Lg", ld);
		}
		return;
	case DW_ATE_signed_char:
	case DW_ATE_unsigned_char: {
		size_t used;
		if (size != 1)
			break;
		putf(o, "%" PRId64 " '", enc == DW_ATE_signed_char ? s : (int64_t)u);
		put_char(o, b, 1, '\'', &used);
		put(o, "'");
		return;
	}
	case DW_ATE_signed:
		if (size <= 8) {
			putf(o, "%" PRId64, s);
			return;
		}
		break;
	case DW_ATE_unsigned:
	case DW_ATE_UTF:
		if (size <= 8) {
			putf(o, "%" PRIu64, u);
			return;
		}
		break;
	}
	/* 128-bit and exotic encodings: the bytes, high first, like gdb's /x */
	put(o, "0x");
	for (size_t i = size; i-- > 0;)
		putf(o, "%02x", b[i]);
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
		put(o, q);
		if (dwarf_attr_integrate(t, DW_AT_enum_class, &a) && name)
			put(o, "::");
	}
	free(q);
}

static void render_enum(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		struct out *o)
{
	size_t size = (size_t)attr_u(t, DW_AT_byte_size, 4);
	int64_t val = 0;
	Dwarf_Die child;

	if (size > 8 || !value_bytes(ctx, v, 0, &val, size)) {
		unreadable(o, v);
		return;
	}
	if (size < 8 && (val >> (size * 8 - 1)) & 1)
		val |= (int64_t)(~0ULL << (size * 8));	/* sign-extend */
	if (dwarf_child(t, &child) == 0) {
		do {
			Dwarf_Attribute a;
			Dwarf_Sword sv;
			Dwarf_Word uv;
			if (dwarf_tag(&child) != DW_TAG_enumerator)
				continue;
			Dwarf_Attribute *cv = dwarf_attr(&child, DW_AT_const_value, &a);
			bool match = (dwarf_formsdata(cv, &sv) == 0 && sv == val) ||
				     (dwarf_formudata(cv, &uv) == 0 && (int64_t)uv == val);
			if (match) {
				put_enum_scope(o, t);
				put(o, dwarf_diename(&child) ?: "?");
				return;
			}
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	putf(o, "%" PRId64, val);
}

static void render_pointer(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		struct out *o)
{
	uint64_t p = 0;
	Dwarf_Die target_mem, *target = type_of(t, &target_mem);

	if (!value_bytes(ctx, v, 0, &p, 8)) {
		unreadable(o, v);
		return;
	}
	char sym[256];

	putf(o, "0x%" PRIx64, p);
	if (p && target && is_char_type(target)) {
		put(o, " ");
		c_string(ctx, o, p);
	} else if (p && ctx->symbol && ctx->symbol(ctx->arg, p, sym, sizeof(sym))) {
		putf(o, " <%s>", sym);
	}
}

static bool is_pretty_printed(Dwarf_Die *type)
{
	Dwarf_Die t;
	const char *name;

	if (!peel(type, &t) || !(name = dwarf_diename(&t)))
		return false;
	return strncmp(name, "basic_string<char", 17) == 0 || strncmp(name, "vector<", 7) == 0;
}

static void render_reference(const struct render_ctx *ctx, Dwarf_Die *t,
		const struct render_value *v, int depth, struct out *o)
{
	uint64_t p = 0;
	Dwarf_Die target_mem, *target = type_of(t, &target_mem);

	if (!value_bytes(ctx, v, 0, &p, 8)) {
		unreadable(o, v);
		return;
	}
	/* gdb shows where a reference points only for a variable itself, and
	 * not when a pretty printer (std::string, std::vector) renders it */
	if (depth == 0 && !(target && is_pretty_printed(target)))
		putf(o, "@0x%" PRIx64 ": ", p);
	if (target) {
		struct render_value rv = { .in_memory = true, .addr = p };
		render(ctx, target, &rv, depth, o);
	}
}

/* Offset of a member named `name`, searching bases and members too
 * (std::vector keeps _M_start in _M_impl's base). */
static bool find_member(Dwarf_Die *type, const char *name, int hops, size_t *off, Dwarf_Die *member)
{
	Dwarf_Die t, child;

	if (hops > 5 || !peel(type, &t) || dwarf_child(&t, &child) != 0)
		return false;
	do {
		int tag = dwarf_tag(&child);
		size_t here = (size_t)attr_u(&child, DW_AT_data_member_location, 0);
		if (tag == DW_TAG_member && dwarf_diename(&child) &&
		    strcmp(dwarf_diename(&child), name) == 0) {
			*off = here;
			*member = child;
			return true;
		}
		if (tag == DW_TAG_inheritance || tag == DW_TAG_member) {
			Dwarf_Die base_mem, *base = type_of(&child, &base_mem);
			size_t inner;
			if (base && find_member(base, name, hops + 1, &inner, member)) {
				*off = here + inner;
				return true;
			}
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static bool read_member_u64(const struct render_ctx *ctx, Dwarf_Die *type,
		const struct render_value *v, const char *name, uint64_t *out)
{
	size_t off;
	Dwarf_Die m;

	*out = 0;
	return find_member(type, name, 0, &off, &m) && value_bytes(ctx, v, off, out, 8);
}

/* len bytes of text at p, quoted (std::string, Rust's &str and String). */
static void text_at(const struct render_ctx *ctx, uint64_t p, uint64_t len, struct out *o)
{
	unsigned char buf[RENDER_STRING_MAX];
	size_t n = len > RENDER_STRING_MAX ? RENDER_STRING_MAX : (size_t)len;

	if (n && !ctx->read(ctx->arg, p, buf, n)) {
		putf(o, "<unreadable 0x%" PRIx64 ">", p);
		return;
	}
	chars_into(o, buf, n, len > RENDER_STRING_MAX);
}

static bool render_std_string(const struct render_ctx *ctx, Dwarf_Die *t,
		const struct render_value *v, struct out *o)
{
	uint64_t p, len;
	size_t off;
	Dwarf_Die dp;

	if (!find_member(t, "_M_dataplus", 0, &off, &dp))
		return false;
	struct render_value dpv = sub_value(v, off);
	if (!read_member_u64(ctx, type_of(&dp, &dp), &dpv, "_M_p", &p) ||
	    !read_member_u64(ctx, t, v, "_M_string_length", &len)) {
		unreadable(o, v);
		return true;
	}
	text_at(ctx, p, len, o);
	return true;
}

static bool is_rust(Dwarf_Die *t)
{
	Dwarf_Die cu;

	return dwarf_diecu(t, &cu, NULL, NULL) && dwarf_srclang(&cu) == DW_LANG_Rust;
}

/* Rust's &str {data_ptr, length} and String {vec: {buf: {.. pointer ..},
 * len}}: their text, quoted, as gdb shows them.  The member names are
 * found at any depth, so the layout of String across releases does not
 * matter. */
static bool render_rust_string(const struct render_ctx *ctx, Dwarf_Die *t,
		const struct render_value *v, struct out *o)
{
	const char *name = dwarf_diename(t);
	bool str = strcmp(name, "&str") == 0;
	uint64_t p, len;

	if ((!str && strcmp(name, "String") != 0) || !is_rust(t))
		return false;
	if (!read_member_u64(ctx, t, v, str ? "data_ptr" : "pointer", &p) ||
	    !read_member_u64(ctx, t, v, str ? "length" : "len", &len)) {
		unreadable(o, v);
		return true;
	}
	text_at(ctx, p, len, o);
	return true;
}

static bool template_type(Dwarf_Die *t, Dwarf_Die *out)
{
	Dwarf_Die child;

	if (dwarf_child(t, &child) != 0)
		return false;
	do {
		if (dwarf_tag(&child) == DW_TAG_template_type_parameter)
			return type_of(&child, out) != NULL;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

static void render_elements(const struct render_ctx *ctx, Dwarf_Die *elem, uint64_t addr,
		size_t count, size_t esize, bool more, int depth, struct out *o);

static bool render_std_vector(const struct render_ctx *ctx, Dwarf_Die *t,
		const struct render_value *v, int depth, struct out *o)
{
	uint64_t start, finish, end;
	Dwarf_Die elem;

	if (!template_type(t, &elem) ||
	    !read_member_u64(ctx, t, v, "_M_start", &start) ||
	    !read_member_u64(ctx, t, v, "_M_finish", &finish) ||
	    !read_member_u64(ctx, t, v, "_M_end_of_storage", &end))
		return false;
	size_t esize = type_size(&elem);
	if (esize == 0 || finish < start || end < finish) {
		unreadable(o, v);
		return true;
	}
	size_t len = (size_t)((finish - start) / esize), cap = (size_t)((end - start) / esize);
	putf(o, "std::vector of length %zu, capacity %zu", len, cap);
	if (len) {
		put(o, " = ");
		render_elements(ctx, &elem, start, len > MAX_ELEMENTS ? MAX_ELEMENTS : len, esize,
				len > MAX_ELEMENTS, depth + 1, o);
	}
	return true;
}

static void render_struct(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o)
{
	const char *name = dwarf_diename(t);
	Dwarf_Die child;
	bool first = true;

	if (name && strncmp(name, "basic_string<char", 17) == 0 && render_std_string(ctx, t, v, o))
		return;
	if (name && strncmp(name, "vector<", 7) == 0 && render_std_vector(ctx, t, v, depth, o))
		return;
	if (name && render_rust_string(ctx, t, v, o))
		return;
	if (depth > 1) {
		put(o, "{...}");
		return;
	}
	put(o, "{");
	if (dwarf_child(t, &child) == 0) {
		do {
			int tag = dwarf_tag(&child);
			Dwarf_Attribute a;
			if ((tag != DW_TAG_member && tag != DW_TAG_inheritance) ||
			    dwarf_attr(&child, DW_AT_external, &a) || dwarf_attr(&child, DW_AT_declaration, &a))
				continue;	/* static members live elsewhere */
			Dwarf_Die mt_mem, *mt = type_of(&child, &mt_mem);
			if (!mt)
				continue;
			if (!first)
				put(o, ", ");
			first = false;
			if (tag == DW_TAG_inheritance)
				putf(o, "<%s> = ", dwarf_diename(mt) ?: "?");
			else if (dwarf_diename(&child))
				putf(o, "%s = ", dwarf_diename(&child));
			struct render_value mv = sub_value(v, (size_t)attr_u(&child, DW_AT_data_member_location, 0));
			uint64_t bits = attr_u(&child, DW_AT_bit_size, 0);
			if (bits && bits < 64) {
				uint64_t bitoff = attr_u(&child, DW_AT_data_bit_offset, 0), word = 0;
				size_t byte = (size_t)(bitoff / 8);
				struct render_value bv = sub_value(v, byte);
				if (!value_bytes(ctx, &bv, 0, &word, (bits + bitoff % 8 + 7) / 8))
					unreadable(o, &bv);
				else
					putf(o, "%" PRIu64, (uint64_t)((word >> (bitoff % 8)) & ((1ULL << bits) - 1)));
			} else {
				render(ctx, mt, &mv, depth + 1, o);
			}
		} while (!o->full && dwarf_siblingof(&child, &child) == 0);
	}
	put(o, "}");
}

/* {a, b, c} with gdb's <repeats N times> for long runs of equal elements. */
static void render_elements(const struct render_ctx *ctx, Dwarf_Die *elem, uint64_t addr,
		size_t count, size_t esize, bool more, int depth, struct out *o)
{
	char prev[RENDER_MAX + 8] = "", cur[RENDER_MAX + 8];
	size_t run = 0;
	bool first = true;

	put(o, "{");
	for (size_t i = 0; i <= count && !o->full; i++) {
		if (i < count) {
			struct out e = { cur, 0, sizeof(cur), false };
			struct render_value ev = { .in_memory = true, .addr = addr + i * esize };
			cur[0] = '\0';
			render(ctx, elem, &ev, depth, &e);
			if (run && strcmp(cur, prev) == 0) {
				run++;
				continue;
			}
		}
		if (run) {	/* flush the previous run */
			if (!first)
				put(o, ", ");
			first = false;
			if (run > RENDER_REPEATS) {
				putf(o, "%s <repeats %zu times>", prev, run);
			} else {
				for (size_t k = 0; k < run; k++)
					putf(o, "%s%s", k ? ", " : "", prev);
			}
		}
		if (i < count) {
			memcpy(prev, cur, sizeof(prev));
			run = 1;
		}
	}
	if (more)
		put(o, "...");
	put(o, "}");
}

static void render_array(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o)
{
	Dwarf_Die child, elem_mem, *elem = type_of(t, &elem_mem);
	uint64_t count = 0;

	if (!elem || dwarf_child(t, &child) != 0) {
		put(o, "{...}");
		return;
	}
	do {
		if (dwarf_tag(&child) == DW_TAG_subrange_type) {
			Dwarf_Attribute a;
			if (dwarf_attr(&child, DW_AT_count, &a))
				count = attr_u(&child, DW_AT_count, 0);
			else if (dwarf_attr(&child, DW_AT_upper_bound, &a))
				count = attr_u(&child, DW_AT_upper_bound, 0) + 1;
			break;	/* the first dimension; inner ones render as elements */
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	size_t esize = type_size(elem);
	if (count == 0 || esize == 0) {
		put(o, "{}");
		return;
	}
	if (is_char_type(elem)) {
		unsigned char buf[RENDER_STRING_MAX + 1];
		size_t n = count > RENDER_STRING_MAX ? RENDER_STRING_MAX : (size_t)count;
		if (!value_bytes(ctx, v, 0, buf, n)) {
			unreadable(o, v);
			return;
		}
		/* gdb drops the one NUL that ends a full array */
		if (n == count && buf[n - 1] == '\0')
			n--;
		chars_into(o, buf, n, count > RENDER_STRING_MAX);
		return;
	}
	if (!v->in_memory) {
		put(o, "{...}");
		return;
	}
	render_elements(ctx, elem, v->addr, count > MAX_ELEMENTS ? MAX_ELEMENTS : (size_t)count,
			esize, count > MAX_ELEMENTS, depth + 1, o);
}

static void render(const struct render_ctx *ctx, Dwarf_Die *type, const struct render_value *v,
		int depth, struct out *o)
{
	Dwarf_Die t;

	if (depth > 3 || o->full) {
		put(o, "...");
		return;
	}
	if (!type || !peel(type, &t)) {
		put(o, "<unknown type>");
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
		put(o, "0x0");
		break;
	default:
		put(o, "<unsupported type>");
	}
}

void render_value(const struct render_ctx *ctx, Dwarf_Die *type, const struct render_value *v,
		char *out, size_t outlen)
{
	char buf[RENDER_MAX + 64];
	struct out o = { buf, 0, sizeof(buf), false };

	buf[0] = '\0';
	render(ctx, type, v, 0, &o);
	if (o.len > RENDER_MAX || o.full)
		memcpy(buf + RENDER_MAX - 3, "...", 4);
	snprintf(out, outlen, "%s", buf);
}
