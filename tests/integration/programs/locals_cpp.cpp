// C++ locals: std::string, std::vector, classes in namespaces, templates,
// lambdas, references.
#include <cstdlib>
#include <string>
#include <vector>

namespace shop {
enum Status { PENDING, PAID = 3 };
enum class Channel { Web, Store = 4 };

struct Item {
	int sku;
	double price;
};

class Cart {
public:
	explicit Cart(const std::string &owner) : owner_(owner), count_(2) {}
	template <typename F> __attribute__((noinline)) int apply(F fn, int *slot)
	{
		int before = count_;
		std::string note = "applying to " + owner_;
		const std::string &ref = owner_;
		return fn(slot) + before + (int)note.size() + (int)ref.size();
	}

private:
	std::string owner_;
	int count_;
};
}

int main(int argc, char **argv)
{
	std::string name = "alice";
	std::string empty;
	std::string longer(300, 'z');
	std::vector<int> qty{3, 1, 4, 1, 5};
	std::vector<std::string> tags{"gift", "express"};
	std::vector<double> none;
	shop::Item item{42, 9.99};
	shop::Status st = shop::PAID;
	shop::Channel ch = shop::Channel::Store;
	shop::Cart cart(name);
	int *slot = (int *)std::strtoul(argc > 1 ? argv[1] : "0", nullptr, 0);
	auto lam = [&](int *p) { int bonus = qty[0] * 2; return *p + bonus; };
	return cart.apply(lam, slot) + (int)st + item.sku + (int)ch + (int)empty.size() +
	       (int)longer.size() + (int)tags.size() + (int)none.size();
}
