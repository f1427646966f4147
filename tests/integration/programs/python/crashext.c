/* crashext: a C extension for the Python stage's tests (test_python.py).
 * kernel() reads address 0x10 like a NULL struct's member; np_reduce()
 * calls back into Python, as numpy's reductions call Python functions. */
#define PY_SSIZE_T_CLEAN
#undef NDEBUG
#include <Python.h>
#include <assert.h>

struct node {
	long pad[2];
	long value;
};

static struct node zero;

/* kernel(x): reads a member of a NULL struct (address 0x10) when x is odd. */
static PyObject *kernel(PyObject *self, PyObject *arg)
{
	long x = PyLong_AsLong(arg);
	volatile struct node *n = (x % 2) ? NULL : &zero;

	(void)self;
	return PyLong_FromLong(n->value + x);
}

/* check(x): a failed assert() when x is negative. */
static PyObject *check(PyObject *self, PyObject *arg)
{
	long x = PyLong_AsLong(arg);

	(void)self;
	assert(x >= 0 && "a negative count");
	return PyLong_FromLong(x);
}

/* np_reduce(fn, value): fn(value), from C. */
static PyObject *np_reduce(PyObject *self, PyObject *args)
{
	PyObject *fn, *value;

	(void)self;
	if (!PyArg_ParseTuple(args, "OO", &fn, &value))
		return NULL;
	return PyObject_CallOneArg(fn, value);
}

static PyMethodDef methods[] = {
	{ "kernel", kernel, METH_O, "fault when odd" },
	{ "np_reduce", np_reduce, METH_VARARGS, "call back into Python" },
	{ "check", check, METH_O, "assert when negative" },
	{ NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = { PyModuleDef_HEAD_INIT, "crashext", NULL, -1, methods,
				     NULL, NULL, NULL, NULL };

PyMODINIT_FUNC PyInit_crashext(void)
{
	return PyModule_Create(&module);
}
