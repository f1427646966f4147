/*
 * render_kids.c - what every library-type printer needs: members found by
 * name at any depth of bases (breadth first, each type once: a type that
 * contains itself, which crafted DWARF can say, costs one look, not one
 * per path to it), template arguments, type names as gdb prints them, and
 * gdb's layout of a pretty printer's children.
 */
#include <dwarf.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "render_priv.h"

#define MEMBER_HOPS 10		/* bases and members looked through (variant: 7) */
#define MEMBER_TYPES 64		/* distinct types looked into, per lookup */

/* ---- members -------------------------------------------------------------------- */

struct member_search {
	struct {
		Dwarf_Die type;		/* peeled */
		size_t off;		/* of this type in the value */
		int hops;
	} q[MEMBER_TYPES];
	size_t head, tail;
};

/* Queue a type to look into, unless it was queued before: the first time
 * was as near as any other, and its members hold nothing new. */
static void enqueue(struct member_search *s, Dwarf_Die *type, size_t off, int hops)
{
	Dwarf_Die t;

	if (hops > MEMBER_HOPS || s->tail == MEMBER_TYPES || !render_peel(type, &t))
		return;
	for (size_t i = 0; i < s->tail; i++)
		if (s->q[i].type.addr == t.addr)
			return;
	s->q[s->tail].type = t;
	s->q[s->tail].off = off;
	s->q[s->tail].hops = hops;
	s->tail++;
}

bool render_find_member(struct out *o, Dwarf_Die *type, const char *name, size_t *off,
		Dwarf_Die *member)
{
	struct member_search s = { .head = 0, .tail = 0 };

	enqueue(&s, type, 0, 0);
	for (; s.head < s.tail; s.head++) {
		size_t base_off = s.q[s.head].off;
		int hops = s.q[s.head].hops;
		Dwarf_Die child;
		if (dwarf_child(&s.q[s.head].type, &child) != 0)
			continue;
		do {
			int tag = dwarf_tag(&child);
			const char *cname = dwarf_diename(&child);
			size_t here = base_off + (size_t)render_attr_u(&child, DW_AT_data_member_location, 0);
			Dwarf_Die inner_mem, *inner;
			if (!out_spend(o, 1))
				return false;
			if (tag == DW_TAG_member && cname && strcmp(cname, name) == 0) {
				*off = here;
				*member = child;
				return true;
			}
			if ((tag == DW_TAG_inheritance || tag == DW_TAG_member) &&
			    (inner = render_type_of(&child, &inner_mem)))
				enqueue(&s, inner, here, hops + 1);
		} while (dwarf_siblingof(&child, &child) == 0);
	}
	return false;
}

bool render_member_u64(const struct render_ctx *ctx, struct out *o, Dwarf_Die *type,
		const struct render_value *v, const char *name, uint64_t *out)
{
	size_t off;
	Dwarf_Die m;

	*out = 0;
	if (!render_find_member(o, type, name, &off, &m))
		return false;
	/* memory that was not copied: the value reads as 0, and what it
	 * points to cannot be read either; the layout is still the printer's */
	if (!render_bytes(ctx, v, off, out, 8))
		o->unreadable = true;
	return true;
}

bool render_member_type(struct out *o, Dwarf_Die *type, const char *name, Dwarf_Die *out)
{
	size_t off;
	Dwarf_Die m, mem, *mt;

	return render_find_member(o, type, name, &off, &m) && (mt = render_type_of(&m, &mem)) &&
	       render_peel(mt, out);
}

/* ---- template arguments --------------------------------------------------------- */

/* The n-th type parameter, counting those inside a parameter pack
 * (std::variant<int, std::string> has only a pack); *count: how many. */
static bool nth_template_arg(struct out *o, Dwarf_Die *t, int n, Dwarf_Die *out, int *count)
{
	Dwarf_Die child, inner;
	int seen = 0;

	*count = 0;
	if (dwarf_child(t, &child) != 0)
		return false;
	do {
		if (!out_spend(o, 1))
			return false;
		int tag = dwarf_tag(&child);
		if (tag == DW_TAG_GNU_template_parameter_pack && dwarf_child(&child, &inner) == 0) {
			do {
				if (dwarf_tag(&inner) == DW_TAG_template_type_parameter && seen++ == n && out)
					return render_type_of(&inner, out) != NULL;
			} while (out_spend(o, 1) && dwarf_siblingof(&inner, &inner) == 0);
		} else if (tag == DW_TAG_template_type_parameter && seen++ == n && out) {
			return render_type_of(&child, out) != NULL;
		}
	} while (dwarf_siblingof(&child, &child) == 0);
	*count = seen;
	return false;
}

bool render_template_arg(struct out *o, Dwarf_Die *t, int n, Dwarf_Die *out)
{
	int count;

	return nth_template_arg(o, t, n, out, &count);
}

/* An iterator's element type: gcc may leave its template parameter out,
 * but keeps the typedefs it uses (value_type, or the pointer type). */
