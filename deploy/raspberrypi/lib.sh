# shellcheck shell=bash
# The installer's tools (sourced by install.sh): progress lines, running or printing commands,
# writing files under the target root, rendering templates, the release directories.
#
# Every path given to these functions is the path on the installed system (/etc/balai/...);
# file operations add $ROOT in front, and commands are run (or, with --root, printed) with the
# installed system's paths as they are.

STEP_NUMBER=0
STEP_TITLE=""
TEMPLATE_VARS=(HOTSPOT_INTERFACE PRINTER SSID WIFI_COUNTRY PRINTER_VID PRINTER_PID KIOSK_PATH ADMIN_LISTEN ADMIN_PROXY)
APP_PATHS_ALL=(portal kiosk hub static deploy docs requirements.txt pyproject.toml babel.cfg README.md)

# --- progress and errors ---

step() {
  STEP_NUMBER=$((STEP_NUMBER + 1))
  STEP_TITLE=$1
  printf '\n[%d/%d] %s\n' "$STEP_NUMBER" "$STEPS" "$1"
}

note() { printf '  %s\n' "$*"; }

skipped() { note "skipped: $1 ($2)"; }

die() {
  printf 'install.sh: error: %s\n' "$*" >&2
  exit 1
}

usage_error() {
  printf 'install.sh: %s (see install.sh --help)\n' "$1" >&2
  exit 2
}

on_error() {
  printf '\ninstall.sh: step %d/%d (%s) failed: exit status %d at line %d.\n' \
    "$STEP_NUMBER" "$STEPS" "$STEP_TITLE" "$1" "$2" >&2
  # Mid-upgrade, Balai is stopped and the database migrated: put the previous release back first.
  if [ "${UPGRADING:-0}" = 1 ]; then
    UPGRADING=0
    rollback "step $STEP_NUMBER ($STEP_TITLE) failed"
  fi
  printf 'Nothing was removed. Fix the cause shown above and run install.sh again: it carries on from there.\n' >&2
}

# --- commands ---

quote_args() {
  local out=() arg
  for arg in "$@"; do
    # Quoted only when a shell would need it, so the printed commands stay readable.
    [[ $arg =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]] || printf -v arg '%q' "$arg"
    out+=("$arg")
  done
  printf '%s' "${out[*]}"
}

# Run a command on the target system; with --root, print it instead.
run() {
  if [ -n "$ROOT" ]; then
    note "would run: $(quote_args "$@")"
    return 0
  fi
  note "\$ $(quote_args "$@")"
  "$@"
}

# Whether a running systemd manages this system (not --root, not a chroot or a bare container).
booted() {
  [ -z "$ROOT" ] && [ -d /run/systemd/system ] && ! systemd-detect-virt --quiet --chroot 2>/dev/null
}

# A command that needs a running system (systemd, NetworkManager, hardware): DESCRIPTION CMD...
live() {
  local what=$1
  shift
  if [ -z "$ROOT" ] && ! booted; then
    skipped "$what" "no running systemd: chroot or container"
    return 0
  fi
  run "$@"
}

# 0 once the portal answers; 1 when it does not within SECONDS; 2 as soon as it has crashed (systemd
# restarted it: a new version that cannot start is rolled back at once, not after the timeout).
wait_for_portal() { # SECONDS
  local tries=0
  until curl -fs -o /dev/null --max-time 2 "$PORTAL_LOCAL/api/v1/services"; do
    [ "$(systemctl show --property NRestarts --value balai-portal.service)" = 0 ] || return 2
    tries=$((tries + 1))
    [ "$tries" -lt "$1" ] || return 1
    sleep 1
  done
}

# --- files under the target root ---

have_file() { [ -e "$ROOT$1" ]; }

make_dir() { # DIR MODE [OWNER]
  mkdir -p "$ROOT$1"
  chmod "$2" "$ROOT$1"
  [ -z "${3:-}" ] || run chown "$3" "$1"
}

