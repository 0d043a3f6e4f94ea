"""The words and rules of "Send to PACS" in the GUI: which fields of a PACS address are
wrong and why (one sentence each), what will leave and where to, progress, and the
outcome. Qt-free, so they are tested without a window; the dialog only shows them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from app.core.errors import UsageError
from app.core.progress import duration

# The library page shows "Send to PACS..." at start-up: the DICOM network stack (behind
# sending) is imported only when an address is checked.
if TYPE_CHECKING:
    from app.services.send_plan import SendPlan
    from app.services.sending import SendReport, StudySend
    from app.services.uploading import UploadProgress

# As app.services.sending has it (imported from there only when a send starts).
DEFAULT_CALLING_AET = "LIGHTBOX"

# The fields of the form, by key, as the user reads them.
FIELD_LABELS = {
    "ae_title": "AE title",
    "host": "Host",
    "port": "Port",
    "calling": "Our AE title (calling)",
}


def plural(count: int, one: str, many: str) -> str:
    """"1 image", "12 images"."""
    return f"{count} {one if count == 1 else many}"


def megabytes(size: int) -> str:
    """"19.8 MB" (no decimal from 100 MB), "90 kB" below 1 MB."""
    return amount_of(size, size)


def amount_of(done: int, total: int) -> str:
    """"5.2 of 19.8 MB", "16 of 90 kB" (the unit the total needs; one number when they
    are the same)."""
    if total >= 1e6:
        digits = 0 if total >= 100e6 else 1
        numbers = [f"{n / 1e6:,.{digits}f}" for n in (done, total)]
        unit = "MB"
    else:
        numbers = [f"{n / 1e3:,.0f}" for n in (done, total)]
        unit = "kB"
    if done == total:
        return f"{numbers[1]} {unit}"
    return f"{numbers[0]} of {numbers[1]} {unit}"


@dataclass(frozen=True)
class DestinationCheck:
    """The PACS address as typed: ``destination`` (``AET@HOST:PORT``) and ``calling_aet``
    when every field is right; otherwise ``problems`` (field key -> one sentence, for a
    field filled in wrongly) and ``missing`` (labels of the empty fields)."""

    destination: str
    calling_aet: str
    problems: dict[str, str]
    missing: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the address can be sent to."""
        return not self.problems and not self.missing


def _ae_title_problem(text: str, whose: str) -> str:
    if len(text) > 16:
        return f"{whose} is at most 16 characters long; this one has {len(text)}."
    if "\\" in text:
        return f"{whose} cannot hold a backslash."
    if not text.isascii() or not text.isprintable():
        return f"{whose} holds only plain letters, digits, spaces and punctuation."
    return ""


def _host_problem(text: str) -> str:
    if any(c.isspace() for c in text) or "@" in text or "/" in text:
        return "Write only the host name or IP address, for example 10.0.0.5."
    return ""


def _port_problem(text: str) -> str:
    if not text.isdigit() or not 0 < int(text) < 65536:
        return "The port is a number from 1 to 65535, for example 104."
    return ""


def check_destination(ae_title: str, host: str, port: str, calling: str) -> DestinationCheck:
    """Check the four fields of a PACS address (surrounding spaces do not count)."""
    values = {"ae_title": ae_title.strip(), "host": host.strip(), "port": port.strip(),
              "calling": calling.strip()}
    missing = tuple(FIELD_LABELS[key] for key, value in values.items() if not value)
    problems = {key: why for key, why in (
        ("ae_title", _ae_title_problem(values["ae_title"], "The PACS's AE title")),
        ("host", _host_problem(values["host"])),
        ("port", _port_problem(values["port"]) if values["port"] else ""),
        ("calling", _ae_title_problem(values["calling"], "Our AE title")),
    ) if why}
    destination = ""
    if not problems and not missing:
        from app.services.sending import destination_of

        host_text = f"[{values['host']}]" if ":" in values["host"] else values["host"]
        text = f"{values['ae_title']}@{host_text}:{int(values['port'])}"
        try:
            destination = str(destination_of(text))
        except UsageError as exc:  # The address parser has the last word.
            problems = {"ae_title": str(exc)}
    return DestinationCheck(destination, values["calling"] if destination else "",
                            problems, missing)


def split_destination(text: str) -> tuple[str, str, str]:
    """``AET@HOST:PORT`` -> (AE title, host, port) for the form's fields; a saved
    destination fills them this way. UsageError when it is not such an address."""
    from app.services.sending import destination_of

    destination = destination_of(text)
    return destination.ae_title, destination.host, str(destination.port)


def send_action_state(selected: int) -> tuple[bool, str]:
    """Whether "Send to PACS..." can be pressed with ``selected`` studies selected in the
    library, and its tooltip (why not, when it cannot)."""
    if selected <= 0:
        return False, "Select the studies to send in the library first."
    return True, ("Sends the selected studies to your hospital's PACS; one study at a time "
                  "can be filed under the patient in our records.")


