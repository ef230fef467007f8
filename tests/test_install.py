"""The Raspberry Pi installer (deploy/raspberrypi/install.sh) against a throwaway root: it writes
every file under the root and prints the commands it would run. The tests read what it wrote
(units, NetworkManager profile, captive resolver, ruleset, udev rules, config, kiosk autostart,
timer), check the units with ``systemd-analyze verify``, the ruleset with ``nft -c``, the shell
scripts with ``shellcheck``, and that a second run changes nothing an admin changed.

The installer runs from a snapshot of the checkout (as from a release tarball), so files other
work changes meanwhile do not make two runs differ.
"""

import configparser
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from portal import config
from portal.firewall.__main__ import helper_for
from tests.conftest import need

pytestmark = pytest.mark.slow

CHECKOUT = Path(__file__).resolve().parents[1]
APP_PATHS = ("portal", "kiosk", "hub", "static", "deploy", "docs", "requirements.txt", "pyproject.toml", "README.md")
UNITS = (
    "balai-portal.service",
    "balai-worker.service",
    "balai-firewall.service",
    "balai-captive-dns.service",
    "balai-kiosk-agent.service",
    "balai-backup.service",
    "balai-backup.timer",
    "balai-usb-backup@.service",
    "balai-set-time.path",
    "balai-set-time.service",
    "balai-rtc.service",
    "balai-restore.path",
    "balai-restore.service",
)
ANSWERS = """# a village hall with the built-in Wi-Fi, a USB receipt printer and a clock module
VILLAGE_NAME="Sukamaju & Sons"
SSID=Wifi Balai Sukamaju
PRINTER=usb://0416:5011?width=58
RTC=ds3231
"""
SBIN = "/usr/sbin:/sbin:/usr/bin:/bin"


def snapshot_checkout(target):
    """The files install.sh copies, as a release tarball would hold them; the copy's install.sh."""
    target.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo", "screenshots")
    for name in APP_PATHS:
        source = CHECKOUT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    return target / "deploy" / "raspberrypi" / "install.sh"


def fresh_pi(root, desktop=True):
    """What a fresh Raspberry Pi OS Bookworm image holds that the installer looks at."""
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "os-release").write_text(
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nVERSION_CODENAME=bookworm\n'
    )
    (root / "etc" / "passwd").write_text("root:x:0:0:root:/root:/bin/bash\npi:x:1000:1000:,,,:/home/pi:/bin/bash\n")
    (root / "boot" / "firmware").mkdir(parents=True)
    (root / "boot" / "firmware" / "cmdline.txt").write_text(
        "console=serial0,115200 console=tty1 root=PARTUUID=1234-02 rootfstype=ext4 fsck.repair=yes rootwait\n"
    )
    (root / "boot" / "firmware" / "config.txt").write_text("dtparam=audio=on\n[cm4]\notg_mode=1\n")
    if desktop:
        executable(root / "usr" / "bin" / "labwc")
    return root


def executable(path):
    """An empty executable file (a stand-in for a program a Debian package installs)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n")
    path.chmod(0o755)


def install(script, root, *args, answers=None, check=True):
    """Run install.sh --root ROOT; the finished process (stdout, stderr, returncode)."""
    argv = ["bash", str(script), "--root", str(root)]
    if answers is not None:
        argv += ["--answers", str(answers)]
    done = subprocess.run([*argv, *args], capture_output=True, text=True, timeout=120, check=False)
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def tree(root):
    """Every file and link under root: path -> (mode, content or link target)."""
    found = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            found[str(path.relative_to(root))] = ("link", os.readlink(path))
        elif stat.S_ISREG(info.st_mode):
            found[str(path.relative_to(root))] = (stat.S_IMODE(info.st_mode), path.read_bytes())
    return found


def unit(root, name):
    """A unit file's settings: {section: {key: [values]}} (keys may repeat)."""
    sections, current = {}, None
    for line in (root / "etc" / "systemd" / "system" / name).read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        current.setdefault(key, []).append(value)
    return sections


def keyfile(path):
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str
    parser.read(path)
    return parser


