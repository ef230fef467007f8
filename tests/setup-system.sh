#!/usr/bin/env bash
# System packages the test tiers need: Chromium (browser tier), espeak-ng (voice clips), wrk
# (benchmarks), PostgreSQL (the hub's tests and the sync benchmark), and for the captive portal's
# network tier iproute2, nftables, dnsmasq and conntrack; shellcheck and systemd-analyze check the
# Raspberry Pi installer (tests/test_install.py), debootstrap builds the root it installs into for real
# and systemd-nspawn boots that root (tests/test_install_chroot.py).
# Installed with apt-get when missing and we are root (CI runs as root on a clean machine);
# otherwise the tiers that need them skip loudly, or fail under BALAI_REQUIRE_ALL_TIERS=1.
set -euo pipefail
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v espeak-ng >/dev/null 2>&1 || need+=(espeak-ng)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
compgen -G "/usr/lib/postgresql/*/bin/postgres" >/dev/null || need+=(postgresql)
command -v shellcheck >/dev/null 2>&1 || need+=(shellcheck)
command -v systemd-analyze >/dev/null 2>&1 || need+=(systemd)
export PATH="$PATH:/usr/sbin:/sbin"
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v nft >/dev/null 2>&1 || need+=(nftables)
command -v dnsmasq >/dev/null 2>&1 || need+=(dnsmasq-base)
command -v conntrack >/dev/null 2>&1 || need+=(conntrack)
command -v debootstrap >/dev/null 2>&1 || need+=(debootstrap)
command -v systemd-nspawn >/dev/null 2>&1 || need+=(systemd-container)
command -v npm >/dev/null 2>&1 || need+=(npm)
if [ ${#need[@]} -eq 0 ]; then
  :
elif [ "$(id -u)" != 0 ]; then
  echo "setup-system: missing ${need[*]} and not root: the tiers needing them will skip (or fail in CI)." >&2
else
  echo "setup-system: installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends "${need[@]}" >/dev/null
fi
# axe-core for the accessibility tier (tests/test_accessibility.py), pinned, fetched once into var/node;
# the tier runs offline afterwards.
AXE_VERSION=4.10.3
axe_dir="$(cd "$(dirname "$0")/.." && pwd)/var/node"
if command -v npm >/dev/null 2>&1 && ! grep -qs "\"version\": \"$AXE_VERSION\"" "$axe_dir/node_modules/axe-core/package.json"; then
  npm install --no-save --no-audit --no-fund --silent --prefix "$axe_dir" "axe-core@$AXE_VERSION" \
    || echo "setup-system: could not fetch axe-core: the accessibility tier will skip (or fail in CI)." >&2
fi
