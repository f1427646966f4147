/*
 * booboo.h - the booboo-native API for programs that want more than the
 * preloaded crash handler: who the user is, tags, messages, handled errors
 * and the request being served.  Link with -lbooboo-shim (pkg-config
 * booboo), or preload libbooboo-shim.so; both give the same behaviour.
 *
 * Every call is cheap and harmless when no daemon runs: it returns -1 at
 * once (connect fails), never blocks longer than its bound, never aborts.
 */
#ifndef BOOBOO_H
#define BOOBOO_H

#ifdef __cplusplus
extern "C" {
#endif

/* Attached to every later event of the process, crashes included.  Any
 * argument may be NULL (left unset).  Values are cut at 127 bytes. */
void booboo_set_user(const char *id, const char *email, const char *username,
		const char *ip_address);

/* A tag on every later event; value NULL removes the tag.  At most 32
 * tags; keys and values may not contain ',' or '='.  Returns 0 or -1. */
int booboo_set_tag(const char *key, const char *value);

/* The Python SDK's capture_message: level "info", "warning" or "error"
 * (NULL means "info").  Returns 0 once the daemon has it, -1 otherwise. */
int booboo_capture_message(const char *message, const char *level);

/* A handled error, reported with the calling thread's stack; the program
 * goes on.  Returns within the hold bound (BOOBOO_HOLD_TIMEOUT_MS). */
int booboo_capture_error(const char *type, const char *message);

/* The request this thread is serving (per thread), attached to crashes
 * and captures until booboo_clear_request().  NULL clears a field. */
void booboo_set_request(const char *method, const char *url);
void booboo_clear_request(void);

#ifdef __cplusplus
}

#include <cxxabi.h>
#include <cstdlib>
#include <exception>
#include <typeinfo>

/* C++: inside a catch block, report the exception being handled with its
 * demangled dynamic type and what(). */
inline int booboo_capture_current_exception()
{
	try {
		throw;
	} catch (const std::exception &e) {
		int status = 0;
		char *name = abi::__cxa_demangle(typeid(e).name(), nullptr, nullptr, &status);
		int rc = booboo_capture_error(name && status == 0 ? name : typeid(e).name(), e.what());
		std::free(name);
		return rc;
	} catch (...) {
		std::type_info *t = abi::__cxa_current_exception_type();
		int status = 0;
		char *name = t ? abi::__cxa_demangle(t->name(), nullptr, nullptr, &status) : nullptr;
		int rc = booboo_capture_error(name && status == 0 ? name : "unknown exception",
				"non-std::exception thrown");
		std::free(name);
		return rc;
	}
}
#endif

#endif
