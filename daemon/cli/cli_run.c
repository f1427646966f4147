/*
 * cli_run.c - `booboo run -- CMD`: the zero-setup way to try the product.
 *
 * Runs CMD with the shim preloaded.  When no daemon answers on the
 * configured socket, a private one is started for the command's lifetime
 * (its own socket in a temporary directory, the configured spool if it is
 * writable, else $XDG_STATE_HOME/booboo or ~/.local/state/booboo, else,
 * with no HOME, a directory of this user's alone).  If CMD dies of a
 * signal, its report is shown.  The exit status is CMD's, as a shell would
 * give it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "event_keys.h"

struct private_daemon {
	pid_t pid;
	char dir[64];
	char socket[128];
	char log[128];
	char drops[128];	/* its own: the system's are the system daemon's */
};

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static char *find_program(const char *env, const char *rel, const char *installed)
{
	const char *e = getenv(env);
	char *p;

	if (e && *e)
		return strdup(e);
	p = cli_sibling_path(rel);
	if (p && access(p, R_OK) == 0)
		return p;
	free(p);
	return strdup(installed);
}

static bool writable_dir(const char *dir)
{
	struct stat st;
	char parent[4096];

	if (stat(dir, &st) == 0)
		return S_ISDIR(st.st_mode) && access(dir, W_OK | X_OK) == 0;
	snprintf(parent, sizeof(parent), "%s", dir);
	char *slash = strrchr(parent, '/');
	if (!slash || slash == parent)
		return false;
	*slash = '\0';
	return access(parent, W_OK | X_OK) == 0;
}

/* With no home: $XDG_RUNTIME_DIR/booboo when that directory is this
 * user's alone, else a new directory.  Never a fixed path in /tmp: another
 * user could have made it (or a symlink there) first. */
static char *runtime_spool(void)
{
	const char *run = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	char *out = NULL;

	if (run && run[0] == '/' && stat(run, &st) == 0 && S_ISDIR(st.st_mode) &&
	    st.st_uid == geteuid() && !(st.st_mode & 077))
		return asprintf(&out, "%s/booboo", run) >= 0 ? out : NULL;
	out = strdup("/tmp/booboo-spool.XXXXXX");
	if (out && !mkdtemp(out)) {
		fprintf(stderr, "booboo: %s: %s\n", out, strerror(errno));
		free(out);
		return NULL;
	}
	return out;
}

static char *private_spool(const struct bb_config *cfg)
{
	const char *xdg = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char *out = NULL;

	if (writable_dir(cfg->spool_dir))
		return strdup(cfg->spool_dir);
	if (xdg && xdg[0] == '/')	/* relative: to be ignored, says the XDG spec */
		return asprintf(&out, "%s/booboo", xdg) >= 0 ? out : NULL;
	if (home && home[0] == '/')
		return asprintf(&out, "%s/.local/state/booboo", home) >= 0 ? out : NULL;
	return runtime_spool();
}

static int start_private(struct private_daemon *pd, const char *config_path, const char *spool)
{
	char *daemon = find_program("BOOBOO_DAEMON", "boobood", BB_SBINDIR "/boobood");

	snprintf(pd->dir, sizeof(pd->dir), "/tmp/booboo-run.XXXXXX");
	if (!daemon || !mkdtemp(pd->dir)) {
		free(daemon);
		return -1;
	}
	snprintf(pd->socket, sizeof(pd->socket), "%s/booboo.sock", pd->dir);
	snprintf(pd->log, sizeof(pd->log), "%s/boobood.log", pd->dir);
	snprintf(pd->drops, sizeof(pd->drops), "%s/drops", pd->dir);
	pd->pid = fork();
	if (pd->pid == 0) {
		int fd = open(pd->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd >= 0)
			dup2(fd, 2);
		const char *argv[12];
		int n = 0;
		argv[n++] = daemon;
		argv[n++] = "--foreground";
		if (config_path) {
			argv[n++] = "--config";
			argv[n++] = config_path;
		}
		argv[n++] = "--socket";
		argv[n++] = pd->socket;
		argv[n++] = "--spool";
		argv[n++] = spool;
		argv[n++] = "--drop-dir";
		argv[n++] = pd->drops;
		argv[n] = NULL;
		execv(daemon, (char *const *)argv);
		fprintf(stderr, "booboo: %s: %s\n", daemon, strerror(errno));
		_exit(127);
	}
	free(daemon);
	if (pd->pid < 0)
		return -1;
	for (int i = 0; i < 250; i++) {
		if (cli_daemon_answers(pd->socket))
			return 0;
		if (waitpid(pd->pid, NULL, WNOHANG) == pd->pid) {
			pd->pid = -1;
			return -1;
		}
		sleep_ms(20);
	}
	return -1;
}

/* Why the private daemon did not start.  Its log can quote event text
 * (a file name from debug info): escaped like the reports. */
static void show_daemon_log(const char *path)
{
	FILE *f = path[0] ? fopen(path, "re") : NULL;	/* "": it never started */
	char line[1024];

	if (!f && path[0])
		fprintf(stderr, "booboo: %s: %s\n", path, strerror(errno));
	if (!f)
		return;
	while (fgets(line, sizeof(line), f))
		cli_print_line(stderr, "", line, strcspn(line, "\n"));
	fclose(f);
}

