/*
 * spool.c - events on disk before any upload: write to tmp/, fsync,
 * rename into pending/, fsync the directory.  A half-written event can
 * only ever be in tmp/, which is emptied at start.  States are
 * directories, so moving an event is one rename.
 *
 * The daemon runs as root and deletes what it finds in tmp/: a spool that
 * someone else could change (a symlink planted at its path, a directory of
 * another user's, one writable by others) would let them choose what root
 * deletes or writes.  spool_open only accepts a spool reached through
 * directories that only root or we can change, and that is ours alone, as
 * are its subdirectories; every file operation then goes through the
 * spool's descriptor, never following a symlink.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "spool.h"

#define SENT_KEEP 1000

static const char *const state_dir[] = { "pending", "sent", "rejected" };

const char *spool_state_name(enum spool_state st)
{
	return st <= SPOOL_REJECTED ? state_dir[st] : "?";
}

const char *spool_strerror(enum spool_err err)
{
	switch (err) {
	case SPOOL_OK: return "ok";
	case SPOOL_EIO: return "I/O error";
	case SPOOL_ENOSPC: return "no space left on the device";
	case SPOOL_ENOENT: return "no such event";
	case SPOOL_EID: return "malformed event id";
	case SPOOL_EUNSAFE: return "not a private directory (a symbolic link, another user's, "
				   "or writable by others)";
	}
	return "unknown spool error";
}

static bool id_valid(const char *id)
{
	size_t n = strlen(id);

	return n > 0 && n < SPOOL_ID_MAX && strspn(id, "0123456789abcdef-") == n;
}

static enum spool_err from_errno(int e)
{
	return e == ENOSPC || e == EDQUOT ? SPOOL_ENOSPC : e == ENOENT ? SPOOL_ENOENT : SPOOL_EIO;
}

/* A state directory (or tmp/) of the spool, never through a symlink. */
static int sub_open(struct spool *sp, const char *sub)
{
	return openat(sp->dirfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static void clean_tmp(struct spool *sp)
{
	int fd = sub_open(sp, "tmp");
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		bb_log(BB_LOG_WARN, "%s/tmp: %s; half-written events stay", sp->dir, strerror(errno));
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && unlinkat(fd, e->d_name, 0) != 0)
			bb_log(BB_LOG_WARN, "%s/tmp/%s: %s", sp->dir, e->d_name, strerror(errno));
	closedir(d);
}

/* A directory on the way to the spool: only root or we can have made it
 * and only they can change it (not writable by a group other than root's
 * or by others, unless sticky like /tmp, where nobody can rename another's
 * entry). */
static bool dir_trusted(const struct stat *st)
{
	bool group_writable = (st->st_mode & S_IWGRP) && st->st_gid != 0;

	return S_ISDIR(st->st_mode) && (st->st_uid == 0 || st->st_uid == geteuid()) &&
	       ((!group_writable && !(st->st_mode & S_IWOTH)) || (st->st_mode & S_ISVTX));
}

/* The spool and its subdirectories: ours alone. */
static bool dir_private(const struct stat *st)
{
	return S_ISDIR(st->st_mode) && st->st_uid == geteuid() &&
	       !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* lstat of fd/name, made a directory (mode) first if it is missing. */
static int lstat_or_make(int fd, const char *name, mode_t mode, struct stat *st)
{
	if (fstatat(fd, name, st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0;
	if (errno != ENOENT || (mkdirat(fd, name, mode) != 0 && errno != EEXIST))
		return -1;
	return fstatat(fd, name, st, AT_SYMLINK_NOFOLLOW);
}

/* From directory fd down to name, made (mode) if missing, into *out; the
 * reason of a failure is logged against path (the walk so far).  A
 * symlink is followed only on the way (never as the spool itself), and
 * only one that root or we made. */
static enum spool_err step(int fd, const char *name, const char *path, mode_t mode, bool last,
		int *out)
{
	struct stat st;
	int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;

	if (lstat_or_make(fd, name, mode, &st) != 0) {
		bb_log(BB_LOG_ERR, "%s: %s", path, strerror(errno));
		return from_errno(errno);
	}
	if (S_ISLNK(st.st_mode)) {
		if (last || (st.st_uid != 0 && st.st_uid != geteuid())) {
			bb_log(BB_LOG_ERR, "%s: a symbolic link%s: refused", path,
			       last ? "" : " that is not root's or this daemon's");
			return SPOOL_EUNSAFE;
		}
		flags &= ~O_NOFOLLOW;
	}
	/* Swapped for a symlink since fstatat: O_NOFOLLOW makes that fail. */
	*out = openat(fd, name, flags);
	if (*out < 0 || fstat(*out, &st) != 0) {
		bb_log(BB_LOG_ERR, "%s: %s", path, strerror(errno));
		return from_errno(errno);
	}
	if (!(last ? dir_private(&st) : dir_trusted(&st))) {
		bb_log(BB_LOG_ERR, "%s: owner uid %d, mode %04o: %s: refused", path, (int)st.st_uid,
		       (unsigned)(st.st_mode & 07777), last ? "not this daemon's alone" :
		       "a user other than root or this daemon's could change it");
		return SPOOL_EUNSAFE;
	}
	return SPOOL_OK;
}

/* mkdir -p dir, one step() a component, into *out (the spool's descriptor). */
static enum spool_err open_private_path(const char *dir, int *out)
{
	char path[4096];
	size_t len = strlen(dir);
	enum spool_err err = SPOOL_OK;
	int fd;

	if (len == 0 || len >= sizeof(path)) {
		bb_log(BB_LOG_ERR, "\"%.64s\": not a spool directory", dir);
		return SPOOL_EIO;
	}
	memcpy(path, dir, len + 1);
	fd = open(dir[0] == '/' ? "/" : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return from_errno(errno);
	for (char *name = path + strspn(path, "/"); err == SPOOL_OK && *name;) {
		char *end = name + strcspn(name, "/");
		char *next = end + strspn(end, "/");
		char saved = *end;
		int sub = -1;
		*end = '\0';	/* path is now the walk so far, name its last component */
		err = step(fd, name, path, *next ? 0755 : 0700, *next == '\0', &sub);
		*end = saved;
		close(fd);
		fd = sub;
		name = next;
	}
	if (err != SPOOL_OK && fd >= 0)
		close(fd);
	*out = err == SPOOL_OK ? fd : -1;
	return err;
}

static enum spool_err check_subdirs(struct spool *sp, const char *dir)
{
	static const char *const subdirs[] = { "tmp", "pending", "sent", "rejected" };
	char path[4096];

	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		int fd = -1;
		snprintf(path, sizeof(path), "%s/%s", dir, subdirs[i]);
		enum spool_err err = step(sp->dirfd, subdirs[i], path, 0700, true, &fd);
		if (fd >= 0)
			close(fd);
		if (err != SPOOL_OK)
			return err;
	}
	return SPOOL_OK;
}

enum spool_err spool_open(struct spool *sp, const char *dir)
{
	enum spool_err err;

	memset(sp, 0, sizeof(*sp));
	err = open_private_path(dir, &sp->dirfd);
	if (err == SPOOL_OK)
		err = check_subdirs(sp, dir);
	if (err == SPOOL_OK && !(sp->dir = strdup(dir)))
		err = SPOOL_EIO;
	if (err != SPOOL_OK) {
		if (sp->dirfd >= 0)
			close(sp->dirfd);
		sp->dirfd = -1;
		return err;
	}
	clean_tmp(sp);
	return SPOOL_OK;
}

enum spool_err spool_open_reader(struct spool *sp, const char *dir)
{
	memset(sp, 0, sizeof(*sp));
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0)
		return from_errno(errno);
	sp->dir = strdup(dir);
	if (!sp->dir) {
		close(sp->dirfd);
		sp->dirfd = -1;
		return SPOOL_EIO;
	}
	return SPOOL_OK;
}

void spool_close(struct spool *sp)
{
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	free(sp->dir);
	memset(sp, 0, sizeof(*sp));
	sp->dirfd = -1;
}

/* The id ends with the sending user's uid, so per-user quotas can count
 * the spool without reading the events. */
static void new_id(char id[SPOOL_ID_MAX], uid_t uid)
{
	struct timeval tv;
	struct tm tm;
	unsigned r = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, &r, sizeof(r)) != sizeof(r))
		r = (unsigned)getpid() ^ (unsigned)clock();
	if (fd >= 0)
		close(fd);
	char date[24];

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(date, sizeof(date), "%Y%m%d-%H%M%S", &tm);
	snprintf(id, SPOOL_ID_MAX, "%.15s-%06u-%08x-%08x", date,
		 (unsigned)(tv.tv_usec % 1000000), r, (unsigned)uid);
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A rename is durable once its directory is synced; a failure is only
 * worth a warning, the event itself is on disk. */
static void sync_dir(struct spool *sp, int fd, const char *sub)
{
	if (fsync(fd) != 0)
		bb_log(BB_LOG_WARN, "%s/%s: fsync: %s", sp->dir, sub, strerror(errno));
}

/* Two subdirectories' descriptors, for a rename from one to the other. */
static int open_pair(struct spool *sp, const char *a, const char *b, int fd[2])
{
	fd[0] = sub_open(sp, a);
	fd[1] = fd[0] >= 0 ? sub_open(sp, b) : -1;
	if (fd[1] >= 0)
		return 0;
	bb_log(BB_LOG_ERR, "%s/%s: %s", sp->dir, fd[0] < 0 ? a : b, strerror(errno));
	if (fd[0] >= 0)
		close(fd[0]);
	return -1;
}

static void close_pair(int fd[2])
{
	close(fd[0]);
	close(fd[1]);
}

/* A new file dirfd/name holding buf, synced: 0, or -1 (errno) with nothing
 * left behind. */
static int write_file(int dirfd, const char *name, const char *buf, size_t len, int flags)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | flags, 0600);
	int rc, e;

	if (fd < 0)
		return -1;
	rc = write_all(fd, buf, len) == 0 && fsync(fd) == 0 ? 0 : -1;
	e = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc != 0)
		unlinkat(dirfd, name, 0);	/* nothing half-written survives */
	errno = e;
	return rc;
}

