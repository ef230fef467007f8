#!/usr/bin/env bash
# Balai's installer for Raspberry Pi OS Bookworm (64-bit, Lite or Desktop): one command turns a
# fresh Pi into the village hall appliance. README.md in this directory explains every piece.
#
#   sudo ./install.sh --village "Sukamaju" --printer usb://0416:5011
#   sudo ./install.sh --answers answers.conf     # the same answers as KEY=value lines
#   sudo ./install.sh --upgrade                  # from a newer checkout: the saved answers
#   ./install.sh --root /tmp/pi --answers a.conf # writes under /tmp/pi, prints the commands
#
# Re-running it is safe: it repairs what is missing, upgrades the application when this checkout
# is newer (with a rollback when the new version does not start) and never removes data.
set -Eeuo pipefail
shopt -u patsub_replacement 2>/dev/null || true # "&" in a village name stays an "&"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$HERE/lib.sh"

APP_BASE=/opt/balai
DATA=/var/lib/balai
ETC=/etc/balai
PORTAL_LOCAL=http://127.0.0.1:8080
KIOSK_NAME="Kiosk Aula"
ANSWER_KEYS=(VILLAGE_NAME WIFI_COUNTRY SSID LAYOUT HOTSPOT_INTERFACE UPLINK_INTERFACE PRINTER KIOSK KIOSK_PAGE
  KIOSK_USER RTC OFFICE_HTTPS)
UNITS=(balai-portal.service balai-worker.service balai-firewall.service balai-captive-dns.service
  balai-kiosk-agent.service balai-backup.service balai-backup.timer balai-usb-backup@.service
  balai-set-time.path balai-set-time.service balai-rtc.service balai-restore.path balai-restore.service)
STEPS=12

usage() {
  cat <<'EOF'
Usage: install.sh [options]

Answers (also as KEY=value lines in --answers FILE; options win over the file, the file over
the answers saved by the previous run in /etc/balai/install.answers):
  --village NAME             VILLAGE_NAME: the village's name (needed on the first install;
                             it seeds the first-run setup, then the database holds it)
  --country CC               WIFI_COUNTRY: Wi-Fi regulatory country (default ID)
  --ssid NAME                SSID: the open hotspot's name (default "Balai Desa")
  --layout L                 LAYOUT: builtin-wifi (default) or external-ap
  --hotspot-interface IF     HOTSPOT_INTERFACE (default wlan0; eth1 for external-ap)
  --uplink-interface IF      UPLINK_INTERFACE: office LAN and internet (default eth0)
  --printer URL              PRINTER: e.g. usb://0416:5011, tcp://192.168.1.50:9100 (default:
                             none, receipts become pictures in /var/lib/balai/receipts)
  --kiosk on|off             KIOSK: this Pi drives the hall's kiosk screen and printer (default on)
  --kiosk-page /kiosk|/display
                             KIOSK_PAGE: what the screen shows (default /kiosk)
  --kiosk-user USER          KIOSK_USER: the desktop user whose session shows it (default: the
                             user with uid 1000)
  --rtc ds3231               RTC: a battery-backed clock module is fitted (default none)
  --office-https on|off      OFFICE_HTTPS: the console over HTTPS on port 8443, with a certificate
                             made on this Pi (nginx in front of the portal; default off)
Other options:
  --answers FILE             read answers from FILE
  --upgrade                  upgrade an existing installation (the saved answers are used)
  --root DIR                 write every file under DIR and print the commands instead of
                             running them (for tests and for reading what would happen)
  -h, --help                 this help
EOF
}

# --- answers ------------------------------------------------------------------------------------

VILLAGE_NAME="" WIFI_COUNTRY=ID SSID="Balai Desa" LAYOUT=builtin-wifi HOTSPOT_INTERFACE=""
UPLINK_INTERFACE=eth0 PRINTER="" KIOSK=on KIOSK_PAGE=/kiosk KIOSK_USER="" RTC=none OFFICE_HTTPS=off
ROOT="" UPGRADE=0 ANSWERS_FILE=""
declare -A GIVEN=() # answers given on this run (options or --answers), by key
declare -A SAVED=() # the previous run's answers, by key

