"""The command line: ``python -m portal COMMAND``: serve, worker, purge, migrate, demo, voices, user,
token, kiosk, content, backup, restore.

Commands print plain sentences and exit non-zero with a clear message when something is wrong, so
a technician at the Pi's console knows what to do next.
"""

import gc
import getpass
import logging
import os
import sys
import time
from pathlib import Path

import click
from sqlalchemy import select

from portal import backup as backups
from portal import config, make_balai, messages
from portal import voices as voice_clips
from portal.clock import Clock
from portal.db import schema_head, schema_revision
from portal.domain import audit, kiosks, pack, users
from portal.domain import demo as demo_village
from portal.domain import village as village_domain
from portal.domain.errors import Conflict, DomainError
from portal.domain.speech import counter_words
from portal.domain.village import get_village
from portal.housekeeping import hotspot_round, purge_letter_requests, run_once
from portal.models import Counter
from portal.sync import sync_round

log = logging.getLogger("balai")
DEMO_LOGO = demo_village.PACK / "files" / "logo.png"


def load_settings():
    """The settings, or a readable exit on a bad one."""
    try:
        return config.load()
    except config.ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def load_balai():
    """Settings and domain objects, or a readable exit on a bad setting."""
    return make_balai(load_settings())


def schema_is_current(db):
    """Whether the database is at the newest migration (read without Alembic, see portal.db)."""
    return schema_revision(db.path) == schema_head()


def read_password(confirm, prompt="Password"):
    """A password from standard input (one line), or asked (twice with ``confirm``) on a terminal."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass(f"{prompt}: ")
    if confirm and getpass.getpass("Again: ") != password:
        raise click.ClickException("The two passwords differ; nothing was changed.")
    return password


def domain_failure(exc):
    """A ClickException with the (English) message for a domain error."""
    return click.ClickException(messages.render(exc.code, exc.details))


@click.group()
def main():
    """Balai, the village hall appliance."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # its per-command chatter hides ours


@main.command()
def migrate():
    """Create or upgrade the database schema."""
    balai = load_balai()
    balai.db.migrate()
    click.echo(f"Database ready: {balai.db.path}")


@main.command()
def demo():
    """Load the demo village into an empty database (never into one that has a village)."""
    balai = load_balai()
    with balai.db.write() as session:
        loaded = demo_village.is_empty(session)
        if loaded:
            demo_village.load(
                session, balai.clock.now(), config.media_dir(balai.settings), config.logo_path(balai.settings)
            )
    click.echo("Demo village loaded." if loaded else "The database already has a village; the demo was not loaded.")
    if loaded or is_demo(balai):
        click.echo("Console sign-in (demo only):")
        for username, role, password in demo_village.OFFICIALS:
            click.echo(f"  {username:<9} password {password:<14} ({role})")


def is_demo(balai):
    """Whether the database holds the demo village."""
    with balai.db.read() as session:
        village = get_village(session)
        return village is not None and village.code == demo_village.CODE


@main.command()
def voices():
    """Render the display board's voice clips (espeak-ng) into <data dir>/voices."""
    balai = load_balai()
    with balai.db.read() as session:
        names = session.scalars(select(Counter.name).where(Counter.active)).all()
    words = voice_clips.words_to_render([word for name in names for word in counter_words(name)])
    try:
        manifest = voice_clips.render(Path(balai.settings["BALAI_DATA_DIR"]) / "voices", words)
    except voice_clips.VoiceError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"{len(manifest)} voice clips ready in {Path(balai.settings['BALAI_DATA_DIR']) / 'voices'}")


def local_url(listen):
    """The address of a BALAI_*LISTEN value's first listener, as a browser on this machine
    writes it (a wildcard host becomes 127.0.0.1)."""
    host, _, port = listen.split()[0].rpartition(":")
    if host in ("0.0.0.0", "::", "[::]", ""):
        host = "127.0.0.1"
    return f"http://{host}:{port}"