enum spool_err spool_put(struct spool *sp, const char *json, size_t len, uid_t uid,
		char id_out[SPOOL_ID_MAX])
{
	char name[64];
	int fd[2], e;	/* tmp/, pending/ */

	new_id(id_out, uid);
	snprintf(name, sizeof(name), "%s.json", id_out);
	if (open_pair(sp, "tmp", "pending", fd) != 0)
		return from_errno(errno);
	if (write_file(fd[0], name, json, len, O_EXCL) != 0) {
		e = errno;
		bb_log(BB_LOG_ERR, "%s/tmp/%s: %s", sp->dir, name, strerror(e));
	} else if (renameat(fd[0], name, fd[1], name) != 0) {
		e = errno;
		unlinkat(fd[0], name, 0);
		bb_log(BB_LOG_ERR, "%s/pending/%s: %s", sp->dir, name, strerror(e));
	} else {
		e = 0;
		sync_dir(sp, fd[1], "pending");
	}
	close_pair(fd);
	return e ? from_errno(e) : SPOOL_OK;
}

bool spool_id_uid(const char *id, uid_t *uid)
{
	const char *last = strrchr(id, '-');
	char *end;

	/* date-time-usec-random-uid: four dashes before the uid */
	size_t dashes = 0;
	for (const char *p = id; *p; p++)
		dashes += *p == '-';
	if (dashes != 4 || !last || strlen(last + 1) != 8)
		return false;
	unsigned long v = strtoul(last + 1, &end, 16);
	if (*end)
		return false;
	*uid = (uid_t)v;
	return true;
}

