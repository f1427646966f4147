/* The public API from C: user, tags, request, messages, handled errors,
 * then (on request) a crash that must carry what was set. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "booboo.h"

__attribute__((noinline)) static int handle_checkout(const char *iban, int crash)
{
	char reference[64];

	snprintf(reference, sizeof(reference), "order for %s", iban);
	booboo_set_request("POST", "/checkout?iban=DE89370400440532013000");
	if (booboo_capture_error("PaymentDeclined", "card declined for DE89370400440532013000") != 0)
		printf("capture_error: no daemon\n");
	if (crash)
		*(volatile int *)strtoul("0", NULL, 0) = 1;
	booboo_clear_request();
	return (int)strlen(reference);
}

int main(int argc, char **argv)
{
	int crash = argc > 1 && strcmp(argv[1], "crash") == 0;

	booboo_set_user("42", "alice@example.com", "alice", "192.0.2.7");
	booboo_set_tag("shard", "eu-1");
	booboo_set_tag("gone", "x");
	booboo_set_tag("gone", NULL);
	if (booboo_set_tag("bad,key", "v") == 0)
		printf("bad tag accepted\n");
	if (booboo_capture_message("worker started", "info") != 0)
		printf("capture_message: no daemon\n");
	if (booboo_capture_message("disk at 91%", "warning") != 0)
		printf("capture_message: no daemon\n");
	if (booboo_capture_message("x", "fatal") == 0)
		printf("bad level accepted\n");
	handle_checkout("DE89370400440532013000", crash);
	printf("still running\n");
	return 0;
}
