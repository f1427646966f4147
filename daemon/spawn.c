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
#define UPLOADER_MEMORY (1024ul << 20)	/* libcurl and one event at a time */
#define UPLOADER_OPEN_FILES 256

static bool runnable_in(const char *dir, const char *name, char *path, size_t len)
{
	int n = snprintf(path, len, "%s/%s", dir, name);

	return n > 0 && (size_t)n < len && access(path, X_OK) == 0;
}

bool spawn_find_binary(char *path, size_t len)
{
	return spawn_find_program("boobood-worker", path, len);
}

bool spawn_find_program(const char *name, char *path, size_t len)
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
		if (runnable_in(self, name, path, len))
			return true;
	}
	return runnable_in(BB_LIBEXECDIR, name, path, len);
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

/* Our environment's variables that start with one of keep[], and room
 * for `extra` more (NULL-terminated, malloc'd; NULL when out of memory). */
static char **env_keeping(const char *const *keep, size_t n_keep, size_t extra)
{
	extern char **environ;
	size_t n = 0, cap = 16 + extra;
	char **env = calloc(cap, sizeof(*env));

	for (char **e = environ; env && *e && n + extra + 1 < cap; e++)
		for (size_t k = 0; k < n_keep; k++)
			if (strncmp(*e, keep[k], strlen(keep[k])) == 0)
				env[n++] = strdup(*e);
	return env;
}

/* The worker's environment: nothing of ours but what libraries need. */
static char **worker_env(const struct spawn_opts *o, const struct sandbox_creds *c)
{
	static const char *const keep[] = {
		"LANG=", "LC_ALL=", "ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=",
		"DEBUGINFOD_TIMEOUT=", "DEBUGINFOD_MAXTIME=", "DEBUGINFOD_MAXSIZE=",
		"DEBUGINFOD_URLS=",
	};
	char **env = env_keeping(keep, sizeof(keep) / sizeof(keep[0]), 3), *cache = cache_dir_for(o, c);
	size_t n = 0;

	if (env) {
		while (env[n])
			n++;
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

/* What runs sandboxed: a program, its arguments and environment, the
 * user it runs as with which limits, and the descriptors it is given
 * from 3 on (the first one its channel to us). */
struct sandboxed {
	const char *path;
	char **argv, **env;
	const struct sandbox_creds *creds;
	struct sandbox_limits lim;
	int fds[2];
	size_t n_fds;
};

/* Between fork and exec: system calls only.  The descriptors go to 3, 4
 * by way of descriptors above them (one of them may be 3 or 4 already). */
static void exec_sandboxed(const struct sandboxed *s, pid_t parent)
{
	static const char msg[] = "boobood: cannot start a helper (sandbox or exec failed)\n";
	int high[2];
	bool ok = sandbox_drop(s->creds, &s->lim, parent) == 0;

	for (size_t i = 0; ok && i < s->n_fds; i++)
		ok = (high[i] = fcntl(s->fds[i], F_DUPFD, 10)) >= 0;
	for (size_t i = 0; ok && i < s->n_fds; i++)
		ok = dup2(high[i], 3 + (int)i) == 3 + (int)i;
	if (ok) {
		close_range(3 + (unsigned)s->n_fds, ~0u, 0);
		execve(s->path, s->argv, s->env);
	}
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(126);
	_exit(126);
}

/* Fork and exec s with a new channel as its descriptor 3.  Returns its
 * pid, *chan (our end, non-blocking, close-on-exec) and *pidfd. */
static pid_t spawn_sandboxed(struct sandboxed *s, int *chan, int *pidfd)
{
	int sv[2];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		return -1;
	memmove(s->fds + 1, s->fds, s->n_fds++ * sizeof(s->fds[0]));
	s->fds[0] = sv[1];
	pid = fork();
	if (pid == 0)
		exec_sandboxed(s, getppid());
	int saved = errno;
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		errno = saved;
		return -1;
	}
	*chan = sv[0];
	fcntl(*chan, F_SETFL, O_NONBLOCK);
	*pidfd = pidfd_open(pid, 0);	/* Linux 5.3; the exit is watched through it */
	return pid;
}

pid_t spawn_worker(const struct spawn_opts *o, const struct sandbox_creds *c, int *chan,
		int *pidfd)
{
	char *argv[] = { "boobood-worker", "--channel=3", "--config-fd=4", NULL, NULL, NULL };
	struct sandboxed s = {
		.path = o->path, .argv = argv, .env = worker_env(o, c), .creds = c,
		.lim = { .memory_bytes = sandbox_asan() ? 0 : (unsigned long)o->memory_mb << 20,
			 .cpu_seconds = CPU_LIMIT_S, .open_files = OPEN_FILES },
		.fds = { config_memfd(o) }, .n_fds = 1,
	};
	pid_t pid = -1;
	size_t a = 3;

	if (o->foreground)
		argv[a++] = "--foreground";
	if (o->debug)
		argv[a++] = "--debug";
	if (s.env && s.fds[0] >= 0)
		pid = spawn_sandboxed(&s, chan, pidfd);
	int saved = errno;
	if (s.fds[s.n_fds - 1] >= 0)
		close(s.fds[s.n_fds - 1]);	/* the config memfd */
	free_env(s.env);
	errno = saved;
	return pid;
}

pid_t spawn_uploader(const struct sandbox_creds *c, int *chan, int *pidfd)
{
	/* what libcurl reads: proxies and certificates */
	static const char *const keep[] = {
		"LANG=", "LC_ALL=", "ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS=",
		"http_proxy=", "https_proxy=", "HTTPS_PROXY=", "all_proxy=", "ALL_PROXY=",
		"no_proxy=", "NO_PROXY=", "CURL_CA_BUNDLE=", "SSL_CERT_FILE=", "SSL_CERT_DIR=",
	};
	char path[PATH_MAX], *argv[] = { "boobood-uploader", "--channel=3", NULL };
	struct sandboxed s = {
		.path = path, .argv = argv, .creds = c,
		.env = env_keeping(keep, sizeof(keep) / sizeof(keep[0]), 0),
		.lim = { .memory_bytes = sandbox_asan() ? 0 : UPLOADER_MEMORY,
			 .open_files = UPLOADER_OPEN_FILES },
	};
	pid_t pid = -1;

	if (!spawn_find_program("boobood-uploader", path, sizeof(path)))
		errno = ENOENT;
	else if (s.env)
		pid = spawn_sandboxed(&s, chan, pidfd);
	int saved = errno;
	free_env(s.env);
	errno = saved;
	return pid;
}
