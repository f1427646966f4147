// ignore_errors through a user type hierarchy: shop::ReadTimeout derives
// from shop::Timeout; shop::Other and shop::TimeoutPolicy do not (the
// latter only shares the name's prefix).  argv[1] picks what is thrown,
// uncaught.
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace shop {
struct Timeout : std::runtime_error {
	explicit Timeout(const char *m) : std::runtime_error(m) {}
};
struct ReadTimeout : Timeout {
	ReadTimeout() : Timeout("read from the gateway timed out") {}
};
struct Other : std::runtime_error {
	Other() : std::runtime_error("out of stock") {}
};
struct TimeoutPolicy : std::runtime_error {
	TimeoutPolicy() : std::runtime_error("no policy") {}
};
}

__attribute__((noinline)) static void fail(const char *what)
{
	if (std::strcmp(what, "timeout") == 0)
		throw shop::Timeout("gateway timed out");
	if (std::strcmp(what, "read") == 0)
		throw shop::ReadTimeout();
	if (std::strcmp(what, "policy") == 0)
		throw shop::TimeoutPolicy();
	throw shop::Other();
}

int main(int argc, char **argv)
{
	std::printf("throwing %s\n", argc > 1 ? argv[1] : "other");
	std::fflush(stdout);
	fail(argc > 1 ? argv[1] : "other");
	return 0;
}
