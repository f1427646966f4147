/*
 * source.c - source context for frames.
 *
 * This runs in a worker that has the crashing user's uid, gids and groups
 * and nothing more (sandbox.h), so a file is read exactly when that user
 * could read it: debug info that names /etc/shadow gets nothing.  Read
 * files are cached by (device, inode, mtime, size), at most
 * SOURCE_CACHE_BUDGET bytes of them (data and line index), least recently
 * used out first; every reuse still needs a successful open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"
#include "safe_open.h"
#include "source.h"
#include "utf8.h"

#define SOURCE_FILE_MAX (16 * 1024 * 1024)
#define CACHE_SLOTS 64

/* Offsets of lines in files of at most SOURCE_FILE_MAX bytes: 32 bits
 * halve the index of a file of short lines. */
_Static_assert(SOURCE_FILE_MAX <= UINT32_MAX, "line offsets are 32-bit");

struct src_file {
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	char *data;
	size_t len;
	uint32_t *line_start;	/* offset of each line */
	size_t n_lines;
	size_t bytes;		/* data + line index: what it costs to keep */
	bool kept;		/* in the cache; else read for one frame only */
	unsigned long used;	/* LRU clock */
};

/* The cache is bounded by bytes, not by files: files of up to 16 MiB each
 * once kept a daemon at hundreds of MiB for good. */
static struct src_file cache[CACHE_SLOTS];
static size_t cache_bytes, cache_budget = SOURCE_CACHE_BUDGET;
static unsigned long cache_clock;

static void file_free(struct src_file *f)
{
	free(f->data);
	free(f->line_start);
	memset(f, 0, sizeof(*f));
}

void source_cache_clear(void)
{
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		file_free(&cache[i]);
	cache_bytes = 0;
}

size_t source_cache_bytes(void)
{
	return cache_bytes;
}

void source_cache_set_budget(size_t bytes)
{
	source_cache_clear();
	cache_budget = bytes;
}

/* ---- the cache ----------------------------------------------------------- */

static void index_lines(struct src_file *f)
{
	size_t n = 1;

	for (size_t i = 0; i < f->len; i++)
		if (f->data[i] == '\n')
			n++;
	f->line_start = malloc(n * sizeof(*f->line_start));
	if (!f->line_start)
		return;
	f->n_lines = 0;
	f->line_start[f->n_lines++] = 0;
	for (size_t i = 0; i < f->len; i++)
		if (f->data[i] == '\n' && i + 1 < f->len)
			f->line_start[f->n_lines++] = (uint32_t)(i + 1);
	f->bytes = f->len + 1 + n * sizeof(*f->line_start);
}

