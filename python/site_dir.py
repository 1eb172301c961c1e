"""Prints where `cmake --install` puts the clnn package, relative to the
prefix given as argv[1]: the site-packages directory of this python3 that
lies under the prefix (so python3 finds the package with no PYTHONPATH), else
lib/python3.X/site-packages (which then goes on PYTHONPATH)."""
import os
import site
import sys

prefix = os.path.realpath(sys.argv[1])
candidates = list(site.getsitepackages())
if site.ENABLE_USER_SITE is not False:
    candidates.append(site.getusersitepackages())
for c in candidates:
    c = os.path.realpath(c)
    # lib/..., never the site of a prefix nested in this one (/usr/local's under /usr)
    if c.startswith(prefix.rstrip("/") + "/") and os.path.relpath(c, prefix).startswith("lib"):
        print(os.path.relpath(c, prefix))
        break
else:
    print(f"lib/python3.{sys.version_info.minor}/site-packages")
