// Locals of the library types gdb's libstdc++ pretty printers show, in the
// crashing frame and its caller, for the gdb-oracle tests of values
// (tests/integration/test_values.py).  Secrets sit in members and in
// string-keyed map entries: none may reach the event.
#include <array>
#include <atomic>
#include <bitset>
#include <deque>
#include <forward_list>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <set>
#include <stack>
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
	std::stack<int> stk{std::deque<int>{1, 2}};
	std::queue<Login> pending{std::deque<Login>{{"q", "queued-pw-555", 2}}};
	std::priority_queue<int> pq{std::less<int>(), std::vector<int>{3, 9, 1}};
	std::bitset<8> bits8{0xa5};
	std::bitset<70> bits70 = std::bitset<70>(5) | std::bitset<70>(1) << 69;
	Login login{"ops", "hunter2-secret-value", 5432};

	volatile size_t keep = login.password.size() + cfg.size() + logins.size() + accounts.size() +
			       prices.size() + names.size() + (size_t)ref + sref.size() + stk.size() +
			       pending.size() + pq.size() + bits8.count() + bits70.count();
	return *bad + (int)keep;
}

// Edge cases in a frame of their own: empty and long containers, nesting,
// iterators at the end, values inside optional and variant.
__attribute__((noinline)) int edges(int *bad)
{
	std::vector<int> zeros(20), big(300);
	for (int i = 0; i < 300; i++)
		big[i] = i;
	std::map<int, int> wide;
	for (int i = 0; i < 150; i++)
		wide[i] = i;
	std::map<int, int> mempty;
	std::list<int> lempty;
	std::set<int> sempty;
	std::deque<int> dempty;
	std::forward_list<int> fempty;
	std::unordered_map<int, int> uempty;
	std::deque<int> dbig(300, 1);
	std::list<Point> points{{1, 2}, {3, 4}};
	std::map<int, int>::iterator mend = mempty.end();
	std::optional<std::vector<int>> ovec = std::vector<int>{1, 2};
	std::optional<std::string> onone;
	std::variant<int, std::string> vint = 4;
	std::shared_ptr<int> spempty;
	std::unique_ptr<std::string> upstr = std::make_unique<std::string>("u");
	std::atomic<long> along{5};
	std::tuple<> t0;
	std::tuple<std::string, int> ts{"x", 1};
	std::string_view svlong = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab";
	std::vector<std::vector<int>> vv{{1}, {}};
	std::map<int, std::vector<int>> mv{{1, {2, 3}}};
	std::vector<bool> bits(70, true);
	std::vector<bool>::iterator bit = bits.begin();
	std::deque<int>::iterator dit = dbig.begin();
	std::pair<const char *, int> pc{"k", 1};
	std::unordered_map<std::string, int> ustr{{"a", 1}, {"b", 2}, {"c", 3}};
	std::stack<int, std::vector<int>> vstk{std::vector<int>{4}};
	std::queue<int> qempty;
	std::bitset<16> bnone;
	// a variant's children are an array, unless its value's printer says
	// otherwise (optional does); an optional's are named
	std::variant<int, std::bitset<4>> vbits = std::bitset<4>(3);
	std::variant<int, std::list<int>> vlist = std::list<int>{5, 6};
	std::variant<int, std::optional<int>> vopt = std::optional<int>(8);
	std::optional<std::bitset<4>> obits = std::bitset<4>(2);
	std::optional<std::stack<int>> ostk = std::stack<int>{std::deque<int>{1}};
	// an account number across the 200-character cut, for scrub_value
	std::string note = std::string(190, '-') + "DE89370400440532013000 paid";
	volatile size_t keep = note.size() + zeros.size() + big.size() + wide.size() + mempty.size() + lempty.size() +
			       sempty.size() + dempty.size() + uempty.size() + dbig.size() + points.size() +
			       (mend == mempty.end()) + ovec->size() + onone.has_value() + vint.index() +
			       (spempty == nullptr) + upstr->size() + (size_t)along.load() + std::get<1>(ts) +
			       svlong.size() + vv.size() + mv.size() + bits.size() + *bit + *dit +
			       (size_t)pc.second + ustr.size() + fempty.empty() + std::tuple_size_v<decltype(t0)> +
			       vstk.size() + qempty.size() + bnone.count() +
			       vbits.index() + vlist.index() + vopt.index() + obits->count() + ostk->size();
	return *bad + (int)keep;
}

int main(int argc, char **argv)
{
	std::map<std::string, int> prices{{"apple", 3}, {"pear", 5}};
	int *bad = argc > 5 ? &argc : nullptr;
	if (argc > 1 && argv[1][0] == 'e')
		return edges(bad);
	return crash(prices, bad);
}
