/*
 * filter.c - ignore_errors and before_send.
 *
 * before_send runs without a shell, as "nobody" when the daemon is root,
 * with a minimal environment and a hard time limit: it sees every event,
 * so it must not be able to hang the daemon or read as root.  An event is
 * sent only when the program said so with exit 0 and a JSON object; any
 * failure drops it, because sending it unmodified could leak what the
 * program was meant to remove.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "event.h"
#include "filter.h"

#define OUTPUT_MAX (1024 * 1024)
#define ERR_MAX 512
#define JSON_DEPTH 64	/* as deep as a worker's event may be (delivery.c) */

const char *filter_ignored(const struct bb_config *cfg, const struct event_facts *ev)
{
	if (!*ev->type)
		return NULL;	/* messages are never ignored */
	for (size_t i = 0; i < cfg->n_ignore_errors; i++) {
		const char *want = cfg->ignore_errors[i];
		if (strcmp(want, ev->type) == 0)
			return want;
		for (size_t b = 0; b < ev->n_bases; b++)
			if (strcmp(want, ev->bases[b]) == 0)
				return want;
	}
	return NULL;
}

/* ---- before_send ---------------------------------------------------------- */

/* Who the program runs as: nobody when we are root.  Looked up before the
 * fork: the daemon has threads, and an NSS lookup in the child could wait
 * forever on a lock another thread held at the fork. */
struct run_as {
	bool drop;
	uid_t uid;
	gid_t gid;
};

static struct run_as run_as_nobody(void)
{
	struct run_as who = { .drop = geteuid() == 0, .uid = 65534, .gid = 65534 };
	struct passwd pw, *found = NULL;
	char buf[1024];

	if (who.drop && getpwnam_r("nobody", &pw, buf, sizeof(buf), &found) == 0 && found) {
		who.uid = found->pw_uid;
		who.gid = found->pw_gid;
	}
	return who;
}

/* Between fork and exec: async-signal-safe calls only.  The pipes go to
 * 0, 1 and 2 by way of descriptors above them (one of them may be 0, 1 or
 * 2 already), and every other descriptor the daemon's threads hold is
 * closed, whether or not it was opened close-on-exec. */
static void child_exec(const char *prog, const struct run_as *who, const int fds[3])
{
	char *const argv[] = { (char *)prog, NULL };
	char *const envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", NULL };
	sigset_t none;
	int high[3];

	for (int i = 0; i < 3; i++)
		if ((high[i] = fcntl(fds[i], F_DUPFD, 10)) < 0)
			_exit(126);
	for (int i = 0; i < 3; i++)
		if (dup2(high[i], i) != i)
			_exit(126);
	close_range(3, ~0u, 0);
	/* the daemon's blocked and ignored signals (SIGPIPE, and whatever it
	 * was started with) are not the program's: an exec keeps both */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &(struct sigaction){ .sa_handler = SIG_DFL }, NULL);
	setpgid(0, 0);
	if (who->drop && (syscall(SYS_setgroups, 0, NULL) != 0 ||
			  syscall(SYS_setresgid, who->gid, who->gid, who->gid) != 0 ||
			  syscall(SYS_setresuid, who->uid, who->uid, who->uid) != 0))
		_exit(126);	/* never run it as root */
	if (chdir("/") != 0)
		_exit(126);
	execve(prog, argv, envp);
	_exit(127);
}

struct pipe_io {
	const char *in;
	size_t in_len, in_off;
	char *out;
	size_t out_len;
	char err[ERR_MAX];
	size_t err_len;
	bool out_overflow;
};

static void drain(int fd, char *buf, size_t cap, size_t *len, bool *overflow, int *open_fd)
{
	char tmp[8192];
	ssize_t n = read(fd, tmp, sizeof(tmp));

	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
			close(fd);
			*open_fd = -1;
		}
		return;
	}
	size_t take = (size_t)n;
	if (*len + take > cap) {
		take = cap - *len;
		if (overflow)
			*overflow = true;
	}
	memcpy(buf + *len, tmp, take);
	*len += take;
}

/* Feed stdin and read stdout/stderr together, so neither side can block
 * the other; returns false on timeout. */
static bool pump(struct pipe_io *io, int in, int out, int err, long deadline)
{
	bool ok = true;

	while (out >= 0 || err >= 0) {
		struct pollfd p[3] = {
			{ .fd = in, .events = POLLOUT },
			{ .fd = out, .events = POLLIN },
			{ .fd = err, .events = POLLIN },
		};
		long left = deadline - (long)bb_now_ms();
		if (left <= 0 || (poll(p, 3, (int)left) < 0 && errno != EINTR)) {
			ok = false;
			break;
		}
		if (in >= 0 && (p[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n = write(in, io->in + io->in_off, io->in_len - io->in_off);
			if (n > 0)
				io->in_off += (size_t)n;
			if (n < 0 || io->in_off == io->in_len) {
				close(in);
				in = -1;
			}
		}
		if (out >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR)))
			drain(out, io->out, OUTPUT_MAX, &io->out_len, &io->out_overflow, &out);
		if (err >= 0 && (p[2].revents & (POLLIN | POLLHUP | POLLERR)))
			drain(err, io->err, sizeof(io->err) - 1, &io->err_len, NULL, &err);
	}
	/* Every descriptor is closed, whichever way the loop ended. */
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	if (err >= 0)
		close(err);
	return ok;
}

