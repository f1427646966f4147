/*
 * inapp.c - the line between the program's frames and everyone else's
 * (see inapp.h).
 */
#include <ctype.h>
#include <stddef.h>
#include <string.h>

#include "inapp.h"

static bool has_prefix(const char *path, const char *const *prefixes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strncmp(path, prefixes[i], strlen(prefixes[i])) == 0)
			return true;
	return false;
}

bool inapp_system_path(const char *path)
{
	static const char *const dirs[] = {
		"/lib/", "/lib32/", "/lib64/", "/libx32/", "/usr/lib/", "/usr/lib32/",
		"/usr/lib64/", "/usr/libx32/", "/usr/libexec/",
	};

	return has_prefix(path, dirs, sizeof(dirs) / sizeof(dirs[0]));
}

/* Rust's standard library is rustup's "/rustc/<commit>/library/..." or
 * Debian's "/usr/src/rustc-<version>/library/...". */
bool inapp_system_source(const char *path)
{
	static const char *const prefixes[] = {
		"/usr/include/", "/usr/lib/gcc/", "/usr/local/include/", "/usr/src/", "/rustc/",
	};

	return has_prefix(path, prefixes, sizeof(prefixes) / sizeof(prefixes[0])) ||
	       strstr(path, "/.cargo/registry/") != NULL;
}

bool inapp_rust_runtime_function(const char *name)
{
	static const char *const prefixes[] = {
		"std::", "core::", "alloc::", "panic_unwind::", "panic_abort::", "__rust_",
		"__rustc::", "rust_begin_unwind", "rust_panic", "<std::", "<core::", "<alloc::",
	};

	return name && has_prefix(name, prefixes, sizeof(prefixes) / sizeof(prefixes[0]));
}

bool inapp_shim_module(const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;

	base = base ? base + 1 : path;
	return base && strncmp(base, "libbooboo-shim.so", 17) == 0;
}

bool inapp_module(const char *module, const char *exe)
{
	return module && module[0] == '/' &&
	       (!inapp_system_path(module) || (exe && strcmp(module, exe) == 0));
}

/* ".../lib/python3.11/..." (lib64 too): a Python's standard library */
static bool python_stdlib(const char *path)
{
	for (const char *p = strstr(path, "/python3."); p; p = strstr(p + 1, "/python3.")) {
		const char *d = p + 9;
		bool lib = (p - path >= 4 && strncmp(p - 4, "/lib", 4) == 0) ||
			   (p - path >= 6 && strncmp(p - 6, "/lib64", 6) == 0);
		if (!lib || !isdigit((unsigned char)*d))
			continue;
		while (isdigit((unsigned char)*d))
			d++;
		if (*d == 't' || *d == 'd')	/* free-threaded and debug builds */
			d++;
		if (*d == '/')
			return true;
	}
	return false;
}

bool inapp_python_file(const char *path)
{
	return path && strncmp(path, "<frozen ", 8) != 0 && !python_stdlib(path) &&
	       !strstr(path, "/site-packages/") && !strstr(path, "/dist-packages/");
}
