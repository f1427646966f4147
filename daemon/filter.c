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
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "event.h"
#include "filter.h"

#define OUTPUT_MAX (1024 * 1024)
#define ERR_MAX 512

static bool names_match(const char *want, const char *have)
{
	return have && strcmp(want, have) == 0;
}

const char *filter_ignored(const struct bb_config *cfg, struct json_object *ev)
{
	struct json_object *v, *ctx, *ex, *bases;
	const char *type = NULL;

	if (json_object_object_get_ex(ev, "exception_type", &v))
		type = json_object_get_string(v);
	if (!type || !*type)
		return NULL;	/* messages are never ignored */
	bases = NULL;
	if (json_object_object_get_ex(ev, "context", &ctx) &&
	    json_object_object_get_ex(ctx, "exception", &ex))
		json_object_object_get_ex(ex, "bases", &bases);
	for (size_t i = 0; i < cfg->n_ignore_errors; i++) {
		const char *want = cfg->ignore_errors[i];
		if (names_match(want, type))
			return want;
		for (size_t b = 0; bases && b < json_object_array_length(bases); b++)
			if (names_match(want, json_object_get_string(json_object_array_get_idx(bases, b))))
				return want;
	}
	return NULL;
}

/* ---- before_send ---------------------------------------------------------- */

static void child_exec(const char *prog, int in, int out, int err)
{
	char *const argv[] = { (char *)prog, NULL };
	char *const envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8", NULL };

	dup2(in, 0);
	dup2(out, 1);
	dup2(err, 2);
	setpgid(0, 0);
	if (geteuid() == 0) {
		struct passwd *pw = getpwnam("nobody");
		uid_t uid = pw ? pw->pw_uid : 65534;
		gid_t gid = pw ? pw->pw_gid : 65534;
		if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
			_exit(126);	/* never run it as root */
	}
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

static enum before_send_result judge(struct pipe_io *io, int status, bool timed_out,
		struct json_object **ev, char *reason, size_t reasonlen)
{
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
	size_t skip = 0;
	while (skip < io->out_len && strchr(" \t\r\n", io->out[skip]))
		skip++;
	if (skip == io->out_len)
		return BEFORE_SEND_DROP;
	if (io->out_overflow) {
		snprintf(reason, reasonlen, "output larger than %d bytes", OUTPUT_MAX);
		return BEFORE_SEND_FAILED;
	}
	struct json_tokener *tok = json_tokener_new();
	struct json_object *obj = tok ? json_tokener_parse_ex(tok, io->out, (int)io->out_len) : NULL;
	bool complete = tok && json_tokener_get_error(tok) == json_tokener_success &&
		json_tokener_get_parse_end(tok) + strspn(io->out + json_tokener_get_parse_end(tok), " \t\r\n")
		== io->out_len;
	if (tok)
		json_tokener_free(tok);
	if (!obj || !complete || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		snprintf(reason, reasonlen, "output is not a JSON object");
		return BEFORE_SEND_FAILED;
	}
	json_object_put(*ev);
	*ev = obj;
	return BEFORE_SEND_KEEP;
}

enum before_send_result filter_before_send(const struct bb_config *cfg,
		struct json_object **ev, char *reason, size_t reasonlen)
{
	int in[2], out[2], err[2];
	struct pipe_io io = { 0 };
	bool timed_out = false;
	long deadline = (long)bb_now_ms() + (long)cfg->before_send_timeout_ms;

	char *json = event_serialize(*ev, &io.in_len);	/* valid UTF-8 for the program */
	io.in = json;
	io.out = malloc(OUTPUT_MAX);
	if (!json || !io.out || pipe2(in, O_CLOEXEC) != 0) {
		free(io.out);
		free(json);
		snprintf(reason, reasonlen, "cannot start: %s", strerror(errno));
		return BEFORE_SEND_FAILED;
	}
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
		snprintf(reason, reasonlen, "cannot start: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		free(io.out);
		free(json);
		return BEFORE_SEND_FAILED;
	}
	pid_t pid = fork();
	if (pid == 0)
		child_exec(cfg->before_send, in[0], out[1], err[1]);
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		close(err[0]);
		free(io.out);
		free(json);
		snprintf(reason, reasonlen, "fork: %s", strerror(errno));
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
