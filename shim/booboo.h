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

#include <stddef.h>

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

/* One error of a chain: the caught one first, then the one it was thrown
 * from (its cause), and so on; the first BOOBOO_CAUSES_MAX causes are
 * kept, each message cut at 511 bytes. */
struct booboo_exception {
	const char *type;
	const char *message;
};
#define BOOBOO_CAUSES_MAX 4

/* Like booboo_capture_error, for a chain of n errors (the event's
 * "exceptions", chain_type "cause").  object and type_info, when not NULL,
 * are the caught C++ exception object (most derived) and its
 * std::type_info: the daemon reads its base classes from them, so that
 * ignore_errors = std::logic_error also ignores a caught
 * std::invalid_argument. */
int booboo_capture_exception(const struct booboo_exception *chain, size_t n,
		const void *object, const void *type_info);

/* The request this thread is serving (per thread), attached to crashes
 * and captures until booboo_clear_request().  NULL clears a field. */
void booboo_set_request(const char *method, const char *url);
void booboo_clear_request(void);

#ifdef __cplusplus
}

#include <cxxabi.h>
#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>

namespace booboo_detail {

/* The demangled dynamic type of a std::type_info. */
inline std::string type_name(const std::type_info &t)
{
	int status = 0;
	char *d = abi::__cxa_demangle(t.name(), nullptr, nullptr, &status);
	std::string name = d && status == 0 ? d : t.name();
	std::free(d);
	return name;
}

struct chain {
	std::string types[1 + BOOBOO_CAUSES_MAX], messages[1 + BOOBOO_CAUSES_MAX];
	size_t n = 0;
};

/* e and whatever it was thrown from (std::throw_with_nested). */
inline void collect(const std::exception &e, chain &c)
{
	c.types[c.n] = type_name(typeid(e));
	c.messages[c.n] = e.what();
	if (++c.n == 1 + BOOBOO_CAUSES_MAX)
		return;
	try {
		std::rethrow_if_nested(e);
	} catch (const std::exception &cause) {
		collect(cause, c);
	} catch (...) {
		std::type_info *t = abi::__cxa_current_exception_type();
		c.types[c.n] = t ? type_name(*t) : "unknown exception";
		c.messages[c.n++] = "not a std::exception";
	}
}

}  /* namespace booboo_detail */

/* C++: inside a catch block, report the exception being handled with its
 * demangled dynamic type and what(), and the exceptions it was thrown
 * from (std::throw_with_nested) as its causes. */
inline int booboo_capture_current_exception()
{
	booboo_detail::chain c;
	const void *object = nullptr;
	const std::type_info *tinfo = abi::__cxa_current_exception_type();

	try {
		throw;
	} catch (const std::exception &e) {
		object = dynamic_cast<const void *>(&e);
		booboo_detail::collect(e, c);
	} catch (...) {
		c.types[0] = tinfo ? booboo_detail::type_name(*tinfo) : "unknown exception";
		c.messages[0] = "not a std::exception";
		c.n = 1;
	}
	booboo_exception chain[1 + BOOBOO_CAUSES_MAX];
	for (size_t i = 0; i < c.n; i++)
		chain[i] = { c.types[i].c_str(), c.messages[i].c_str() };
	return booboo_capture_exception(chain, c.n, object, object ? tinfo : nullptr);
}
#endif

#endif
