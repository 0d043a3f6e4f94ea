#!/bin/sh
# Fail early, in one sentence, when the Python that would build the venv cannot.
py="$1"
if [ -z "$py" ]; then
    echo "Lightbox needs Python 3.11 or newer: install python3 (apt-get install python3 python3-venv)." >&2
    exit 1
fi
if ! "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
    echo "Lightbox needs Python 3.11 or newer; $py is $("$py" -V 2>&1)." >&2
    exit 1
fi
if ! "$py" -c 'import ensurepip, venv' 2>/dev/null; then
    echo "Python's venv module is missing: run 'sudo apt-get install python3-venv', then try again." >&2
    exit 1
fi
