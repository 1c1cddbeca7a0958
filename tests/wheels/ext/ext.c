/* A C extension for pipe-cpython's wheel tests. Its source uses no pipe: the
   interpreter that imports it does, so `3 |> ext.twice` checks the two meet. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *
twice(PyObject *module, PyObject *number)
{
    PyObject *two = PyLong_FromLong(2);
    if (two == NULL) {
        return NULL;
    }
    PyObject *result = PyNumber_Multiply(number, two);
    Py_DECREF(two);
    return result;
}

static PyMethodDef ext_methods[] = {
    {"twice", twice, METH_O, "twice(n) -> 2 * n"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef ext_module = {
    PyModuleDef_HEAD_INIT, "ext", "A C extension for pipe-cpython's wheel tests.", -1, ext_methods,
};

PyMODINIT_FUNC
PyInit_ext(void)
{
    return PyModule_Create(&ext_module);
}
