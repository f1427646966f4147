/*
 * names.h - function and type names as a report shows them (names.c).
 */
#ifndef BB_NAMES_H
#define BB_NAMES_H

#include <elfutils/libdw.h>

/* Demangle a C++ linkage name; returns a malloc'd copy of either form. */
char *names_demangle(const char *name);

/* "long ns::f<int>(int) const" -> "ns::f<int>": the function's name as
 * gdb shows it in a backtrace; returns a malloc'd string. */
char *names_short(const char *demangled);

/* name qualified with the namespaces and classes that hold die's
 * declaration ("ns::Class::name"); malloc'd. */
char *names_qualified(Dwarf_Die *die, const char *name);

/* A function DIE's name: its demangled linkage name, or its qualified
 * DWARF name; malloc'd, NULL when it has none. */
char *names_of_function(Dwarf_Die *die);

/* Demangle a type name as type_info holds it ("St12out_of_range"). */
char *names_demangle_type(const char *name);

#endif
