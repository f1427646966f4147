/*
 * runtime_merge.c - an interpreter's frames into the native stacks, after
 * the release (runtime.h).
 *
 * Each run of interpreted frames carries an anchor, an address on the
 * thread's C stack inside the native frame that ran it (runtime_python.c).
 * Native frame i owns the stack from its sp up to the next outer frame's:
 * the run replaces the frame whose range holds its anchor (all its inline
 * frames with it), in the stack's order here: innermost first.  A run in
 * the middle of a deep stack, whose native frames were left out, goes
 * between the frames kept on either side; one beyond the last native
 * frame (the unwinder stopped early) after it, where its address says it
 * belongs; one on no stack captured is left out, never guessed into
 * another place.
 *
 * Then the interpreter's own call machinery (vectorcall, type calls,
 * main) is left out where it only carries calls between frames that are
 * shown; what lies at the crash site stays.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capture.h"
#include "inapp.h"
#include "runtime.h"
#include "scrub.h"
#include "source.h"
#include "symbolize.h"

#define BEYOND ((size_t)-1)	/* anchored outside every captured frame */
#define NOWHERE ((size_t)-2)
#define GAP ((size_t)-3)	/* in frames left out of the middle of a deep stack */
#define STACK_MAX (1ull << 30)	/* an anchor this far past the last frame is on no stack of it */

/* The stack pointers of a stack's native frames, by capture index (0:
 * unknown), and where frames were left out of its middle. */
struct stack_sps {
	const uint64_t *sp;
	size_t n;
	size_t gap_after;	/* frames omitted after this index; n: none */
	uint64_t gap_lo;	/* where the first omitted frame's stack starts (0: unknown) */
};

/* Of the stack from sp[i] to the next known sp: frame i, or the gap of
 * omitted frames that follows frame gap_after. */
static size_t owner(const struct stack_sps *s, size_t i, uint64_t addr)
{
	if (i != s->gap_after)
		return i;
	return s->gap_lo && addr < s->gap_lo ? i : GAP;
}

/* The capture index whose stack range holds addr: frame i owns
 * [sp[i], sp[j]) up to the next frame j whose sp is known.  Frames on a
 * signal handler's alternate stack break the order of the sps, so every
 * pair is looked at. */
static size_t frame_of(const struct stack_sps *s, uint64_t addr)
{
	size_t last = NOWHERE;

	if (!addr)
		return NOWHERE;
	for (size_t i = 0; i < s->n; i++) {
		if (!s->sp[i])
			continue;
		if (last != NOWHERE && s->sp[last] <= addr && addr < s->sp[i])
			return owner(s, last, addr);
		last = i;
	}
	/* past the outermost frame captured (the unwinder stopped early), on
	 * the same stack */
	if (last != NOWHERE && addr >= s->sp[last] && addr - s->sp[last] < STACK_MAX)
		return BEYOND;
	return NOWHERE;
}

/* Does native frame ci come before (inner to) what the anchor names? */
static bool inner_to(const struct stack_sps *s, size_t ci, size_t target)
{
	if (target == BEYOND)
		return true;
	if (target == GAP)
		return ci <= s->gap_after;
	return ci < target;
}

/* ---- building the merged stack ------------------------------------------------- */

/* Room for every native and Python frame is taken before the merge
 * starts, so that it never stops half-way. */
struct merged {
	struct sym_frame *f;
	size_t n;
};

static void put(struct merged *m, const struct sym_frame *f)
{
	m->f[m->n++] = *f;
}

static void python_vars(struct sym_frame *out, const struct rt_frame *in,
		const struct bb_config *cfg)
{
	out->vars = in->n_vars ? calloc(in->n_vars, sizeof(*out->vars)) : NULL;
	for (size_t i = 0; out->vars && i < in->n_vars; i++) {
		const char *v = scrub_name_is_sensitive(cfg, in->vars[i].name) ? "[filtered]" :
				in->vars[i].value;
		struct sym_var *sv = &out->vars[out->n_vars];
		sv->name = strdup(in->vars[i].name);
		sv->value = strdup(v);
		if (sv->name && sv->value) {
			out->n_vars++;
		} else {
			free(sv->name);
			free(sv->value);
		}
	}
	out->vars_truncated = in->vars_truncated;
}

