"""The exception tree: one root, subclasses by cause.

Every message is one plain sentence a patient can read: what happened and what to do.
The CLI prints it to stderr without a traceback and exits with the error's ``exit_code``
(DESIGN.md: 1 done with problems that were reported, 2 bad usage or a source that cannot be
read at all); the GUI shows it in a dialog.
"""

EXIT_OK = 0
EXIT_PROBLEMS = 1
EXIT_UNUSABLE = 2


class LightboxError(Exception):
    """Root of every error Lightbox raises on purpose."""

    exit_code = EXIT_PROBLEMS


class UsageError(LightboxError):
    """The command was asked for something it cannot do as asked (no such path, no display)."""

    exit_code = EXIT_UNUSABLE


class MediaError(LightboxError):
    """A disc, folder, ISO image or ZIP file could not be read."""


class SourceUnreadableError(MediaError):
    """The source as a whole cannot be read (missing, not a medium, damaged container)."""

    exit_code = EXIT_UNUSABLE


class RenderError(LightboxError):
    """An image could not be turned into pixels on the screen."""

    exit_code = EXIT_UNUSABLE


class DecodeError(RenderError):
    """The pixel data of an image cannot be decoded (no decoder, or damaged data)."""


class LibraryError(LightboxError):
    """The local library could not be read or written."""

    exit_code = EXIT_UNUSABLE


class DiskFullError(LibraryError):
    """The disk holding the library has no room for what is being imported."""


class UploadError(LightboxError):
    """Images could not be sent to a cloud account or a PACS."""


class RetryableError(UploadError):
    """A failure that may pass if the same request is sent again later (connection lost,
    timeout, 408, 429, 5xx); ``retry_after`` is the server's hint in seconds, if any."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class AuthError(UploadError):
    """The server refused the credentials (wrong password, expired token)."""

    exit_code = EXIT_UNUSABLE


class CredentialStoreError(UploadError):
    """There is no safe place (OS keyring) to keep a password or token."""

    exit_code = EXIT_UNUSABLE


class AccountError(UploadError):
    """An account is missing, misnamed or set up wrongly (e.g. plain HTTP to the internet)."""

    exit_code = EXIT_UNUSABLE


class NotOnAccountError(UploadError):
    """A study is not (completely) on an account, so there is nothing to link to yet."""


class NoViewerAddressError(AccountError):
    """An account has no viewer address, so no link can be made for it."""


class PacsError(UploadError):
    """A PACS cannot be reached, refused the association or dropped it."""

    exit_code = EXIT_UNUSABLE


class ExportError(LightboxError):
    """A copy could not be written where it was asked for (the place is taken, cannot be
    written, or the disk filled up); nothing is left behind."""

    exit_code = EXIT_UNUSABLE


class ExcludedFromExport(LightboxError):
    """Raised by an export transform to leave one instance out of the copy; the message is
    the sentence the export's warning gives for it (see ``app.services.exporting``)."""


class DeidentifyError(LightboxError):
    """A copy could not be de-identified as asked (pixels that cannot be blacked out, a
    damaged rule file, a library that cannot keep its de-identification secret)."""


class PresentationStateError(LightboxError):
    """A presentation state (GSPS) cannot be read or written: damaged, not one, or asked
    to hold something it cannot."""