set_answer() { # KEY VALUE: an answer given on this run
  printf -v "$1" '%s' "$2"
  GIVEN[$1]=1
}

parse_options() {
  while [ $# -gt 0 ]; do
    case $1 in
    -h | --help) usage && exit 0 ;;
    --upgrade) UPGRADE=1 && shift && continue ;;
    --answers | --root | --village | --country | --ssid | --layout | --hotspot-interface | --uplink-interface | \
      --printer | --kiosk | --kiosk-page | --kiosk-user | --rtc | --office-https)
      [ $# -ge 2 ] || usage_error "$1 needs a value"
      ;;
    *) usage_error "unknown option: $1" ;;
    esac
    case $1 in
    --answers) ANSWERS_FILE=$2 ;;
    --root) ROOT=${2%/} ;;
    --village) set_answer VILLAGE_NAME "$2" ;;
    --country) set_answer WIFI_COUNTRY "$2" ;;
    --ssid) set_answer SSID "$2" ;;
    --layout) set_answer LAYOUT "$2" ;;
    --hotspot-interface) set_answer HOTSPOT_INTERFACE "$2" ;;
    --uplink-interface) set_answer UPLINK_INTERFACE "$2" ;;
    --printer) set_answer PRINTER "$2" ;;
    --kiosk) set_answer KIOSK "$2" ;;
    --kiosk-page) set_answer KIOSK_PAGE "$2" ;;
    --kiosk-user) set_answer KIOSK_USER "$2" ;;
    --rtc) set_answer RTC "$2" ;;
    --office-https) set_answer OFFICE_HTTPS "$2" ;;
    esac
    shift 2
  done
}

