/*
 * spool.c - events on disk before any upload: write to tmp/, fsync,
 * rename into pending/, fsync the directory.  A half-written event can
 * only ever be in tmp/, which is emptied at start.  States are
 * directories, so moving an event is one rename.
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

static void clean_tmp(struct spool *sp)
{
	int fd = openat(sp->dirfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			unlinkat(fd, e->d_name, 0);
	closedir(d);
}

enum spool_err spool_open(struct spool *sp, const char *dir)
{
	static const char *const subdirs[] = { "tmp", "pending", "sent", "rejected" };
	char path[4096];

	memset(sp, 0, sizeof(*sp));
	sp->dirfd = -1;
	/* mkdir -p: the spool's parents may not exist yet on a fresh host. */
	snprintf(path, sizeof(path), "%s", dir);
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST)
			goto fail;
		*p = '/';
	}
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		goto fail;
	sp->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sp->dirfd < 0)
		goto fail;
	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++)
		if (mkdirat(sp->dirfd, subdirs[i], 0700) != 0 && errno != EEXIST)
			goto fail;
	sp->dir = strdup(dir);
	if (!sp->dir)
		goto fail;
	clean_tmp(sp);
	return SPOOL_OK;
fail:
	bb_log(BB_LOG_ERR, "%s: %s", path, strerror(errno));
	if (sp->dirfd >= 0)
		close(sp->dirfd);
	sp->dirfd = -1;
	return from_errno(errno);
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

static int sync_dir(struct spool *sp, const char *sub)
{
	int fd = openat(sp->dirfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = fd >= 0 ? fsync(fd) : -1;

	if (fd >= 0)
		close(fd);
	return rc;
}

enum spool_err spool_put(struct spool *sp, const char *json, size_t len, uid_t uid,
		char id_out[SPOOL_ID_MAX])
{
	char tmp[64], final[64];
	int fd, e;

	new_id(id_out, uid);
	snprintf(tmp, sizeof(tmp), "tmp/%s.json", id_out);
	snprintf(final, sizeof(final), "pending/%s.json", id_out);
	fd = openat(sp->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return from_errno(errno);
	if (write_all(fd, json, len) != 0 || fsync(fd) != 0) {
		e = errno;
		close(fd);
		unlinkat(sp->dirfd, tmp, 0);	/* nothing half-written survives */
		bb_log(BB_LOG_ERR, "%s/%s: %s", sp->dir, tmp, strerror(e));
		return from_errno(e);
	}
	if (close(fd) != 0 || renameat(sp->dirfd, tmp, sp->dirfd, final) != 0) {
		e = errno;
		unlinkat(sp->dirfd, tmp, 0);
		bb_log(BB_LOG_ERR, "%s/%s: %s", sp->dir, final, strerror(e));
		return from_errno(e);
	}
	sync_dir(sp, "pending");
	return SPOOL_OK;
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
	int fd = openat(sp->dirfd, "pending", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
	int fd = openat(sp->dirfd, state_dir[st], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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

enum spool_err spool_read(struct spool *sp, enum spool_state st, const char *id,
		char **buf, size_t *len)
{
	char path[64];
	struct stat s;

	*buf = NULL;
	*len = 0;
	if (!id_valid(id) || st > SPOOL_REJECTED)
		return SPOOL_EID;
	snprintf(path, sizeof(path), "%s/%s.json", state_dir[st], id);
	int fd = openat(sp->dirfd, path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return from_errno(errno);
	if (fstat(fd, &s) != 0 || s.st_size > 64 * 1024 * 1024) {
		close(fd);
		return SPOOL_EIO;
	}
	char *b = malloc((size_t)s.st_size + 1);
	size_t got = 0;
	while (b && got < (size_t)s.st_size) {
		ssize_t n = read(fd, b + got, (size_t)s.st_size - got);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!b)
		return SPOOL_EIO;
	b[got] = '\0';
	*buf = b;
	*len = got;
	return SPOOL_OK;
}

static void prune_sent(struct spool *sp)
{
	size_t n;
	char **ids = ids_of(sp, SPOOL_SENT, &n);

	for (size_t i = 0; n > SENT_KEEP && i < n - SENT_KEEP; i++) {
		char path[64];
		snprintf(path, sizeof(path), "sent/%s.json", ids[i]);
		unlinkat(sp->dirfd, path, 0);
	}
	free_ids(ids, n);
}

static enum spool_err move(struct spool *sp, const char *id, enum spool_state to)
{
	char from[64], dest[64];

	if (!id_valid(id))
		return SPOOL_EID;
	snprintf(from, sizeof(from), "pending/%s.json", id);
	snprintf(dest, sizeof(dest), "%s/%s.json", state_dir[to], id);
	if (renameat(sp->dirfd, from, sp->dirfd, dest) != 0)
		return from_errno(errno);
	sync_dir(sp, state_dir[to]);
	sync_dir(sp, "pending");
	return SPOOL_OK;
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
	char path[64];

	if (!id_valid(id))
		return SPOOL_EID;
	/* The reason first: an event in rejected/ always says why. */
	snprintf(path, sizeof(path), "rejected/%s.reason", id);
	int fd = openat(sp->dirfd, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (write_all(fd, reason, strlen(reason)) != 0 || write_all(fd, "\n", 1) != 0)
			bb_log(BB_LOG_WARN, "%s/%s: %s", sp->dir, path, strerror(errno));
		fsync(fd);
		close(fd);
	}
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
