// Locals of the library types gdb's libstdc++ pretty printers show, in the
// crashing frame and its caller, for the gdb-oracle tests of values
// (tests/integration/test_values.py).  Secrets sit in members and in
// string-keyed map entries: none may reach the event.
#include <array>
#include <atomic>
#include <deque>
#include <forward_list>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <variant>
#include <vector>

struct Login {
	std::string name;
	std::string password;
	int port;
};

struct Point {
	int x, y;
};

__attribute__((noinline)) int crash(const std::map<std::string, int> &prices, int *bad)
{
	// secrets first: the source lines around the crash show only the
	// ones hidden there on purpose (login)
	std::map<std::string, std::string> cfg{{"api_token", "tok-abcdef-123"}, {"host", "db1"}};
	std::vector<Login> logins{{"a", "pw-one-xyz", 1}};
	std::map<std::string, Login> accounts{{"ops", {"ops", "deep-secret-42", 1}}};
	std::map<int, std::string> names{{1, "one"}, {2, "two"}, {3, "three"}};
	std::multimap<int, int> mm{{1, 10}, {1, 11}, {2, 20}};
	std::set<int> primes{2, 3, 5, 7, 11};
	std::multiset<char> letters{'a', 'b', 'b'};
	std::unordered_map<int, int> squares{{3, 9}};
	std::unordered_set<int> uset{42};
	std::unordered_multimap<int, int> umm{{5, 50}};
	std::unordered_multiset<int> ums{8};
	std::list<int> lst{1, 2, 3};
	std::forward_list<int> flist{4, 5};
	std::deque<int> dq{7, 8, 9};
	std::vector<bool> flags{true, false, true};
	std::array<int, 4> arr{1, 2, 3, 4};
	std::optional<int> some = 5, none;
	std::variant<int, std::string> var = std::string("v");
	std::pair<int, std::string> pr{1, "pr"};
	std::tuple<int, char, double> tup{1, 'c', 2.5};
	std::unique_ptr<Point> up = std::make_unique<Point>(Point{3, 4});
	std::unique_ptr<int> upnull;
	std::shared_ptr<int> sp = std::make_shared<int>(17);
	std::weak_ptr<int> wp = sp;
	std::string_view sv = "view";
	std::map<int, std::string>::iterator mit = names.begin();
	std::set<int>::iterator sit = primes.find(5);
	std::list<int>::iterator lit = lst.begin();
	std::vector<int> vec{6, 7};
	std::vector<int>::iterator vit = vec.begin();
	std::atomic<int> counter{12};
	std::atomic<bool> ready{true};
	std::optional<std::string> ostr = std::string("maybe");
	int &ref = arr[1];
	const std::string &sref = pr.second;
	Login login{"ops", "hunter2-secret-value", 5432};

	volatile size_t keep = login.password.size() + cfg.size() + logins.size() + accounts.size() +
			       prices.size() + names.size() + (size_t)ref + sref.size();
	return *bad + (int)keep;
}

int main(int argc, char **argv)
{
	std::map<std::string, int> prices{{"apple", 3}, {"pear", 5}};
	int *bad = argc > 5 ? &argc : nullptr;
	(void)argv;
	return crash(prices, bad);
}