static void put_python(struct merged *m, const struct rt_frame *in, const struct bb_config *cfg)
{
	struct sym_frame f = { .python = true, .capture_index = BEYOND, .lineno = in->lineno };

	f.function = strdup(in->function);
	f.filename = strdup(in->filename);
	f.in_app = inapp_python_file(in->filename);
	python_vars(&f, in, cfg);
	put(m, &f);
}

/* The end of the run of t's frames that starts at k: they share an anchor. */
static size_t run_end(const struct rt_thread *t, size_t k)
{
	size_t e = k;

	while (e < t->n_frames && t->frames[e].anchor == t->frames[k].anchor)
		e++;
	return e;
}

struct merge_in {
	struct sym_frame *native;	/* innermost first, by capture index */
	size_t n_native;
	const struct stack_sps *sps;
	bool crashed;			/* capture frame 0 faulted */
	const struct rt_thread *t;
	const struct bb_config *cfg;
	size_t unplaced;
};

/* Native frames up to `target`, then the run in place of target's. */
static void merge(struct merge_in *in, struct merged *m)
{
	const struct rt_thread *t = in->t;
	size_t k = 0, i = 0;

	while (k < t->n_frames) {
		size_t end = run_end(t, k), target = frame_of(in->sps, t->frames[k].anchor);
		if (target == NOWHERE) {	/* on no stack captured */
			in->unplaced += end - k;
			k = end;
			continue;
		}
		while (i < in->n_native && inner_to(in->sps, in->native[i].capture_index, target))
			put(m, &in->native[i++]);
		/* in the omitted middle, the run still goes where it belongs, between
		 * the frames kept on either side */
		if (target != BEYOND && target != GAP &&
		    (i == in->n_native || in->native[i].capture_index != target)) {
			in->unplaced += end - k;	/* its native frame was not kept */
			k = end;
			continue;
		}
		/* the eval loop's own fault stays, inner to what it ran */
		for (; i < in->n_native && in->native[i].capture_index == target; i++) {
			if (target == 0 && in->crashed)
				put(m, &in->native[i]);
			else
				symbolize_free_frame(&in->native[i]);
		}
		for (; k < end; k++)
			put_python(m, &t->frames[k], in->cfg);
	}
	while (i < in->n_native)
		put(m, &in->native[i++]);
}

/* ---- what is shown --------------------------------------------------------------- */

static bool interpreter_frame(const struct sym_frame *f, const char *module)
{
	return !f->python && f->module && module && strcmp(f->module, module) == 0;
}

/* The interpreter's frames outer to the innermost Python frame, and those
 * right inner to it, carry calls between what is shown: they go, unless
 * they reach the crash site (frame 0), which stays whole. */
static void hide_interpreter(struct merged *m, const char *module)
{
	size_t p = 0, out = 0, run;

	while (p < m->n && !m->f[p].python)
		p++;
	if (p == m->n)
		return;
	for (run = p; run > 0 && interpreter_frame(&m->f[run - 1], module); run--)
		;
	if (run == 0)
		run = p;	/* the crash is in the interpreter: all of it stays */
	for (size_t i = 0; i < m->n; i++) {
		if ((i >= run && i < p) || (i > p && interpreter_frame(&m->f[i], module)))
			symbolize_free_frame(&m->f[i]);
		else
			m->f[out++] = m->f[i];
	}
	m->n = out;
}

/* In a Python program the interpreter is not the program, nor are the
 * standard library's extension modules or those of site-packages. */
static void native_in_app(struct sym_frame *f, size_t n, const char *module)
{
	for (size_t i = 0; i < n; i++)
		if (!f[i].python && f[i].module &&
		    (interpreter_frame(&f[i], module) || !inapp_python_file(f[i].module)))
			f[i].in_app = false;
}

/* Merge t into one stack; the stack's frames are replaced. */
static size_t merge_stack(struct sym_frame **frames, size_t *n, const struct stack_sps *sps,
		bool crashed, const struct rt_thread *t, const struct runtime_capture *rt,
		const struct bb_config *cfg)
{
	struct merge_in in = { .native = *frames, .n_native = *n, .sps = sps, .crashed = crashed,
			       .t = t, .cfg = cfg };
	struct merged m = { 0 };

	if (t && t->n_frames && (m.f = malloc((*n + t->n_frames) * sizeof(*m.f)))) {
		merge(&in, &m);
		hide_interpreter(&m, rt->module);
		free(*frames);
		*frames = m.f;
		*n = m.n;
	}
	native_in_app(*frames, *n, rt->module);
	return in.unplaced;
}

