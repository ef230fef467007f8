"""The hub's command line: ``python -m hub serve|migrate|village|user|stats``.

Commands print plain sentences (or JSON for ``stats``) and exit non-zero with a clear message.
"""

import json
import logging

import click
from sqlalchemy import select

from hub import config, make_hub, protocol, users, villages
from hub.models import Village
from portal.cli import domain_failure, read_password
from portal.domain.errors import DomainError


def load_hub():
    """The hub's settings and database, migrated to the newest schema."""
    hub = make_hub(config.load())
    hub.store.migrate()
    return hub


@click.group()
def main():
    """Balai hub: the district server villages sync with."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


@main.command()
def migrate():
    """Create or upgrade the hub's database schema."""
    hub = load_hub()
    click.echo(f"Hub database ready: {hub.store.engine.url.render_as_string(hide_password=True)}")


@main.command()
def serve():
    """Serve the hub with waitress on BALAI_HUB_LISTEN (migrating the database first)."""
    from hub import create_app
    from portal.server import create as create_server

    hub = load_hub()
    hub.store.dispose()  # migrated; the app opens its own
    settings = hub.settings
    app = create_app()
    logging.getLogger("waitress.queue").setLevel(logging.ERROR)
    try:
        server = create_server(
            app,
            settings["BALAI_HUB_LISTEN"],
            settings["BALAI_HUB_CONNECTIONS"],
            200,
            ident="Balai hub",
            max_body=protocol.MAX_BODY,  # on the internet: refuse a huge body before reading it
        )
    except OSError as exc:
        raise click.ClickException(
            f"Cannot listen on {settings['BALAI_HUB_LISTEN']}: {exc.strerror}. "
            "Set BALAI_HUB_LISTEN to another host:port."
        ) from None
    server.print_listen("Balai hub serving on http://{}:{}")
    server.run()


@main.group()
def village():
    """The villages that may sync with this hub."""


@village.command("add")
@click.argument("code")
@click.argument("name")
def village_add(code, name):
    """Register village CODE (10-digit Kemendagri code) called NAME; prints its key."""
    hub = load_hub()
    try:
        with hub.store.write() as session:
            row, key = villages.add(session, code, name, hub.clock.now())
    except DomainError as exc:
        raise domain_failure(exc) from None
    click.echo(f"Village {row.code} ({row.name}) added. Its key, for BALAI_UPSTREAM_KEY on the village's Balai:")
    click.echo(key)


@village.command("rekey")
@click.argument("code")
def village_rekey(code):
    """Give village CODE a new key (the old one stops working); prints it."""
    hub = load_hub()
    try:
        with hub.store.write() as session:
            key = villages.new_key(session, code)
    except DomainError as exc:
        raise domain_failure(exc) from None
    click.echo(key)


@village.command("list")
def village_list():
    """Every registered village with its last contact."""
    hub = load_hub()
    with hub.store.read() as session:
        for row in session.scalars(select(Village).order_by(Village.code)):
            contact = row.last_contact_at.isoformat() if row.last_contact_at else "never"
            click.echo(f"{row.code}  {row.name:<30}  last contact: {contact}")


@main.command()
@click.argument("code")
def stats(code):
    """Print village CODE's totals as JSON."""
    hub = load_hub()
    try:
        with hub.store.read() as session:
            totals = villages.totals(session, villages.by_code(session, code))
    except DomainError as exc:
        raise domain_failure(exc) from None
    click.echo(json.dumps(totals, indent=2, ensure_ascii=False))


@main.group()
def user():
    """District officials on the dashboard."""


@user.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(users.ROLES), required=True)
@click.option("--village", "codes", multiple=True, help="A village a staff member looks after (repeatable).")
def user_add(name, role, codes):
    """Add an official; the password is read from standard input."""
    hub = load_hub()
    password = read_password(confirm=True)
    try:
        with hub.store.write() as session:
            assigned = [villages.by_code(session, code) for code in codes]
            users.add(session, name, password, role, hub.clock.now(), assigned)
    except DomainError as exc:
        raise domain_failure(exc) from None
    click.echo(f"User {name} added as {role}" + (f" for {', '.join(codes)}." if codes else "."))


@user.command("villages")
@click.argument("name")
@click.argument("codes", nargs=-1)
def user_villages(name, codes):
    """Set the villages staff member NAME looks after (none given: no village)."""
    hub = load_hub()
    try:
        with hub.store.write() as session:
            users.assign(session, name, [villages.by_code(session, code) for code in codes])
    except DomainError as exc:
        raise domain_failure(exc) from None
    click.echo(f"{name} now looks after: {', '.join(codes) or 'no village'}.")


@user.command("passwd")
@click.argument("name")
def user_passwd(name):
    """Change an official's password (read from standard input); their sessions end."""
    hub = load_hub()
    password = read_password(confirm=True)
    try:
        with hub.store.write() as session:
            users.set_password(session, name, password)
    except DomainError as exc:
        raise domain_failure(exc) from None
    click.echo(f"Password of {name} changed.")
