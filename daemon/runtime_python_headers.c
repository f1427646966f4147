/*
 * runtime_python_headers.c - the layout of one CPython version, from its
 * own headers: meson compiles this file once for every python3.X-dev
 * found at build time (Debian 12: python3.11-dev, whose internal headers
 * describe exactly the stripped /usr/bin/python3.11 it ships), with
 * PY_LAYOUT_NAME naming the table.  Nothing here runs: the offsets are
 * the compiler's.
 */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_dict.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_moduleobject.h>
#include <internal/pycore_runtime.h>

#include <stddef.h>

#include "runtime_python_layout.h"

#define STR2(x) #x
#define STR(x) STR2(x)
#define OFF(field, type, member) .field = offsetof(type, member),
#define SIZE(field, type) .field = sizeof(type),

const struct py_layout PY_LAYOUT_NAME = {
	.version = PY_VERSION_HEX,
	.source = "python" STR(PY_MAJOR_VERSION) "." STR(PY_MINOR_VERSION) "-dev "
		  PY_VERSION " headers",
	PY_FIELDS_COMMON(OFF, SIZE)
#if PY_VERSION_HEX >= 0x030D0000
	PY_FIELDS_313(OFF, SIZE)
#elif PY_VERSION_HEX >= 0x030C0000
	PY_FIELDS_312(OFF, SIZE)
#elif PY_VERSION_HEX >= 0x030B0000
	PY_FIELDS_311(OFF, SIZE)
#else
#error "the Python stage reads CPython 3.11 and later"
#endif
};
