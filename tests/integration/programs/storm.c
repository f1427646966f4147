/* N children crash at the same instant (they wait on one pipe): a storm
 * of one user's crashes, all of which must be reported. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

__attribute__((noinline)) static void crash_in_child(volatile int *p, int i)
{
	*p = i;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 48, go[2], died = 0;

	if (pipe(go) != 0)
		return 2;
	for (int i = 0; i < n; i++) {
		if (fork() == 0) {
			char c;
			close(go[1]);
			if (read(go[0], &c, 1) < 0)
				return 3;
			crash_in_child(NULL, i);
			return 0;
		}
	}
	close(go[0]);
	close(go[1]);	/* every child's read returns at once */
	for (int status, i = 0; i < n; i++)
		if (wait(&status) > 0 && WIFSIGNALED(status))
			died++;
	printf("%d\n", died);
	return 0;
}
