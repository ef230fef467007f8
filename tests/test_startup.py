"""What each process imports when it starts: the Pi's memory is small, and the portal's budget
(bench/queue.py: <= 80 MB after the load) leaves no room for libraries a process does not use.

Each check runs a fresh interpreter, since this one has imported everything the tests use.
"""

import json
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory
from alembic.util import to_tuple

from portal.db import alembic_config, migration_parents, schema_head
from tests.conftest import settings_for

ROOT = Path(__file__).resolve().parent.parent
# Imported only by the commands, pages or moments that need them (see where each is imported).
SERVER_NEVER_AT_START = ("alembic", "mako", "cryptography", "PIL", "qrcode", "yaml", "escpos", "fpdf", "fontTools")
WEB = ("flask", "werkzeug", "jinja2", "flask_babel", "flask_wtf")


def imported_by(code, *heavy):
    """Which of the top-level modules ``heavy`` a fresh interpreter holds after running ``code``."""
    check = f"{code}\nimport json, sys\nprint(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))"
    done = subprocess.run([sys.executable, "-c", check], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.splitlines()[-1])


def test_the_served_app_starts_without_the_libraries_of_other_moments(tmp_path):
    """Migrations, backups, content packs, photo uploads, the kiosk's QR code and letters' PDFs load theirs
    when used."""
    settings = settings_for(tmp_path)
    code = f"import portal.cli, portal\nportal.create_app({settings!r})"  # as `python -m portal serve` does
    assert imported_by(code, *SERVER_NEVER_AT_START) == []


def test_the_kiosk_screen_draws_its_qr_code_without_pillow(data_dir):
    """The kiosk's ticket page, on every box with a kiosk, draws its QR code with segno."""
    settings = settings_for(data_dir)
    code = (
        f"import portal\napp = portal.create_app({settings!r})\nclient = app.test_client()\n"
        "ticket = client.post('/api/v1/tickets', json={'service': 'surat'}).get_json()\n"
        "page = client.get('/kiosk/ticket/' + ticket['id'])\n"
        "assert page.status_code == 200, page.status_code\n"
        'assert b\'<svg class="qr" aria-hidden="true" viewBox=\' in page.data, page.data[:300]'
    )
    assert imported_by(code, "PIL", "qrcode") == []


def test_the_kiosk_agent_and_the_worker_carry_no_web_framework():
    """The agent reads portal.config and the worker syncs with hub.protocol: neither serves pages."""
    assert imported_by("import kiosk.__main__", *WEB, "sqlalchemy") == []
    assert imported_by("import portal.cli", *WEB, *SERVER_NEVER_AT_START) == []


def test_the_schema_head_is_read_as_alembic_reads_it():
    """The server checks its schema without Alembic: the migrations it reads are Alembic's."""
    scripts = ScriptDirectory.from_config(alembic_config(None))
    assert schema_head() == scripts.get_current_head()
    expected = {script.revision: to_tuple(script.down_revision, default=()) for script in scripts.walk_revisions()}
    assert migration_parents() == expected
