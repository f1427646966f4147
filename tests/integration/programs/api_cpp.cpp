// C++: report the exception being handled from inside a catch block, and
// an uncaught one that ignore_errors may match through its base classes.
#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "booboo.h"

namespace shop {
struct Timeout : std::runtime_error {
	Timeout() : std::runtime_error("gateway timed out for NL91ABNA0417164300") {}
};
}

__attribute__((noinline)) static void charge() { throw shop::Timeout(); }

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "caught";

	if (std::strcmp(what, "caught") == 0) {
		try {
			charge();
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
	return 0;
}
