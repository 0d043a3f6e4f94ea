"""Saved PACS destinations: the rules for their fields, and how ``--to`` finds one.

A PACS is saved with its AE title, host and port and the AE title we call it as; names share
one namespace with the cloud accounts (see :mod:`app.cloud.accounts`). Each field is checked
on its own so a form can put one sentence under the field that is wrong. pynetdicom is
imported only when an AE title is checked or an echo sent, not to list what is saved.
"""

import ipaddress
import re
from dataclasses import dataclass, fields

from app.cloud.accounts import NAME_RULE, AccountBook, PacsDestination, PacsRole, check_name
from app.core.errors import AccountError, UsageError

_HOST = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,252})$")


@dataclass(frozen=True)
class PacsFieldProblems:
    """One sentence per field that is wrong ("" when it is fine)."""

    name: str = ""
    ae_title: str = ""
    host: str = ""
    port: str = ""
    calling_aet: str = ""

    @property
    def any(self) -> bool:
        """True when some field is wrong."""
        return any(getattr(self, f.name) for f in fields(self))

    def first(self) -> str:
        """The first sentence, for a single message line ("" when all is fine)."""
        return next((getattr(self, f.name) for f in fields(self) if getattr(self, f.name)), "")


def host_problem(host: str) -> str:
    """Why ``host`` cannot be a PACS's host name or IP address ("" when it can)."""
    host = host.strip()
    if not host:
        return "Enter the PACS's host name or IP address."
    try:
        ipaddress.ip_address(host.strip("[]"))
        return ""
    except ValueError:
        pass
    if not _HOST.match(host):
        return (f"'{host}' is not a host name or IP address: use letters, digits, dots and "
                "dashes, for example pacs.hospital.org or 10.0.0.5.")
    return ""


def port_problem(port: str) -> str:
    """Why ``port`` cannot be a TCP port ("" when it can)."""
    port = port.strip()
    if not port:
        return "Enter the PACS's port (often 104 or 11112)."
    if not port.isdigit() or not 0 < int(port) < 65536:
        return f"'{port}' is not a port: use a number from 1 to 65535 (often 104 or 11112)."
    return ""


def ae_title_problem(aet: str) -> str:
    """Why ``aet`` cannot be an AE title ("" when it can)."""
    from app.cloud.dimse import check_ae_title

    if not aet.strip():
        return "Enter an AE title (1 to 16 letters, digits or spaces)."
    try:
        check_ae_title(aet.strip())
    except UsageError as exc:
        return str(exc)
    return ""


def name_problem(name: str) -> str:
    """Why ``name`` cannot name a PACS ("" when it can; whether it is taken is not asked)."""
    name = name.strip()
    if not name:
        return "Enter a name for this PACS, for example Hospital PACS."
    try:
        check_name(name)
    except AccountError:
        return NAME_RULE
    return ""


def field_problems(book: AccountBook, name: str, ae_title: str, host: str, port: str,
                   calling_aet: str, old_name: str | None = None) -> PacsFieldProblems:
    """Check every field of a PACS as typed (``old_name``: the one being changed, whose
    name may be kept). A name taken by a cloud account, or by another PACS when this is
    a new one, is a problem."""
    name = name.strip()
    wrong_name = name_problem(name)
    if not wrong_name and name != old_name:
        kind = book.kind_of(name)
        if kind is not None:
            what = "a cloud account" if kind == "cloud" else "another PACS"
            wrong_name = f"The name {name} is already {what}; choose another name."
    return PacsFieldProblems(wrong_name, ae_title_problem(ae_title), host_problem(host),
                             port_problem(port), ae_title_problem(calling_aet))


def make_destination(name: str, ae_title: str, host: str, port: str | int,
                     calling_aet: str, role: PacsRole = "store") -> PacsDestination:
    """A PACS from its fields as typed (trimmed), used for ``role``; AccountError (exit 2)
    in one sentence for the first field that is wrong."""
    problems = PacsFieldProblems(name_problem(name), ae_title_problem(ae_title),
                                 host_problem(host), port_problem(str(port)),
                                 ae_title_problem(calling_aet))
    if problems.any:
        raise AccountError(problems.first())
    return PacsDestination(name.strip(), ae_title.strip(), host.strip().strip("[]"),
                           int(str(port).strip()), calling_aet.strip(), role)


def destination_from_address(name: str, address: str, calling_aet: str,
                             role: PacsRole = "store") -> PacsDestination:
    """A PACS from ``AET@HOST:PORT`` (as ``lightbox send --to`` takes it); UsageError
    (exit 2) when it is not such an address."""
    from app.cloud.dimse import parse_destination

    parsed = parse_destination(address.strip())
    return make_destination(name, parsed.ae_title, parsed.host, parsed.port, calling_aet,
                            role)


def is_address(text: str) -> bool:
    """True when ``text`` is meant as ``AET@HOST:PORT`` rather than a saved name (names
    hold neither ``@`` nor ``:``)."""
    return "@" in text or ":" in text
