/* Calls itself "sshd" (prctl PR_SET_NAME, as any process may), then
 * crashes: the report must name the program the kernel says it runs. */
#include <sys/prctl.h>
int main(void)
{
	prctl(PR_SET_NAME, "sshd");
	*(volatile int *)0 = 1;
	return 0;
}