@main.command()
def serve():
    """Serve the portal with waitress on BALAI_LISTEN (and BALAI_ADMIN_LISTEN)."""
    from portal import create_app
    from portal.server import create as create_server

    balai = load_balai()
    if not schema_is_current(balai.db):
        raise click.ClickException("The database is not up to date. Run: python -m portal migrate")
    settings = balai.settings
    balai.db.dispose()  # create_app opens its own; this one served the check only
    del balai
    listen = settings["BALAI_LISTEN"].split()
    listen += [item for item in settings["BALAI_ADMIN_LISTEN"].split() if item not in listen]
    app = create_app()
    # What start-up made lives as long as the server: kept out of the collector's full passes,
    # which then walk only what requests made (under bench/queue.py's load: no pause over 5 ms,
    # where up to 70 ms before). Start-up's garbage goes first, or it would be kept for good.
    gc.collect()
    gc.freeze()
    public = settings["BALAI_PUBLIC_URL"].rstrip("/") or local_url(settings["BALAI_LISTEN"])
    office = local_url(settings["BALAI_ADMIN_LISTEN"])
    click.echo(f"Balai is serving on {', '.join(listen)}")
    click.echo(f"  Phone portal:   {public}/")
    click.echo(f"  Kiosk:          {public}/kiosk/")
    click.echo(f"  Display board:  {public}/display")
    click.echo(f"  Console:        {office}/admin/")
    click.echo(f"  API:            {public}/api/v1/openapi.json")
    # Under load waitress logs "Task queue depth" for every queued request: thousands of lines a
    # minute on the Pi's SD card, saying nothing the benchmarks do not.
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        server = create_server(
            app,
            " ".join(listen),
            settings["BALAI_THREADS"],
            settings["BALAI_CONNECTIONS"],
            proxy_headers=settings["BALAI_ADMIN_PROXY"],
        )
    except OSError as exc:
        raise click.ClickException(
            f"Cannot listen on {' '.join(listen)}: {exc.strerror}. Is Balai already running? "
            "Set BALAI_LISTEN to another host:port."
        ) from None
    server.print_listen("Serving on http://{}:{}")
    server.run()


@main.command()
@click.option("--once", is_flag=True, help="Do one round and exit.")
def worker(once):
    """Background work every BALAI_WORKER_INTERVAL s: the business day, database housekeeping,
    (with BALAI_CAPTIVE) the internet check and the hotspot firewall's upkeep, and the sync with
    the district hub (every BALAI_SYNC_INTERVAL s while it answers; ``--once`` tries it at once)."""
    balai = load_balai()
    if not schema_is_current(balai.db):
        raise click.ClickException("The database is not up to date. Run: python -m portal migrate")
    interval = balai.settings["BALAI_WORKER_INTERVAL"]
    rounds = [("housekeeping", lambda: run_once(balai.db, balai.clock, interval))]
    if balai.settings["BALAI_CAPTIVE"]:
        rounds.append(("hotspot", lambda: hotspot_round(balai.captive, balai.settings)))
    rounds.append(("sync", lambda: sync_round(balai, force=once)))
    while True:
        for name, work in rounds:
            try:
                log.info("%s: %s", name, work())
            except Exception:  # keep the worker alive; the next round tries again
                log.exception("%s failed", name)
                if once:
                    raise
        if once:
            return
        time.sleep(interval)


@main.command()
def purge():
    """Delete now the residents' details in letter requests past the village's retention period
    (the worker does it every round); the register keeps each letter's number, date, type and
    masked name."""
    balai = load_balai()
    if not schema_is_current(balai.db):
        raise click.ClickException("The database is not up to date. Run: python -m portal migrate")
    with balai.db.write() as session:
        count = purge_letter_requests(session, balai.clock.now())
    click.echo(f"Personal data deleted (past the retention period) from letter requests: {count}.")


@main.group()
def village():
    """The village's identity (the console's village profile edits it)."""


@village.command("init")
@click.argument("name")
@click.option(
    "--timezone", default="Asia/Jakarta", show_default=True, help="Asia/Jakarta, Asia/Makassar or Asia/Jayapura."
)
def village_init(name, timezone):
    """Give an empty database its village called NAME (the installer runs this); a database that
    has a village keeps it."""
    balai = load_balai()
    try:
        with balai.db.write() as session:
            row, created = village_domain.init_village(session, name, timezone)
    except DomainError as exc:
        raise domain_failure(exc) from None
    if created:
        click.echo(f"Village {row.name} created. Complete its profile and services in the console.")
    else:
        click.echo(f"The database already has its village ({row.name}); nothing changed.")


