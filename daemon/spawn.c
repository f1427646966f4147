/*
 * spawn.c - fork, drop, exec: one worker (see spawn.h).  The parent has
 * threads, so everything the child needs (argv, the environment, its
 * cache directory, the config memfd) is made before fork, and the child
 * runs nothing but system calls until exec.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "spawn.h"

#ifndef BB_LIBEXECDIR
#define BB_LIBEXECDIR "/usr/libexec/booboo"
#endif

#define CPU_LIMIT_S 3600	/* a backstop: the root part's watchdog acts first */
#define OPEN_FILES 4096

static bool runnable_in(const char *dir, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/boobood-worker", dir);

	return n > 0 && (size_t)n < len && access(path, X_OK) == 0;
}

bool spawn_find_binary(char *path, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash = NULL;

	if (n > 0) {
		self[n] = '\0';
		slash = strrchr(self, '/');
	}
	if (slash) {
		*slash = '\0';
		if (runnable_in(self, path, len))
			return true;
	}
	return runnable_in(BB_LIBEXECDIR, path, len);
}

/* CACHE_DIR/UID, owned by the user and private: debuginfod's downloads
 * for them, and no one else's. */
static char *cache_dir_for(const struct spawn_opts *o, const struct sandbox_creds *c)
{
	char *path = NULL;
	struct stat st;

	if (mkdir(o->cache_dir, 0711) != 0 && errno != EEXIST)
		return NULL;
	if (asprintf(&path, "%s/%u", o->cache_dir, (unsigned)c->uid) < 0)
		return NULL;
	if (mkdir(path, 0700) == 0 && geteuid() == 0 && chown(path, c->uid, c->gid) != 0) {
		free(path);
		return NULL;
	}
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != c->uid ||
	    (st.st_mode & 077)) {
		bb_log_limited("cache dir", 300, BB_LOG_WARN, "%s: not a private directory of uid %u;"
			       " debuginfod is not used for that user", path, (unsigned)c->uid);
		free(path);
		return NULL;
	}
	return path;
}

/* The worker's environment: nothing of ours but what libraries need. */
static char **worker_env(const struct spawn_opts *o, const struct sandbox_creds *c)
{
	static const char *const keep[] = {
		"LANG=", "LC_ALL=", "ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=",
		"DEBUGINFOD_TIMEOUT=", "DEBUGINFOD_MAXTIME=", "DEBUGINFOD_MAXSIZE=",
		"DEBUGINFOD_URLS=",
	};
	extern char **environ;
	size_t n = 0, cap = 16;
	char **env = calloc(cap, sizeof(*env)), *cache = cache_dir_for(o, c);

	for (char **e = environ; env && *e && n + 4 < cap; e++)
		for (size_t k = 0; k < sizeof(keep) / sizeof(keep[0]); k++)
			if (strncmp(*e, keep[k], strlen(keep[k])) == 0)
				env[n++] = strdup(*e);
	if (env) {
		env[n++] = strdup("PATH=/usr/bin:/bin");
		env[n++] = strdup("HOME=/nonexistent");
		if (cache && asprintf(&env[n], "DEBUGINFOD_CACHE_PATH=%s", cache) >= 0)
			n++;
	}
	free(cache);
	return env;
}

static void free_env(char **env)
{
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
}

static int config_memfd(const struct spawn_opts *o)
{
	int fd = memfd_create("booboo-config", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	if (fd < 0)
		return -1;
	if (write(fd, o->config_text, o->config_len) != (ssize_t)o->config_len) {
		close(fd);
		return -1;
	}
	fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
	return fd;
}

/* Between fork and exec: system calls only. */
static void exec_worker(const struct spawn_opts *o, const struct sandbox_creds *c, int chan,
		int cfgfd, pid_t parent, char **argv, char **env)
{
	static const char msg[] = "boobood: cannot start a worker (sandbox or exec failed)\n";
	struct sandbox_limits lim = {
		.memory_bytes = sandbox_asan() ? 0 : (unsigned long)o->memory_mb << 20,
		.cpu_seconds = CPU_LIMIT_S,
		.open_files = OPEN_FILES,
	};

	if (sandbox_drop(c, &lim, parent) == 0) {
		int a = fcntl(chan, F_DUPFD, 10), b = fcntl(cfgfd, F_DUPFD, 10);
		if (a >= 0 && b >= 0 && dup2(a, 3) == 3 && dup2(b, 4) == 4) {
			close_range(5, ~0u, 0);
			execve(o->path, argv, env);
		}
	}
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(126);
	_exit(126);
}

pid_t spawn_worker(const struct spawn_opts *o, const struct sandbox_creds *c, int *chan,
		int *pidfd)
{
	char *argv[] = { "boobood-worker", "--channel=3", "--config-fd=4", NULL, NULL, NULL };
	int sv[2] = { -1, -1 }, cfgfd = config_memfd(o), saved;
	char **env = worker_env(o, c);
	pid_t pid = -1;
	size_t a = 3;

	if (o->foreground)
		argv[a++] = "--foreground";
	if (o->debug)
		argv[a++] = "--debug";
	if (!env || cfgfd < 0 || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		goto out;
	pid = fork();
	if (pid == 0)
		exec_worker(o, c, sv[1], cfgfd, getppid(), argv, env);
	if (pid > 0) {
		*chan = sv[0];
		sv[0] = -1;
		fcntl(*chan, F_SETFL, O_NONBLOCK);
		*pidfd = pidfd_open(pid, 0);	/* Linux 5.3; the exit is watched through it */
	}
out:
	saved = errno;
	for (int i = 0; i < 2; i++)
		if (sv[i] >= 0)
			close(sv[i]);
	if (cfgfd >= 0)
		close(cfgfd);
	free_env(env);
	errno = saved;
	return pid;
}
