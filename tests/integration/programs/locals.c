/* Locals of every kind gdb's `bt full` renders, all initialized, in a
 * frame that crashes and in its callers. */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum color { RED, GREEN = 5, BLUE };

struct inner {
	int a;
	short b;
};

struct point {
	int x;
	double y;
	const char *label;
	struct inner in;
	enum color c;
};

union number {
	int i;
	float f;
};

static int counter = 17;

__attribute__((noinline)) static int crash(int n, const char *s, struct point *pp, volatile int *z)
{
	char c = 'A';
	unsigned char uc = 200;
	bool ok = true;
	float fl = 3.14f;
	double d = -2.5e-3;
	long big = -1234567890123L;
	unsigned long ul = 18446744073709551615UL;
	short sh = -7;
	enum color col = GREEN;
	enum color odd = (enum color)7;
	char buf[32] = "gift wrap";
	int arr[4] = { 1, 2, 3, 4 };
	int zeros[20] = { 0 };
	char esc[8] = "a\nb\"\\\t";
	const char *nul = NULL;
	const char *text = "caf\xc3\xa9 \"quoted\"\n";
	char ff = (char)0xff;
	struct point p = { 3, 2.5, "pt", { 9, -2 }, BLUE };
	union number un = { .i = 1078530011 };
	int *ip = &counter;
	const char *password = "hunter2";
	char rep[40];

	memset(rep, 'x', 39);
	rep[39] = '\0';
	(void)c; (void)uc; (void)ok; (void)fl; (void)d; (void)big; (void)ul; (void)sh;
	(void)col; (void)odd; (void)buf; (void)arr; (void)zeros; (void)esc; (void)nul;
	(void)text; (void)ff; (void)p; (void)un; (void)ip; (void)password; (void)rep;
	(void)s; (void)pp;
	return *z + n;
}

__attribute__((noinline)) static int middle(int depth, struct point *q)
{
	int doubled = depth * 2;
	const char *stage = "middle";
	volatile int *target = (volatile int *)strtoul(q->label + 1, NULL, 0);

	return crash(doubled, stage, q, target) + doubled;
}

int main(int argc, char **argv)
{
	struct point q = { 1, 1.0, "q0", { 2, 3 }, RED };
	int total = argc * 10;

	(void)argv;
	return middle(total, &q) + total;
}
