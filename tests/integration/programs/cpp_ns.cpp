// A C++ crash in a class method inside a namespace, through a template.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace shop {
namespace billing {

class Invoice {
public:
	explicit Invoice(std::string customer) : customer_(std::move(customer)) {}
	__attribute__((noinline)) long total(const std::vector<long> *lines) const
	{
		long sum = 0;
		for (long v : *lines)
			sum += v;
		return sum;
	}

private:
	std::string customer_;
};

template <typename T>
__attribute__((noinline)) long charge(const Invoice &inv, T lines)
{
	volatile long sum = inv.total(lines);	// not a tail call: the frame stays at -O2

	return sum;
}

} // namespace billing
} // namespace shop

int main(int argc, char **argv)
{
	shop::billing::Invoice inv("alice");
	auto *lines = reinterpret_cast<const std::vector<long> *>(
		std::strtoul(argc > 1 ? argv[1] : "0", nullptr, 0));
	std::printf("%ld\n", shop::billing::charge(inv, lines));
	return 0;
}
