// A seed for fuzz_render: the standard library's types gdb's printers
// know (render_stl.c, render_std.c), as locals of functions of the unit's
// own, where fuzz_render looks first.  Small: one use of each.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

__attribute__((noinline)) int crash(volatile int *p, const std::string &name)
{
	return *p + (int)name.size();
}

int main()
{
	std::string s = "gift wrap";
	std::vector<int> v = { 1, 2, 3 };
	std::map<int, std::string> m = { { 1, "one" } };
	auto u = std::make_unique<int>(7);
	std::optional<int> o = 5;
	return crash(nullptr, s) + v[0] + (int)m.size() + *u + *o;
}
