/*
 * source.c - source context for frames.
 *
 * This runs in a worker that has the crashing user's uid, gids and groups
 * and nothing more (sandbox.h), so a file is read exactly when that user
 * could read it: debug info that names /etc/shadow gets nothing.  Read
 * files are cached by (device, inode, mtime, size); every reuse still
 * needs a successful open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
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

struct src_file {
	dev_t dev;
	ino_t ino;
	struct timespec mtime;
	off_t size;
	char *data;
	size_t len;
	size_t *line_start;	/* offset of each line */
	size_t n_lines;
	unsigned long used;	/* LRU clock */
};

static struct src_file cache[CACHE_SLOTS];
static unsigned long cache_clock;

void source_cache_clear(void)
{
	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		free(cache[i].data);
		free(cache[i].line_start);
	}
	memset(cache, 0, sizeof(cache));
}

/* ---- the cache ----------------------------------------------------------- */

static void index_lines(struct src_file *f)
{
	size_t n = 1;

	for (size_t i = 0; i < f->len; i++)
		if (f->data[i] == '\n')
			n++;
	f->line_start = malloc(n * sizeof(size_t));
	if (!f->line_start)
		return;
	f->n_lines = 0;
	f->line_start[f->n_lines++] = 0;
	for (size_t i = 0; i < f->len; i++)
		if (f->data[i] == '\n' && i + 1 < f->len)
			f->line_start[f->n_lines++] = i + 1;
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

static struct src_file *cache_slot_for(const struct stat *st)
{
	struct src_file *victim = &cache[0];

	for (size_t i = 0; i < CACHE_SLOTS; i++) {
		struct src_file *f = &cache[i];
		if (f->data && f->dev == st->st_dev && f->ino == st->st_ino &&
		    f->size == st->st_size && f->mtime.tv_sec == st->st_mtim.tv_sec &&
		    f->mtime.tv_nsec == st->st_mtim.tv_nsec)
			return f;
		if (f->used < victim->used)
			victim = f;
	}
	free(victim->data);
	free(victim->line_start);
	memset(victim, 0, sizeof(*victim));
	return victim;
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
	f = cache_slot_for(&st);
	if (!f->data) {
		f->data = read_all(fd, (size_t)st.st_size, &f->len);
		if (!f->data) {
			f = NULL;
			goto out;
		}
		f->dev = st.st_dev;
		f->ino = st.st_ino;
		f->size = st.st_size;
		f->mtime = st.st_mtim;
		index_lines(f);
	}
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

/* Apply the first source_path_map whose FROM is a prefix of the path. */
static char *map_path(const struct bb_config *cfg, const char *path)
{
	for (size_t i = 0; i < cfg->n_path_maps; i++) {
		const struct bb_path_map *m = &cfg->path_maps[i];
		size_t n = strlen(m->from);
		if (strncmp(path, m->from, n) == 0) {
			char *out = malloc(strlen(m->to) + strlen(path + n) + 1);
			if (out) {
				strcpy(out, m->to);
				strcat(out, path + n);
			}
			return out;
		}
	}
	return strdup(path);
}

void source_enrich(struct symbolized *sym, const struct bb_config *cfg)
{
	for (size_t i = 0; i < sym->n_frames; i++) {
		struct sym_frame *fr = &sym->frames[i];
		if (!fr->filename || fr->lineno <= 0)
			continue;
		char *path = map_path(cfg, fr->filename);
		if (!path)
			continue;
		const struct src_file *f = NULL;
		if (path[0] != '/')
			bb_log(BB_LOG_DEBUG, "no source context from %s: not an absolute path "
			       "(source_path_map can map it)", path);
		else if (!(f = load(path)))
			bb_log(BB_LOG_DEBUG, "no source context from %s: %s", path, strerror(errno));
		if (f)
			fill_frame(fr, f);
		free(path);
	}
}