@pytest.fixture(scope="module")
def pi(tmp_path_factory):
    """One installation into a fresh Desktop image: (script, root, output)."""
    base = tmp_path_factory.mktemp("install")
    script = snapshot_checkout(base / "src")
    answers = base / "answers.conf"
    answers.write_text(ANSWERS)
    root = fresh_pi(base / "root")
    done = install(script, root, answers=answers)
    return script, root, done.stdout


def release(root):
    return root / "opt" / "balai" / os.readlink(root / "opt" / "balai" / "current")


def test_prints_every_command_and_runs_none(pi):
    """Does --root print the commands a real installation runs, in numbered steps, and run none?"""
    _, root, output = pi
    commands = [line.strip()[len("would run: ") :] for line in output.splitlines() if "would run: " in line]
    expected = [
        r"^env DEBIAN_FRONTEND=noninteractive apt-get update",
        r"^env DEBIAN_FRONTEND=noninteractive apt-get install .*python3-venv nftables dnsmasq-base conntrack "
        r"espeak-ng libusb-1.0-0 .*chrony fake-hwclock .*util-linux-extra .*chromium",
        r"^useradd --system --user-group --home-dir /var/lib/balai .* balai$",
        r"^python3 -m venv /opt/balai/releases/[0-9a-f]{12}/venv$",
        r"^/opt/balai/releases/[0-9a-f]{12}/venv/bin/pip install .*-r /opt/balai/releases/.*/requirements.txt$",
        r"^/opt/balai/releases/[0-9a-f]{12}/venv/bin/pybabel compile",
        r"^/opt/balai/releases/[0-9a-f]{12}/deploy/raspberrypi/bin/balai migrate$",
        r"^/opt/balai/releases/[0-9a-f]{12}/deploy/raspberrypi/bin/balai village init Sukamaju\\ \\&\\ Sons$",
        r"^/opt/balai/releases/[0-9a-f]{12}/deploy/raspberrypi/bin/balai voices$",
        r"bin/balai kiosk add Kiosk\\ Aula --exist-ok --token-file /var/lib/balai/kiosk-token",
        r"^systemctl enable balai-firewall.service balai-captive-dns.service balai-portal.service "
        r"balai-worker.service balai-backup.timer balai-set-time.path balai-restore.path balai-kiosk-agent.service$",
        r"^iw reg set ID$",
        r"^modprobe -r usblp$",
        r"^systemctl daemon-reload$",
        r"^nmcli connection up balai-hotspot$",
        r"^systemctl restart balai-firewall.service balai-captive-dns.service balai-portal.service",
        r"^systemctl start balai-backup.timer balai-set-time.path balai-restore.path$",
    ]
    for pattern in expected:
        assert any(re.search(pattern, command) for command in commands), pattern
    assert [int(n) for n in re.findall(r"^\[(\d+)/12\]", output, re.M)] == list(range(1, 13))
    assert "skipped: checking that the portal answers (--root)" in output
    assert not (root / "var" / "lib" / "balai" / "balai.db").exists()  # nothing was run


def test_config_is_the_instance_config(pi):
    """Does balai.conf hold only settings Balai knows, with the Pi's values, readable by balai only?"""
    _, root, _ = pi
    path = root / "etc" / "balai" / "balai.conf"
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    settings = config.load(environ={"BALAI_CONFIG": str(path)})
    assert settings["BALAI_DATA_DIR"] == "/var/lib/balai"
    assert settings["BALAI_FIREWALL"] == "nftables" and settings["BALAI_CAPTIVE"] is True
    assert settings["BALAI_PUBLIC_URL"] == "http://10.42.0.1"
    assert settings["BALAI_HOTSPOT_INTERFACE"] == "wlan0"
    assert settings["BALAI_DHCP_LEASES"] == "/var/lib/NetworkManager/dnsmasq-wlan0.leases"
    assert settings["BALAI_PRINTER"] == "usb://0416:5011?width=58"
    assert settings["BALAI_BACKUP_PASSPHRASE_FILE"] == "/etc/balai/backup-passphrase"
    public, office = config.listen_ports(settings["BALAI_LISTEN"]), config.listen_ports(settings["BALAI_ADMIN_LISTEN"])
    assert int(public[0]) > 1024 and int(office[0]) > 1024 and public != office  # unprivileged, separate
    answers = (root / "etc" / "balai" / "install.answers").read_text()
    assert "VILLAGE_NAME=Sukamaju & Sons\n" in answers and "KIOSK_USER=pi\n" in answers


