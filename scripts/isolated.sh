#!/bin/sh
# Run a command in a private network namespace that has only loopback (as root, with
# unshare), so the test servers (Orthanc, storescp), which bind every interface, are
# reachable from the tests alone and no test traffic can leave the machine.
# Elsewhere the command runs as it is, and the tests that need the namespace say so.
if [ "$(id -u)" = "0" ] && command -v unshare >/dev/null 2>&1 && command -v ip >/dev/null 2>&1 \
        && unshare -n true 2>/dev/null; then
    exec unshare -n sh -c 'ip link set lo up && LIGHTBOX_NETNS=1 exec "$@"' isolated "$@"
fi
echo "Note: no private network namespace here (needs root and unshare);" \
     "tests that run servers will skip." >&2
exec "$@"