# Write standard input to DEST (only when it differs) with MODE ("" keeps the present mode:
# /boot/firmware is FAT) and OWNER.
put() { # DEST MODE [OWNER]
  local dest=$1 mode=$2 owner=${3:-} target=$ROOT$1 tmp
  mkdir -p "$(dirname "$target")"
  tmp=$(mktemp "$target.XXXXXX")
  cat >"$tmp"
  if [ -f "$target" ] && cmp -s "$tmp" "$target"; then
    rm -f "$tmp"
    note "up to date: $dest"
  else
    if [ -n "$mode" ]; then
      chmod "$mode" "$tmp"
    elif [ -f "$target" ]; then
      chmod --reference="$target" "$tmp" 2>/dev/null || true
    fi
    mv -f "$tmp" "$target"
    note "wrote $dest"
  fi
  [ -z "$owner" ] || run chown "$owner" "$dest"
}

remove_file() {
  if [ -e "$ROOT$1" ] || [ -L "$ROOT$1" ]; then
    rm -f "$ROOT$1"
    note "removed $1"
  fi
}

make_link() { # LINK TARGET: an atomic switch of the symbolic link LINK to TARGET
  if [ "$(readlink "$ROOT$1" 2>/dev/null || true)" = "$2" ]; then
    note "up to date: $1 -> $2"
    return
  fi
  ln -sfn "$2" "$ROOT$1.new"
  mv -fT "$ROOT$1.new" "$ROOT$1"
  note "linked $1 -> $2"
}

# TEMPLATE with every @NAME@ replaced by the value of NAME (names from TEMPLATE_VARS only).
render() {
  local text names name
  text=$(
    cat "$1"
    printf x
  )
  text=${text%x}
  names=$(grep -o '@[A-Z_]*@' "$1" | tr -d @ | sort -u || true)
  for name in $names; do
    [[ " ${TEMPLATE_VARS[*]} " == *" $name "* ]] || die "internal: $1 uses @$name@, which the installer does not set"
    text=${text//"@$name@"/"${!name}"}
  done
  printf '%s' "$text"
}

config_value() { # FILE KEY: the value of the last KEY= line
  sed -n "s/^$2=//p" "$ROOT$1" | tail -n 1
}

# Whether this run's answers changed ANSWER: given now, and not what the previous run was given.
new_answer() {
  [ -n "${GIVEN[$1]:-}" ] || return 1
  [ -z "${SAVED[$1]+saved}" ] || [ "${!1}" != "${SAVED[$1]}" ]
}

# The settings the answers decide: a new answer replaces the value in balai.conf; the same
# answer as last time leaves an admin's change alone.
answered() {
  case $1 in
  BALAI_HOTSPOT_INTERFACE | BALAI_DHCP_LEASES) new_answer HOTSPOT_INTERFACE || new_answer LAYOUT ;;
  BALAI_PRINTER) new_answer PRINTER ;;
  BALAI_ADMIN_LISTEN | BALAI_ADMIN_PROXY) new_answer OFFICE_HTTPS ;;
  *) return 1 ;;
  esac
}

