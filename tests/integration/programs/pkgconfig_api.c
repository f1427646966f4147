/* Built with `pkg-config --cflags --libs booboo` only: the installed
 * header name and the library from the .pc file, no preload. */
#include <stdio.h>

#include <booboo.h>

int main(void)
{
	booboo_set_tag("built_with", "pkg-config");
	printf("message rc=%d\n", booboo_capture_message("linked through pkg-config", "warning"));
	printf("still running\n");
	return 0;
}
