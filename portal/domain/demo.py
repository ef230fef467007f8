"""The demo village: a plausible desa to try Balai with (`python -m portal demo`, `make run`).

Its main services are open at every hour with no practical cap, so a newcomer can try the queue
day or night; one extra service (Bantuan Sosial) shows real opening hours and a daily cap.
"""

from datetime import timedelta

from sqlalchemy import select

from portal.domain import announcements, users
from portal.models import Counter, Service, Village

VILLAGE = dict(
    name="Desa Sukamaju",
    code="32.03.11.2005",
    kecamatan="Cibeber",
    kabupaten="Cianjur",
    province="Jawa Barat",
    address="Jl. Raya Sukamaju No. 1, Cibeber, Cianjur",
    timezone="Asia/Jakarta",
)

ALWAYS_OPEN = {"opens_at": "00:00", "closes_at": "24:00", "days": "1234567", "daily_cap": 0}
SERVICES = [
    dict(
        code="surat",
        prefix="A",
        name="Surat Pengantar & Keterangan",
        description="Surat pengantar, keterangan domisili, keterangan usaha, SKTM, pengantar SKCK.",
        requirements="Surat pengantar RT/RW\nFotokopi KTP\nFotokopi Kartu Keluarga",
        **ALWAYS_OPEN,
    ),
    dict(
        code="kependudukan",
        prefix="B",
        name="Administrasi Kependudukan",
        description="Pengantar KTP-el, Kartu Keluarga, pindah datang, kelahiran dan kematian.",
        requirements="Surat pengantar RT/RW\nFotokopi Kartu Keluarga\nAkta kelahiran atau surat keterangan kematian",
        **ALWAYS_OPEN,
    ),
    dict(
        code="nikah",
        prefix="C",
        name="Pengantar Nikah",
        description="Surat pengantar nikah (N1–N4) untuk KUA.",
        requirements="Surat pengantar RT/RW\nFotokopi KTP kedua calon\nFotokopi Kartu Keluarga\n"
        "Pas foto 2x3 (4 lembar)",
        **ALWAYS_OPEN,
    ),
    dict(
        code="konsultasi",
        prefix="D",
        name="Pengaduan & Konsultasi",
        description="Menyampaikan pengaduan, aspirasi, atau bertanya langsung kepada perangkat desa.",
        requirements="",
        **ALWAYS_OPEN,
    ),
    # The one with real opening hours (weekdays 08:00–12:00) and a daily cap.
    dict(
        code="bansos",
        prefix="E",
        name="Bantuan Sosial",
        description="Informasi dan pendaftaran bantuan sosial (PKH, BLT Dana Desa).",
        requirements="Fotokopi KTP\nFotokopi Kartu Keluarga",
        opens_at="08:00",
        closes_at="12:00",
        days="12345",
        daily_cap=30,
    ),
]

COUNTERS = [
    ("Loket 1", ["surat", "nikah"]),
    ("Loket 2", ["kependudukan", "surat"]),
    ("Loket 3", ["konsultasi", "bansos"]),
]

# Demo sign-ins, printed by `make run`. A real village gets its accounts from the setup wizard.
OFFICIALS = [
    ("admin", "admin", "demo-admin"),
    ("operator", "operator", "demo-operator"),
    ("editor", "editor", "demo-editor"),
]

NEWS = [
    ("Posyandu Balita bulan ini", "Posyandu Melati buka Sabtu pukul 08.00–11.00 di Balai Desa. Bawa buku KIA.", True),
    ("Pelayanan KTP-el keliling", "Dinas Dukcapil melayani perekaman KTP-el di Balai Desa hari Kamis.", False),
    ("Kerja bakti bersih saluran air", "Minggu pagi pukul 07.00, kumpul di masjid masing-masing RW.", False),
]


def is_empty(session):
    """Whether no village has been set up yet (the demo only loads into an empty database)."""
    return session.get(Village, 1) is None and session.scalar(select(Service.id).limit(1)) is None


def load(session, now):
    """Create the demo village, its services, counters, officials and announcements."""
    session.add(Village(id=1, **VILLAGE))
    services = {
        fields["code"]: Service(active=True, position=position, **fields) for position, fields in enumerate(SERVICES)
    }
    session.add_all(services.values())
    for position, (name, codes) in enumerate(COUNTERS):
        session.add(Counter(name=name, active=True, position=position, services=[services[c] for c in codes]))
    for username, role, password in OFFICIALS:
        users.add_user(session, username, password, role, now)
    for age, (title, body, pinned) in enumerate(NEWS):
        announcements.add(session, title, body, now, publish_at=now - timedelta(days=age), pinned=pinned)
