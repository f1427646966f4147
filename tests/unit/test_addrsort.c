/* addrsort: sorted by address, equal addresses in their first order,
 * whatever bytes the addresses differ in. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>

#include "addrsort.h"

static void check_sorted(const struct addr_key *k, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		assert_true(k[i - 1].addr <= k[i].addr);
		if (k[i - 1].addr == k[i].addr)
			assert_true(k[i - 1].item < k[i].item);	/* stable */
	}
}

static void sorts_stably(void **state)
{
	/* spreads: few addresses (many equal), a module's, all 64 bits */
	static const uint64_t masks[] = { 0x7, 0xfffff0, ~(uint64_t)0 };
	size_t n = 20000;
	struct addr_key *k = malloc(n * sizeof(*k)), *tmp = malloc(n * sizeof(*tmp));

	(void)state;
	srand(1);
	for (size_t m = 0; m < sizeof(masks) / sizeof(masks[0]); m++) {
		for (size_t i = 0; i < n; i++)
			k[i] = (struct addr_key){ (((uint64_t)rand() << 33) ^ ((uint64_t)rand() << 11) ^
						   (uint64_t)rand()) & masks[m], i };
		addr_sort(k, tmp, n);
		check_sorted(k, n);
		for (size_t i = 0; i < n; i += 97) {	/* the last key at or below */
			size_t at = addr_upper(k, n, k[i].addr);
			assert_true(at > i && k[at - 1].addr == k[i].addr);
			assert_true(at == n || k[at].addr > k[i].addr);
		}
	}
	assert_int_equal(addr_upper(k, n, 0) == 0 || k[0].addr == 0, 1);
	addr_sort(k, tmp, 0);
	addr_sort(k, tmp, 1);
	free(k);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sorts_stably),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
