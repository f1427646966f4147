#!/bin/bash
# The zero-to-report demo: installs what is needed, builds, starts boobood in
# local mode (no DSN: nothing leaves the machine), crashes a demo program
# under the preload shim and shows the report.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash .ci/deps.sh
build=${BOOBOO_DEMO_BUILD:-build}	# the tests point it at their build
[ -d "$build" ] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
build=$(cd "$build" && pwd)

work=$(mktemp -d /tmp/booboo-demo.XXXXXX)
cat > "$work/booboo.conf" <<CONF
# local mode: no dsn
environment = demo
socket = $work/booboo.sock
spool_dir = $work/spool
# drops of its own: the system's may hold other programs' crashes
drop_dir = $work/drops
CONF
"$build/daemon/boobood" --foreground --config "$work/booboo.conf" 2>"$work/boobood.log" &
daemon=$!
trap 'kill $daemon 2>/dev/null; wait $daemon 2>/dev/null || true' EXIT
for _ in $(seq 100); do [ -S "$work/booboo.sock" ] && break; sleep 0.05; done

cc -g -O0 -o "$work/checkout" tests/demo/checkout.c
echo "== running the demo program under the shim (it will crash)"
set +e
LD_PRELOAD="$build/shim/libbooboo-shim.so" BOOBOO_SOCKET="$work/booboo.sock" \
	BOOBOO_RELEASE=demo@1.0 "$work/checkout"
status=$?
set -e
echo "== the program died with status $status, as it would have without booboo"
for _ in $(seq 100); do
	ls "$work/spool/pending/"*.json >/dev/null 2>&1 && break
	sleep 0.05
done
echo "== booboo list"
"$build/daemon/booboo" --config "$work/booboo.conf" list
echo
echo "== booboo show --last"
"$build/daemon/booboo" --config "$work/booboo.conf" show --last
echo
echo "(files are in $work; the event JSON: $build/daemon/booboo --config $work/booboo.conf show --last --json)"