def test_units(pi):
    """Do the units run what they should, as whom they should, with the hardening asked for?"""
    _, root, _ = pi
    for name in UNITS:
        assert (root / "etc" / "systemd" / "system" / name).is_file(), name
    portal = unit(root, "balai-portal.service")["Service"]
    assert portal["ExecStart"] == ["/opt/balai/current/venv/bin/python -m portal serve"]
    assert portal["User"] == ["balai"] and portal["Restart"] == ["always"]
    for key, value in [("NoNewPrivileges", "yes"), ("ProtectSystem", "strict"), ("ReadWritePaths", "/var/lib/balai"),
                       ("PrivateTmp", "yes"), ("ProtectHome", "yes"), ("CapabilityBoundingSet", "")]:  # fmt: skip
        assert portal[key] == [value], key
    assert "BALAI_CONFIG=/etc/balai/balai.conf" in portal["Environment"][0]
    assert "MALLOC_ARENA_MAX=2" in portal["Environment"]  # what bench/queue.py measures the portal with
    firewall = unit(root, "balai-firewall.service")["Service"]
    assert firewall["ExecStart"] == ["/opt/balai/current/venv/bin/python -m portal.firewall --group balai"]
    assert "User" not in firewall and firewall["RuntimeDirectory"] == ["balai"]
    assert firewall["Type"] == ["notify"]  # NetworkManager waits for the captive rules
    assert "NetworkManager.service" in unit(root, "balai-firewall.service")["Unit"]["Before"][0]
    worker = unit(root, "balai-worker.service")["Service"]
    assert worker["ExecStart"] == ["/opt/balai/current/venv/bin/python -m portal worker"]
    assert unit(root, "balai-kiosk-agent.service")["Unit"]["ConditionPathExists"] == ["/var/lib/balai/kiosk-token"]
    assert unit(root, "balai-backup.service")["Service"]["ExecStart"][0].endswith("-m portal backup")
    timer = unit(root, "balai-backup.timer")
    assert timer["Timer"]["OnCalendar"] == ["*-*-* 02:30:00"] and timer["Timer"]["Persistent"] == ["true"]
    usb = unit(root, "balai-usb-backup@.service")["Service"]
    assert usb["ExecStart"] == [
        "/opt/balai/current/venv/bin/python -m portal backup --copy-to /run/balai-usb/%I/balai-backups"
    ]
    assert usb["ExecStartPre"][0].startswith("+") and usb["ExecStopPost"][0].startswith("+")
    assert unit(root, "balai-set-time.path")["Path"]["PathExists"] == ["/var/lib/balai/clock/request"]
    assert unit(root, "balai-restore.path")["Path"]["PathExists"] == ["/var/lib/balai/restore/request"]
    restore = unit(root, "balai-restore.service")["Service"]
    assert restore["ExecStart"] == ["/opt/balai/current/deploy/raspberrypi/bin/balai-restore /var/lib/balai/restore"]
    assert "User" not in restore  # root: it stops and starts Balai; the restore itself runs as balai
    journald = (root / "etc" / "systemd" / "journald.conf.d" / "balai.conf").read_text()
    assert "SystemMaxUse=64M" in journald
    watchdog = (root / "etc" / "systemd" / "system.conf.d" / "balai-watchdog.conf").read_text()
    assert "RuntimeWatchdogSec=15s" in watchdog
    assert os.readlink(root / "usr" / "local" / "bin" / "balai") == "/opt/balai/current/deploy/raspberrypi/bin/balai"


