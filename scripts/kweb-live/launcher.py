"""Runs kcli's unmodified kweb for tests (shared/docs/kweb-live.md §5.2).

Differences from the stock `kweb` console script, and nothing else:
- one `test:///default` libvirt connection is held for the life of the process,
  so the test driver keeps its state between requests (kweb opens and drops a
  connection per request, which would reset the driver every time);
- the pool `default-pool` is seeded with one 1 GiB volume per name in
  `KWEB_SEED_IMAGES` (comma-separated), e.g. `cirros.qcow2,ubuntu2404,boot.iso`;
- it listens on 127.0.0.1 instead of `::` (kweb has no authentication).

Arguments: optional single `--readonly` (as `kweb --readonly`); `--no-hold`
skips the held connection and the seeding (the backend-unreachable instance
needs neither). Port from `KWEB_PORT` (default 8000), debug pages when
`KWEB_DEBUG` is set, exactly as kweb reads them.
"""

import os
import sys

args = sys.argv[1:]
readonly = "--readonly" in args
hold = "--no-hold" not in args
unknown = [a for a in args if a not in ("--readonly", "--no-hold")]
if unknown:
    sys.exit(f"launcher.py: unknown arguments {unknown}")

keep = None
if hold:
    import libvirt

    keep = libvirt.open("test:///default")  # held until the process exits
    pool = keep.storagePoolLookupByName("default-pool")
    for name in filter(None, os.environ.get("KWEB_SEED_IMAGES", "").split(",")):
        pool.createXML(
            f"<volume><name>{name}</name><capacity unit='G'>1</capacity></volume>", 0
        )

from kvirt.web import Kweb  # noqa: E402  (after the held connection, on purpose)

web = Kweb(readonly=readonly)
if readonly:
    print("Enabling readonly mode", flush=True)
web.app.run(host="127.0.0.1", port=int(web.port), debug=web.debug)
