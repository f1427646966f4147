/*
 * inapp.h - which frames are the program's own ("in_app", as the Python
 * SDK marks them): not the system's libraries, not library code compiled
 * into the program (C++ headers, Rust's standard library, crates), not
 * our shim.  One place, so the worker's symbolizer and the root part's
 * degraded reports draw the line alike.
 */
#ifndef BB_INAPP_H
#define BB_INAPP_H

#include <stdbool.h>

/* A path in the system's library directories (/lib, /usr/lib, ...). */
bool inapp_system_path(const char *path);

/* A source file of library code compiled into the program. */
bool inapp_system_source(const char *path);

/* A function of Rust's runtime compiled into the program that has no
 * line info to say so (__rust_try, std::..., core::...). */
bool inapp_rust_runtime_function(const char *name);

/* libbooboo-shim.so: its frames are not the program's stack at all. */
bool inapp_shim_module(const char *path);

/* Are frames of this module (an ELF path) the program's own?  The main
 * program always is, wherever it is installed. */
bool inapp_module(const char *module, const char *exe);

/* Is Python code in this file (a code object's co_filename, or an
 * extension module's path) the program's own, by the Python SDK's rule?
 * Not the standard library (lib/python3.N/, frozen modules), not
 * site-packages or dist-packages. */
bool inapp_python_file(const char *path);

#endif
