#!/usr/bin/env bash
# Build a release tarball that installs and upgrades without internet: the application files of
# this checkout plus every pinned Python package as a wheel for the Pi (wheels/), so install.sh
# needs no PyPI. Carry it to the village on a USB stick.
#
#   deploy/raspberrypi/release.sh                     # dist/balai-<release>-arm64.tar.gz
#   deploy/raspberrypi/release.sh --arch amd64 --out /tmp/dist
#
# Run it where PyPI is reachable, with any Python that has pip (PYTHON, default python3): pip
# downloads wheels for the target (Raspberry Pi OS Bookworm 64-bit: arm64, CPython 3.11), not for
# the machine it runs on.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

ARCH=arm64
PYTHON_VERSION=3.11
OUT=$SRC/dist
PYTHON=${PYTHON:-python3}

usage() {
  cat <<'EOF'
Usage: release.sh [--arch arm64|amd64] [--python 3.11] [--out DIR]

  --arch A      the Debian architecture of the Pi (default arm64: Raspberry Pi OS 64-bit)
  --python V    its Python version (default 3.11: Bookworm's)
  --out DIR     where the tarball goes (default dist/ in this checkout)
EOF
}

while [ $# -gt 0 ]; do
  case $1 in
  -h | --help) usage && exit 0 ;;
  --arch | --python | --out) [ $# -ge 2 ] || { usage >&2 && exit 2; } ;;
  *) printf 'release.sh: unknown option: %s\n' "$1" >&2 && usage >&2 && exit 2 ;;
  esac
  case $1 in
  --arch) ARCH=$2 ;;
  --python) PYTHON_VERSION=$2 ;;
  --out) OUT=$2 ;;
  esac
  shift 2
done

case $ARCH in
arm64) MACHINE=aarch64 ;;
amd64) MACHINE=x86_64 ;;
*) printf 'release.sh: --arch must be arm64 or amd64, not %s\n' "$ARCH" >&2 && exit 2 ;;
esac
[[ $PYTHON_VERSION =~ ^3\.[0-9]+$ ]] || { printf 'release.sh: --python wants a version like 3.11\n' >&2 && exit 2; }

RELEASE_ID=$(release_id "$SRC")
NAME=balai-$RELEASE_ID-$ARCH
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/$NAME/wheels" "$OUT"
copy_release "$SRC" "$WORK/$NAME"

printf 'Downloading the wheels for %s, CPython %s, from PyPI\n' "$ARCH" "$PYTHON_VERSION"
# Binary wheels only: a Pi in the village must not need a compiler. glibc 2.36 (Bookworm) runs
# every manylinux tag up to 2_36; these are the ones PyPI's packages publish.
platforms=()
for tag in manylinux2014 manylinux_2_17 manylinux_2_28 manylinux_2_34; do
  platforms+=(--platform "${tag}_$MACHINE")
done
"$PYTHON" -m pip download --quiet --disable-pip-version-check --only-binary=:all: "${platforms[@]}" \
  --python-version "$PYTHON_VERSION" --implementation cp -d "$WORK/$NAME/wheels" -r "$SRC/requirements.txt"
printf 'ARCH=%s\nPYTHON=%s\n' "$ARCH" "$PYTHON_VERSION" >"$WORK/$NAME/wheels/TARGET"

tar -C "$WORK" --owner=0 --group=0 -czf "$OUT/$NAME.tar.gz" "$NAME"
printf '%s: %s wheels, %s\n' "$OUT/$NAME.tar.gz" "$(find "$WORK/$NAME/wheels" -name '*.whl' | wc -l)" \
  "$(du -h "$OUT/$NAME.tar.gz" | cut -f1)"
printf 'On the Pi: tar -xzf %s.tar.gz, then sudo %s/deploy/raspberrypi/install.sh with the answers\n' "$NAME" "$NAME"
printf '(or with --upgrade where Balai is installed already)\n'