@main.group()
def user():
    """Officials' accounts."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(users.ROLES), required=True)
def user_add(name, role):
    """Add an official; the password is read from standard input."""
    balai = load_balai()
    password = read_password(confirm=True)
    try:
        with balai.db.write() as session:
            users.add_user(session, name, password, role, balai.clock.now())
    except DomainError as exc:
        raise domain_failure(exc) from None
    click.echo(f"User {name} added as {role}.")


@user.command("passwd")
@click.argument("name")
def user_passwd(name):
    """Set a new password (read from standard input); the user's open sessions end."""
    balai = load_balai()
    password = read_password(confirm=True)
    try:
        with balai.db.write() as session:
            users.set_password(session, name, password)
    except DomainError as exc:
        raise domain_failure(exc) from None
    click.echo(f"Password of {name} changed.")


@main.group()
def token():
    """API tokens for scripts and devices."""


@token.command("create")
@click.argument("name")
def token_create(name):
    """Print a new bearer token that acts with the role of user NAME."""
    balai = load_balai()
    try:
        with balai.db.write() as session:
            value = users.create_token(session, name, balai.clock.now())
    except DomainError as exc:
        raise domain_failure(exc) from None
    click.echo(value)


@main.group()
def kiosk():
    """The hall's kiosks: their agents' device tokens and their browsers' pairing links."""


def pairing_link(base, balai, code):
    """The one-time link a kiosk's browser opens to become that kiosk's screen."""
    return f"{(base or local_url(balai.settings['BALAI_LISTEN'])).rstrip('/')}/kiosk/pair/{code}"


URL_HELP = "Portal address as the kiosk's browser opens it (default: this machine's BALAI_LISTEN)."


@kiosk.command("add")
@click.argument("name")
@click.option("--url", default="", help=URL_HELP)
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    help="Write the device token to this file (0600) instead of printing it.",
)
@click.option(
    "--exist-ok", is_flag=True, help="If the kiosk exists, give it a new device token (the old one stops working)."
)
def kiosk_add(name, url, token_file, exist_ok):
    """Register kiosk NAME: prints its device token (BALAI_KIOSK_TOKEN for its agent) and a
    one-time pairing link for its browser."""
    balai = load_balai()
    now = balai.clock.now()
    try:
        with balai.db.write() as session:
            try:
                _, token, code = kiosks.add_kiosk(session, name, now)
                click.echo(f"Kiosk {name} added.")
            except Conflict:
                if not exist_ok:
                    raise
                kiosk = kiosks.get_kiosk(session, name)
                token, code = kiosks.new_token(kiosk), kiosks.new_pairing(kiosk, now)
                click.echo(f"Kiosk {name} exists: it has a new device token.")
    except DomainError as exc:
        raise domain_failure(exc) from None
    if token_file:
        path = Path(token_file)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(token + "\n")
        click.echo(f"Device token written to {path} (set it as BALAI_KIOSK_TOKEN for the kiosk agent).")
    else:
        click.echo(f"Device token for the kiosk agent (BALAI_KIOSK_TOKEN): {token}")
    click.echo(f"Pairing link (open once in the kiosk's browser within 24 hours): {pairing_link(url, balai, code)}")


@kiosk.command("pair")
@click.argument("name")
@click.option("--url", default="", help=URL_HELP)
def kiosk_pair(name, url):
    """Print a new one-time pairing link for kiosk NAME (a new or reset kiosk browser)."""
    balai = load_balai()
    try:
        with balai.db.write() as session:
            code = kiosks.new_pairing(kiosks.get_kiosk(session, name), balai.clock.now())
    except DomainError as exc:
        raise domain_failure(exc) from None
    link = pairing_link(url, balai, code)
    click.echo(f"Pairing link for kiosk {name} (open once in the kiosk's browser within 24 hours): {link}")


@main.group()
def content():
    """The village's content as a pack (YAML + files): set up a new appliance in one step."""


@content.command("export")
@click.argument("target", type=click.Path(dir_okay=False))
def content_export(target):
    """Write the village's whole content to the zip file TARGET."""
    balai = load_balai()
    with balai.db.read() as session:
        doc, files = pack.export(
            session, config.media_dir(balai.settings), config.logo_path(balai.settings), balai.clock.now()
        )
    Path(target).write_bytes(pack.write_zip(doc, files))
    click.echo(f"Content pack written to {target} ({len(files)} files).")