bool render_value_type(struct out *o, Dwarf_Die *t, Dwarf_Die *out)
{
	Dwarf_Die child;

	if (render_template_arg(o, t, 0, out))
		return true;
	if (dwarf_child(t, &child) != 0)
		return false;
	do {
		const char *name = dwarf_diename(&child);
		if (!out_spend(o, 1))
			return false;
		if (dwarf_tag(&child) != DW_TAG_typedef || !name)
			continue;
		if (strcmp(name, "value_type") == 0)
			return render_type_of(&child, out) != NULL;
		Dwarf_Die ptr;
		if (strcmp(name, "pointer") == 0 && render_type_of(&child, &ptr) && render_peel(&ptr, &ptr) &&
		    dwarf_tag(&ptr) == DW_TAG_pointer_type)
			return render_type_of(&ptr, out) != NULL;
	} while (dwarf_siblingof(&child, &child) == 0);
	return false;
}

int render_template_count(struct out *o, Dwarf_Die *t)
{
	int count;

	nth_template_arg(o, t, -1, NULL, &count);
	return count;
}

/* ---- type names ------------------------------------------------------------------ */

const char *render_qualified(struct out *o, Dwarf_Die *type)
{
	struct walk *w = o->w;
	const char *name = dwarf_diename(type);

	if (!name)
		return "";
	for (size_t i = 0; i < w->n_names && i < RENDER_NAMES; i++)
		if (w->names[i].die == type->addr)
			return w->names[i].name;
	if (!out_spend(o, SCOPE_WORK))
		return name;
	char *q = names_qualified(type, name);
	size_t slot = w->n_names++ % RENDER_NAMES;	/* the oldest goes */
	w->names[slot].die = type->addr;
	snprintf(w->names[slot].name, RENDER_NAME_MAX, "%s", q ? q : name);
	free(q);
	return w->names[slot].name;
}

/* libstdc++'s type printers: a template whose last arguments are the
 * defaults is shown without them.  The defaults are known by their
 * templates (std::allocator, std::less, ...). */
static const struct {
	const char *name;	/* qualified, up to '<' */
	const char *shown;
	int kept;		/* arguments shown */
} template_defaults[] = {
	{ "std::vector", "std::vector", 1 },
	{ "std::__cxx11::list", "std::list", 1 },
	{ "std::deque", "std::deque", 1 },
	{ "std::forward_list", "std::forward_list", 1 },
	{ "std::map", "std::map", 2 },
	{ "std::multimap", "std::multimap", 2 },
	{ "std::set", "std::set", 1 },
	{ "std::multiset", "std::multiset", 1 },
	{ "std::unordered_map", "std::unordered_map", 2 },
	{ "std::unordered_multimap", "std::unordered_multimap", 2 },
	{ "std::unordered_set", "std::unordered_set", 1 },
	{ "std::unordered_multiset", "std::unordered_multiset", 1 },
	{ "std::unique_ptr", "std::unique_ptr", 1 },
};

static const struct {
	const char *full, *shown;
} typedef_names[] = {
	{ "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >",
	  "std::string" },
	{ "std::__cxx11::basic_string<wchar_t, std::char_traits<wchar_t>, std::allocator<wchar_t> >",
	  "std::wstring" },
	{ "std::basic_string_view<char, std::char_traits<char> >", "std::string_view" },
};

/* gcc's names of the integer types, as gdb names them. */
static const char *base_name(Dwarf_Die *t)
{
	static const struct {
		const char *dwarf, *gdb;
	} names[] = {
		{ "long int", "long" },
		{ "long unsigned int", "unsigned long" },
		{ "short int", "short" },
		{ "short unsigned int", "unsigned short" },
		{ "long long int", "long long" },
		{ "long long unsigned int", "unsigned long long" },
	};
	const char *name = dwarf_diename(t);

	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i].dwarf) == 0)
			return names[i].gdb;
	return name ?: "?";
}

static void recognize(struct out *o, Dwarf_Die *t, const char *q, char *buf, size_t size)
{
	for (size_t i = 0; i < sizeof(typedef_names) / sizeof(typedef_names[0]); i++)
		if (strcmp(q, typedef_names[i].full) == 0) {
			snprintf(buf, size, "%s", typedef_names[i].shown);
			return;
		}
	const char *lt = strchr(q, '<');
	for (size_t i = 0; lt && i < sizeof(template_defaults) / sizeof(template_defaults[0]); i++) {
		if (strlen(template_defaults[i].name) != (size_t)(lt - q) ||
		    strncmp(q, template_defaults[i].name, (size_t)(lt - q)) != 0)
			continue;
		size_t len = (size_t)snprintf(buf, size, "%s<", template_defaults[i].shown);
		for (int a = 0; a < template_defaults[i].kept && len < size; a++) {
			Dwarf_Die arg;
			char sub[RENDER_NAME_MAX];
			if (!render_template_arg(o, t, a, &arg))
				break;
			len += (size_t)snprintf(buf + len, size - len, "%s%s", a ? ", " : "",
						render_type_name(o, &arg, true, sub, sizeof(sub)));
		}
		if (len < size)
			snprintf(buf + len, size - len, ">");
		return;
	}
	snprintf(buf, size, "%s", q);
}