static char *read_all(int fd, size_t size, size_t *len)
{
	char *buf = malloc(size + 1);
	size_t got = 0;

	if (!buf)
		return NULL;
	while (got < size) {
		ssize_t n = read(fd, buf + got, size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

static struct src_file *cache_find(const struct stat *st)
{
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct src_file *f = &cache[i];
		if (f->data && f->dev == st->st_dev && f->ino == st->st_ino &&
		    f->size == st->st_size && f->mtime.tv_sec == st->st_mtim.tv_sec &&
		    f->mtime.tv_nsec == st->st_mtim.tv_nsec)
			return f;
	}
	return NULL;
}

/* The least recently used file in the cache, NULL when it is empty. */
static struct src_file *cache_oldest(void)
{
	struct src_file *oldest = NULL;

	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (cache[i].data && (!oldest || cache[i].used < oldest->used))
			oldest = &cache[i];
	return oldest;
}

static void cache_evict(struct src_file *f)
{
	cache_bytes -= f->bytes;
	file_free(f);
}

/* Evict the least recently used files until `need` more bytes fit. */
static void cache_make_room(size_t need)
{
	struct src_file *f;

	while (cache_bytes + need > cache_budget && (f = cache_oldest()))
		cache_evict(f);
}

/* An empty slot; when all hold (small) files, the oldest one's. */
static struct src_file *cache_free_slot(void)
{
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		if (!cache[i].data)
			return &cache[i];
	struct src_file *f = cache_oldest();
	cache_evict(f);
	return f;
}

/* A file just read: into the cache if it fits the budget at all (older
 * files make room), else handed out for this frame only. */
static struct src_file *cache_keep(struct src_file *got, const char *path)
{
	struct src_file *f;

	if (got->bytes > cache_budget) {
		bb_log(BB_LOG_DEBUG, "%s: %zu bytes with its line index, more than the whole "
		       "source cache (%zu): read for this report only", path, got->bytes, cache_budget);
		f = malloc(sizeof(*f));
		if (!f) {
			file_free(got);
			return NULL;
		}
		*f = *got;
		return f;
	}
	cache_make_room(got->bytes);
	f = cache_free_slot();
	*f = *got;
	f->kept = true;
	cache_bytes += f->bytes;
	return f;
}

/* A file read for one frame only is freed after it. */
static void release(struct src_file *f)
{
	if (f && !f->kept) {
		file_free(f);
		free(f);
	}
}

static struct src_file *read_file(int fd, const struct stat *st, const char *path)
{
	struct src_file got = { .dev = st->st_dev, .ino = st->st_ino, .mtime = st->st_mtim,
				.size = st->st_size };

	/* Room first, so that the daemon's peak stays near the budget. */
	if ((size_t)st->st_size <= cache_budget)
		cache_make_room((size_t)st->st_size);
	got.data = read_all(fd, (size_t)st->st_size, &got.len);
	if (!got.data)
		return NULL;
	index_lines(&got);
	if (!got.line_start) {
		file_free(&got);
		return NULL;
	}
	return cache_keep(&got, path);
}

static struct src_file *load(const char *path)
{
	struct stat st;
	/* Only regular files: a FIFO or a device could block or never end. */
	int fd = safe_open_file(path, &st);
	struct src_file *f = NULL;

	if (fd < 0)
		return NULL;
	if (st.st_size > SOURCE_FILE_MAX)
		goto out;
	f = cache_find(&st);
	if (!f)
		f = read_file(fd, &st, path);
	if (f)
		f->used = ++cache_clock;
out:
	close(fd);
	return f;
}

/* ---- lines ----------------------------------------------------------------- */

char *source_clean_line(const char *in, size_t len)
{
	/* Worst case every byte becomes U+FFFD (3 bytes), plus "...". */
	char *out = malloc(SOURCE_LINE_MAX * 3 + 8);
	size_t used;

	if (!out)
		return NULL;
	while (len && (in[len - 1] == '\r' || in[len - 1] == '\n'))
		len--;
	size_t o = utf8_copy_valid(out, SOURCE_LINE_MAX, in, len, true, &used);
	if (used < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

static char *line_text(const struct src_file *f, size_t lineno)
{
	size_t start = f->line_start[lineno - 1];
	size_t end = lineno < f->n_lines ? f->line_start[lineno] : f->len;

	return source_clean_line(f->data + start, end - start);
}

static void fill_frame(struct sym_frame *fr, const struct src_file *f)
{
	size_t line = (size_t)fr->lineno;

	if (line == 0 || !f->line_start || line > f->n_lines)
		return;
	fr->context_line = line_text(f, line);
	size_t first = line > SOURCE_CONTEXT_LINES ? line - SOURCE_CONTEXT_LINES : 1;
	for (size_t l = first; l < line; l++)
		fr->pre_context[fr->n_pre++] = line_text(f, l);
	for (size_t l = line + 1; l <= f->n_lines && fr->n_post < SOURCE_CONTEXT_LINES; l++)
		fr->post_context[fr->n_post++] = line_text(f, l);
}

/* Length of p without its trailing slashes: "/build/shop/" matches as
 * "/build/shop" does, and the rest of the path brings its own '/'. */
static size_t trimmed_len(const char *p)
{
	size_t n = strlen(p);

	while (n > 0 && p[n - 1] == '/')
		n--;
	return n;
}

char *source_map_path(const struct bb_config *cfg, const char *path)
{
	for (size_t i = 0; i < cfg->n_path_maps; i++) {
		const struct bb_path_map *m = &cfg->path_maps[i];
		size_t n = trimmed_len(m->from);
		char *out;
		/* Whole components only: /build/shop is not /build/shopping. */
		if (strncmp(path, m->from, n) != 0 || (path[n] != '/' && path[n] != '\0'))
			continue;
		if (asprintf(&out, "%.*s%s", (int)trimmed_len(m->to), m->to, path + n) < 0)
			return NULL;
		return out;
	}
	return strdup(path);
}

void source_enrich(struct symbolized *sym, const struct bb_config *cfg)
{
	for (size_t i = 0; i < sym->n_frames; i++) {
		struct sym_frame *fr = &sym->frames[i];
		if (!fr->filename || fr->lineno <= 0)
			continue;
		char *path = source_map_path(cfg, fr->filename);
		if (!path)
			continue;
		struct src_file *f = NULL;
		if (path[0] != '/')
			bb_log(BB_LOG_DEBUG, "no source context from %s: not an absolute path "
			       "(source_path_map can map it)", path);
		else if (!(f = load(path)))
			bb_log(BB_LOG_DEBUG, "no source context from %s: %s", path, strerror(errno));
		if (f)
			fill_frame(fr, f);
		release(f);
		free(path);
	}
}
