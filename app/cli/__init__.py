"""The command-line interface: the contract in DESIGN.md, kept thin.

``parser`` builds the argument tree, ``commands`` runs one command through the application
layer (``app.services``), ``contract`` makes the JSON objects scripts depend on,
``printers`` the human output, ``progress`` the progress lines on stderr. Importing this
package stays cheap: each command imports its own modules when it runs.
"""

from app.cli.entry import main

__all__ = ["main"]
