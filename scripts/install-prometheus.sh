#!/bin/sh
# Makes `prometheus` and `promtool` available for the tests without a system-wide install:
# the Debian package is downloaded (not installed) and unpacked into .tmp/prometheus.
# Idempotent: does nothing when both binaries are already on PATH or already unpacked.
# Prints the directory holding the binaries on its last line.
#   scripts/install-prometheus.sh            # unpack into <repo>/.tmp/prometheus
#   PROMETHEUS_DIR=/somewhere scripts/install-prometheus.sh
set -eu

root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)
dir=${PROMETHEUS_DIR:-$root/.tmp/prometheus}
bin=$dir/usr/bin

if [ -x "$bin/prometheus" ] && [ -x "$bin/promtool" ]; then
  echo "$bin"
  exit 0
fi
if command -v prometheus >/dev/null 2>&1 && command -v promtool >/dev/null 2>&1; then
  dirname -- "$(command -v prometheus)"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || {
  echo "install-prometheus: apt-get not found; install Prometheus 2.x and put prometheus and promtool on PATH" >&2
  exit 1
}

# apt-get download needs the package lists; a fresh container has none.
if ! apt-cache show prometheus >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "install-prometheus: apt lists are empty and this is not root; run 'apt-get update' as root first" >&2
    exit 1
  fi
  apt-get update -qq >&2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt-get download writes into the current directory and, as root, drops privileges to _apt,
# which must be able to write there.
chmod 0777 "$work"
(cd "$work" && apt-get download -qq prometheus >&2)
deb=$(ls "$work"/prometheus_*.deb)
# Only the two binaries are kept: the rest of the package (web assets that are symlinks into
# other packages, man pages, systemd units) is not needed and would dangle.
dpkg-deb -x "$deb" "$work/root"
mkdir -p "$bin"
cp "$work/root/usr/bin/prometheus" "$work/root/usr/bin/promtool" "$bin/"
"$bin/prometheus" --version 2>&1 | head -n 1 >&2
echo "$bin"
