"""Writing standard DICOM media (PS3.10 File-sets): no Qt, no library.

Given datasets and files, this package names them (``fileids``), describes them in a
DICOMDIR written in one pass (``records``, ``dicomdir``) and puts them where they were asked
for as a folder, a ZIP file or an ISO 9660 image (``target``, ``folder``, ``archive``,
``iso``), atomically: the copy appears whole under its name, or nothing does. Which studies
go in, and what is done to each dataset first, is the application layer's business
(``app.services.exporting``).
"""
