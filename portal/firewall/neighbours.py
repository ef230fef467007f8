"""Finding a hotspot phone's MAC address from its IPv4 address, without privileges.

The kernel's neighbour table (``/proc/net/arp``, readable by anyone, and per network namespace)
holds the MAC of every device that has just talked to the Pi, which a phone asking for a page
always has. A DHCP leases file (dnsmasq's format) is the fallback when the entry is not there.
Neither needs a shell or another program.
"""

from pathlib import Path

ARP_TABLE = "/proc/net/arp"
ARP_COMPLETE = 0x2  # ATF_COM: the entry holds a real hardware address


def from_arp_table(ip, path=ARP_TABLE):
    """The MAC the neighbour table has for ``ip``, or None."""
    try:
        lines = Path(path).read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) >= 4 and fields[0] == ip and int(fields[2], 16) & ARP_COMPLETE:
            return fields[3].lower()
    return None


def from_leases(ip, path):
    """The MAC a dnsmasq leases file (``expiry MAC IP name client-id`` lines) has for ``ip``, or None."""
    if not path:
        return None
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        fields = line.split()
        if len(fields) >= 3 and fields[2] == ip:
            return fields[1].lower()
    return None


def mac_for(ip, leases_path="", arp_path=ARP_TABLE):
    """The MAC of the device at ``ip`` on the hotspot, or None when neither source knows it."""
    return from_arp_table(ip, arp_path) or from_leases(ip, leases_path)
