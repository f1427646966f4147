/* A thread stuck in the kernel (a vfork parent waits uninterruptibly for
 * its child) while another thread crashes: the daemon must not stop it,
 * hang on it, or keep it traced after the process dies. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
static void *stuck(void *a) {
  (void)a;
  pid_t p = vfork();
  if (p == 0) { struct timespec ts = {4, 0}; syscall(SYS_nanosleep, &ts, NULL); _exit(0); }
  return NULL;
}
int main(void) {
  pthread_t t; pthread_create(&t, NULL, stuck, NULL);
  usleep(200000);
  *(volatile int *)strtoul("0", NULL, 0) = 1;
  return 0;
}
