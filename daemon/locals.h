/*
 * locals.h - stage 4b (enrich): the local variables and parameters of every
 * frame, rendered the way gdb's `bt full` shows them, from the memory the
 * capture copied while the process was held.
 */
#ifndef BB_LOCALS_H
#define BB_LOCALS_H

#include "capture.h"
#include "config.h"
#include "symbolize.h"

#define LOCALS_MAX_PER_FRAME 50

/* Fill sym->frames[i].vars for every frame with a DWARF scope: parameters
 * first, then locals of the blocks that hold the pc, innermost first.
 * Sensitive names (scrub.h) get "[filtered]". */
void locals_enrich(struct symbolized *sym, const struct capture *cap,
		const struct bb_config *cfg);

#endif