@content.command("import")
@click.argument("source", type=click.Path(exists=True))
@click.option("--replace", is_flag=True, help="Replace the content of a village that already has some.")
def content_import(source, replace):
    """Load a content pack (a zip file or a directory) into the database."""
    balai = load_balai()
    settings = balai.settings
    try:
        with balai.db.write() as session:
            if not demo_village.is_empty(session) and not replace:
                raise click.ClickException("This village already has content; add --replace to overwrite it.")
            summary = pack.load(
                session,
                source,
                config.media_dir(settings),
                config.logo_path(settings),
                audit.SYSTEM,
                balai.clock.now(),
                photo_mb=settings["BALAI_PHOTO_MAX_MB"],
                pdf_mb=settings["BALAI_DOCUMENT_MAX_MB"],
            )
    except DomainError as exc:
        raise domain_failure(exc) from None
    click.echo("Content pack imported: " + ", ".join(f"{n} {key}" for key, n in summary.items()) + ".")


@main.command()
@click.option(
    "--copy-to",
    "copy_dir",
    type=click.Path(file_okay=False),
    help="Then copy the newest backup into this folder (a USB stick), check the copy and keep the newest "
    "BALAI_BACKUP_KEEP there.",
)
@click.option("--latest-only", is_flag=True, help="With --copy-to: copy the newest backup without making a new one.")
def backup(copy_dir, latest_only):
    """Back up the database, uploaded files, logo and secret key into <data dir>/backups, encrypted
    with the passphrase in BALAI_BACKUP_PASSPHRASE_FILE. Safe while the portal runs."""
    settings = load_settings()
    if latest_only and not copy_dir:
        raise click.UsageError("--latest-only goes with --copy-to DIR.")
    try:
        made = None if latest_only else make_backup(settings)
        if copy_dir:
            copied = backups.copy_to(settings, copy_dir, made.path if made else None)
            done = "is already there (checked)" if copied.already_there else "was copied there and checked"
            click.echo(f"{copied.path.name} {done}: {copied.path}")
            say_rotated(copied.removed, settings)
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None


def make_backup(settings):
    """Make a backup and say what happened (loudly when it is not encrypted)."""
    passphrase = backups.configured_passphrase(settings)
    if passphrase is None:
        click.echo(
            "WARNING: this backup is NOT encrypted: anyone with the file or the USB stick can read the village's "
            f"data. Write a passphrase into {backups.passphrase_path(settings)} (docs/backup.md).",
            err=True,
        )
    made = backups.create(settings, Clock().now(), passphrase)
    state = "encrypted" if made.encrypted else "not encrypted"
    click.echo(f"Backup written: {made.path} ({made.path.stat().st_size / 2**20:.1f} MB, {state}).")
    say_rotated(made.removed, settings)
    return made


def say_rotated(removed, settings):
    """Tell how many old backups rotation deleted."""
    if removed:
        click.echo(f"Deleted {len(removed)} older backup(s), keeping the newest {settings['BALAI_BACKUP_KEEP']}.")


@main.command()
@click.argument("source", type=click.Path(dir_okay=False))
@click.option(
    "--passphrase-file",
    help="File holding the backup's passphrase; - reads it from standard input "
    "(default: BALAI_BACKUP_PASSPHRASE_FILE, or <data dir>/backup-passphrase).",
)
@click.option("--check", "check_only", is_flag=True, help="Only verify the file (passphrase, checksums, database).")
def restore(source, passphrase_file, check_only):
    """Restore the backup file SOURCE into the data directory; the current data is moved to
    <data dir>/before-restore-<time>/, not deleted. Stop the portal and the worker first."""
    settings = load_settings()
    try:
        if passphrase_file == "-":
            passphrase = read_password(confirm=False, prompt="Passphrase")
        elif passphrase_file:
            passphrase = backups.read_passphrase(passphrase_file, strict=False)
        else:
            passphrase = backups.configured_passphrase(settings, strict=False)
        if check_only:
            manifest = backups.check(settings, source, passphrase)
        else:
            manifest, aside = backups.restore(settings, source, passphrase, Clock().now())
    except backups.BackupError as exc:
        raise click.ClickException(str(exc)) from None
    made = f"made {manifest['created']} by Balai {manifest['balai_version']}, schema {manifest['schema_revision']}"
    if check_only:
        click.echo(f"{source} is a good backup ({made}, {len(manifest['files'])} files); nothing was changed.")
        return
    click.echo(f"Restored {source} ({made}); the database is migrated to this Balai's schema.")
    if aside:
        click.echo(f"The previous data is in {aside} (delete it once the restore is confirmed good).")
    click.echo("Start the portal and the worker again.")
