/*
 * rust_panic.c - a Rust panic in words (see rust_panic.h).
 */
#include <stdio.h>
#include <string.h>

#include "rust_panic.h"

static bool starts_with(const char *s, const char *prefix)
{
	return s && strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool function_on_stack(const struct symbolized *sym, const char *const *names, size_t n,
		bool prefix)
{
	for (size_t i = 0; i < sym->n_frames; i++) {
		const char *fn = sym->frames[i].function;
		for (size_t k = 0; fn && k < n; k++)
			if (prefix ? starts_with(fn, names[k]) : strcmp(fn, names[k]) == 0)
				return true;
	}
	return false;
}

bool rust_panic_on_stack(const struct symbolized *sym)
{
	static const char *const modules[] = { "core::panicking::", "std::panicking::" };
	static const char *const functions[] = {
		"rust_begin_unwind", "__rustc::rust_begin_unwind", "rust_panic", "__rustc::rust_panic",
	};

	return function_on_stack(sym, modules, 2, true) || function_on_stack(sym, functions, 4, false);
}

/* std::panic::resume_unwind raises again a panic that was caught: its
 * hook does not run. */
static bool resumed(const struct symbolized *sym)
{
	static const char *const names[] = {
		"std::panic::resume_unwind", "std::panicking::rust_panic_without_hook",
	};

	return function_on_stack(sym, names, 2, true);
}

/* "MESSAGE (at WHERE)", "MESSAGE", "panic at WHERE": false with neither. */
static bool hook_words(const struct bb_record *rec, char *out, size_t len)
{
	if (rec->message[0] && rec->panic_where[0])
		snprintf(out, len, "%s (at %s)", rec->message, rec->panic_where);
	else if (rec->message[0])
		snprintf(out, len, "%s", rec->message);
	else if (rec->panic_where[0])
		snprintf(out, len, "panic at %s", rec->panic_where);
	return rec->message[0] || rec->panic_where[0];
}

void rust_panic_message(const struct bb_record *rec, const char *payload,
		const struct symbolized *sym, const char *app_function, char *out, size_t len)
{
	const char *where = app_function ? app_function : "?";

	if (hook_words(rec, out, len))
		return;
	if (resumed(sym) && payload)
		snprintf(out, len, "panic resumed by std::panic::resume_unwind in %s: %s", where,
			 payload);
	else if (resumed(sym))
		snprintf(out, len, "panic resumed by std::panic::resume_unwind in %s", where);
	else if (payload)
		snprintf(out, len, "%s (in %s)", payload, where);
	else
		snprintf(out, len, "panic in %s (its message unknown: the program's own panic hook "
			 "did not print Rust's words, and it is no string)", where);
}

void rust_panic_abort_message(const struct bb_record *rec, const char *app_function,
		char *out, size_t len)
{
	char words[BB_MESSAGE_MAX + BB_WHERE_MAX + 16];

	if (hook_words(rec, words, sizeof(words)))
		snprintf(out, len, "SIGABRT: Rust panic in %s: %s", app_function ? app_function : "?",
			 words);
	else
		snprintf(out, len, "SIGABRT: Rust panic in %s (its message went to the program's "
			 "stderr)", app_function ? app_function : "?");
}
