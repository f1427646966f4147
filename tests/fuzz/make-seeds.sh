#!/bin/bash
# make-seeds.sh: makes again the seeds that are not text: fuzz_record's
# records (record_seeds.c) and fuzz_render's DWARF, from test programs
# built by gcc and g++ at -O0 and -O2 (pack-dwarf.py).  The other
# targets' seeds are written by hand.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
programs=$root/tests/integration/programs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gcc -I"$root/common" -o "$tmp/record_seeds" "$here/record_seeds.c"
"$tmp/record_seeds" "$here/corpus/fuzz_record"

for src in locals.c locals_cpp.cpp crafted_dwarf.c tailcall.c; do
	for opt in -O0 -O2; do
		cc=gcc
		case $src in *.cpp) cc=g++ ;; esac
		out=$tmp/${src%.*}$opt
		$cc -g "$opt" -o "$out" "$programs/$src" -lpthread
		"$here/pack-dwarf.py" "$out" "$here/corpus/fuzz_render/${src%.*}$opt"
	done
done