def test_units_verify(pi, tmp_path):
    """Does systemd-analyze verify accept every unit, with the programs they start in place?"""
    need(shutil.which("systemd-analyze"), "systemd-analyze (package systemd) checks the units")
    _, installed, _ = pi
    root = tmp_path / "root"
    shutil.copytree(installed, root, symlinks=True)
    shutil.copytree("/usr/lib/systemd/system", root / "usr" / "lib" / "systemd" / "system", symlinks=True)
    # What the printed commands and Debian's packages would have put there.
    for program in ("opt/balai/current/venv/bin/python", "usr/sbin/dnsmasq", "usr/sbin/hwclock"):
        executable(root / program)
    names = [name.replace("@.", "@sda1.") for name in UNITS]
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", f"--root={root}", *names],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_hotspot_profile(pi):
    """Is the hotspot an open access point on wlan0 with shared IPv4 at 10.42.0.1, no IPv6,
    phones isolated from each other?"""
    _, root, _ = pi
    path = root / "etc" / "NetworkManager" / "system-connections" / "balai-hotspot.nmconnection"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # NetworkManager ignores readable keyfiles
    profile = keyfile(path)
    assert profile["connection"]["type"] == "wifi" and profile["connection"]["interface-name"] == "wlan0"
    assert profile["wifi"]["mode"] == "ap" and profile["wifi"]["ssid"] == "Wifi Balai Sukamaju"
    assert profile["wifi"]["ap-isolation"] == "1"
    assert "wifi-security" not in profile  # open
    assert profile["ipv4"]["method"] == "shared" and profile["ipv4"]["address1"] == "10.42.0.1/24"
    assert profile["ipv6"]["method"] == "disabled"
    cmdline = (root / "boot" / "firmware" / "cmdline.txt").read_text()
    assert cmdline.count("\n") == 1 and cmdline.endswith(" rootwait cfg80211.ieee80211_regdom=ID\n")


