/*
 * degraded.c - the root part's own report (see degraded.h), built with
 * the same event writer as the worker's, from plain numbers and the
 * kernel's word only.
 */
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "degraded.h"
#include "event.h"
#include "event_keys.h"
#include "inapp.h"
#include "symbolize.h"

static const struct wire_module *module_at(const struct wire_captured *c, uint64_t pc)
{
	for (uint32_t i = 0; c && i < c->n_modules && i < WIRE_MODULES; i++)
		if (pc >= c->modules[i].lo && pc < c->modules[i].hi)
			return &c->modules[i];
	return NULL;
}

static void frame_at(struct sym_frame *f, const struct degraded_input *in, uint64_t pc)
{
	const struct wire_module *m = module_at(in->captured, pc);

	memset(f, 0, sizeof(*f));
	f->pc = pc;
	if (m) {
		f->module = (char *)m->path;
		f->module_offset = pc - m->lo;
		f->in_app = inapp_module(m->path, in->exe);
	}
}

/* The frames as the worker's unwinder saw them, or at least the pc. */
static size_t frames(struct sym_frame *out, const struct degraded_input *in)
{
	const struct wire_captured *c = in->captured;
	size_t n = 0;

	if (c && c->n_frames)
		for (uint32_t i = 0; i < c->n_frames && i < WIRE_FRAMES; i++)
			frame_at(&out[n++], in, c->pc[i]);
	else if (in->rec->has_regs)
		frame_at(&out[n++], in, in->rec->regs[BB_REG_RIP]);
	return n;
}

static size_t modules(struct sym_module *out, const struct wire_captured *c)
{
	size_t n = 0;

	for (uint32_t i = 0; c && i < c->n_modules && i < WIRE_MODULES; i++) {
		memset(&out[n], 0, sizeof(out[n]));
		out[n].path = (char *)c->modules[i].path;
		out[n].base = c->modules[i].lo;
		out[n].end = c->modules[i].hi;
		n++;
	}
	return n;
}

struct json_object *degraded_event(const struct bb_config *cfg, const struct degraded_input *in)
{
	struct sym_frame fr[WIRE_FRAMES];
	struct sym_module mods[WIRE_MODULES];
	struct symbolized sym = { .frames = fr, .modules = mods };
	struct capture cap;
	const char *slash = strrchr(in->exe, '/');

	memset(&cap, 0, sizeof(cap));
	cap.rec = *in->rec;
	cap.pid = in->pid;
	cap.uid = in->uid;
	cap.gid = in->gid;
	cap.exe = (char *)in->exe;
	cap.name = slash ? slash + 1 : in->exe;
	cap.written_at = in->written_at;
	if (in->captured && in->captured->error[0])
		memcpy(cap.unwind_error, in->captured->error,
		       strnlen(in->captured->error, sizeof(cap.unwind_error) - 1));
	sym.n_frames = frames(fr, in);
	sym.n_modules = modules(mods, in->captured);

	struct json_object *ev = event_from_crash(cfg, &cap, &sym), *ctx, *d;
	if (ev && json_object_object_get_ex(ev, EV_CONTEXT, &ctx)) {
		d = json_object_new_object();
		json_object_object_add(d, "reason", json_object_new_string(in->reason));
		json_object_object_add(ctx, "degraded", d);
	}
	return ev;
}
