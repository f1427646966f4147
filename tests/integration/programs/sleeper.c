/* The program the attacker execs (installed setuid root by the test). */
#include <unistd.h>
int main(void)
{
	sleep(3);
	return 0;
}
