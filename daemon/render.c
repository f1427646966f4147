/*
 * render.c - values as gdb's `bt full` prints them: integers, chars
 * (65 'A'), floats with gdb's digits, bool, enums by name, pointers in
 * hex, char pointers and char arrays as gdb quotes them (repeats and
 * all), structs, arrays, references; the library types gdb
 * pretty-prints through render_std.c's table, Rust's own forms in
 * render_rust.c.  Everything is read from the crash's memory copy
 * through a callback that can say "not there": a garbage pointer renders
 * as gdb's <error: Cannot access memory at address 0x...>, never a
 * fault.  The types come from DWARF that the crashing user may have
 * written: the nesting shown is bounded (gdb's max-depth; a reference,
 * which adds none, may not refer to a reference), and so is the work,
 * whatever the types say.  Members and keys with sensitive names show
 * [filtered], and the scrub_value rules run on every string before it
 * is quoted, so no cut leaves half a secret.
 */
#include <dwarf.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "render_priv.h"
#include "utf8.h"

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

struct out out_scratch(struct out *o, char *buf, size_t cap)
{
	buf[0] = '\0';
	return (struct out){ buf, 0, cap, false, false, o->w };
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

struct render_value render_at(uint64_t addr)
{
	return (struct render_value){ .in_memory = true, .addr = addr };
}

void render_cannot_access(struct out *o, uint64_t addr)
{
	out_putf(o, "<error: Cannot access memory at address 0x%" PRIx64 ">", addr);
}

void render_unreadable(struct out *o, const struct render_value *v)
{
	if (v->in_memory)
		render_cannot_access(o, v->addr);
	else
		out_put(o, "<optimized out>");
}

bool render_sensitive(const struct render_ctx *ctx, const char *name)
{
	return ctx->sensitive && name && ctx->sensitive(ctx->arg, name);
}

void render_report_secrets(const struct render_ctx *ctx, const char *text)
{
	for (const char *p = ctx->secret ? strchr(text, '"') : NULL; p; p = strchr(p + 1, '"')) {
		const char *end = p + 1;
		while (*end && *end != '"')
			end += end[0] == '\\' && end[1] ? 2 : 1;
		if (!*end)
			break;
		ctx->secret(ctx->arg, p + 1, (size_t)(end - p - 1));
		p = end;
	}
}

void render_filtered(const struct render_ctx *ctx, Dwarf_Die *type, const struct render_value *v,
		int depth, struct out *o)
{
	if (ctx->secret && type) {
		char buf[RENDER_MAX + 8];
		struct out s = out_scratch(o, buf, sizeof(buf));
		render_any(ctx, type, v, depth, &s);
		render_report_secrets(ctx, buf);
	}
	out_put(o, RENDER_FILTERED);
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

bool render_is_rust(Dwarf_Die *t)
{
	Dwarf_Die cu;

	return dwarf_diecu(t, &cu, NULL, NULL) && dwarf_srclang(&cu) == DW_LANG_Rust;
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
	       (enc == DW_ATE_signed_char || enc == DW_ATE_unsigned_char);
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
	} else if (c >= 0x80 && utf8_seq_len(s, left) > 1) {
		/* A valid UTF-8 sequence passes through, as on a UTF-8 terminal. */
		size_t n = utf8_seq_len(s, left);
		memcpy(tmp, s, n);
		tmp[n] = '\0';
		*used = n;
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

static void render_chars_into(struct out *o, const unsigned char *s, size_t n, bool more)
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
	struct out o = { out, 0, outlen, false, false, NULL };	/* quoting does no DWARF work */

	out[0] = '\0';
	render_chars_into(&o, s, n, more);
}

/* What the scrub_value rules leave of a string, quoted: the rules see
 * more than is shown (SCRUB_LOOKAHEAD past the cut), so a secret that the
 * cut would halve is matched whole. */
#define SCRUB_LOOKAHEAD 256

void render_text(const struct render_ctx *ctx, struct out *o, const unsigned char *s, size_t n,
		bool more)
{
	char *clean = NULL;

	if (ctx->scrub && n) {
		char raw[RENDER_STRING_MAX + SCRUB_LOOKAHEAD + 1];
		size_t k = n < sizeof(raw) - 1 ? n : sizeof(raw) - 1;
		memcpy(raw, s, k);
		raw[k] = '\0';
		clean = ctx->scrub(ctx->arg, raw);
		if (clean && (strlen(clean) != k || memcmp(clean, raw, k) != 0)) {
			s = (const unsigned char *)clean;
			n = strlen(clean);
		}
	}
	bool cut = n > RENDER_STRING_MAX;
	render_chars_into(o, s, cut ? RENDER_STRING_MAX : n, more || cut);
	free(clean);
}

void render_text_at(const struct render_ctx *ctx, struct out *o, uint64_t addr, uint64_t len)
{
	unsigned char buf[RENDER_STRING_MAX + SCRUB_LOOKAHEAD];
	size_t want = ctx->scrub ? sizeof(buf) : RENDER_STRING_MAX;
	size_t n = len > want ? want : (size_t)len;

	/* the lookahead is read only as far as the copy goes */
	while (n > RENDER_STRING_MAX && !ctx->read(ctx->arg, addr, buf, n))
		n = n - 64 > RENDER_STRING_MAX ? n - 64 : RENDER_STRING_MAX;
	if (n && !ctx->read(ctx->arg, addr, buf, n)) {
		render_cannot_access(o, addr);
		return;
	}
	render_text(ctx, o, buf, n, len > n);
}

/* A NUL-terminated string at addr, gdb style (at most 200 chars shown). */
static void c_string(const struct render_ctx *ctx, struct out *o, uint64_t addr)
{
	unsigned char buf[RENDER_STRING_MAX + SCRUB_LOOKAHEAD];
	size_t want = ctx->scrub ? sizeof(buf) : RENDER_STRING_MAX + 1, n = 0;

	while (n < want && ctx->read(ctx->arg, addr + n, buf + n, 1)) {
		if (buf[n] == '\0')
			break;
		n++;
	}
	if (n < want && !ctx->read(ctx->arg, addr + n, buf + n, 1)) {
		if (n)
			render_text(ctx, o, buf, n, false);
		render_cannot_access(o, addr + n);
		return;
	}
	render_text(ctx, o, buf, n, n == want);
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
				if (out_spend(o, SCOPE_WORK))
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
	if (depth == 0 && !(target && render_is_pretty_printed(o, target)))
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
		struct render_value rv = render_at(p);
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

/* One member: "name = value", a base "<Base> = {...}", a sensitive
 * name's value [filtered]. */
static void render_member(const struct render_ctx *ctx, Dwarf_Die *child, Dwarf_Die *mt,
		const struct render_value *v, int depth, struct out *o)
{
	const char *name = dwarf_diename(child);

	if (dwarf_tag(child) == DW_TAG_inheritance)
		out_putf(o, "<%s> = ", dwarf_diename(mt) ?: "?");
	else if (name)
		out_putf(o, "%s = ", name);
	struct render_value mv = render_sub(v, (size_t)render_attr_u(child, DW_AT_data_member_location, 0));
	if (name && dwarf_tag(child) != DW_TAG_inheritance && render_sensitive(ctx, name)) {
		render_filtered(ctx, mt, &mv, depth + 1, o);
		return;
	}
	uint64_t bits = render_attr_u(child, DW_AT_bit_size, 0);
	if (bits && bits < 64)
		render_bitfield_member(ctx, child, v, bits, o);
	else
		render_any(ctx, mt, &mv, depth + 1, o);
}

static void render_struct(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o)
{
	Dwarf_Die child;
	bool first = true;

	if (depth > RENDER_DEPTH) {
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
			render_member(ctx, &child, mt, v, depth, o);
		} while (!o->full && dwarf_siblingof(&child, &child) == 0);
	}
	out_put(o, first ? "<No data fields>}" : "}");
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
static void render_elements(const struct render_ctx *ctx, Dwarf_Die *elem,
		const struct render_value *base, size_t count, size_t esize, bool more, int depth, struct out *o, const char *brackets)
{
	char prev[RENDER_MAX + 8] = "", cur[RENDER_MAX + 8];
	size_t run = 0;
	bool first = true;

	out_putf(o, "%c", brackets[0]);
	for (size_t i = 0; i < count && !o->full && o->w->work; i++) {
		struct out e = { cur, 0, sizeof(cur), false, false, o->w };
		struct render_value ev = render_sub(base, i * esize);
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
	out_putf(o, "%c", brackets[1]);
}

void render_array_in(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o, const char *brackets)
{
	Dwarf_Die child, elem_mem, *elem = render_type_of(t, &elem_mem);
	uint64_t count = 0;

	if (!elem || dwarf_child(t, &child) != 0 || depth > RENDER_DEPTH) {
		out_putf(o, "%c...%c", brackets[0], brackets[1]);
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
		out_putf(o, "%c%c", brackets[0], brackets[1]);
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
		render_text(ctx, o, buf, n, count > RENDER_STRING_MAX);
		return;
	}
	render_elements(ctx, elem, v, count > MAX_ELEMENTS ? MAX_ELEMENTS : (size_t)count,
			esize, count > MAX_ELEMENTS, depth + 1, o, brackets);
}

static void render_kind(const struct render_ctx *ctx, Dwarf_Die *t, const struct render_value *v,
		int depth, struct out *o)
{
	switch (dwarf_tag(t)) {
	case DW_TAG_base_type:
		render_base(ctx, t, v, o);
		break;
	case DW_TAG_enumeration_type:
		render_enum(ctx, t, v, o);
		break;
	case DW_TAG_pointer_type:
	case DW_TAG_ptr_to_member_type:
		render_pointer(ctx, t, v, o);
		break;
	case DW_TAG_reference_type:
	case DW_TAG_rvalue_reference_type:
		render_reference(ctx, t, v, depth, o);
		break;
	case DW_TAG_structure_type:
	case DW_TAG_class_type:
	case DW_TAG_union_type:
		render_struct(ctx, t, v, depth, o);
		break;
	case DW_TAG_array_type:
		render_array_in(ctx, t, v, depth, o, "{}");
		break;
	case DW_TAG_unspecified_type:	/* decltype(nullptr) */
		out_put(o, "0x0");
		break;
	default:
		out_put(o, "<unsupported type>");
	}
}

void render_any(const struct render_ctx *ctx, Dwarf_Die *type, const struct render_value *v,
		int depth, struct out *o)
{
	Dwarf_Die t;

	if (o->full)
		return;
	/* Printers may nest a value without a level of their own (optional
	 * "containing"): a hard bound on the recursion, whatever the DWARF. */
	if (o->w->nest > RENDER_NEST_MAX) {
		out_put(o, "...");
		o->full = true;
		return;
	}
	if (!out_spend(o, 1))
		return;
	if (!type || !render_peel(type, &t)) {
		out_put(o, "<unknown type>");
		return;
	}
	o->w->nest++;
	if (!render_printed(ctx, &t, v, depth, o) && !render_rust_value(ctx, &t, v, depth, o))
		render_kind(ctx, &t, v, depth, o);
	o->w->nest--;
}

void render_value(const struct render_ctx *ctx, Dwarf_Die *type, const struct render_value *v,
		char *out, size_t outlen)
{
	char buf[RENDER_MAX + 64];
	unsigned long frame_left = ctx->work ? *ctx->work : RENDER_WORK_PER_VALUE;
	struct walk w = { .work = frame_left < RENDER_WORK_PER_VALUE ? frame_left : RENDER_WORK_PER_VALUE };
	unsigned long start = w.work;
	struct out o = { buf, 0, sizeof(buf), false, false, &w };

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