def test_captive_resolver(pi):
    """Does the captive DNS unit start dnsmasq with the release's snippet, which dnsmasq accepts and
    which answers on the hotspot address the portal redirects to?"""
    _, root, _ = pi
    start = unit(root, "balai-captive-dns.service")["Service"]["ExecStart"][0]
    conf = re.search(r"--conf-file=(\S+)", start).group(1)
    assert conf == "/opt/balai/current/deploy/raspberrypi/captive-dnsmasq.conf"
    snippet = release(root) / "deploy" / "raspberrypi" / "captive-dnsmasq.conf"
    text = snippet.read_text()
    assert "port=5300\n" in text and "listen-address=10.42.0.1\n" in text
    dnsmasq = shutil.which("dnsmasq", path=SBIN)
    need(dnsmasq, "dnsmasq (package dnsmasq-base) checks the captive resolver's configuration")
    done = subprocess.run([dnsmasq, "--test", f"--conf-file={snippet}"], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def test_ruleset_loads_with_the_installed_settings(pi):
    """Does nft accept the captive ruleset with the values the helper derives from balai.conf?"""
    _, root, _ = pi
    nft = shutil.which("nft", path=SBIN)
    need(nft and os.geteuid() == 0, "nft -c needs root and nftables")
    settings = config.load(environ={"BALAI_CONFIG": str(root / "etc" / "balai" / "balai.conf")})
    ruleset = release(root) / "deploy" / "raspberrypi" / "captive.nft"
    helper = helper_for(settings, ruleset)
    assert (helper.hotspot_if, helper.portal_addr, helper.portal_port) == ("wlan0", "10.42.0.1", 8080)
    done = subprocess.run(
        [nft, "-c", *helper.defines(), "-f", str(ruleset)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr


def test_printer_rule(pi):
    """Does the USB printer belong to the group balai, with usblp kept off it?"""
    _, root, _ = pi
    rule = (root / "etc" / "udev" / "rules.d" / "70-balai-printer.rules").read_text()
    assert 'ATTR{idVendor}=="0416", ATTR{idProduct}=="5011", GROUP="balai", MODE="0660"' in rule
    assert (root / "etc" / "modprobe.d" / "balai-usblp.conf").read_text().strip().endswith("blacklist usblp")
    backup = (root / "etc" / "udev" / "rules.d" / "80-balai-usb-backup.rules").read_text()
    assert 'ENV{SYSTEMD_WANTS}+="balai-usb-backup@%k.service"' in backup


def test_kiosk_session(pi):
    """Does the desktop user's labwc autostart start the kiosk browser on the kiosk page?"""
    _, root, _ = pi
    autostart = (root / "home" / "pi" / ".config" / "labwc" / "autostart").read_text()
    wrapper = "/opt/balai/current/deploy/raspberrypi/kiosk/balai-kiosk-browser"
    assert f"{wrapper} http://127.0.0.1:8080/kiosk/ &" in autostart
    installed = release(root) / "deploy" / "raspberrypi" / "kiosk" / "balai-kiosk-browser"
    assert os.access(installed, os.X_OK)
    text = installed.read_text()
    for flag in ("--kiosk", "--autoplay-policy=no-user-gesture-required", "--noerrdialogs",
                 "--disable-session-crashed-bubble"):  # fmt: skip
        assert flag in text


def test_clock(pi):
    """Does --rtc ds3231 add the overlay for every model, and the RTC read at boot?"""
    _, root, _ = pi
    boot = (root / "boot" / "firmware" / "config.txt").read_text()
    assert boot.startswith("dtparam=audio=on\n[cm4]\notg_mode=1\n")
    assert boot.endswith("[all]\n# Balai: the battery-backed clock module (install.sh --rtc ds3231)\n"
                         "dtparam=i2c_arm=on\ndtoverlay=i2c-rtc,ds3231\n")  # fmt: skip
    assert "balai-rtc.service" in (root / "etc" / "udev" / "rules.d" / "70-balai-rtc.rules").read_text()


def test_rerun_changes_nothing_and_keeps_the_admins_values(tmp_path):
    """Does a second run with the same answers leave every file as it was, except that it keeps
    what an admin changed in balai.conf and puts back a setting they deleted?"""
    script = snapshot_checkout(tmp_path / "src")
    answers = tmp_path / "answers.conf"
    answers.write_text(ANSWERS)
    root = fresh_pi(tmp_path / "root")
    first = install(script, root, answers=answers).stdout
    conf = root / "etc" / "balai" / "balai.conf"
    text = conf.read_text().replace("BALAI_PRINTER=usb://0416:5011?width=58", "BALAI_PRINTER=tcp://192.168.1.50:9100")
    text = text.replace("BALAI_ADMIN_LISTEN=0.0.0.0:8081\n", "") + "BALAI_CAPTIVE_MINUTES=60\n"
    conf.write_text(text)
    before = tree(root)
    second = install(script, root, answers=answers).stdout
    after = tree(root)
    changed = {path for path in before.keys() | after.keys() if before.get(path) != after.get(path)}
    # The printer rule follows the admin's printer; the deleted setting comes back.
    assert changed == {
        "etc/balai/balai.conf",
        "etc/udev/rules.d/70-balai-printer.rules",
        "etc/modprobe.d/balai-usblp.conf",
    }
    conf_text = conf.read_text()
    assert "BALAI_PRINTER=tcp://192.168.1.50:9100\n" in conf_text and "BALAI_CAPTIVE_MINUTES=60\n" in conf_text
    assert "BALAI_ADMIN_LISTEN=0.0.0.0:8081\n" in conf_text
    assert "kept BALAI_PRINTER=tcp://192.168.1.50:9100" in second
    assert "already copied" in second and "would run: python3 -m venv" in first
    # A new answer wins over the admin's value.
    third = install(script, root, "--printer", "usb://04b8:0e15", answers=answers).stdout
    assert "BALAI_PRINTER=usb://04b8:0e15\n" in conf.read_text() and "changed BALAI_PRINTER" in third
    assert 'ATTR{idVendor}=="04b8"' in (root / "etc" / "udev" / "rules.d" / "70-balai-printer.rules").read_text()


def test_upgrade_keeps_the_previous_release(tmp_path):
    """Does a newer checkout become a new release, with the database snapshot, the migration by the
    new release before the switch, and the previous release kept for a rollback?"""
    script = snapshot_checkout(tmp_path / "src")
    answers = tmp_path / "answers.conf"
    answers.write_text(ANSWERS)
    root = fresh_pi(tmp_path / "root")
    install(script, root, answers=answers)
    first = os.readlink(root / "opt" / "balai" / "current")
    versions = [first]
    for n in (1, 2):
        with (tmp_path / "src" / "portal" / "__init__.py").open("a") as f:
            f.write(f"# release {n}\n")
        output = install(script, root, "--upgrade").stdout  # the saved answers
        versions.append(os.readlink(root / "opt" / "balai" / "current"))
        assert f"upgrading from {versions[-2]} to {versions[-1]}" in output
        stop = output.index("would run: systemctl stop balai-portal.service balai-worker.service")
        snapshot = output.index("would run: find /var/lib/balai -maxdepth 1 -name balai.db")
        migrate = output.index(f"would run: /opt/balai/{versions[-1]}/deploy/raspberrypi/bin/balai migrate")
        switch = output.index(f"linked /opt/balai/current -> {versions[-1]}")
        assert stop < snapshot < migrate < switch
    assert len(set(versions)) == 3
    assert os.readlink(root / "opt" / "balai" / "previous") == versions[1]
    assert sorted(p.name for p in (root / "opt" / "balai" / "releases").iterdir()) == sorted(
        v.split("/")[1] for v in versions[1:]
    )  # the oldest was removed


def test_release_wheels_install_without_pypi(tmp_path):
    """Does a release tarball's wheels/ (release.sh) replace the PyPI download, with the release
    still named by its application files only?"""
    script = snapshot_checkout(tmp_path / "src")
    plain = install(script, fresh_pi(tmp_path / "plain"), "--village", "Sukamaju").stdout
    pinned = sum(1 for line in (tmp_path / "src" / "requirements.txt").read_text().splitlines() if line[:1].isalpha())
    assert f"downloading from PyPI: the {pinned} packages pinned in requirements.txt" in plain
    (tmp_path / "src" / "wheels").mkdir()
    (tmp_path / "src" / "wheels" / "TARGET").write_text("ARCH=arm64\nPYTHON=3.11\n")
    output = install(script, fresh_pi(tmp_path / "root"), "--village", "Sukamaju").stdout
    assert "this release's wheels are for arm64, Python 3.11 (not checked with --root)" in output
    assert "from this release's wheels (no download)" in output and "PyPI" not in output
    assert f"--no-index --find-links {tmp_path / 'src' / 'wheels'} -r" in output
    assert release(tmp_path / "root").name == release(tmp_path / "plain").name  # wheels/ is no part of it


def test_release_script_refuses_bad_options():
    script = CHECKOUT / "deploy" / "raspberrypi" / "release.sh"
    for args, message in (
        (["--arch", "i386"], "--arch must be arm64 or amd64"),
        (["--python", "three"], "--python wants a version like 3.11"),
        (["--out"], "Usage: release.sh"),
    ):
        done = subprocess.run(["bash", script, *args], capture_output=True, text=True, timeout=10, check=False)
        assert done.returncode == 2 and message in done.stderr, (args, done.stderr)


def test_external_access_point_layout(tmp_path):
    """Does the external-ap layout make eth1 a shared Ethernet hotspot, and does Lite skip the
    kiosk screen out loud?"""
    script = snapshot_checkout(tmp_path / "src")
    root = fresh_pi(tmp_path / "root", desktop=False)
    output = install(
        script, root, "--village", "Sukamaju", "--layout", "external-ap", "--printer", "tcp://192.168.1.50:9100"
    ).stdout
    profile = keyfile(root / "etc" / "NetworkManager" / "system-connections" / "balai-hotspot.nmconnection")
    assert profile["connection"]["type"] == "ethernet" and profile["connection"]["interface-name"] == "eth1"
    assert profile["ipv4"]["method"] == "shared" and profile["ipv4"]["address1"] == "10.42.0.1/24"
    assert profile["ipv6"]["method"] == "disabled"
    conf = config.read_config_file(root / "etc" / "balai" / "balai.conf")
    assert conf["BALAI_HOTSPOT_INTERFACE"] == "eth1"
    assert conf["BALAI_DHCP_LEASES"] == "/var/lib/NetworkManager/dnsmasq-eth1.leases"
    assert "skipped: kiosk screen (no labwc desktop" in output
    assert "iw reg set" not in output and "chromium" not in output
    assert not (root / "etc" / "udev" / "rules.d" / "70-balai-printer.rules").exists()


def test_office_https_on_then_off(tmp_path):
    """--office-https on puts nginx with a certificate made on the Pi in front of the office
    listener (moved to loopback, proxy headers believed); off takes it away again."""
    script = snapshot_checkout(tmp_path / "src")
    root = fresh_pi(tmp_path / "root")
    output = install(script, root, "--village", "Sukamaju", "--office-https", "on").stdout
    conf = config.read_config_file(root / "etc" / "balai" / "balai.conf")
    assert conf["BALAI_ADMIN_LISTEN"] == "127.0.0.1:8082" and conf["BALAI_ADMIN_PROXY"] == "on"
    assert "would run: openssl req -x509 -newkey ec" in output and "-keyout /etc/balai/tls/office.key" in output
    site = (root / "etc" / "nginx" / "sites-available" / "balai-office").read_text()
    assert "listen 8443 ssl;" in site and "proxy_pass http://127.0.0.1:8082;" in site
    assert "proxy_set_header X-Forwarded-For $remote_addr;" in site and "return 301 https://$host:8443" in site
    enabled = root / "etc" / "nginx" / "sites-enabled" / "balai-office"
    assert os.readlink(enabled) == "/etc/nginx/sites-available/balai-office"
    assert "downloading from the Debian/Raspberry Pi OS mirrors: " in output and " nginx openssl" in output
    assert "would run: systemctl enable balai-firewall.service" in output and "nginx.service" in output
    assert "Console:  https://<this Pi's office address>:8443/admin/" in output
    # Off again: the office listener is the portal's own again, and nginx no longer serves it.
    output = install(script, root, "--office-https", "off").stdout
    conf = config.read_config_file(root / "etc" / "balai" / "balai.conf")
    assert conf["BALAI_ADMIN_LISTEN"] == "0.0.0.0:8081" and conf["BALAI_ADMIN_PROXY"] == "off"
    assert not enabled.is_symlink()
    assert "would run: systemctl try-reload-or-restart nginx.service" in output  # before the portal takes 8081
    assert "Console:  http://<this Pi's office address>:8081/admin/" in output


def test_display_board_then_kiosk_off(tmp_path):
    """Does /display put the board on the screen with no kiosk registered and no agent, and does a
    later --kiosk off take the screen's autostart away again, saying so?"""
    script = snapshot_checkout(tmp_path / "src")
    root = fresh_pi(tmp_path / "root")
    autostart = root / "home" / "pi" / ".config" / "labwc" / "autostart"
    autostart.parent.mkdir(parents=True)
    autostart.write_text("wf-panel-pi &\n")  # the desktop's own
    output = install(script, root, "--village", "Sukamaju", "--kiosk-page", "/display").stdout
    assert "balai-kiosk-browser http://127.0.0.1:8080/display &" in autostart.read_text()
    assert (autostart.parent / "autostart.before-balai").read_text() == "wf-panel-pi &\n"
    commands = [line for line in output.splitlines() if "would run: " in line]
    assert not [line for line in commands if "kiosk add" in line or ("enable balai" in line and "kiosk-agent" in line)]
    assert "  would run: systemctl disable balai-kiosk-agent.service" in commands
    output = install(script, root, "--kiosk", "off").stdout  # the village from the saved answers
    assert "skipped: kiosk screen (kiosk off)" in output
    assert "would run: systemctl disable balai-kiosk-agent.service" in output
    assert autostart.read_text() == "wf-panel-pi &\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "the village's name is needed"),
        (["--village", "X", "--ssid", "a" * 33], "SSID: 1 to 32"),
        (["--village", "X", "--ssid", "net;reboot"], "SSID: 1 to 32"),
        (["--village", "X", "--layout", "router"], "LAYOUT must be builtin-wifi or external-ap"),
        (["--village", "X", "--country", "indonesia"], "WIFI_COUNTRY must be a two-letter"),
        (["--village", "X", "--layout", "external-ap", "--hotspot-interface", "wlan0"], "layout external-ap needs"),
        (["--village", "X", "--hotspot-interface", "eth1"], "layout builtin-wifi needs a Wi-Fi interface"),
        (["--village", "X", "--printer", "usb://printer"], "a USB printer is usb://VID:PID"),
        (["--village", "X", "--kiosk", "maybe"], "KIOSK must be on or off"),
        (["--village", "X", "--rtc", "ds1307"], "only ds3231"),
        (["--village", "X", "--kiosk-user", "nobody"], "no desktop user nobody"),
        (["--upgrade"], "--upgrade: no earlier installation"),
    ],
)
def test_bad_answers_stop_before_anything_is_written(tmp_path, args, message):
    """Does a bad answer give a clear error and leave the root untouched?"""
    root = fresh_pi(tmp_path / "root")
    before = tree(root)
    done = install(CHECKOUT / "deploy" / "raspberrypi" / "install.sh", root, *args, check=False)
    assert done.returncode == 1 and message in done.stderr, done.stderr
    assert tree(root) == before


def test_answers_file_errors_name_the_line(tmp_path):
    answers = tmp_path / "answers.conf"
    answers.write_text("VILLAGE_NAME=Sukamaju\nSSID=Balai\nPASSWORD=x\n")
    done = install(CHECKOUT / "deploy" / "raspberrypi" / "install.sh", fresh_pi(tmp_path / "root"), answers=answers,
                   check=False)  # fmt: skip
    assert done.returncode == 1 and f"{answers}:3: unknown answer PASSWORD" in done.stderr
    done = install(CHECKOUT / "deploy" / "raspberrypi" / "install.sh", tmp_path / "root", "--wat", check=False)
    assert done.returncode == 2 and "unknown option: --wat" in done.stderr


def test_a_failed_step_says_which_and_what_next(tmp_path):
    root = fresh_pi(tmp_path / "root")
    (root / "var").write_text("")  # /var/lib/balai cannot be made
    done = install(CHECKOUT / "deploy" / "raspberrypi" / "install.sh", root, "--village", "X", check=False)
    assert done.returncode != 0
    assert "step 3/12 (The balai user and its directories) failed" in done.stderr
    assert "run install.sh again" in done.stderr


def test_other_systems_are_refused(tmp_path):
    root = fresh_pi(tmp_path / "root")
    (root / "etc" / "os-release").write_text("VERSION_CODENAME=bullseye\n")
    done = install(CHECKOUT / "deploy" / "raspberrypi" / "install.sh", root, "--village", "X", check=False)
    assert done.returncode == 1 and "for Raspberry Pi OS (Debian 12) Bookworm; this system is 'bullseye'" in done.stderr


def test_set_time_refuses_anything_but_a_time(tmp_path):
    """Does the root clock helper refuse (and remove) a request that is not a plausible time, and
    ignore a link planted in place of the request? (Setting the clock for real is not tested.)"""
    helper = CHECKOUT / "deploy" / "raspberrypi" / "bin" / "balai-set-time"
    request = tmp_path / "request"
    for text in ("yesterday", "1700000000", "99999999999", "1767225600; reboot", ""):
        request.write_text(text)
        done = subprocess.run([helper, request], capture_output=True, text=True, timeout=10, check=False)
        assert done.returncode == 1 and "refused" in done.stderr, text
        assert not request.exists()
    (tmp_path / "secret").write_text("1767225600\n")
    request.symlink_to(tmp_path / "secret")
    done = subprocess.run([helper, request], capture_output=True, text=True, timeout=10, check=False)
    assert done.returncode == 0 and done.stdout == "" and request.is_symlink()


def test_usb_stick_helper_refuses_odd_device_names():
    helper = CHECKOUT / "deploy" / "raspberrypi" / "bin" / "balai-usb-stick"
    for name in ("../sda1", "sda1;reboot", "", "SDA1"):
        done = subprocess.run([helper, "mount", name], capture_output=True, text=True, timeout=10, check=False)
        assert done.returncode != 0 and "mounted" not in done.stdout


def shell_scripts():
    folder = CHECKOUT / "deploy" / "raspberrypi"
    scripts = [path for path in folder.rglob("*") if path.is_file() and path.read_bytes().startswith(b"#!/usr/bin/env")]
    return [*sorted(scripts), folder / "lib.sh"]


def test_shellcheck():
    """Is every shell script of the installer shellcheck clean (sourced files followed)?"""
    need(shutil.which("shellcheck"), "shellcheck (tests/setup-system.sh installs it) checks the installer's scripts")
    scripts = shell_scripts()
    names = {"install.sh", "lib.sh", "balai", "balai-set-time", "balai-restore", "balai-kiosk-browser"}
    assert {p.name for p in scripts} >= names
    done = subprocess.run(["shellcheck", "-x", *map(str, scripts)], capture_output=True, text=True, timeout=60,
                          check=False)  # fmt: skip
    assert done.returncode == 0, done.stdout
