/* Unit tests for names_short: function names as gdb shows them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"
#include "inapp.h"
#include "symbolize.h"

static void check(const char *in, const char *want)
{
	char *out = names_short(in);

	assert_string_equal(out, want);
	free(out);
}

static void names(void **state)
{
	(void)state;
	check("main", "main");
	check("shop::Cart::total(int)", "shop::Cart::total");
	check("shop::Cart::total(int) const", "shop::Cart::total");
	check("long shop::charge<std::vector<long, std::allocator<long> > const*>(int, char)",
	      "shop::charge<std::vector<long, std::allocator<long> > const*>");
	check("unsigned long f<int>(int)", "f<int>");
	check("main::{lambda(int)#1}::operator()(int) const", "main::{lambda(int)#1}::operator()");
	check("operator new(unsigned long)", "operator new");
	check("ns::K::operator int() const", "ns::K::operator int");
	check("(anonymous namespace)::helper(int)", "(anonymous namespace)::helper");
	check("std::vector<int, std::allocator<int> >::at(unsigned long) &&", "std::vector<int, std::allocator<int> >::at");
	char *d = names_demangle("_ZN4shop4Cart5totalEi");
	assert_string_equal(d, "shop::Cart::total(int)");
	free(d);
	d = names_demangle_type("St12out_of_range");
	assert_string_equal(d, "std::out_of_range");
	free(d);
	assert_true(inapp_system_path("/usr/lib/x86_64-linux-gnu/libc.so.6"));
	assert_false(inapp_system_path("/opt/app/lib/libx.so"));
}

static void demangled(const char *mangled, const char *want)
{
	char *d = names_demangle(mangled);

	assert_string_equal(d, want);
	free(d);
}

static void rust_names(void **state)
{
	(void)state;
#ifdef BB_HAVE_LIBIBERTY
	/* v0 and legacy (its hash dropped, as gdb shows it) */
	demangled("_RNvNtNtNtCsjrHSEGnQ3l9_3std3sys3pal4unix14abort_internal",
		  "std::sys::pal::unix::abort_internal");
	demangled("_ZN4main6credit17hf6659d82ead4d1cfE", "main::credit");
	demangled("_ZN4core3ptr85drop_in_place$LT$std..rt..lang_start$LT$$LP$$RP$$GT$..$u7b$$u7b$closure$u7d$$u7d$$GT$17h0123456789abcdefE",
		  "core::ptr::drop_in_place<std::rt::lang_start<()>::{{closure}}>");
#endif
	/* not Rust: a C++ name that merely ends like a hash stays C++ */
	demangled("_ZN4shop4Cart5totalEi", "shop::Cart::total(int)");
	demangled("not_mangled", "not_mangled");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(names),
		cmocka_unit_test(rust_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
