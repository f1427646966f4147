/* NULL dereference three calls deep; the pointer comes from argv so no
 * optimizer can prove it NULL and drop the store. */
#include <stdio.h>
#include <stdlib.h>

struct account {
	int id;
	long balance;
};

__attribute__((noinline)) static void credit(struct account *a, long amount)
{
	a->balance += amount;
}

__attribute__((noinline)) static void settle(struct account *a, int rounds)
{
	for (int i = 0; i < rounds; i++)
		credit(a, i * 10);
}

int main(int argc, char **argv)
{
	struct account *a = (struct account *)strtoul(argc > 1 ? argv[1] : "0", NULL, 0);

	settle(a, 3);
	printf("not reached\n");
	return 0;
}
