/*
 * cli.h - the parts of the booboo command-line tool (booboo.c is the
 * entry point; see booboo(1)).
 */
#ifndef BB_CLI_H
#define BB_CLI_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include "config.h"
#include "spool.h"

/* cli_report.c: ev with every string in it, keys too, escaped for a
 * terminal (utf8_escape: control characters as text, source lines' TABs
 * as spaces); ev is released.  NULL when ev is NULL or memory ran out. */
struct json_object *cli_escape_event(struct json_object *ev);

/* cli_report.c: label, then len bytes of text from elsewhere (a server, a
 * log) escaped like event text, then a newline. */
void cli_print_line(FILE *out, const char *label, const char *text, size_t len);

/* cli_report.c: a readable report of one event, escaped by cli_escape_event. */
void cli_print_report(FILE *out, struct json_object *ev, const char *id,
		const char *state, const char *reason, bool color);

/* cli_run.c: booboo run -- CMD ARGS. */
int cli_run(struct bb_config *cfg, const char *config_path, char **argv);

/* booboo.c helpers shared with cli_run.c. */
int cli_show_event(struct spool *sp, const char *id, bool json);
bool cli_daemon_answers(const char *socket_path);
char *cli_sibling_path(const char *rel);	/* path next to /proc/self/exe */

#endif