/* ---- every stack ------------------------------------------------------------------------ */

static const struct rt_thread *thread_of(const struct runtime_capture *rt, pid_t tid)
{
	for (size_t i = 0; i < rt->n_threads; i++)
		if (rt->threads[i].tid == tid)
			return &rt->threads[i];
	return NULL;
}

static size_t merge_crashed(struct symbolized *sym, const struct capture *cap,
		const struct bb_config *cfg)
{
	const struct runtime_capture *rt = cap->runtime;
	uint64_t *sp = calloc(cap->n_frames ? cap->n_frames : 1, sizeof(*sp));
	size_t unplaced = 0;

	if (!sp)
		return 0;
	for (size_t i = 0; i < cap->n_frames; i++)
		if (cap->frames[i].regs_known & (1u << BB_REG_RSP))
			sp[i] = cap->frames[i].regs[BB_REG_RSP];
	struct stack_sps sps = { sp, cap->n_frames,
				 cap->frames_omitted ? CAPTURE_HEAD_FRAMES - 1 : cap->n_frames,
				 cap->omitted_sp };
	bool crashed = cap->rec.kind == BB_REC_CRASH && cap->n_frames && cap->frames[0].activation;
	unplaced = merge_stack(&sym->frames, &sym->n_frames, &sps, crashed,
			       thread_of(rt, cap->rec.tid), rt, cfg);
	free(sp);
	/* source context for the Python frames, the native ones have theirs */
	for (size_t i = 0; i < sym->n_frames; i++)
		if (sym->frames[i].python)
			source_enrich(&(struct symbolized){ .frames = &sym->frames[i], .n_frames = 1 }, cfg);
	return unplaced;
}

static size_t merge_others(struct symbolized *sym, const struct capture *cap,
		const struct bb_config *cfg)
{
	size_t unplaced = 0;

	for (size_t i = 0; i < sym->n_threads; i++) {
		struct sym_thread *st = &sym->threads[i];
		const struct capture_thread *ct = NULL;
		for (size_t k = 0; k < cap->n_threads && !ct; k++)
			if (cap->threads[k].tid == st->tid)
				ct = &cap->threads[k];
		if (!ct)
			continue;
		struct stack_sps sps = { ct->sp, ct->n_frames, ct->n_frames, 0 };
		unplaced += merge_stack(&st->frames, &st->n_frames, &sps, false,
					thread_of(cap->runtime, st->tid), cap->runtime, cfg);
	}
	return unplaced;
}

/* Why frames are missing, when the held phase said nothing already. */
static void note_missing(struct runtime_capture *rt, size_t unplaced)
{
	size_t unreadable = 0, loops = 0;

	for (size_t i = 0; i < rt->n_threads; i++) {
		unreadable += rt->threads[i].unreadable;
		loops += rt->threads[i].loops;
	}
	if (rt->error[0] || !(unplaced || unreadable || loops))
		return;
	if (loops)
		snprintf(rt->error, sizeof(rt->error), "%s %s: threads whose frame chain comes back "
			 "on itself (corrupt memory): %zu; their Python frames are left out",
			 rt->name, rt->version, loops);
	else
		snprintf(rt->error, sizeof(rt->error), "%s %s: %zu Python frames left out: %zu whose "
			 "C frames were not captured, %zu whose code could not be read",
			 rt->name, rt->version, unplaced + unreadable, unplaced, unreadable);
}

static void drop_frames(struct runtime_capture *rt)
{
	for (size_t i = 0; i < rt->n_threads; i++) {
		for (size_t k = 0; k < rt->threads[i].n_frames; k++)
			runtime_free_frame(&rt->threads[i].frames[k]);
		rt->threads[i].n_frames = 0;
	}
}

void runtime_merge(struct symbolized *sym, struct capture *cap, const struct bb_config *cfg)
{
	struct runtime_capture *rt = cap->runtime;

	if (!rt)
		return;
	if (rt->verify && !rt->verify(rt, sym, cap)) {
		drop_frames(rt);
		snprintf(rt->error, sizeof(rt->error), "%s %s: %s do not match the interpreter's "
			 "DWARF: native frames only", rt->name, rt->version, rt->layout);
	}
	note_missing(rt, merge_crashed(sym, cap, cfg) + merge_others(sym, cap, cfg));
}
