/* Errors whose callers named nothing: an empty type, a NULL type, an empty
 * message.  The event still has a type for each, as the Python SDK's. */
#include <stdio.h>

#include "booboo.h"

int main(void)
{
	const struct booboo_exception chain[] = {
		{ "", "outer failed" }, { NULL, "" }, { "", NULL },
	};

	printf("rc=%d\n", booboo_capture_exception(chain, 3, NULL, NULL));
	return 0;
}
