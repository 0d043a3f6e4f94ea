"""De-identification of DICOM datasets (PS3.15 Annex E), without Qt.

The Basic Application Level Confidentiality Profile of Table E.1-1 with the Retain
Longitudinal Temporal Information with Modified Dates and Clean Descriptors options
(``profile``), consistent pseudonymous UIDs, dates and names under a per-library secret
(``keys``), the burned-in text check (``burned_in``) and blacking out rectangles of pixels
(``blackout``). ``deidentifier.Deidentifier`` puts them together as the per-file transform
an exporter or an uploader calls; it never changes the dataset it is given.
"""
