/*
 * checkout.c - the demo program: a tiny "shop" that crashes on a NULL
 * customer record three calls deep, with locals worth seeing.
 */
#include <stdio.h>
#include <string.h>

struct customer {
	int id;
	const char *name;
	double balance;
};

struct order {
	int id;
	int quantity;
	double unit_price;
	struct customer *customer;
};

__attribute__((noinline)) static double charge(struct order *o)
{
	double total = o->quantity * o->unit_price;
	const char *api_token = "tok_live_51H8xyz";	/* scrubbed by name */

	(void)api_token;
	o->customer->balance -= total;	/* customer is NULL: SIGSEGV */
	return total;
}

__attribute__((noinline)) static int checkout(int order_id, int quantity)
{
	struct order order = { .id = order_id, .quantity = quantity, .unit_price = 9.5 };
	char note[32] = "gift wrap";

	printf("checking out order %d (%s)\n", order.id, note);
	return (int)charge(&order);
}

int main(int argc, char **argv)
{
	int quantity = argc > 1 ? (int)strlen(argv[1]) : 3;

	return checkout(1042, quantity);
}
