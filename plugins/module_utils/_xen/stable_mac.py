# -*- coding: utf-8 -*-
# Copyright: nictune.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Stable MAC addresses for Xen vifs (no Ansible imports, no netaddr needed).

Xen gives a vif without ``mac=`` a new random MAC at every ``xl create``: libxl uses Xen's OUI
00:16:3e and random lower three octets with the top bit of the fourth octet cleared, i.e. the range
00:16:3e:00:00:00 - 00:16:3e:7f:ff:ff. :func:`xen_stable_mac` stays in that same range but derives
the lower octets from ``sha256("<domain name>/<index>")``, so the same guest and NIC position always
get the same address. Two different names can in principle collide (23 bits): the audit shows MACs,
and a fleet that cares can check uniqueness with the ``nictune.fleet.xen_mac`` filter.

Within one domain, ``pin_mac`` never writes a MAC another NIC of the domain already has: when a NIC was
removed and the others moved up, the stable MAC of an index may be the one a moved NIC still carries. The
next candidate, ``attempt`` 1, 2 ..., is then derived from ``sha256("<name>/<index>/<attempt>")``.
"""

from __future__ import annotations

import hashlib

from .._common.errors import NicTuneError

XEN_OUI = "00:16:3e"


def xen_stable_mac(domain_name, index, attempt=0):
    """``00:16:3e:xx:xx:xx`` derived from the domain name and the NIC index (lowercase, colon separated).

    ``attempt`` > 0 gives the further candidates used when the first one is taken within the domain.
    """
    if domain_name is None or str(domain_name) == "":
        raise NicTuneError("a stable MAC needs the domain name")
    try:
        index = int(index)
    except (TypeError, ValueError):
        raise NicTuneError("NIC index must be an integer, got %r" % (index,))
    if index < 0:
        raise NicTuneError("NIC index must not be negative, got %d" % index)
    key = "%s/%d" % (domain_name, index) if not attempt else "%s/%d/%d" % (domain_name, index, int(attempt))
    digest = hashlib.sha256(key.encode("utf-8", "surrogateescape")).digest()
    return "%s:%02x:%02x:%02x" % (XEN_OUI, digest[0] & 0x7F, digest[1], digest[2])
