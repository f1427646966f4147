/*
 * drops.c - the drop directory on the root part's side (see drops.h).
 *
 * The root part only opens a drop (never following a link), checks it is
 * a regular file with one link and a drop's size, and reads its header
 * and record with the same checks as a socket's record: enough to know
 * whose it is and whether it was already reported.  Everything else in it
 * (the maps text, the stack, the files it names) is the worker's to read,
 * with the owner's rights.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "clock.h"
#include "drop.h"
#include "drops.h"
#include "log.h"

#define RESCAN_MS 30000	/* inotify may overflow; a rescan finds what it missed */
#define SOON_MS 100	/* more drops than one round takes: the next round */
#define PER_ROUND 32	/* the main loop never reads more drops at once */
#define IN_FLIGHT_MAX 4096

struct in_flight {
	char name[WIRE_DROP_NAME_MAX];
	uint64_t since_ms;
};

struct drops {
	const struct bb_config *cfg;
	struct workers *ws;
	struct quota *quota;
	int dirfd, ifd;
	struct loop_watch watch;
	struct in_flight *flying;
	size_t n_flying;
	uint64_t next_scan_ms;
};

/* ---- the directory ------------------------------------------------------------------ */

static int make_parents(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		if (mkdir(buf, 0755) != 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return 0;
}

int drops_open_dir(const struct bb_config *cfg, char *err, size_t errlen)
{
	const char *path = cfg->drop_dir;
	struct stat st;
	int fd;

	if (make_parents(path) != 0 || (mkdir(path, 01733) != 0 && errno != EEXIST) ||
	    (fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* sticky and writable by all, like /var/crash, but not listable:
	 * a user sees neither the names nor the contents of others' drops */
	if (fstat(fd, &st) != 0 || st.st_uid != geteuid() || fchmod(fd, 01733) != 0) {
		snprintf(err, errlen, "%s: not a directory of this daemon's user", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- in flight -------------------------------------------------------------------- */

/* Names handed to a worker: skipped by later scans while the file exists
 * and the report may still come (a drop kept because the spool could not
 * take its event is tried again after that). */
static bool flying(struct drops *dr, const char *name, uint64_t now)
{
	uint64_t patience = (uint64_t)dr->cfg->worker_timeout_ms + 60000;

	for (size_t i = 0; i < dr->n_flying; i++) {
		struct in_flight *f = &dr->flying[i];
		struct stat st;
		if (now - f->since_ms > patience ||
		    fstatat(dr->dirfd, f->name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			dr->flying[i--] = dr->flying[--dr->n_flying];	/* done or stale */
			continue;
		}
		if (strcmp(f->name, name) == 0)
			return true;
	}
	return false;
}

static void take_off(struct drops *dr, const char *name, uint64_t now)
{
	if (dr->n_flying == IN_FLIGHT_MAX)
		return;	/* a rescan may hand it again: reported twice beats lost */
	struct in_flight *f = &dr->flying[dr->n_flying++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->since_ms = now;
}

/* ---- one drop ----------------------------------------------------------------------- */

/* The user's gid and groups from the user database: a drop has no
 * connection to ask the kernel. */
static void creds_of_owner(struct sandbox_creds *c, const struct stat *st)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	int n = SANDBOX_MAX_GROUPS;

	memset(c, 0, sizeof(*c));
	c->uid = st->st_uid;
	c->gid = st->st_gid;
	if (getpwuid_r(st->st_uid, &pw, buf, sizeof(buf), &res) != 0 || !res)
		return;
	c->gid = pw.pw_gid;
	if (getgrouplist(pw.pw_name, pw.pw_gid, c->groups, &n) >= 0 && n > 0)
		c->n_groups = (size_t)n;
	sandbox_creds_normalize(c);
}

/* `why` is a constant string: each kind of bad drop is logged, at most
 * once a minute, however many a user writes. */
static void discard(struct drops *dr, const char *name, const char *why, uid_t uid)
{
	bb_log_limited(why, 60, BB_LOG_WARN, "%s/%s (uid %u): %s; removed",
		       dr->cfg->drop_dir, name, (unsigned)uid, why);
	unlinkat(dr->dirfd, name, 0);
}

/* Check and hand one drop on; false when its user's queue is full. */
static bool take(struct drops *dr, const char *name, uint64_t now)
{
	struct sandbox_creds c;
	struct bb_drop d;
	struct stat st;
	int fd = openat(dr->dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_nlink != 1) {
		discard(dr, name, fd < 0 ? "cannot be opened as a file (a link?)" :
			"not a regular file of one link", fd < 0 ? 0 : st.st_uid);
		if (fd >= 0)
			close(fd);
		return true;
	}
	enum bb_drop_err err = bb_drop_read(fd, &d);
	if (err != BB_DROP_OK) {
		discard(dr, name, bb_drop_strerror(err), st.st_uid);
		close(fd);
		return true;
	}
	bb_drop_free(&d);	/* the record is all the root part needs */
	if (workers_reported_live(dr->ws, &d.rec)) {
		bb_log(BB_LOG_DEBUG, "drop %s: reported already, from the live process", name);
		unlinkat(dr->dirfd, name, 0);
		close(fd);
		return true;
	}
	creds_of_owner(&c, &st);
	if (!workers_submit_drop(dr->ws, fd, &c, &d.rec, (uint64_t)st.st_mtime, name)) {
		close(fd);
		return false;
	}
	take_off(dr, name, now);
	return true;
}

/* ---- scanning ---------------------------------------------------------------------- */

struct owner_count {
	uid_t uid;
	unsigned n;
};

/* Past uid_max_drops waiting drops of one user, the rest go, counted. */
static bool over_limit(struct drops *dr, struct owner_count *seen, size_t *n_seen,
		const char *name)
{
	struct stat st;
	size_t i;

	if (fstatat(dr->dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return true;
	for (i = 0; i < *n_seen && seen[i].uid != st.st_uid; i++)
		;
	if (i == *n_seen) {
		if (*n_seen == 64)
			return false;
		seen[(*n_seen)++] = (struct owner_count){ st.st_uid, 0 };
	}
	if (++seen[i].n <= dr->cfg->uid_max_drops)
		return false;
	quota_count(dr->quota, st.st_uid, QUOTA_DROPS_REMOVED);
	discard(dr, name, "more drops of this user than uid_max_drops", st.st_uid);
	return true;
}

static bool is_drop_name(const char *name)
{
	size_t n = strlen(name), s = strlen(BB_DROP_SUFFIX);

	return name[0] != '.' && n > s && n < WIRE_DROP_NAME_MAX &&
	       strcmp(name + n - s, BB_DROP_SUFFIX) == 0;
}

/* One round: at most PER_ROUND drops read; true when more are waiting. */
static bool scan(struct drops *dr, uint64_t now)
{
	struct owner_count seen[64];
	size_t n_seen = 0, taken = 0;
	int fd = openat(dr->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
	bool more = false;
	struct dirent *e;

	if (!dir) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	while ((e = readdir(dir))) {
		if (!is_drop_name(e->d_name) || flying(dr, e->d_name, now) ||
		    over_limit(dr, seen, &n_seen, e->d_name))
			continue;
		if (taken == PER_ROUND) {
			more = true;
			break;
		}
		taken++;
		if (!take(dr, e->d_name, now))
			more = true;	/* its user's queue is full: later */
	}
	closedir(dir);
	return more;
}

int drops_tick(struct drops *dr, uint64_t now_ms)
{
	if (now_ms >= dr->next_scan_ms)
		dr->next_scan_ms = now_ms + (scan(dr, now_ms) ? SOON_MS : RESCAN_MS);
	return (int)(dr->next_scan_ms - now_ms);
}

void drops_on_watch(struct drops *dr)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	while (read(dr->ifd, buf, sizeof(buf)) > 0)
		;	/* which file does not matter: the scan looks at all */
	dr->next_scan_ms = 0;
}

struct drops *drops_start(const struct bb_config *cfg, int dirfd, struct workers *ws,
		struct quota *q, int epfd)
{
	struct drops *dr = calloc(1, sizeof(*dr));

	if (!dr || !(dr->flying = calloc(IN_FLIGHT_MAX, sizeof(*dr->flying)))) {
		free(dr);
		return NULL;
	}
	*dr = (struct drops){ .cfg = cfg, .ws = ws, .quota = q, .dirfd = dirfd,
			      .flying = dr->flying, .watch = { LOOP_DROPS, NULL } };
	dr->watch.obj = dr;
	dr->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &dr->watch };
	if (dr->ifd < 0 || inotify_add_watch(dr->ifd, cfg->drop_dir, IN_MOVED_TO | IN_CLOSE_WRITE) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, dr->ifd, &ev) != 0)
		bb_log(BB_LOG_WARN, "%s: not watched (%s): looked at every %d s", cfg->drop_dir,
		       strerror(errno), RESCAN_MS / 1000);
	return dr;	/* next_scan_ms 0: the first tick looks at once */
}

void drops_free(struct drops *dr)
{
	if (!dr)
		return;
	if (dr->ifd >= 0)
		close(dr->ifd);
	free(dr->flying);
	free(dr);
}
