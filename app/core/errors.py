"""The exception tree: one root, subclasses by cause.

Every message is one plain sentence a patient can read: what happened and what to do.
The CLI prints it to stderr without a traceback; the GUI shows it in a dialog.
"""


class LightboxError(Exception):
    """Root of every error Lightbox raises on purpose."""


class MediaError(LightboxError):
    """A disc, folder, ISO image or ZIP file could not be read."""


class SourceUnreadableError(MediaError):
    """The source as a whole cannot be read (missing, not a medium, damaged container)."""


class RenderError(LightboxError):
    """An image could not be turned into pixels on the screen."""


class DecodeError(RenderError):
    """The pixel data of an image cannot be decoded (no decoder, or damaged data)."""


class LibraryError(LightboxError):
    """The local library could not be read or written."""


class DiskFullError(LibraryError):
    """The disk holding the library has no room for what is being imported."""


class UploadError(LightboxError):
    """Images could not be sent to a cloud account or a PACS."""


class AuthError(UploadError):
    """The server refused the credentials (wrong password, expired token)."""


class CredentialStoreError(UploadError):
    """There is no safe place (OS keyring) to keep a password or token."""


class AccountError(UploadError):
    """An account is missing, misnamed or set up wrongly (e.g. plain HTTP to the internet)."""