# KEY=value lines; "#" comments; values may be quoted. Nothing in the file is ever executed.
read_answers() { # FILE MODE (saved: the previous run's, or given: this run's)
  local file=$1 mode=$2 number=0 line key value
  [ -r "$file" ] || die "cannot read the answers file $file"
  while IFS= read -r line || [ -n "$line" ]; do
    number=$((number + 1))
    line=${line%$'\r'}
    [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
    [[ $line =~ ^[[:space:]]*([A-Z_]+)[[:space:]]*=[[:space:]]*(.*)$ ]] || die "$file:$number: not a KEY=value line"
    key=${BASH_REMATCH[1]} value=${BASH_REMATCH[2]}
    value=${value%"${value##*[![:space:]]}"}
    if [[ $value =~ ^\"(.*)\"$ || $value =~ ^\'(.*)\'$ ]]; then
      value=${BASH_REMATCH[1]}
    fi
    [[ " ${ANSWER_KEYS[*]} " == *" $key "* ]] || die "$file:$number: unknown answer $key (known: ${ANSWER_KEYS[*]})"
    if [ "$mode" = given ]; then
      [ -n "${GIVEN[$key]:-}" ] || set_answer "$key" "$value"
    else
      printf -v "$key" '%s' "$value"
      SAVED[$key]=$value
    fi
  done <"$file"
}

load_answers() {
  local saved_layout key
  local -A options=()
  for key in "${!GIVEN[@]}"; do options[$key]=${!key}; done
  if [ -f "$ROOT$ETC/install.answers" ]; then
    read_answers "$ROOT$ETC/install.answers" saved
  elif [ "$UPGRADE" = 1 ]; then
    die "--upgrade: no earlier installation here ($ETC/install.answers is missing); run install.sh without --upgrade"
  fi
  saved_layout=$LAYOUT
  for key in "${!options[@]}"; do printf -v "$key" '%s' "${options[$key]}"; done
  [ -z "$ANSWERS_FILE" ] || read_answers "$ANSWERS_FILE" given
  # A new layout without a new interface: the new layout's usual interface.
  if [ "$LAYOUT" != "$saved_layout" ] && [ -z "${GIVEN[HOTSPOT_INTERFACE]:-}" ]; then
    HOTSPOT_INTERFACE=""
  fi
  if [ -z "$HOTSPOT_INTERFACE" ]; then
    case $LAYOUT in external-ap) HOTSPOT_INTERFACE=eth1 ;; *) HOTSPOT_INTERFACE=wlan0 ;; esac
  fi
}

check_answers() {
  local value
  for key in "${ANSWER_KEYS[@]}"; do
    value=${!key}
    [[ $value != *[[:cntrl:]]* ]] || die "$key must be one line of text"
  done
  [ -n "$VILLAGE_NAME" ] || die "the village's name is needed: --village NAME (or VILLAGE_NAME= in the answers file)"
  [ "${#VILLAGE_NAME}" -le 100 ] || die "VILLAGE_NAME: at most 100 characters"
  [[ $WIFI_COUNTRY =~ ^[A-Z]{2}$ ]] || die "WIFI_COUNTRY must be a two-letter country code such as ID, not '$WIFI_COUNTRY'"
  local ssid_chars='^[A-Za-z0-9 ._()-]{1,32}$'
  [[ $SSID =~ $ssid_chars ]] ||
    die "SSID: 1 to 32 letters, digits, spaces and . _ ( ) - (not '$SSID')"
  case $LAYOUT in builtin-wifi | external-ap) ;; *) die "LAYOUT must be builtin-wifi or external-ap, not '$LAYOUT'" ;; esac
  for key in HOTSPOT_INTERFACE UPLINK_INTERFACE; do
    [[ ${!key} =~ ^[A-Za-z0-9_.-]{1,15}$ ]] || die "$key is not a network interface name: '${!key}'"
  done
  [ "$HOTSPOT_INTERFACE" != "$UPLINK_INTERFACE" ] ||
    die "the hotspot and the uplink need two interfaces (both are $HOTSPOT_INTERFACE)"
  if [ "$LAYOUT" = builtin-wifi ] && [[ $HOTSPOT_INTERFACE != wl* ]]; then
    die "layout builtin-wifi needs a Wi-Fi interface (wlan0), not $HOTSPOT_INTERFACE; for an access point on Ethernet use --layout external-ap"
  fi
  if [ "$LAYOUT" = external-ap ] && [[ $HOTSPOT_INTERFACE == wl* ]]; then
    die "layout external-ap needs an Ethernet interface for the access point (eth1), not $HOTSPOT_INTERFACE"
  fi
  [[ -z $PRINTER || $PRINTER =~ ^(usb|serial|tcp|file|cups|preview)://[^[:space:]]+$ ]] ||
    die "PRINTER must be a printer URL (usb://VID:PID, serial://, tcp://, file://, cups://, preview://), not '$PRINTER'"
  if [[ $PRINTER == usb://* ]] && ! [[ $PRINTER =~ ^usb://[0-9A-Fa-f]{4}:[0-9A-Fa-f]{4}([?].*)?$ ]]; then
    die "a USB printer is usb://VID:PID with four hex digits each (lsusb shows them), not '$PRINTER'"
  fi
  case $KIOSK in on | off) ;; *) die "KIOSK must be on or off, not '$KIOSK'" ;; esac
  case $KIOSK_PAGE in /kiosk | /display) ;; *) die "KIOSK_PAGE must be /kiosk or /display, not '$KIOSK_PAGE'" ;; esac
  [[ -z $KIOSK_USER || $KIOSK_USER =~ ^[a-z_][a-z0-9_-]{0,31}$ ]] || die "KIOSK_USER is not a user name: '$KIOSK_USER'"
  case $RTC in none | ds3231) ;; *) die "--rtc: only ds3231 is supported, not '$RTC'" ;; esac
  case $OFFICE_HTTPS in on | off) ;; *) die "OFFICE_HTTPS must be on or off, not '$OFFICE_HTTPS'" ;; esac
}

# --- the steps ----------------------------------------------------------------------------------

