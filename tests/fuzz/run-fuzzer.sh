#!/bin/bash
# run-fuzzer.sh TARGET SEEDS SECONDS: fuzz TARGET from the seed corpus for
# SECONDS; a crash, a leak, a timeout or a sanitizer report fails (the
# input is left in the build directory as crash-*, leak-*, timeout-*).
# New inputs go to a scratch directory, never into the seeds.
set -euo pipefail
target=$1 seeds=$2 seconds=$3
work=$(mktemp -d /tmp/booboo-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
"$target" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
	-print_final_stats=1 -artifact_prefix="$(dirname "$target")/" "$work" "$seeds"
