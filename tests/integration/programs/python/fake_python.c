/* fake_python: a program that looks like CPython to the Python stage
 * (it is named python3.N and exports _PyRuntime, Py_Version and the type
 * objects, laid out by python3.11-dev's headers) but whose memory is not
 * an interpreter's, then faults (test_python.py):
 *   unknown  built with -DFAKE_VERSION of a version the stage cannot read
 *   garbage  its type objects are not types
 *   loop     a thread whose frame chain comes back to its own frame
 * In each case the event keeps the native frames and says why no Python
 * frame is there: none is ever made up. */
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_frame.h>
#include <internal/pycore_interp.h>
#include <internal/pycore_runtime.h>

#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef FAKE_VERSION
#define FAKE_VERSION PY_VERSION_HEX
#endif

const unsigned long Py_Version = FAKE_VERSION;
_PyRuntimeState _PyRuntime;
PyTypeObject PyType_Type, PyCode_Type, PyUnicode_Type, PyBytes_Type, PyTuple_Type;

static PyInterpreterState interp;
static PyThreadState tstate;
static _PyCFrame cframe;
static PyCodeObject code;
static struct {
	_PyInterpreterFrame f;
	PyObject *more[8];
} frame;

static void build(int types_are_types)
{
	if (types_are_types) {
		PyType_Type.ob_base.ob_base.ob_type = &PyType_Type;
		PyCode_Type.ob_base.ob_base.ob_type = &PyType_Type;
	}
	code.ob_base.ob_base.ob_type = &PyCode_Type;
	_PyRuntime.interpreters.head = &interp;
	interp.threads.head = &tstate;
	tstate.native_thread_id = (unsigned long)syscall(SYS_gettid);
	tstate.cframe = &cframe;
	cframe.current_frame = &frame.f;
	frame.f.f_code = &code;
	frame.f.previous = &frame.f;	/* a chain that never ends */
}

int main(int argc, char **argv)
{
	build(argc > 1 && strcmp(argv[1], "garbage") != 0);
	*(volatile int *)16 = 1;
	return 0;
}