step_system() {
  step "Checking the system"
  if [ -n "$ROOT" ]; then
    note "writing under $ROOT; commands are printed, not run"
  elif [ "$(id -u)" != 0 ]; then
    die "run the installer as root: sudo $0 $*"
  fi
  if [ -r "$ROOT/etc/os-release" ]; then
    local codename
    codename=$(sed -n 's/^VERSION_CODENAME=//p' "$ROOT/etc/os-release" | tr -d '"')
    [ "$codename" = bookworm ] ||
      die "this installer is for Raspberry Pi OS (Debian 12) Bookworm; this system is '${codename:-unknown}'"
    note "Debian/Raspberry Pi OS bookworm"
  elif [ -n "$ROOT" ]; then
    skipped "operating system check" "$ROOT has no etc/os-release"
  else
    die "cannot tell the operating system (/etc/os-release is missing)"
  fi
  if [ -n "$ROOT" ]; then
    skipped "network interface check" "--root"
  elif ! booted; then
    skipped "network interface check" "no running systemd: chroot or container"
  else
    [ -e "/sys/class/net/$UPLINK_INTERFACE" ] || die "there is no network interface $UPLINK_INTERFACE (the office/uplink; see: ip link)"
    if [ ! -e "/sys/class/net/$HOTSPOT_INTERFACE" ]; then
      [ "$LAYOUT" = external-ap ] && die "there is no network interface $HOTSPOT_INTERFACE: plug in the USB Ethernet adapter for the access point, or give --hotspot-interface"
      die "there is no network interface $HOTSPOT_INTERFACE (see: ip link)"
    fi
    note "interfaces: hotspot $HOTSPOT_INTERFACE, uplink $UPLINK_INTERFACE"
  fi
  if [ "$KIOSK" = on ] && [ -x "$ROOT/usr/bin/labwc" ] && [ -z "$(user_home "$KIOSK_USER")" ]; then
    die "no desktop user ${KIOSK_USER:-with uid 1000} for the kiosk screen: give --kiosk-user USER"
  fi
  note "village $VILLAGE_NAME; layout $LAYOUT; SSID '$SSID'; Wi-Fi country $WIFI_COUNTRY; kiosk $KIOSK ($KIOSK_PAGE)"
}

