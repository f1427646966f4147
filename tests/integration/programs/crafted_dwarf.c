/* A crash whose only debug info is a compile unit written by hand
 * (tests/integration/dwarf_craft.py): this file is compiled without -g.
 * At the fault, rbx holds `area`, where the crafted variables live
 * (DW_OP_breg3): its first 64 bytes are 1, 2, ... 64, its last 8 its own
 * address (a reference to itself), the rest zeros. */
#include <stdint.h>
#include <string.h>

#define AREA 8192

__attribute__((noinline)) void crafted_crash(unsigned char *area)
{
	/* a read of address 0 with area in rbx, whatever the compiler does */
	__asm__ volatile("movq %0, %%rbx\n\tmovl 0, %%eax" : : "r"(area) : "rbx", "rax", "memory");
}

int main(void)
{
	unsigned char area[AREA];

	memset(area, 0, sizeof(area));
	for (int i = 0; i < 64; i++)
		area[i] = (unsigned char)(i + 1);
	uintptr_t self = (uintptr_t)(area + AREA - 8);
	memcpy(area + AREA - 8, &self, sizeof(self));
	crafted_crash(area);
	return 0;
}
