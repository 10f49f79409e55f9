#!/usr/bin/env python3
"""The integration test runner: runs every test of the table (or those named on the
command line; shell-style patterns allowed), prints ok/FAIL per test with its
runtime, and exits 1 on any failure. Usage: run.py [--list] [--keep] [NAME|PATTERN...]"""
import fnmatch
import os
import shutil
import sys
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import lib                      # noqa: E402
import tests_cli                # noqa: E402
import tests_picture            # noqa: E402
import tests_profiles           # noqa: E402
import tests_serve              # noqa: E402
import tests_serve_sync         # noqa: E402
import tests_serve_level        # noqa: E402
import tests_webrtc             # noqa: E402
import tests_sip                # noqa: E402
import tests_broadcast          # noqa: E402
import tests_sip_media          # noqa: E402
import tests_sip_dial           # noqa: E402

TESTS = (tests_cli.TESTS[:2] + tests_profiles.TESTS + tests_picture.TESTS + tests_cli.TESTS[2:] +
         tests_serve.TESTS + tests_broadcast.TESTS + tests_serve_sync.TESTS + tests_serve_level.TESTS +
         tests_sip.TESTS + tests_sip_media.TESTS + tests_sip_dial.TESTS + tests_webrtc.TESTS)


def select(args):
    if not args:
        return list(TESTS), []
    chosen, unknown = [], []
    for a in args:
        hits = [t for t in TESTS if fnmatch.fnmatchcase(t[0], a)]
        if not hits:
            unknown.append(a)
        chosen += [t for t in hits if t not in chosen]
    return chosen, unknown


def main(argv):
    keep = "--keep" in argv or os.environ.get("KEEP_ARTIFACTS") == "1"
    args = [a for a in argv if a not in ("--keep", "--list")]
    if "--list" in argv:
        for name, _ in TESTS:
            print(name)
        return 0
    chosen, unknown = select(args)
    for u in unknown:
        print("unknown test: %s (try --list)" % u)
    if unknown:
        return 2
    try:
        print("tessera: %s" % lib.tessera_bin())
    except AssertionError as e:
        print("FAIL setup: %s" % e)
        return 1
    os.makedirs(lib.ARTIFACTS, exist_ok=True)
    failed, used_by_failed = [], set()
    t_all = time.monotonic()
    for name, fn in chosen:
        ctx = lib.Ctx(name)
        t0 = time.monotonic()
        try:
            fn(ctx)
        except AssertionError as e:
            reason = str(e)
        except Exception:                      # a bug in the test itself: show where
            reason = "test error:\n" + traceback.format_exc()
        else:
            reason = None
        dt = time.monotonic() - t0
        if reason is None:
            print("ok   %-24s %6.1f s" % (name, dt), flush=True)
            if not keep:
                shutil.rmtree(ctx.dir, ignore_errors=True)
        else:
            failed.append(name)
            used_by_failed.update(ctx.shared_dirs)
            print("FAIL %s: %s" % (name, reason))
            print("     (%.1f s) artifacts: %s%s" % (dt, ctx.dir, "".join(
                "\n     shared artifacts: %s" % d for d in ctx.shared_dirs)), flush=True)
    if not keep:
        for d in lib.shared_dirs_all():
            if d not in used_by_failed:
                shutil.rmtree(d, ignore_errors=True)
    total = time.monotonic() - t_all
    print("\n%d tests, %d passed, %d failed in %.1f s%s" % (
        len(chosen), len(chosen) - len(failed), len(failed), total,
        (": " + " ".join(failed)) if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
