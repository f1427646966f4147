#!/bin/bash
# Installs the Debian 12 packages booboo-native needs to build, run its demo
# and run its tests.  Used by .ci/run and tests/demo/run-demo.sh.
set -euo pipefail
PACKAGES=(build-essential g++ meson ninja-build pkg-config
	libdw-dev libelf-dev libcurl4-openssl-dev libjson-c-dev
	libcmocka-dev libiberty-dev libc6-dbg python3 python3-pytest python3-jsonschema gdb elfutils debuginfod procps iproute2
	python3.11-dev	# the struct layout of Debian's python3.11 (Python frames), the test extension
	rustc rust-gdb
	clang libclang-rt-14-dev
	systemd
	util-linux
	ca-certificates)
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo -n"; fi
missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi
