/* A crash three calls deep (a static function, an exported one, an inlined
 * one inside the first) for the stripped-binary tests: whatever finds the
 * debug info, the frames must come back as from the unstripped binary.
 * The pointer comes from argv so no optimizer can drop the store. */
#include <stdlib.h>

struct order {
	int id;
	long qty;
	long total;
};

volatile int checkouts;	/* work after each call: no tail call hides a frame */

static inline __attribute__((always_inline)) void add_line(struct order *o, long price)
{
	o->total += price * o->qty;
}

__attribute__((noinline)) static void price_order(struct order *o, int lines)
{
	add_line(o, 100L * lines);
	checkouts++;
}

__attribute__((noinline)) void checkout(struct order *o)
{
	price_order(o, 2);
	checkouts++;
}

int main(int argc, char **argv)
{
	struct order *o = (struct order *)strtoul(argc > 1 ? argv[1] : "0", NULL, 0);

	checkout(o);
	return checkouts == 42;
}
