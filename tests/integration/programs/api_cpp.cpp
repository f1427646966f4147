// C++: report the exception being handled from inside a catch block, and
// an uncaught one that ignore_errors may match through its base classes;
// and exceptions thrown from exceptions (std::throw_with_nested), caught
// or not, whose causes the report chains.
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include "booboo.h"

namespace shop {
struct Timeout : std::runtime_error {
	Timeout() : std::runtime_error("gateway timed out for NL91ABNA0417164300") {}
};
struct PaymentError : std::runtime_error {
	using std::runtime_error::runtime_error;
};
}

__attribute__((noinline)) static void charge() { throw shop::Timeout(); }

__attribute__((noinline)) static void debit(const std::string &iban)
{
	throw std::invalid_argument("account " + iban + " is closed");
}

/* invalid_argument, wrapped in a PaymentError, wrapped in a logic_error */
__attribute__((noinline)) static void checkout(const std::string &iban)
{
	try {
		try {
			debit(iban);
		} catch (...) {
			std::throw_with_nested(shop::PaymentError("payment failed for " + iban));
		}
	} catch (...) {
		std::throw_with_nested(std::logic_error("checkout aborted"));
	}
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "caught";
	const std::string iban = "DE89370400440532013000";

	if (std::strcmp(what, "caught") == 0 || std::strcmp(what, "caught-invalid") == 0 ||
	    std::strcmp(what, "caught-nested") == 0) {
		try {
			if (what[6] == '\0')
				charge();
			else if (what[7] == 'i')
				throw std::invalid_argument("bad amount");
			else
				checkout(iban);
		} catch (...) {
			std::printf("capture rc=%d\n", booboo_capture_current_exception());
		}
		std::printf("still running\n");
		return 0;
	}
	if (std::strcmp(what, "invalid") == 0)
		throw std::invalid_argument("bad amount");
	if (std::strcmp(what, "timeout") == 0)
		charge();
	if (std::strcmp(what, "nested") == 0)
		checkout(iban);
	return 0;
}
