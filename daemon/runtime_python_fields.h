/*
 * runtime_python_fields.h - the CPython struct members the Python stage
 * reads, named once for both sources of their offsets: the interpreter's
 * own headers at build time (offsetof, runtime_python_headers.c) and its
 * DWARF when it has some (runtime_python_dwarf.c).  X(field, type, member)
 * is one offset, S(field, type) one size; `type` is the C typedef name,
 * which DWARF knows by the same name.
 */
#ifndef BB_RUNTIME_PYTHON_FIELDS_H
#define BB_RUNTIME_PYTHON_FIELDS_H

/* The same in 3.11, 3.12 and 3.13. */
#define PY_FIELDS_COMMON(X, S) \
	X(ob_type, PyObject, ob_type) \
	X(ob_size, PyVarObject, ob_size) \
	X(rt_interp_head, _PyRuntimeState, interpreters.head) \
	X(is_next, PyInterpreterState, next) \
	X(is_threads_head, PyInterpreterState, threads.head) \
	X(ts_next, PyThreadState, next) \
	X(ts_native_tid, PyThreadState, native_thread_id) \
	X(fr_previous, _PyInterpreterFrame, previous) \
	X(fr_locals, _PyInterpreterFrame, f_locals) \
	X(fr_stacktop, _PyInterpreterFrame, stacktop) \
	X(fr_owner, _PyInterpreterFrame, owner) \
	X(fr_localsplus, _PyInterpreterFrame, localsplus) \
	X(co_flags, PyCodeObject, co_flags) \
	X(co_firstlineno, PyCodeObject, co_firstlineno) \
	X(co_nlocalsplus, PyCodeObject, co_nlocalsplus) \
	X(co_filename, PyCodeObject, co_filename) \
	X(co_name, PyCodeObject, co_name) \
	X(co_linetable, PyCodeObject, co_linetable) \
	X(co_localsplusnames, PyCodeObject, co_localsplusnames) \
	X(co_localspluskinds, PyCodeObject, co_localspluskinds) \
	X(co_code, PyCodeObject, co_code_adaptive) \
	X(tp_name, PyTypeObject, tp_name) \
	X(tp_flags, PyTypeObject, tp_flags) \
	X(tp_repr, PyTypeObject, tp_repr) \
	X(tp_dict, PyTypeObject, tp_dict) \
	X(ht_qualname, PyHeapTypeObject, ht_qualname) \
	X(u_length, PyASCIIObject, length) \
	X(u_state, PyASCIIObject, state) \
	S(u_ascii_size, PyASCIIObject) \
	S(u_compact_size, PyCompactUnicodeObject) \
	X(by_sval, PyBytesObject, ob_sval) \
	X(fl_fval, PyFloatObject, ob_fval) \
	X(tu_items, PyTupleObject, ob_item) \
	X(li_items, PyListObject, ob_item) \
	X(di_used, PyDictObject, ma_used) \
	X(di_keys, PyDictObject, ma_keys) \
	X(di_values, PyDictObject, ma_values) \
	X(dk_log2_size, PyDictKeysObject, dk_log2_size) \
	X(dk_log2_index_bytes, PyDictKeysObject, dk_log2_index_bytes) \
	X(dk_kind, PyDictKeysObject, dk_kind) \
	X(dk_nentries, PyDictKeysObject, dk_nentries) \
	X(dk_indices, PyDictKeysObject, dk_indices) \
	S(dke_size, PyDictKeyEntry) \
	X(dke_key, PyDictKeyEntry, me_key) \
	X(dke_value, PyDictKeyEntry, me_value) \
	S(dku_size, PyDictUnicodeEntry) \
	X(dku_key, PyDictUnicodeEntry, me_key) \
	X(dku_value, PyDictUnicodeEntry, me_value) \
	X(se_used, PySetObject, used) \
	X(se_mask, PySetObject, mask) \
	X(se_table, PySetObject, table) \
	S(se_entry_size, setentry) \
	X(se_entry_key, setentry, key) \
	X(ce_ref, PyCellObject, ob_ref) \
	X(fn_qualname, PyFunctionObject, func_qualname) \
	X(mo_dict, PyModuleObject, md_dict) \
	X(cf_ml, PyCFunctionObject, m_ml) \
	X(cf_self, PyCFunctionObject, m_self) \
	X(ml_name, PyMethodDef, ml_name)

/* 3.11 and 3.12: a _PyCFrame per entry into the eval loop, on the C
 * stack, points at the frame it runs. */
#define PY_FIELDS_CFRAME(X, S) \
	X(ts_cframe, PyThreadState, cframe) \
	X(cf_current_frame, _PyCFrame, current_frame) \
	X(cf_previous, _PyCFrame, previous) \
	X(fr_code, _PyInterpreterFrame, f_code) \
	X(fr_instr, _PyInterpreterFrame, prev_instr)

/* 3.12 and 3.13: integers keep their sign and size in lv_tag. */
#define PY_FIELDS_LV_TAG(X, S) \
	X(lo_size, PyLongObject, long_value.lv_tag) \
	X(lo_digits, PyLongObject, long_value.ob_digit)

/* 3.11: the last frame an entry runs is marked is_entry. */
#define PY_FIELDS_311(X, S) \
	PY_FIELDS_CFRAME(X, S) \
	X(fr_is_entry, _PyInterpreterFrame, is_entry) \
	X(lo_size, PyVarObject, ob_size) \
	X(lo_digits, PyLongObject, ob_digit)

/* 3.12: each entry pushes a shim frame of its own (owner CSTACK), on the
 * C stack, under the frames it runs. */
#define PY_FIELDS_312(X, S) \
	PY_FIELDS_CFRAME(X, S) \
	PY_FIELDS_LV_TAG(X, S)

/* 3.13: no _PyCFrame; the thread points at its frame directly. */
#define PY_FIELDS_313(X, S) \
	X(ts_current_frame, PyThreadState, current_frame) \
	X(fr_code, _PyInterpreterFrame, f_executable) \
	X(fr_instr, _PyInterpreterFrame, instr_ptr) \
	PY_FIELDS_LV_TAG(X, S)

#endif
