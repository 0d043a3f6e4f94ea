"""The library as the CLI and the GUI see it: one façade over the index, the store and the
jobs that change them.

Each call opens the library for its own duration, so a call may run on any thread (the
GUI runs them on its worker pool). Jobs (:meth:`LibraryService.import_media`,
:meth:`LibraryService.upload`, :meth:`LibraryService.upload_medium`,
:meth:`LibraryService.export`, :meth:`LibraryService.verify`) are generators that open the
library when they start and close it when they end. Every change of files and index goes
through the library's one writer lock (imports and deletions); upload state is one SQLite
transaction per batch and touches no file, so an upload may run beside an import; an
export only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.core.errors import LibraryError, NotOnAccountError, NoViewerAddressError, UsageError
from app.core.models import PatientKey
from app.core.paths import lightbox_home
from app.library.library import Library, SentIdentity, ShareRow, StudyRow
from app.services import audit
from app.services.copy_options import DeidentifyOptions

# The jobs' modules are imported when a job starts: `lightbox library list` needs neither
# the media readers nor the upload client, and start-up time is what a script waits for.
if TYPE_CHECKING:
    from app.cloud.accounts import Account
    from app.cloud.dicomweb import DicomWebClient
    from app.core.models import InstanceRef
    from app.services.annotation_values import MeasurementRow
    from app.services.annotations import Annotation, AnnotationDocument
    from app.services.burned_in_review import BurnedInImage
    from app.services.deidentifying import BlackoutRule
    from app.services.disc_upload import DiscUploadProgress, DiscUploadReport
    from app.services.exporting import ExportProgress, ExportReport, Format
    from app.services.importing import ImportProgress, ImportReport
    from app.services.prior_lookup import PriorStudy
    from app.services.reconciling import DiscIdentity, LocalIdentity, ReconcileForm
    from app.services.send_plan import SendPlan
    from app.services.sending import SendReport
    from app.services.series_matching import SeriesMatch
    from app.services.share_copy import ShareCopyReport
    from app.services.uploading import UploadProgress, UploadReport
    from app.services.verification import VerifyProgress, VerifyReport
    from app.services.viewer_model import OpenSource

__all__ = ["DeidentifyOptions", "LibraryService", "LibrarySummary", "PatientKey",
           "SentIdentity", "ShareRow", "StudyRow", "UploadPlan"]


@dataclass(frozen=True)
class LibrarySummary:
    """What the status bar says about the library."""

    studies: int
    images: int

    @classmethod
    def of(cls, rows: list[StudyRow]) -> LibrarySummary:
        """The summary of these rows: the table and the status bar show one listing."""
        return cls(len(rows), sum(r.instances for r in rows))


@dataclass(frozen=True)
class UploadPlan:
    """Exactly what an upload would send: the studies, and per study the images and bytes
    the account has not confirmed yet."""

    account: str
    rows: tuple[StudyRow, ...]
    pending_images: dict[str, int]
    pending_bytes: dict[str, int]

    @property
    def images(self) -> int:
        """Images still to send, all studies together."""
        return sum(self.pending_images.values())

    @property
    def bytes(self) -> int:
        """Bytes still to send, all studies together."""
        return sum(self.pending_bytes.values())

    @property
    def patients(self) -> int:
        """How many different patients the upload carries (shown before anything leaves)."""
        return len({(r.patient_id, r.patient_name) for r in self.rows})


class LibraryService:
    """The library under ``home`` (LIGHTBOX_HOME by default)."""

    def __init__(self, home: Path | None = None) -> None:
        self.home = home if home is not None else lightbox_home()

    def _open(self) -> Library:
        return Library(self.home)

    # -- reading ---------------------------------------------------------------------
    def studies(self, search: str = "", patient_id: str | None = None) -> list[StudyRow]:
        """Every study, newest first; ``search`` filters on name, ID, description and date,
        ``patient_id`` keeps one patient's studies."""
        with self._open() as library:
            rows = library.list_studies(search)
        if patient_id is not None:
            rows = [r for r in rows if r.patient_id == patient_id]
        return rows

    def studies_by_uid(self, study_uids: list[str]) -> list[StudyRow]:
        """The rows of these studies, in the order asked (unknown UIDs are left out)."""
        by_uid = {r.study_instance_uid: r for r in self.studies()}
        return [by_uid[uid] for uid in study_uids if uid in by_uid]

    def summary(self) -> LibrarySummary:
        """How many studies and images the library holds."""
        with self._open() as library:
            return LibrarySummary.of(library.list_studies())

    def study_contents(self, study_instance_uid: str) -> tuple[Path, list[InstanceRef]]:
        """The store folder and the instances of one study (paths relative to that folder),
        as the viewer opens a library study."""
        with self._open() as library:
            return library.store.root, library.study_instances(study_instance_uid)

    def upload_plan(self, study_uids: list[str], account: str) -> UploadPlan:
        """What uploading these studies to ``account`` would send now."""
        with self._open() as library:
            rows = tuple(r for r in library.list_studies() if r.study_instance_uid in
                         set(study_uids))
            images: dict[str, int] = {}
            sizes: dict[str, int] = {}
            for uid in study_uids:
                pending = library.pending_uploads(uid, account)
                images[uid] = len(pending)
                sizes[uid] = sum(p.size for p in pending)
        return UploadPlan(account, rows, images, sizes)

    def send_plan(self, study_uids: list[str], destination: str) -> SendPlan:
        """What sending these studies to the PACS ``destination`` (``AET@HOST:PORT``)
        would carry now. UsageError for a bad address."""
        from app.services.send_plan import plan_send
        from app.services.sending import destination_of

        key = str(destination_of(destination))
        with self._open() as library:
            return plan_send(study_uids, key, library)

    def viewer_link(self, study_instance_uid: str, account: Account) -> str:
        """The link a doctor opens to see a study that is completely on ``account``.

        NoViewerAddressError when the account has no viewer address; LibraryError for a
        study not in the library; NotOnAccountError (saying how far it got) when the
        account has not confirmed every image of the study.
        """
        from app.services.uploading import study_link

        if not account.viewer_url:
            raise NoViewerAddressError(
                f"The account {account.name} has no viewer address, so there is no link to "
                "give; add one to the account (its viewer's address)."
            )
        with self._open() as library:
            if not library.study_exists(study_instance_uid):
                raise LibraryError(f"There is no study {study_instance_uid} in the library.")
            total, _ = library.study_size(study_instance_uid)
            confirmed = library.confirmed_count(study_instance_uid, account.name)
        if confirmed < total:
            raise NotOnAccountError(
                f"{account.name} has confirmed {confirmed} of the {total} images of this "
                "study, so a doctor would not see all of it; upload it to "
                f"{account.name} first."
            )
        link = study_link(account, study_instance_uid)
        assert link is not None  # The account has a viewer address (checked above).
        return link

    def shares(self, study_instance_uid: str | None = None) -> list[ShareRow]:
        """The viewer links given out, newest first (one study's, or all)."""
        with self._open() as library:
            return library.shares(study_instance_uid)

    def annotations(self, study_instance_uid: str) -> list[Annotation]:
        """A study's saved annotations, in drawing order."""
        from app.services.annotation_store import from_record

        with self._open() as library:
            records = library.annotations(study_instance_uid)
        return [from_record(study_instance_uid, r) for r in records]

    def annotation_document(self, study_instance_uid: str) -> AnnotationDocument:
        """The study's annotations to view and change, saved here after every change; for
        a study that is not in the library (a disc viewed without importing), an empty
        document kept in memory only (``persistent`` False; ``persist_to`` after an
        import keeps it)."""
        from app.services.annotations import AnnotationDocument

        with self._open() as library:
            if not library.study_exists(study_instance_uid):
                return AnnotationDocument(study_instance_uid)
        return AnnotationDocument(study_instance_uid, self.annotations(study_instance_uid),
                                  self.annotation_saver(study_instance_uid))

    def measurements(self, study_instance_uid: str) -> list[MeasurementRow]:
        """The side list of a study's saved measurements, computed from its stored images
        (see ``annotation_values``; ``to_csv`` makes the CSV file of it)."""
        from app.services.annotation_values import file_images, measurement_rows

        annotations = self.annotations(study_instance_uid)
        paths = {}
        with self._open() as library:
            for uid in {a.sop_instance_uid for a in annotations}:
                stored = library.find(uid)
                if stored is not None:
                    paths[uid] = library.store.path(stored.file)
        return measurement_rows(annotations, file_images(paths))

    def annotation_saver(self, study_instance_uid: str
                         ) -> Callable[[tuple[Annotation, ...]], None]:
        """The function that saves a study's whole annotation set here (for
        ``AnnotationDocument.persist_to``)."""

        def save(annotations: tuple[Annotation, ...]) -> None:
            self.save_annotations(study_instance_uid, annotations)

        return save

    def prior_studies(self, study_uid: str) -> list[PriorStudy]:
        """The earlier studies of this study's patient, most recent first: ``same``
        patient (same ID, issuers and the rest agreeing), ``confirmed`` by the user, or
        ``suggested`` (maybe the same person, e.g. another site's ID with the same name
        and birth date: ask with ``prior_lookup.confirmation_question`` before use).
        Rules in ``services.priors``; [] for a study not in the library."""
        from app.services.prior_lookup import prior_studies

        with self._open() as library:
            return prior_studies(library, study_uid)

    def previous_study(self, study_uid: str) -> PriorStudy | None:
        """The study "Compare with previous" opens: the most recent earlier study known
        to be the same patient's (by the rules or confirmed); None when there is none."""
        return next((p for p in self.prior_studies(study_uid)
                     if p.match in ("same", "confirmed")), None)

    def matching_series(self, current_uid: str, prior_uid: str) -> list[SeriesMatch]:
        """Which series of the earlier study ``prior_uid`` to show beside each series of
        ``current_uid``, best pairs first, each with its reason in plain words (same
        modality, body part and plane first: ``services.series_matching``)."""
        from app.services.prior_lookup import study_series_matches

        with self._open() as library:
            return study_series_matches(library, current_uid, prior_uid)

    # -- changing --------------------------------------------------------------------
    def save_annotations(self, study_instance_uid: str,
                         annotations: tuple[Annotation, ...] | list[Annotation]) -> None:
        """Make ``annotations`` the study's saved set, in one transaction (drawing is not
        audited: it changes no image and shares nothing). LibraryError when the study is
        not in the library."""
        from app.services.annotation_store import to_record

        records = [to_record(a) for a in annotations]
        with self._open() as library:
            library.save_annotations(study_instance_uid, records)

    def confirm_same_patient(self, study_uid: str, other_uid: str) -> None:
        """The user says the patients of these two studies are the same person: the
        other study is offered as a prior (``confirmed``) from now on. Nothing is merged.
        LibraryError when either study is not in the library."""
        from app.services.prior_lookup import decide

        with self._open() as library:
            decide(library, study_uid, other_uid, same=True)

    def reject_same_patient(self, study_uid: str, other_uid: str) -> None:
        """The user says the patients of these two studies are different people: that
        pair is never suggested again (also when their IDs agree). LibraryError when
        either study is not in the library."""
        from app.services.prior_lookup import decide

        with self._open() as library:
            decide(library, study_uid, other_uid, same=False)

    def record_share(self, study_instance_uid: str, account: str, link: str,
                     how: str) -> None:
        """Remember that a study's link was given out (copied, shown as a QR code,
        emailed, printed)."""
        with audit.audited(self.home, "share", f"{account} ({how})", [study_instance_uid]), \
                self._open() as library:
            library.record_share(study_instance_uid, account, link, how)

    def delete_study(self, study_instance_uid: str) -> int:
        """Remove a study and its files; the number of images removed."""
        with audit.audited(self.home, "delete", "", [study_instance_uid]) as record, \
                self._open() as library:
            removed = library.delete_study(study_instance_uid)
            record.done(f"ok: {removed} images removed")
            return removed

    def record_view(self, source: OpenSource, study_uids: list[str]) -> None:
        """Record in the audit log that a viewer shows these studies: of the library, or
        of the medium at ``source.path``. Never raises (see services.audit)."""
        where = "library" if source.kind == "library" else str(source.path)
        audit.record(self.home, "view", study_uids, where, "ok")

    def import_media(
        self, source: Path, patients: set[PatientKey] | None = None
    ) -> Iterator[ImportProgress | ImportReport]:
        """Import everything readable at ``source`` (see services.importing); ``patients``
        (None: all) keeps only the images of those (Patient ID, Patient's Name) pairs."""
        from app.services.importing import ImportReport
        from app.services.importing import import_media as _import_media

        with audit.audited(self.home, "import", str(source)) as record, \
                self._open() as library:
            yield from record.watch(_import_media(source, library, patients),
                                    ImportReport, audit.import_outcome)

    def upload(
        self, study_uids: list[str], account: Account,
        make_client: Callable[[], DicomWebClient],
    ) -> Iterator[UploadProgress | UploadReport]:
        """Upload studies to ``account`` (see services.uploading); ``make_client`` gives one
        client per connection (AccountsService.client_factory)."""
        from app.services.uploading import UploadReport, upload_studies

        with audit.audited(self.home, "upload", account.name, study_uids) as record, \
                self._open() as library:
            yield from record.watch(upload_studies(study_uids, account, library, make_client),
                                    UploadReport, audit.upload_outcome)

    def send(
        self, study_uids: list[str], destination: str, calling_aet: str = "LIGHTBOX",
        identity: LocalIdentity | None = None, resend: bool = False,
    ) -> Iterator[UploadProgress | SendReport]:
        """C-STORE studies to the PACS ``destination`` (``AET@HOST:PORT``) as
        ``calling_aet`` (see services.sending). UsageError for a bad address.

        With ``identity`` the PACS receives copies carrying that local patient (the
        library's files stay as they are; see services.reconciling), and the library
        records it. UsageError, before anything is sent, when the PACS already confirmed
        a study sent under another identity; ``resend`` sends every image again (after
        the PACS's copy was corrected or deleted there)."""
        from app.cloud.dimse import check_ae_title
        from app.services.sending import SendReport, destination_of, send_studies

        target = destination_of(destination)
        check_ae_title(calling_aet)
        with audit.audited(self.home, "send", destination, study_uids) as record, \
                self._open() as library:
            yield from record.watch(
                send_studies(study_uids, target, calling_aet, library, identity, resend),
                SendReport, audit.send_outcome)

    def identity_on_disc(self, study_instance_uid: str) -> DiscIdentity:
        """The patient as a study's stored images name it (the form's starting values),
        with a sentence for each field its images disagree on. LibraryError for a study
        the library does not hold."""
        from app.services.reconciling import identity_on_disc

        with self._open() as library:
            if not library.study_exists(study_instance_uid):
                raise LibraryError(f"There is no study {study_instance_uid} in the library.")
            paths = [library.store.path(f.file) for f in library.study_files(study_instance_uid)]
        return identity_on_disc(paths)

    def reconcile_form(self, study_instance_uid: str, issuer: str = "") -> ReconcileForm:
        """The reconciliation form of a study, filled from its stored images (the local
        Patient ID empty, the issuer ``issuer``: the hospital's usual one)."""
        from app.services.reconciling import ReconcileForm

        return ReconcileForm(self.identity_on_disc(study_instance_uid), issuer=issuer)

    def send_identities(self, study_instance_uid: str | None = None,
                        destination: str | None = None) -> list[SentIdentity]:
        """Which identity studies were sent under, per destination and when, newest
        first (None fields: the disc's value was kept)."""
        with self._open() as library:
            return library.send_identities(study_instance_uid, destination)

    def upload_medium(
        self, source: Path, account: Account, make_client: Callable[[], DicomWebClient],
        patients: set[PatientKey] | None = None,
    ) -> Iterator[DiscUploadProgress | DiscUploadReport]:
        """Import ``source`` and upload its studies to ``account`` in one overlapped pass
        (see services.disc_upload); ``patients`` as for :meth:`import_media`."""
        from app.services.disc_upload import DiscUploadReport, upload_medium

        # Two entries, as two actions: the import from the medium, then (the outer
        # record, written last) the upload.
        with audit.audited(self.home, "upload", account.name) as uploaded, \
                audit.audited(self.home, "import", str(source)) as imported, \
                self._open() as library:
            job = upload_medium(source, account, library, make_client, patients=patients)
            yield from imported.watch(
                uploaded.watch(job, DiscUploadReport, audit.disc_upload_outcome),
                DiscUploadReport, audit.disc_import_outcome)

    def export(
        self, study_uids: list[str], out: Path, format: Format = "folder",
        deidentify: DeidentifyOptions | None = None, identity: LocalIdentity | None = None,
    ) -> Iterator[ExportProgress | ExportReport]:
        """Write studies as standard media (a folder, ZIP file or ISO image with a
        DICOMDIR) at ``out`` (see services.exporting).

        With ``deidentify`` the copy is de-identified (PS3.15 Annex E, see
        services.deidentifying): new names, IDs and UIDs (the same on every copy from this
        library), dates shifted per patient, the library's black-out rules applied; images
        that may show burned-in text and have no rule are left out, each with a warning,
        unless ``deidentify.include_burned_in``. The report's ``deidentified`` says so,
        and its notes say what was blacked out or included as asked.

        With ``identity`` the copy carries that local patient (see services.reconciling;
        the report's ``identity`` says so); it cannot be combined with ``deidentify``
        (UsageError).
        """
        if identity is not None and deidentify is not None:
            raise UsageError("A copy is either de-identified or reconciled to a local "
                             "patient, not both: leave out --deidentify or the local "
                             "patient's options.")
        from app.services.exporting import ExportReport, export_studies

        with audit.audited(self.home, "export", str(out), study_uids) as record, \
                self._open() as library:
            if identity is not None:
                from app.services.reconciling import rewriter

                job = export_studies(study_uids, out, format, library, rewriter(identity),
                                     identity=identity)
            elif deidentify is None:
                job = export_studies(study_uids, out, format, library)
            else:
                from app.services.deidentifying import export_deidentified

                job = export_deidentified(study_uids, out, format, library, deidentify)
            yield from record.watch(job, ExportReport, audit.export_outcome)

    def burned_in_images(self, study_uid: str) -> list[BurnedInImage]:
        """The images of a study that may show text burned into their pixels, which a
        de-identified copy leaves out unless included or blacked out (their reason in
        plain words, modality, size, and whether a saved black-out rule applies).
        LibraryError for a study the library does not hold."""
        from app.services.burned_in_review import burned_in_images
        from app.services.deidentifying import blackout_rules

        with self._open() as library:
            if not library.study_exists(study_uid):
                raise LibraryError(f"There is no study {study_uid} in the library.")
            return burned_in_images(library, study_uid, blackout_rules(self.home))

    def blackout_rules(self) -> list[BlackoutRule]:
        """The saved black-out rules (one per modality and image size). DeidentifyError
        when the rule file is damaged."""
        from app.services.deidentifying import blackout_rules

        return blackout_rules(self.home)

    def save_blackout_rule(self, rule: BlackoutRule) -> None:
        """Save a black-out rule, replacing the one for the same modality and size; every
        later de-identified copy blacks out those rectangles on such images."""
        from app.services.deidentifying import save_blackout_rule

        save_blackout_rule(self.home, rule)

    def delete_blackout_rule(self, modality: str, rows: int, columns: int) -> bool:
        """Forget the black-out rule for this modality and size; False when there was
        none."""
        from app.services.deidentifying import delete_blackout_rule

        return delete_blackout_rule(self.home, modality, rows, columns)

    def share_without_name(
        self, study_uid: str, account: Account, make_client: Callable[[], DicomWebClient],
        options: DeidentifyOptions | None = None,
    ) -> Iterator[ExportProgress | UploadProgress | ShareCopyReport]:
        """"Share a copy without my name": upload a de-identified copy of one study to
        ``account`` and give the viewer link of the copy (see services.share_copy).

        Yields ExportProgress while the copy is made (in a temporary folder beside the
        library), UploadProgress while it is sent, then the ShareCopyReport (the copy's
        study UID, what the account confirmed, the link or why there is none, the images
        left out). The copy's UIDs are the same on every run, so sending it again is
        harmless and later copies of the same patient link up. The temporary copy is
        removed at the end, also on cancel (close the generator) or failure.
        """
        from app.services.share_copy import ShareCopyReport, share_copy

        with audit.audited(self.home, "share", account.name, [study_uid]) as record, \
                self._open() as library:
            yield from record.watch(
                share_copy(library, study_uid, account, make_client,
                           options or DeidentifyOptions()),
                ShareCopyReport, audit.share_copy_outcome)

    def verify(self) -> Iterator[VerifyProgress | VerifyReport]:
        """Check every stored file against its recorded hash."""
        from app.services.verification import verify_library

        with self._open() as library:
            yield from verify_library(library)