void spool_pending_usage(struct spool *sp, spool_usage_fn *fn, void *arg)
{
	int fd = openat(sp->dirfd, "pending", O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char id[SPOOL_ID_MAX];
		struct stat st;
		uid_t uid;
		if (len <= 5 || len - 5 >= SPOOL_ID_MAX || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		memcpy(id, e->d_name, len - 5);
		id[len - 5] = '\0';
		if (id_valid(id) && spool_id_uid(id, &uid) &&
		    fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode))
			fn(arg, uid, (size_t)st.st_size);
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted ids of one state directory (malloc'd). */
static char **ids_of(struct spool *sp, enum spool_state st, size_t *n)
{
	int fd = sub_open(sp, state_dir[st]);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	char **ids = NULL;
	size_t cap = 0;
	struct dirent *e;

	*n = 0;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while ((e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		char id[SPOOL_ID_MAX];
		if (len - 5 >= SPOOL_ID_MAX)
			continue;
		memcpy(id, e->d_name, len - 5);
		id[len - 5] = '\0';
		if (!id_valid(id))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			char **g = realloc(ids, cap * sizeof(*g));
			if (!g)
				break;
			ids = g;
		}
		ids[*n] = strdup(id);
		if (ids[*n])
			(*n)++;
	}
	closedir(d);
	if (*n)
		qsort(ids, *n, sizeof(*ids), cmp_str);
	return ids;
}

static void free_ids(char **ids, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(ids[i]);
	free(ids);
}

enum spool_err spool_oldest_pending(struct spool *sp, char id[SPOOL_ID_MAX])
{
	size_t n;
	char **ids = ids_of(sp, SPOOL_PENDING, &n);
	enum spool_err rc = SPOOL_ENOENT;

	if (n) {
		snprintf(id, SPOOL_ID_MAX, "%s", ids[0]);
		rc = SPOOL_OK;
	}
	free_ids(ids, n);
	return rc;
}

char *spool_read_fd(int fd, size_t *len)
{
	struct stat s;
	size_t got = 0;
	char *b = NULL;

	if (fstat(fd, &s) == 0 && S_ISREG(s.st_mode) && s.st_size <= SPOOL_EVENT_MAX)
		b = malloc((size_t)s.st_size + 1);
	while (b && got < (size_t)s.st_size) {
		ssize_t n = read(fd, b + got, (size_t)s.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (b)
		b[got] = '\0';
	*len = got;
	return b;
}

/* All of dirfd/name (never through a symlink) into a malloc'd,
 * NUL-terminated *buf. */
static enum spool_err read_at(int dirfd, const char *name, char **buf, size_t *len)
{
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return from_errno(errno);
	*buf = spool_read_fd(fd, len);
	close(fd);
	return *buf ? SPOOL_OK : SPOOL_EIO;
}

/* dirfd/name of a subdirectory of the spool, read by read_at. */
static enum spool_err read_in(struct spool *sp, const char *sub, const char *name,
		char **buf, size_t *len)
{
	int fd = sub ? sub_open(sp, sub) : sp->dirfd;
	enum spool_err rc;

	*buf = NULL;
	*len = 0;
	if (fd < 0)
		return from_errno(errno);
	rc = read_at(fd, name, buf, len);
	if (sub)
		close(fd);
	return rc;
}

enum spool_err spool_read(struct spool *sp, enum spool_state st, const char *id,
		char **buf, size_t *len)
{
	char name[64];

	*buf = NULL;
	*len = 0;
	if (!id_valid(id) || st > SPOOL_REJECTED)
		return SPOOL_EID;
	snprintf(name, sizeof(name), "%s.json", id);
	return read_in(sp, state_dir[st], name, buf, len);
}

int spool_open_event(struct spool *sp, enum spool_state st, const char *id)
{
	char name[64];
	struct stat s;

	if (!id_valid(id) || st > SPOOL_REJECTED) {
		errno = EINVAL;
		return -1;
	}
	snprintf(name, sizeof(name), "%s.json", id);
	int dir = sub_open(sp, state_dir[st]);
	int fd = dir >= 0 ? openat(dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
	int e = errno;
	if (dir >= 0)
		close(dir);
	if (fd >= 0 && (fstat(fd, &s) != 0 || !S_ISREG(s.st_mode) || s.st_size > SPOOL_EVENT_MAX)) {
		close(fd);
		fd = -1;
		e = EINVAL;
	}
	errno = e;
	return fd;
}

enum spool_err spool_read_reason(struct spool *sp, const char *id, char **buf, size_t *len)
{
	char name[64];

	*buf = NULL;
	*len = 0;
	if (!id_valid(id))
		return SPOOL_EID;
	snprintf(name, sizeof(name), "%s.reason", id);
	return read_in(sp, "rejected", name, buf, len);
}

enum spool_err spool_read_status(struct spool *sp, char **buf, size_t *len)
{
	return read_in(sp, NULL, "status.json", buf, len);
}

static void prune_sent(struct spool *sp)
{
	size_t n;
	char **ids = ids_of(sp, SPOOL_SENT, &n);
	int fd = n > SENT_KEEP ? sub_open(sp, "sent") : -1;

	for (size_t i = 0; fd >= 0 && i < n - SENT_KEEP; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s.json", ids[i]);
		if (unlinkat(fd, name, 0) != 0)
			bb_log(BB_LOG_WARN, "%s/sent/%s: %s", sp->dir, name, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	free_ids(ids, n);
}

static enum spool_err move(struct spool *sp, const char *id, enum spool_state to)
{
	char name[64];
	int fd[2], e = 0;	/* pending/, the new state's */

	if (!id_valid(id))
		return SPOOL_EID;
	snprintf(name, sizeof(name), "%s.json", id);
	if (open_pair(sp, "pending", state_dir[to], fd) != 0)
		return from_errno(errno);
	if (renameat(fd[0], name, fd[1], name) != 0)
		e = errno;
	else {
		sync_dir(sp, fd[1], state_dir[to]);
		sync_dir(sp, fd[0], "pending");
	}
	close_pair(fd);
	return e ? from_errno(e) : SPOOL_OK;
}

enum spool_err spool_mark_sent(struct spool *sp, const char *id)
{
	enum spool_err rc = move(sp, id, SPOOL_SENT);

	if (rc == SPOOL_OK)
		prune_sent(sp);
	return rc;
}

enum spool_err spool_mark_rejected(struct spool *sp, const char *id, const char *reason)
{
	char name[64], *text = NULL;
	int fd, n;

	if (!id_valid(id))
		return SPOOL_EID;
	/* The reason first: an event in rejected/ always says why. */
	snprintf(name, sizeof(name), "%s.reason", id);
	fd = sub_open(sp, "rejected");
	n = asprintf(&text, "%s\n", reason);
	if (fd < 0 || n < 0 || write_file(fd, name, text, (size_t)n, O_TRUNC) != 0)
		bb_log(BB_LOG_WARN, "%s/rejected/%s: %s", sp->dir, name, strerror(errno));
	if (n >= 0)
		free(text);
	if (fd >= 0)
		close(fd);
	return move(sp, id, SPOOL_REJECTED);
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct spool_entry *)a)->id, ((const struct spool_entry *)b)->id);
}

enum spool_err spool_list(struct spool *sp, struct spool_entry **out, size_t *n)
{
	struct spool_entry *all = NULL;
	size_t total = 0;

	for (int st = SPOOL_PENDING; st <= SPOOL_REJECTED; st++) {
		size_t k;
		char **ids = ids_of(sp, (enum spool_state)st, &k);
		struct spool_entry *g = k ? realloc(all, (total + k) * sizeof(*g)) : all;
		if (k && !g) {
			free_ids(ids, k);
			free(all);
			return SPOOL_EIO;
		}
		all = g;
		for (size_t i = 0; i < k; i++) {
			snprintf(all[total].id, SPOOL_ID_MAX, "%s", ids[i]);
			all[total++].state = (enum spool_state)st;
		}
		free_ids(ids, k);
	}
	if (total)
		qsort(all, total, sizeof(*all), cmp_entry);
	*out = all;
	*n = total;
	return SPOOL_OK;
}

size_t spool_count(struct spool *sp, enum spool_state st)
{
	size_t n;
	char **ids = ids_of(sp, st, &n);

	free_ids(ids, n);
	return n;
}