# The instance config: written whole when missing; otherwise only the settings missing from it
# are added, and a value the admin changed is kept (unless this run's answers say otherwise).
merge_config() { # DEST RENDERED-TEMPLATE
  local dest=$1 rendered=${2%$'\n'}$'\n' text line key value current out
  if [ ! -e "$ROOT$dest" ]; then
    printf '%s' "$rendered" | put "$dest" 0640 root:balai
    return
  fi
  text=$(
    cat "$ROOT$dest"
    printf x
  )
  text=${text%x}
  while IFS= read -r line; do
    [[ $line =~ ^(BALAI_[A-Z_]+)=(.*)$ ]] || continue
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    if ! grep -Eq "^[[:space:]]*#?[[:space:]]*$key=" <<<"$text"; then
      [ -z "$text" ] || [[ $text == *$'\n' ]] || text+=$'\n'
      text+="# Added by install.sh (a setting this version needs):"$'\n'"$line"$'\n'
      note "added $key=$value to $dest"
      continue
    fi
    if ! grep -q "^$key=" <<<"$text"; then
      note "kept $key commented out in $dest"
      continue
    fi
    current=$(sed -n "s/^$key=//p" <<<"$text" | tail -n 1)
    [ "$current" != "$value" ] || continue
    if answered "$key"; then
      out=""
      while IFS= read -r old; do
        [[ $old == "$key="* ]] && old="$key=$value"
        out+=$old$'\n'
      done <<<"${text%$'\n'}"
      text=$out
      note "changed $key from '$current' to '$value' (this run's answer)"
    else
      note "kept $key=$current (the installer's default is '$value'; edit $dest to change it)"
    fi
  done <<<"$rendered"
  printf '%s' "$text" | put "$dest" 0640 root:balai
}

# --- the application's releases: /opt/balai/releases/<content hash>, /opt/balai/current ---

app_paths() {
  APP_PATHS=()
  local path
  for path in "${APP_PATHS_ALL[@]}"; do
    if [ -e "$SRC/$path" ]; then APP_PATHS+=("$path"); fi
  done
}

# Twelve hex digits of the hash of the files that make up the application (the documentation's
# screenshots are left out): the same checkout gives the same release, so re-running the
# installer repairs instead of reinstalling.
release_id() {
  app_paths
  (cd "$1" && find "${APP_PATHS[@]}" -type f ! -path '*/__pycache__/*' ! -name '*.pyc' ! -name '*.mo' \
    ! -path 'docs/screenshots/*' -print0 |
    LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12)
}

copy_release() { # SOURCE DEST
  app_paths
  tar -C "$1" -cf - --exclude=__pycache__ --exclude='*.pyc' --exclude='*.mo' --exclude=docs/screenshots \
    "${APP_PATHS[@]}" |
    tar -C "$2" -xf - --no-same-owner
}

# A release tarball (release.sh) carries wheels/ with wheels/TARGET naming the Debian architecture
# and Python version they are for: true when they fit this system, so pip needs no PyPI. Wheels
# for another system are reported, and PyPI is used instead.
release_wheels_fit() {
  local target=$SRC/wheels/TARGET arch python want_arch want_python
  [ -f "$target" ] || return 1
  want_arch=$(sed -n 's/^ARCH=//p' "$target")
  want_python=$(sed -n 's/^PYTHON=//p' "$target")
  if [ -n "$ROOT" ]; then
    note "this release's wheels are for $want_arch, Python $want_python (not checked with --root)"
    return 0
  fi
  arch=$(dpkg --print-architecture)
  python=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
  if [ "$arch/$python" != "$want_arch/$want_python" ]; then
    note "this release's wheels are for $want_arch, Python $want_python; this system is $arch, Python $python"
    return 1
  fi
}