static int wait_child(pid_t pid, long deadline, bool *timed_out)
{
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			return status;
		if (r < 0 && errno != EINTR)
			return -1;
		if ((long)bb_now_ms() >= deadline) {
			*timed_out = true;
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return status;
		}
		struct timespec ms = { 0, 2 * 1000 * 1000 };
		nanosleep(&ms, NULL);
	}
}

enum before_send_result filter_check_output(const char *out, size_t len,
		struct json_object **obj, char *reason, size_t reasonlen)
{
	static const char blanks[] = " \t\r\n";
	size_t skip = 0, end;

	*obj = NULL;
	while (skip < len && memchr(blanks, out[skip], sizeof(blanks) - 1))
		skip++;
	if (skip == len)
		return BEFORE_SEND_DROP;
	struct json_tokener *tok = len <= INT32_MAX ? json_tokener_new_ex(JSON_DEPTH) : NULL;
	struct json_object *o = tok ? json_tokener_parse_ex(tok, out, (int)len) : NULL;
	/* One object and blanks after it; out is not NUL-terminated, and a
	 * NUL is not a blank. */
	bool complete = tok && json_tokener_get_error(tok) == json_tokener_success;
	for (end = complete ? json_tokener_get_parse_end(tok) : len; end < len; end++)
		if (!memchr(blanks, out[end], sizeof(blanks) - 1))
			complete = false;
	if (tok)
		json_tokener_free(tok);
	if (!o || !complete || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		snprintf(reason, reasonlen, "output is not a JSON object");
		return BEFORE_SEND_FAILED;
	}
	*obj = o;
	return BEFORE_SEND_KEEP;
}

static enum before_send_result judge(struct pipe_io *io, int status, bool timed_out,
		struct json_object **ev, char *reason, size_t reasonlen)
{
	struct json_object *obj;

	io->err[io->err_len] = '\0';
	if (timed_out) {
		snprintf(reason, reasonlen, "timed out");
		return BEFORE_SEND_FAILED;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		if (WIFSIGNALED(status))
			snprintf(reason, reasonlen, "killed by signal %d", WTERMSIG(status));
		else
			snprintf(reason, reasonlen, "exit status %d%s%.200s",
				 WIFEXITED(status) ? WEXITSTATUS(status) : -1,
				 io->err_len ? ": " : "", io->err);
		return BEFORE_SEND_FAILED;
	}
	if (io->out_overflow) {
		snprintf(reason, reasonlen, "output larger than %d bytes", OUTPUT_MAX);
		return BEFORE_SEND_FAILED;
	}
	enum before_send_result r = filter_check_output(io->out, io->out_len, &obj, reason, reasonlen);
	if (r == BEFORE_SEND_KEEP) {
		json_object_put(*ev);
		*ev = obj;
	}
	return r;
}

static void close_fds(int *fds, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (fds[i] >= 0) {
			close(fds[i]);
			fds[i] = -1;
		}
}

/* Three pipes: the program's stdin, stdout, stderr.  All or none. */
static int make_pipes(int in[2], int out[2], int err[2])
{
	int *pipes[3] = { in, out, err };

	for (int i = 0; i < 3; i++) {
		if (pipe2(pipes[i], O_CLOEXEC) != 0) {
			int e = errno;
			for (int j = 0; j < i; j++)
				close_fds(pipes[j], 2);
			errno = e;
			return -1;
		}
	}
	return 0;
}

enum before_send_result filter_before_send(const struct bb_config *cfg,
		struct json_object **ev, char *reason, size_t reasonlen)
{
	int in[2], out[2], err[2];
	struct pipe_io io = { 0 };
	bool timed_out = false;
	long deadline = (long)bb_now_ms() + (long)cfg->before_send_timeout_ms;
	struct run_as who = run_as_nobody();

	char *json = event_serialize(*ev, &io.in_len);	/* valid UTF-8 for the program */
	io.in = json;
	io.out = malloc(OUTPUT_MAX);
	if (!json || !io.out || make_pipes(in, out, err) != 0) {
		snprintf(reason, reasonlen, "cannot start: %s", strerror(errno));
		free(io.out);
		free(json);
		return BEFORE_SEND_FAILED;
	}
	pid_t pid = fork();
	if (pid == 0)
		child_exec(cfg->before_send, &who, (int[3]){ in[0], out[1], err[1] });
	int e = errno;
	close_fds((int[3]){ in[0], out[1], err[1] }, 3);
	if (pid < 0) {
		close_fds((int[3]){ in[1], out[0], err[0] }, 3);
		free(io.out);
		free(json);
		snprintf(reason, reasonlen, "fork: %s", strerror(e));
		return BEFORE_SEND_FAILED;
	}
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	if (!pump(&io, in[1], out[0], err[0], deadline))
		timed_out = true;
	int status = wait_child(pid, timed_out ? 0 : deadline, &timed_out);
	enum before_send_result r = judge(&io, status, timed_out, ev, reason, reasonlen);
	free(io.out);
	free(json);
	return r;
}
