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

SERVICES = [
    (
        "surat",
        "A",
        "Surat Pengantar & Keterangan",
        "Surat pengantar, keterangan domisili, keterangan usaha, SKTM, pengantar SKCK.",
        "Surat pengantar RT/RW\nFotokopi KTP\nFotokopi Kartu Keluarga",
    ),
    (
        "kependudukan",
        "B",
        "Administrasi Kependudukan",
        "Pengantar KTP-el, Kartu Keluarga, pindah datang, kelahiran dan kematian.",
        "Surat pengantar RT/RW\nFotokopi Kartu Keluarga\nAkta kelahiran atau surat keterangan kematian",
    ),
    (
        "nikah",
        "C",
        "Pengantar Nikah",
        "Surat pengantar nikah (N1–N4) untuk KUA.",
        "Surat pengantar RT/RW\nFotokopi KTP kedua calon\nFotokopi Kartu Keluarga\nPas foto 2x3 (4 lembar)",
    ),
    (
        "konsultasi",
        "D",
        "Pengaduan & Konsultasi",
        "Menyampaikan pengaduan, aspirasi, atau bertanya langsung kepada perangkat desa.",
        "",
    ),
]
CAPPED = (
    "bansos",
    "E",
    "Bantuan Sosial",
    "Informasi dan pendaftaran bantuan sosial (PKH, BLT Dana Desa).",
    "Fotokopi KTP\nFotokopi Kartu Keluarga",
)

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
    services = {}
    for position, (code, prefix, name, description, requirements) in enumerate(SERVICES):
        services[code] = Service(
            code=code,
            prefix=prefix,
            name=name,
            description=description,
            requirements=requirements,
            opens_at="00:00",
            closes_at="24:00",
            days="1234567",
            daily_cap=0,
            active=True,
            position=position,
        )
    code, prefix, name, description, requirements = CAPPED
    services[code] = Service(
        code=code,
        prefix=prefix,
        name=name,
        description=description,
        requirements=requirements,
        opens_at="08:00",
        closes_at="12:00",
        days="12345",
        daily_cap=30,
        active=True,
        position=len(SERVICES),
    )
    session.add_all(services.values())
    for position, (name, codes) in enumerate(COUNTERS):
        session.add(Counter(name=name, active=True, position=position, services=[services[c] for c in codes]))
    for username, role, password in OFFICIALS:
        users.add_user(session, username, password, role, now)
    for age, (title, body, pinned) in enumerate(NEWS):
        announcements.add(session, title, body, now, publish_at=now - timedelta(days=age), pinned=pinned)