step_packages() {
  step "Debian packages"
  local packages=(python3 python3-venv nftables dnsmasq-base conntrack espeak-ng libusb-1.0-0 curl chrony
    fake-hwclock network-manager iw rfkill)
  [ "$RTC" = none ] || packages+=(util-linux-extra)
  [ "$OFFICE_HTTPS" = off ] || packages+=(nginx openssl)
  if kiosk_screen && ! have_file /usr/bin/chromium-browser && ! have_file /usr/bin/chromium; then
    if apt-cache show chromium-browser >/dev/null 2>&1; then packages+=(chromium-browser); else packages+=(chromium); fi
  fi
  local missing=()
  if [ -n "$ROOT" ]; then
    missing=("${packages[@]}")
  else
    for package in "${packages[@]}"; do
      dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
  fi
  if [ ${#missing[@]} -eq 0 ]; then
    note "all present: ${packages[*]}"
    return
  fi
  note "downloading from the Debian/Raspberry Pi OS mirrors: ${missing[*]}"
  run env DEBIAN_FRONTEND=noninteractive apt-get update -q
  run env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
}

step_user() {
  step "The balai user and its directories"
  if grep -q '^balai:' "$ROOT/etc/passwd" 2>/dev/null; then
    note "user balai exists"
  else
    run useradd --system --user-group --home-dir "$DATA" --no-create-home --shell /usr/sbin/nologin balai
  fi
  # lp and dialout: printers on /dev/usb/lp* and serial ports.
  run usermod --append --groups lp,dialout balai
  make_dir "$APP_BASE/releases" 0755
  make_dir "$ETC" 0755
  make_dir "$DATA" 0750 balai:balai
  make_dir "$DATA/clock" 0750 balai:balai
  make_dir "$DATA/restore" 0700 balai:balai # the console's restore requests (balai-restore.path)
}

step_application() {
  step "The application ($APP_BASE)"
  RELEASE_ID=$(release_id "$SRC")
  RELEASE=$APP_BASE/releases/$RELEASE_ID
  PREVIOUS=$(readlink "$ROOT$APP_BASE/current" 2>/dev/null || true)
  if [ -e "$ROOT$RELEASE/.balai-release" ]; then
    note "release $RELEASE_ID is already copied"
  else
    rm -rf "$ROOT$RELEASE"
    mkdir -p "$ROOT$RELEASE"
    copy_release "$SRC" "$ROOT$RELEASE"
    printf '%s\n' "$RELEASE_ID" >"$ROOT$RELEASE/.balai-release"
    note "copied this checkout to $RELEASE"
  fi
  if [ -e "$ROOT$RELEASE/.installed" ]; then
    note "its Python environment is complete"
    return
  fi
  have_file "$RELEASE/venv/bin/python" || run python3 -m venv "$RELEASE/venv"
  local count pip=("$RELEASE/venv/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir)
  count=$(grep -c '^[a-zA-Z]' "$SRC/requirements.txt")
  if release_wheels_fit; then
    note "installing the $count packages pinned in requirements.txt from this release's wheels (no download)"
    pip+=(--no-index --find-links "$SRC/wheels")
  else
    note "downloading from PyPI: the $count packages pinned in requirements.txt"
  fi
  run "${pip[@]}" -r "$RELEASE/requirements.txt"
  run "$RELEASE/venv/bin/pybabel" compile --use-fuzzy -d "$RELEASE/portal/translations"
  run "$RELEASE/venv/bin/python" -m compileall -q "$RELEASE/portal" "$RELEASE/kiosk" "$RELEASE/hub"
  [ -n "$ROOT" ] || printf 'ok\n' >"$RELEASE/.installed"
}

step_config() {
  step "Configuration ($ETC)"
  # The answers, for the next run (--upgrade) and to pre-fill the first-run setup.
  local key
  {
    printf '# The answers of the last run of deploy/raspberrypi/install.sh (re-used by --upgrade).\n'
    for key in "${ANSWER_KEYS[@]}"; do printf '%s=%s\n' "$key" "${!key}"; done
  } | put "$ETC/install.answers" 0644
  # With --office-https the portal's office listener moves behind nginx, to loopback only.
  # shellcheck disable=SC2034 # read by render (@ADMIN_LISTEN@, @ADMIN_PROXY@)
  if [ "$OFFICE_HTTPS" = on ]; then ADMIN_LISTEN=127.0.0.1:8082 ADMIN_PROXY=on; else ADMIN_LISTEN=0.0.0.0:8081 ADMIN_PROXY=off; fi
  merge_config "$ETC/balai.conf" "$(render "$HERE/config/balai.conf")"
  office_https
  # From here on, what balai.conf says (an admin's change included) decides.
  HOTSPOT_INTERFACE=$(config_value "$ETC/balai.conf" BALAI_HOTSPOT_INTERFACE)
  PRINTER=$(config_value "$ETC/balai.conf" BALAI_PRINTER)
}

step_network() {
  step "Hotspot network ($LAYOUT on $HOTSPOT_INTERFACE)"
  local profile=$HERE/networkmanager/hotspot-wifi.nmconnection
  [ "$LAYOUT" = builtin-wifi ] || profile=$HERE/networkmanager/hotspot-ethernet.nmconnection
  render "$profile" | put /etc/NetworkManager/system-connections/balai-hotspot.nmconnection 0600
  # The Wi-Fi country: on the kernel command line where Raspberry Pi OS keeps it, else for cfg80211.
  if have_file /boot/firmware/cmdline.txt; then
    local line
    line=$(head -n 1 "$ROOT/boot/firmware/cmdline.txt")
    line=$(printf '%s' "$line" | sed -E 's/ ?cfg80211\.ieee80211_regdom=[A-Z0-9]*//g')
    printf '%s cfg80211.ieee80211_regdom=%s\n' "$line" "$WIFI_COUNTRY" | put /boot/firmware/cmdline.txt ""
  else
    render "$HERE/config/wifi-country.conf" | put /etc/modprobe.d/balai-wifi-country.conf 0644
  fi
  if [ "$LAYOUT" = builtin-wifi ]; then
    live "Wi-Fi country for the running system" iw reg set "$WIFI_COUNTRY" || note "warning: iw could not set the country now; it applies after a reboot"
    live "unblocking the Wi-Fi radio" rfkill unblock wifi || note "warning: rfkill could not unblock the Wi-Fi"
  fi
}

step_clock() {
  step "Clock (chrony, fake-hwclock, RTC, setting the time)"
  note "chrony takes the time from NTP whenever the uplink works; fake-hwclock keeps the last time across power cuts"
  note "the portal asks for a new time through $DATA/clock/request (balai-set-time.path, as root)"
  if [ "$RTC" = ds3231 ]; then
    local config=/boot/firmware/config.txt text=""
    if ! have_file "$config"; then
      [ -n "$ROOT" ] || die "--rtc ds3231: $config is missing; is this Raspberry Pi OS?"
    else
      text=$(cat "$ROOT$config")
    fi
    if [[ $text != *"dtoverlay=i2c-rtc,ds3231"* ]]; then
      printf '%s\n[all]\n# Balai: the battery-backed clock module (install.sh --rtc ds3231)\ndtparam=i2c_arm=on\ndtoverlay=i2c-rtc,ds3231\n' \
        "$text" | sed '/./,$!d' | put "$config" ""
    else
      note "$config already loads the DS3231 overlay"
    fi
    render "$HERE/udev/70-balai-rtc.rules" | put /etc/udev/rules.d/70-balai-rtc.rules 0644
  else
    remove_file /etc/udev/rules.d/70-balai-rtc.rules
  fi
}

step_printer() {
  step "Printer (${PRINTER:-none: receipts become pictures})"
  if [[ $PRINTER =~ ^usb://([0-9A-Fa-f]{4}):([0-9A-Fa-f]{4}) ]]; then
    # shellcheck disable=SC2034 # read by render (@PRINTER_VID@, @PRINTER_PID@)
    PRINTER_VID=${BASH_REMATCH[1],,} PRINTER_PID=${BASH_REMATCH[2],,}
    render "$HERE/udev/70-balai-printer.rules" | put /etc/udev/rules.d/70-balai-printer.rules 0644
    render "$HERE/config/usblp.conf" | put /etc/modprobe.d/balai-usblp.conf 0644
    live "unloading usblp" modprobe -r usblp || true # not loaded: nothing to do
  else
    remove_file /etc/udev/rules.d/70-balai-printer.rules
    remove_file /etc/modprobe.d/balai-usblp.conf
  fi
}

step_services() {
  step "Services, journal, watchdog, backups"
  local unit
  for unit in "${UNITS[@]}"; do
    render "$HERE/systemd/$unit" | put "/etc/systemd/system/$unit" 0644
  done
  render "$HERE/config/journald.conf" | put /etc/systemd/journald.conf.d/balai.conf 0644
  render "$HERE/config/watchdog.conf" | put /etc/systemd/system.conf.d/balai-watchdog.conf 0644
  render "$HERE/udev/80-balai-usb-backup.rules" | put /etc/udev/rules.d/80-balai-usb-backup.rules 0644
  make_dir /usr/local/bin 0755
  make_link /usr/local/bin/balai "$APP_BASE/current/deploy/raspberrypi/bin/balai"
  run systemctl enable "${ENABLED[@]}"
  if [[ " ${ENABLED[*]} " != *" balai-kiosk-agent.service "* ]]; then
    run systemctl disable balai-kiosk-agent.service # no printing on this Pi (any more)
  fi
}

step_database() {
  step "Database, voice clips and kiosk registration"
  local balai_cli=$RELEASE/deploy/raspberrypi/bin/balai
  UPGRADING=0
  if [ -n "$PREVIOUS" ] && [ "$PREVIOUS" != "releases/$RELEASE_ID" ]; then
    note "upgrading from $PREVIOUS to releases/$RELEASE_ID"
    # The captive firewall and resolver keep serving the phones meanwhile.
    live "stopping Balai for the upgrade" systemctl stop "${DB_SERVICES[@]}"
    run rm -rf "$DATA/upgrade-rollback"
    run install -d -o balai -g balai -m 0700 "$DATA/upgrade-rollback"
    run find "$DATA" -maxdepth 1 -name 'balai.db*' -exec cp -a {} "$DATA/upgrade-rollback/" ';'
    # From here on, any failure puts the previous release and this copy of the database back.
    UPGRADING=1
  fi
  if ! run "$balai_cli" migrate; then
    if [ "$UPGRADING" = 1 ]; then rollback "the database migration failed"; fi
    die "the database migration failed (see above)"
  fi
  make_link "$APP_BASE/current" "releases/$RELEASE_ID"
  [ "$UPGRADING" = 0 ] || make_link "$APP_BASE/previous" "$PREVIOUS"
  # The answer seeds the village's identity once; from then on the console's profile owns it.
  run "$balai_cli" village init "$VILLAGE_NAME"
  run "$balai_cli" voices || note "no voice clips (is espeak-ng installed?): the display board uses the browser's speech meanwhile"
  PAIRING_URL=""
  if [ "$KIOSK" = off ] || [ "$KIOSK_PAGE" != /kiosk ]; then
    note "no kiosk printing on this Pi (kiosk $KIOSK, page $KIOSK_PAGE)"
  elif have_file "$DATA/kiosk-token"; then
    note "kiosk \"$KIOSK_NAME\" is registered (its device token: $DATA/kiosk-token)"
  else
    local output
    if [ -n "$ROOT" ]; then
      run "$balai_cli" kiosk add "$KIOSK_NAME" --exist-ok --token-file "$DATA/kiosk-token" --url "$PORTAL_LOCAL"
    else
      output=$("$balai_cli" kiosk add "$KIOSK_NAME" --exist-ok --token-file "$DATA/kiosk-token" --url "$PORTAL_LOCAL")
      PAIRING_URL=$(printf '%s\n' "$output" | grep -o "$PORTAL_LOCAL/kiosk/pair/[A-Za-z0-9_-]*" | head -n 1 || true)
      note "kiosk \"$KIOSK_NAME\" registered; its device token is in $DATA/kiosk-token"
    fi
  fi
  prune_releases
}

step_kiosk() {
  step "Kiosk screen"
  if [ "$KIOSK" = off ]; then
    skipped "kiosk screen" "kiosk off"
    remove_kiosk_autostart
    return
  fi
  if ! kiosk_screen; then
    skipped "kiosk screen" "no labwc desktop (Raspberry Pi OS Lite): open $PORTAL_LOCAL$KIOSK_PAGE on the screen yourself"
    return
  fi
  local home
  home=$(user_home "$KIOSK_USER")
  local autostart=$home/.config/labwc/autostart
  make_dir "$home/.config" 0755 "$KIOSK_USER:"
  make_dir "$home/.config/labwc" 0755
  if have_file "$autostart" && ! grep -q "Balai's install.sh" "$ROOT$autostart"; then
    have_file "$autostart.before-balai" || cp -p "$ROOT$autostart" "$ROOT$autostart.before-balai"
    note "kept the desktop's own autostart as $autostart.before-balai"
  fi
  # shellcheck disable=SC2034 # read by render (@KIOSK_PATH@)
  if [ "$KIOSK_PAGE" = /display ]; then KIOSK_PATH=/display; else KIOSK_PATH=/kiosk/; fi
  render "$HERE/kiosk/autostart" | put "$autostart" 0644
  make_dir "$home/.config/balai-kiosk" 0755
  if [ -n "$PAIRING_URL" ]; then
    printf '%s\n' "$PAIRING_URL" | put "$home/.config/balai-kiosk/pairing-url" 0600
    note "the kiosk screen opens its pairing link once: tap the button on it to pair"
  fi
  run chown -R "$KIOSK_USER:" "$home/.config/labwc" "$home/.config/balai-kiosk"
  if have_file /usr/bin/raspi-config; then
    run raspi-config nonint do_boot_behaviour B4 # desktop, logged in automatically
    run raspi-config nonint do_blanking 1        # screen blanking off
  else
    skipped "desktop autologin and screen blanking" "no raspi-config"
  fi
}

# Kiosk off: the desktop user's own autostart again (the one kept aside, if there was one).
remove_kiosk_autostart() {
  local home autostart
  home=$(user_home "$KIOSK_USER")
  autostart=$home/.config/labwc/autostart
  if [ -n "$home" ] && have_file "$autostart" && grep -q "Balai's install.sh" "$ROOT$autostart"; then
    remove_file "$autostart"
    if have_file "$autostart.before-balai"; then
      mv "$ROOT$autostart.before-balai" "$ROOT$autostart"
      note "put back the desktop's own autostart"
    fi
  fi
}

step_start() {
  step "Starting"
  live "reloading systemd" systemctl daemon-reload
  # These three only speed things up: a reboot applies them all. So a failure is a warning.
  live "applying the journal limits" systemctl restart systemd-journald.service ||
    note "warning: journald did not restart; the journal limits apply after a reboot"
  live "reloading udev rules" udevadm control --reload-rules ||
    note "warning: udev did not reload its rules; the printer's rule applies after a reboot"
  live "reloading NetworkManager profiles" nmcli connection reload ||
    note "warning: NetworkManager did not reload; the hotspot profile applies after a reboot"
  if ! live "bringing up the hotspot" nmcli connection up balai-hotspot; then
    note "warning: the hotspot did not come up now; NetworkManager brings it up when $HOTSPOT_INTERFACE is ready (journalctl -u NetworkManager)"
  fi
  live "starting Balai" systemctl restart "${SERVICES[@]}"
  # After the portal: it lets go of 8081 (the office listener before --office-https) only when
  # its old process has stopped, and nginx takes that port.
  if [ "$OFFICE_HTTPS" = on ]; then
    live "starting nginx (the console over HTTPS)" systemctl restart nginx.service
  fi
  live "starting the backup timer, the clock and restore paths" systemctl start balai-backup.timer balai-set-time.path \
    balai-restore.path
  if [ -n "$ROOT" ]; then
    skipped "checking that the portal answers" "--root"
    return
  elif ! booted; then
    skipped "checking that the portal answers" "no running systemd: chroot or container"
    return
  fi
  local answer=0 problem
  wait_for_portal 60 || answer=$?
  if [ "$answer" = 0 ]; then
    note "the portal answers on $PORTAL_LOCAL"
    UPGRADING=0 # done: nothing after this rolls back
    return
  fi
  problem="the portal did not answer on $PORTAL_LOCAL within 60 s"
  [ "$answer" = 1 ] || problem="the portal stopped right after starting"
  [ "$UPGRADING" = 0 ] || rollback "$problem"
  die "$problem: see journalctl -u balai-portal"
}

summary() {
  printf '\nBalai is installed (release %s).\n' "$RELEASE_ID"
  cat <<EOF
  Phones:   join the Wi-Fi "$SSID"; the sign-in page opens by itself (or http://10.42.0.1).
  Console:  $CONSOLE_URL from the office network.
  First visit to the console: the setup wizard asks for the village's details, its services and
            counters, and the first admin's account (or: sudo balai user add NAME --role admin).
  Settings: $ETC/balai.conf (then: sudo systemctl restart ${SERVICES[*]})
  Reboot once (sudo reboot) so the Wi-Fi country, the watchdog and any RTC take effect.
EOF
  if [ "$OFFICE_HTTPS" = on ] && [ -z "$ROOT" ]; then
    printf '  The browser warns once about the certificate made on this Pi; accept it when it shows\n'
    printf '  this fingerprint: %s\n' "$(openssl x509 -noout -fingerprint -sha256 -in "$TLS_DIR/office.crt" | cut -d= -f2)"
  fi
  if ! have_file "$ETC/backup-passphrase"; then
    printf '  Backups stay unencrypted until an admin sets a passphrase (at least 12 characters):\n'
    printf '    sudo install -m 0640 -g balai /dev/stdin %s   (type it, then Ctrl-D; docs/backup.md)\n' \
      "$ETC/backup-passphrase"
  fi
}

main() {
  parse_options "$@"
  load_answers
  check_answers
  ENABLED=(balai-firewall.service balai-captive-dns.service balai-portal.service balai-worker.service
    balai-backup.timer balai-set-time.path balai-restore.path)
  DB_SERVICES=(balai-portal.service balai-worker.service) # the services that open the database
  if [ "$KIOSK" = on ] && [ "$KIOSK_PAGE" = /kiosk ]; then
    ENABLED+=(balai-kiosk-agent.service) DB_SERVICES+=(balai-kiosk-agent.service)
  fi
  SERVICES=(balai-firewall.service balai-captive-dns.service "${DB_SERVICES[@]}")
  [ "$OFFICE_HTTPS" = off ] || ENABLED+=(nginx.service)
  [ -n "$KIOSK_USER" ] || KIOSK_USER=$(desktop_user)
  trap 'on_error $? $LINENO' ERR
  step_system "$@"
  step_packages
  step_user
  step_application
  step_config
  step_network
  step_clock
  step_printer
  step_services
  step_database
  step_kiosk
  step_start
  summary
}

main "$@"
