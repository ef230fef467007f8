"""The demo village: a plausible desa to try Balai with (`python -m portal demo`, `make run`).

Its main services are open at every hour with no practical cap, so a newcomer can try the queue
day or night; one extra service (Bantuan Sosial) shows real opening hours and a daily cap.
"""

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from portal.domain import audit, complaints, pack, users
from portal.models import Poll, PollOption, Service, Village

# The village itself (identity, services, counters, letters, news, agenda, documents, directories,
# budget) is a content pack, like any village's: see portal/domain/pack.py.
PACK = Path(__file__).resolve().parent.parent / "demo"
CODE = "32.03.11.2005"  # the demo's Kemendagri code, how the CLI recognises the demo

# Demo sign-ins, printed by `make run`. A real village gets its accounts from the setup wizard.
OFFICIALS = [
    ("admin", "admin", "demo-admin"),
    ("operator", "operator", "demo-operator"),
    ("editor", "editor", "demo-editor"),
]

# An open advisory vote on proposals for next year's development plan (musrenbangdes).
POLL = dict(
    title="Usulan prioritas pembangunan 2027",
    description="Pilih paling banyak 3 usulan yang menurut Anda paling penting untuk Musrenbangdes 2027.",
    kind="proposals",
    binding=False,
    max_choices=3,
    status="open",
    results_public=True,
)
PROPOSALS = [
    ("Perbaikan jalan Dusun II", "Pengerasan jalan tanah sepanjang 800 m menuju sawah dan sekolah."),
    ("Sumur bor Dusun III", "Air bersih untuk 60 keluarga yang kekurangan air saat kemarau."),
    ("Lampu jalan tenaga surya", "20 titik lampu di jalan desa yang gelap pada malam hari."),
    ("Renovasi Posyandu Melati", "Atap bocor dan ruang timbang yang terlalu sempit."),
    ("Saluran irigasi Blok Cikadu", "Memperbaiki saluran yang jebol agar sawah terairi."),
]

# Two complaints: one answered in public, one just received (the console shows their codes).
COMPLAINTS = [
    dict(
        days_ago=5,
        complaint=dict(
            category="infrastructure",
            text="Lampu jalan di depan Masjid Al-Ikhlas RW 03 mati sejak dua minggu. Jalan gelap dan rawan malam hari.",
        ),
        replies=[
            ("in_progress", "Terima kasih atas laporannya. Petugas akan memeriksa lampu hari Rabu."),
            ("answered", "Lampu sudah diganti hari Rabu sore dan menyala kembali. Terima kasih."),
        ],
    ),
    dict(
        days_ago=1,
        complaint=dict(
            category="environment",
            text="Saluran air di Gang Melati tersumbat sampah, air meluap ke jalan setiap hujan deras.",
            name="Ibu Siti Aminah",
            contact="0812-3456-7890",
        ),
        replies=[],
    ),
]


def is_empty(session):
    """Whether no village has been set up yet (the demo only loads into an empty database)."""
    return session.get(Village, 1) is None and session.scalar(select(Service.id).limit(1)) is None


def load(session, now, media_directory, logo):
    """Create the demo village from its content pack (dates moved to ``now``), then its officials,
    complaints and an open poll. Photos and documents go to ``media_directory``."""
    pack.load(session, PACK, media_directory, logo, audit.SYSTEM, now, shift_dates=True)
    for username, role, password in OFFICIALS:
        users.add_user(session, username, password, role, now)
    for item in COMPLAINTS:
        sent = now - timedelta(days=item["days_ago"])
        row = complaints.submit(session, **item["complaint"], now=sent)
        for days, (status, body) in enumerate(item["replies"], start=1):
            complaints.add_update(session, row, audit.SYSTEM, sent + timedelta(days=days, hours=2), status, body)
    options = [PollOption(label=label, description=text, position=i) for i, (label, text) in enumerate(PROPOSALS)]
    session.add(Poll(**POLL, created_at=now, options=options))