def sent_text(sends: dict[str, str]) -> str:
    """What the library's list says of a study's sends: "sent to PACS@10.0.0.5:104" when
    that PACS confirmed every image, "partly sent to ..." otherwise ("" for none)."""
    return ", ".join(f"{'sent' if state == 'complete' else 'partly sent'} to {destination}"
                     for destination, state in sorted(sends.items()))


def patients_warning(patients: int) -> str:
    """Said in bold above the address when the studies belong to several patients ("" for
    one): the front desk must not send someone else's images along."""
    if patients <= 1:
        return ""
    return (f"These studies belong to {patients} different patients: check that each "
            "should go to this PACS.")


def send_summary(check: DestinationCheck, plan: SendPlan | None, studies: int,
                 patient: str = "") -> str:
    """The sentence above the Send button: what will leave and where to, or what is still
    needed before anything can ("12 images of 1 study will be sent to PACS@10.0.0.5:104
    as LIGHTBOX."); ``patient`` says under whom they will be filed ("filed under
    MRN-0042 (ID issued by HOSP)", see services.send_patient)."""
    if check.missing:
        return f"Fill in {_and(check.missing)} to send."
    if not check.ok:
        return "Correct the PACS address above to send."
    if plan is None or plan.destination != check.destination:
        return f"Counting what {check.destination} still needs..."
    where = f"{check.destination} as {check.calling_aet}" + (f", {patient}" if patient else "")
    if plan.images == 0:
        return (f"{check.destination} has already confirmed all "
                f"{plural(plan.already, 'image', 'images')} of "
                f"{'this study' if studies == 1 else 'these studies'}; nothing needs to be "
                "sent.")
    text = (f"{plural(plan.images, 'image', 'images')} of "
            f"{plural(studies, 'study', 'studies')} ({megabytes(plan.bytes)}) will be sent "
            f"to {where}.")
    if plan.already:
        text += (f" {plural(plan.already, 'image was', 'images were')} confirmed by this "
                 "PACS before and will not be sent again.")
    return text


def _and(words: tuple[str, ...]) -> str:
    quoted = [f"\u201c{w}\u201d" for w in words]
    return quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]


def describe_send(progress: UploadProgress) -> str:
    """A study's line while it is sent: "40 of 151 images confirmed, 5.2 of 19.8 MB,
    9.8 MB/s, 0:02 left"."""
    text = (f"{progress.confirmed} of {plural(progress.total, 'image', 'images')} "
            f"confirmed, {amount_of(progress.bytes_done, progress.bytes_total)}, "
            f"{progress.megabytes_per_second:.1f} MB/s")
    eta = progress.eta_seconds
    if eta is not None and progress.bytes_done < progress.bytes_total:
        text += f", {duration(eta)} left"
    if progress.failed:
        text += f", {progress.failed} not accepted"
    return text


def study_outcome(confirmed: int, total: int) -> str:
    """A study's line once its send ended: "All 151 images confirmed" or "40 of 151
    images confirmed"."""
    if total and confirmed >= total:
        return f"All {plural(total, 'image', 'images')} confirmed"
    return f"{confirmed} of {plural(total, 'image', 'images')} confirmed"


def decoded_note(report: SendReport) -> str:
    """Said when images were decoded because the PACS accepts only uncompressed ones
    ("" when none were)."""
    decoded = sum(s.decoded for s in report.studies)
    if not decoded:
        return ""
    return (f"This PACS accepts only uncompressed images, so "
            f"{plural(decoded, 'compressed image was', 'compressed images were')} decoded "
            "and sent uncompressed (the same pictures, in larger files).")


def failure_lines(studies: tuple[StudySend, ...], labels: dict[str, str]) -> list[str]:
    """One sentence per image the PACS did not accept: the study (``labels`` by UID), the
    image's UID and the PACS's reason."""
    lines = []
    for study in studies:
        label = labels.get(study.study_instance_uid, study.study_instance_uid)
        for uid, reason in study.failed:
            lines.append(f"{label}, image {uid}: {reason}")
    return lines


def finished_status(report: SendReport) -> str:
    """The sentence once a send ended: done, or how many images were not accepted."""
    failed = sum(len(s.failed) for s in report.studies)
    missing = sum(s.total - s.confirmed for s in report.studies)
    if not missing:
        total = sum(s.total for s in report.studies)
        return (f"Done: {report.destination} confirmed all "
                f"{plural(total, 'image', 'images')}.")
    if failed:
        return (f"{report.destination} did not accept "
                f"{plural(failed, 'image', 'images')}; the reasons are below. Try again "
                "sends only the images it has not confirmed.")
    return (f"{report.destination} has not confirmed {plural(missing, 'image', 'images')} "
            "yet. Try again sends only those.")


# Said under the studies whenever a send stopped before the end.
RETRY_HINT = "Try again sends only the images the PACS has not confirmed."


def stopped_status() -> str:
    """The sentence after Cancel: nothing confirmed is lost."""
    return f"Stopped. What the PACS confirmed is kept. {RETRY_HINT}"


def broken_off_status(message: str) -> str:
    """The one sentence at the top when the PACS could not be reached, refused us or
    dropped the connection (``message``: the error's own sentence; RETRY_HINT goes
    under the studies)."""
    return message.strip()