# Keep the current release and the previous one (the rollback target); remove older ones.
prune_releases() {
  local keep_current keep_previous dir name
  keep_current=$(readlink "$ROOT$APP_BASE/current" 2>/dev/null || true)
  keep_previous=$(readlink "$ROOT$APP_BASE/previous" 2>/dev/null || true)
  for dir in "$ROOT$APP_BASE"/releases/*/; do
    [ -d "$dir" ] || continue
    name=releases/$(basename "$dir")
    if [ "$name" != "$keep_current" ] && [ "$name" != "$keep_previous" ]; then
      rm -rf "$dir"
      note "removed the old release $name"
    fi
  done
}

# The upgrade failed: the previous release and the database as it was before the upgrade.
rollback() { # REASON
  note "error: $1: rolling back to $PREVIOUS"
  live "stopping the new version" systemctl stop "${SERVICES[@]}" || true
  run rm -f "$DATA/balai.db" "$DATA/balai.db-wal" "$DATA/balai.db-shm"
  run find "$DATA/upgrade-rollback" -maxdepth 1 -name 'balai.db*' -exec cp -a {} "$DATA/" ';'
  make_link "$APP_BASE/current" "$PREVIOUS"
  # A new portal that crashed on start may have used up systemd's start limit (5 in 10 s):
  # clear it, or systemd would refuse to start the previous version too.
  run systemctl reset-failed "${SERVICES[@]}" || true
  live "starting the previous version" systemctl start "${SERVICES[@]}" || true
  if booted && wait_for_portal 60; then note "the previous version answers on $PORTAL_LOCAL"; fi
  die "the upgrade to releases/$RELEASE_ID failed ($1); $PREVIOUS runs again, with the database as it was before"
}

# --- the console over HTTPS (--office-https) ---

TLS_DIR=/etc/balai/tls
NGINX_SITE=/etc/nginx/sites-enabled/balai-office

# nginx answers the office on 8443 with a certificate made here (and sends 8081 there), passing
# requests to the portal's office listener on loopback with the official's address
# (BALAI_ADMIN_PROXY). The hotspot reaches neither port: the captive ruleset lets phones reach
# only the portal's public port.
office_https() {
  # shellcheck disable=SC2034 # read by install.sh's summary
  CONSOLE_URL="http://<this Pi's office address>:8081/admin/"
  if [ "$OFFICE_HTTPS" = off ]; then
    if [ -L "$ROOT$NGINX_SITE" ]; then
      remove_file "$NGINX_SITE"
      # Now, before the portal restarts: nginx must let go of 8081, the portal's own port again.
      live "reloading nginx without the console" systemctl try-reload-or-restart nginx.service ||
        note "warning: nginx did not reload; the console answers on 8081 after a reboot"
    fi
    return
  fi
  # shellcheck disable=SC2034 # read by install.sh's summary
  CONSOLE_URL="https://<this Pi's office address>:8443/admin/"
  make_dir "$TLS_DIR" 0700
  if ! have_file "$TLS_DIR/office.crt"; then
    # Ten years, so it never expires on a Pi nobody looks after; browsers warn once, as with any
    # certificate made locally: compare the fingerprint the summary prints.
    run openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -subj "/CN=$(hostname_of_target)" -addext "subjectAltName=DNS:$(hostname_of_target),DNS:$(hostname_of_target).local" \
      -keyout "$TLS_DIR/office.key" -out "$TLS_DIR/office.crt"
  else
    note "the office certificate exists: $TLS_DIR/office.crt"
  fi
  render "$HERE/config/nginx-office.conf" | put /etc/nginx/sites-available/balai-office 0644
  make_dir /etc/nginx/sites-enabled 0755 # nginx's package makes it; a --root tree has none
  make_link "$NGINX_SITE" /etc/nginx/sites-available/balai-office
  # Debian's welcome page on port 80 would greet the office LAN; Balai's own site replaces it.
  if [ "$(readlink "$ROOT/etc/nginx/sites-enabled/default" 2>/dev/null || true)" = /etc/nginx/sites-available/default ]; then
    remove_file /etc/nginx/sites-enabled/default
  fi
}

hostname_of_target() {
  if have_file /etc/hostname; then head -n 1 "$ROOT/etc/hostname"; else printf 'raspberrypi'; fi
}

# --- the desktop (kiosk screen) ---

desktop_user() {
  awk -F: '$3 == 1000 { print $1; exit }' "$ROOT/etc/passwd" 2>/dev/null || true
}

user_home() {
  awk -F: -v user="$1" '$1 == user { print $6; exit }' "$ROOT/etc/passwd" 2>/dev/null || true
}

# Raspberry Pi OS Desktop (labwc) with a desktop user: the installer sets up the kiosk screen.
kiosk_screen() {
  [ "$KIOSK" = on ] && [ -x "$ROOT/usr/bin/labwc" ] && [ -n "$KIOSK_USER" ] && [ -n "$(user_home "$KIOSK_USER")" ]
}