static void stop_private(struct private_daemon *pd, bool show_log)
{
	char path[160];

	if (pd->pid > 0) {
		kill(pd->pid, SIGTERM);
		waitpid(pd->pid, NULL, 0);
	}
	if (show_log)
		show_daemon_log(pd->log);
	unlink(pd->log);
	snprintf(path, sizeof(path), "%s", pd->socket);
	unlink(path);
	rmdir(pd->drops);	/* empty unless the daemon was gone before a crash */
	rmdir(pd->dir);
}

static pid_t run_child(char **argv, const char *socket_path, const char *drop_dir)
{
	char *shim = find_program("BOOBOO_SHIM", "../shim/libbooboo-shim.so",
				  BB_LIBDIR "/libbooboo-shim.so");
	const char *old = getenv("LD_PRELOAD");
	char *preload = NULL;

	if (!shim || asprintf(&preload, "%s%s%s", shim, old && *old ? " " : "",
			      old ? old : "") < 0) {
		free(shim);
		return -1;
	}
	pid_t pid = fork();
	if (pid == 0) {
		setenv("LD_PRELOAD", preload, 1);
		setenv("BOOBOO_SOCKET", socket_path, 1);
		if (drop_dir)
			setenv("BOOBOO_DROP_DIR", drop_dir, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "booboo: %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	free(shim);
	free(preload);
	return pid;
}

static struct json_object *member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

/* Is ev the report of how pid ended: a signal, or (panicked) a panic of
 * its main thread? */
static bool how_it_ended(struct json_object *ev, pid_t pid, bool panicked)
{
	struct json_object *ctx = member(ev, EV_CONTEXT);
	struct json_object *p = member(member(ctx, EV_CTX_PROCESS), "pid");

	if (!p || json_object_get_int(p) != pid)
		return false;
	if (!panicked)
		return member(ctx, "signal") != NULL;
	p = member(member(ctx, EV_CTX_THREAD), "tid");
	return p && json_object_get_int(p) == pid &&
	       strcmp(json_object_get_string(member(ev, EV_EXCEPTION_TYPE)) ?: "", "RustPanic") == 0;
}

/* The event of how pid ended, once it is spooled (up to ms). */
static bool find_event(const char *spool_dir, pid_t pid, bool panicked, int ms,
		char id[SPOOL_ID_MAX])
{
	struct spool sp;

	for (int waited = 0; waited < ms; waited += 50, sleep_ms(50)) {
		struct spool_entry *e = NULL;
		size_t n = 0;
		if (spool_open_reader(&sp, spool_dir) != SPOOL_OK)
			continue;
		spool_list(&sp, &e, &n);
		for (size_t i = n; i-- > 0;) {
			char *buf;
			size_t len;
			if (spool_read(&sp, e[i].state, e[i].id, &buf, &len) != SPOOL_OK)
				continue;
			struct json_object *ev = json_tokener_parse(buf);
			free(buf);
			bool match = how_it_ended(ev, pid, panicked);
			json_object_put(ev);
			if (match) {
				snprintf(id, SPOOL_ID_MAX, "%s", e[i].id);
				free(e);
				spool_close(&sp);
				return true;
			}
		}
		free(e);
		spool_close(&sp);
	}
	return false;
}

/* A crash's report, or a Rust program's that exited 101 (its main thread
 * panicked): other programs exit 101 too, so that one is not waited for
 * long, nor missed aloud. */
static void show_how_it_ended(const char *prog, const char *spool_dir, pid_t child, int status)
{
	bool panicked = WIFEXITED(status) && WEXITSTATUS(status) == 101;
	char id[SPOOL_ID_MAX];
	struct spool sp;

	if (!WIFSIGNALED(status) && !panicked)
		return;
	bool found = find_event(spool_dir, child, panicked, panicked ? 3000 : 10000, id);
	if (panicked && found)
		fprintf(stderr, "booboo: %s panicked (exit status 101); the report:\n\n", prog);
	else if (!panicked)
		fprintf(stderr, "booboo: %s died of signal %d; the report:\n\n", prog,
			WTERMSIG(status));
	if (found && spool_open_reader(&sp, spool_dir) == SPOOL_OK) {
		cli_show_event(&sp, id, false);
		spool_close(&sp);
	} else if (!panicked) {
		fprintf(stderr, "booboo: no report arrived from boobood\n");
	}
}

int cli_run(struct bb_config *cfg, const char *config_path, char **argv)
{
	struct private_daemon pd = { .pid = -1 };
	const char *env_sock = getenv("BOOBOO_SOCKET");
	const char *sock = env_sock && *env_sock ? env_sock : cfg->socket_path;
	char *spool_dir = strdup(cfg->spool_dir);
	int status;

	if (!cli_daemon_answers(sock)) {
		free(spool_dir);
		spool_dir = private_spool(cfg);
		if (!spool_dir || start_private(&pd, config_path, spool_dir) != 0) {
			fprintf(stderr, "booboo: no daemon on %s and a private one did not start:\n", sock);
			stop_private(&pd, true);
			free(spool_dir);
			return 1;
		}
		sock = pd.socket;
		fprintf(stderr, "booboo: started a private boobood (spool %s)\n", spool_dir);
	}
	pid_t child = run_child(argv, sock, pd.pid > 0 ? pd.drops : NULL);
	if (child < 0 || waitpid(child, &status, 0) != child) {
		fprintf(stderr, "booboo: cannot run %s: %s\n", argv[0], strerror(errno));
		stop_private(&pd, false);
		free(spool_dir);
		return 127;
	}
	int rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	show_how_it_ended(argv[0], spool_dir, child, status);
	if (pd.pid > 0)
		stop_private(&pd, false);
	free(spool_dir);
	return rc;
}