static const char *pointer_name(struct out *o, Dwarf_Die *t, bool recognized, const char *suffix,
		char *buf, size_t size)
{
	Dwarf_Die mem, *target = render_type_of(t, &mem);
	char sub[RENDER_NAME_MAX];
	const char *inner = target ? render_type_name(o, target, recognized, sub, sizeof(sub)) : "void";
	size_t n = strlen(inner);
	/* "int *", "char **": no space between stars; recognized: "int*" */
	bool glue = recognized || (n && (inner[n - 1] == '*' || inner[n - 1] == '&'));

	snprintf(buf, size, "%s%s%s", inner, glue ? "" : " ", suffix);
	return buf;
}

const char *render_type_name(struct out *o, Dwarf_Die *type, bool recognized, char *buf,
		size_t size)
{
	Dwarf_Die mem, *target;
	char sub[RENDER_NAME_MAX];

	if (!out_spend(o, 1))
		return "?";
	switch (dwarf_tag(type)) {
	case DW_TAG_pointer_type:
		return pointer_name(o, type, recognized, "*", buf, size);
	case DW_TAG_reference_type:
		return pointer_name(o, type, recognized, "&", buf, size);
	case DW_TAG_rvalue_reference_type:
		return pointer_name(o, type, recognized, "&&", buf, size);
	case DW_TAG_const_type:
	case DW_TAG_volatile_type:
		target = render_type_of(type, &mem);
		snprintf(buf, size, "%s %s", dwarf_tag(type) == DW_TAG_const_type ? "const" : "volatile",
			 target ? render_type_name(o, target, recognized, sub, sizeof(sub)) : "void");
		return buf;
	case DW_TAG_base_type:
		snprintf(buf, size, "%s", base_name(type));
		return buf;
	}
	const char *q = render_qualified(o, type);
	if (recognized)
		recognize(o, type, q, buf, size);
	else
		snprintf(buf, size, "%s", q);
	return buf;
}

/* ---- children --------------------------------------------------------------------- */

void kids_begin(struct kids *k, const struct render_ctx *ctx, struct out *o, int depth,
		enum kids_hint hint, bool has_text)
{
	if (o->w && o->w->array_kids_at && o->w->array_kids_at == depth) {
		hint = hint == KIDS_NAMED ? KIDS_ARRAY : hint;	/* the variant's */
		o->w->array_kids_at = 0;
	}
	*k = (struct kids){ .ctx = ctx, .o = o, .depth = depth, .hint = hint, .has_text = has_text };
}

bool kids_room(struct kids *k)
{
	if (k->stopped || k->o->full)
		return false;
	if (!k->opened) {
		out_put(k->o, k->has_text ? " = {" : "{");
		k->opened = true;
		if (k->depth > RENDER_DEPTH) {	/* gdb's max-depth */
			out_put(k->o, "...");
			k->stopped = true;
			return false;
		}
	}
	if (k->n == MAX_ELEMENTS) {
		out_put(k->o, "...");
		k->stopped = true;
		return false;
	}
	return out_spend(k->o, 1);
}

/* Before a child: its separator and, as the hint says, its name. */
static void kid_prefix(struct kids *k, const char *name)
{
	bool value_of_pair = k->hint == KIDS_MAP && (k->n & 1);

	if (k->n && !value_of_pair)
		out_put(k->o, ", ");
	if (k->hint == KIDS_NAMED && name)
		out_putf(k->o, "%s = ", name);
	else if (k->hint == KIDS_MAP)
		out_put(k->o, value_of_pair ? "] = " : "[");
}

void kid_value(struct kids *k, const char *name, Dwarf_Die *type, const struct render_value *v)
{
	kid_prefix(k, name);
	bool key = k->hint == KIDS_MAP && !(k->n & 1);
	if (!key && k->filter_value) {
		render_filtered(k->ctx, type, v, k->depth, k->o);
	} else if (key) {
		/* a string key that names a secret hides its value */
		size_t at = k->o->len;
		render_any(k->ctx, type, v, k->depth, k->o);
		k->filter_value = k->o->p[at] == '"' && render_sensitive(k->ctx, k->o->p + at);
	} else {
		render_any(k->ctx, type, v, k->depth, k->o);
	}
	k->n++;
}

void kid_text(struct kids *k, const char *name, const char *text)
{
	kid_prefix(k, name);
	out_put(k->o, text);
	k->n++;
}

void kids_end(struct kids *k)
{
	/* no children: the printer's text alone, or gdb's {} without one */
	if (k->opened || !k->has_text)
		out_put(k->o, k->opened ? "}" : "{}");
}
