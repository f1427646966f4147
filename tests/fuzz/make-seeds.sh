#!/bin/bash
# make-seeds.sh: makes again the seeds that are not text: fuzz_record's
# records (record_seeds.c) and fuzz_render's DWARF, from test programs
# and stl_seed.cpp built by gcc and g++ at -O0 and -O2 (pack-dwarf.py).  The other
# targets' seeds are written by hand.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$here/../..
programs=$root/tests/integration/programs
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

gcc -I"$root/common" -o "$tmp/record_seeds" "$here/record_seeds.c"
"$tmp/record_seeds" "$here/corpus/fuzz_record"

for src in "$programs"/{locals.c,locals_cpp.cpp,crafted_dwarf.c,tailcall.c} "$here/stl_seed.cpp"; do
	name=$(basename "${src%.*}")
	for opt in -O0 -O2; do
		cc=gcc
		case $src in *.cpp) cc=g++ ;; esac
		$cc -g "$opt" -o "$tmp/$name$opt" "$src" -lpthread
		"$here/pack-dwarf.py" "$tmp/$name$opt" "$here/corpus/fuzz_render/$name$opt"
	done
done
