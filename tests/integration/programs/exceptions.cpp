// Uncaught C++ exceptions: std::out_of_range from the library, a user type
// derived from std::runtime_error, and std::invalid_argument.
#include <cstring>
#include <stdexcept>
#include <vector>

namespace shop {
struct Timeout : std::runtime_error {
	explicit Timeout(const char *what) : std::runtime_error(what) {}
};
}

__attribute__((noinline)) static int pick(const std::vector<int> &v, size_t i)
{
	return v.at(i);
}

__attribute__((noinline)) static void pay(int cents)
{
	if (cents > 0)
		throw shop::Timeout("payment gateway timed out after 30 s");
}

__attribute__((noinline)) static void parse(const char *s)
{
	if (!s || !*s)
		throw std::invalid_argument("empty amount");
}

int main(int argc, char **argv)
{
	std::vector<int> v{1, 2, 3};
	const char *what = argc > 1 ? argv[1] : "range";

	if (std::strcmp(what, "range") == 0)
		return pick(v, 7);
	if (std::strcmp(what, "timeout") == 0)
		pay(100);
	if (std::strcmp(what, "invalid") == 0)
		parse("");
	return 0;
}
