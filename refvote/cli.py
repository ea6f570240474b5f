"""`refvote`: one entry point; each subcommand imports its package only when it runs.

So `refvote verify` loads only what the verifier needs, and `refvote --version` loads
nothing else at all.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from refvote import __version__

# subcommand path → "module:function"; the module is imported only when the command runs.
Handler = Callable[[argparse.Namespace], int]


def _lazy(target: str) -> Handler:
    def run(args: argparse.Namespace) -> int:
        module_name, func = target.split(":")
        handler: Handler = getattr(importlib.import_module(module_name), func)
        return handler(args)

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="refvote",
        description="Offline electronic voting for national referendums.",
    )
    parser.add_argument("--version", action="version", version=f"refvote {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    crypto = commands.add_parser("crypto", help="the cryptographic core")
    crypto_commands = crypto.add_subparsers(dest="crypto_command", metavar="COMMAND", required=True)
    selftest = crypto_commands.add_parser(
        "selftest",
        help="library check, then a 3-of-5 ceremony, encryption, sums and threshold decryption",
    )
    selftest.add_argument("--ballots", type=int, default=200, help="ballots to encrypt (200)")
    selftest.set_defaults(run=_lazy("refvote.cmd_crypto:selftest"))

    package = commands.add_parser(
        "package", help="the referendum definition and the election package"
    )
    package_commands = package.add_subparsers(
        dest="package_command", metavar="COMMAND", required=True
    )
    freeze = package_commands.add_parser(
        "freeze", help="validate the officials' TOML source and write the canonical definition.json"
    )
    freeze.add_argument("source", help="the definition source (TOML)")
    freeze.add_argument("--out", default="definition.json", help="where to write (definition.json)")
    freeze.add_argument("--force", action="store_true", help="replace an existing file")
    freeze.set_defaults(run=_lazy("refvote.cmd_package:freeze"))
    build = package_commands.add_parser(
        "build", help="sign the election package (after the ceremony)"
    )
    build.add_argument("--definition", required=True, help="definition.json (or its TOML source)")
    build.add_argument("--ceremony", required=True, help="the ceremony's public folder")
    build.add_argument("--authority-key", required=True, help="the election authority's key file")
    build.add_argument(
        "--booth-keys",
        required=True,
        help="folder of <booth_id>.pub.json signing keys and <booth_id>.tls.pub.pem TLS keys",
    )
    build.add_argument("--tally-key", required=True, help="the tally station's public key file")
    build.add_argument(
        "--station-keys",
        required=True,
        help="folder of <station_id>.pub.json poll-book keys and <station_id>.tls.pub.pem",
    )
    build.add_argument("--pins", required=True, help="poll-worker PINs CSV: station_id,pin")
    build.add_argument("--roll", required=True, help="voter roll CSV: station_id,serial_number")
    build.add_argument(
        "--ca", action="append", default=[], help="a trusted eID CA certificate (repeatable)"
    )
    build.add_argument("--crl", action="append", default=[], help="a revocation list (repeatable)")
    build.add_argument("--out", required=True, help="a new folder for the package")
    build.set_defaults(run=_lazy("refvote.cmd_package:build"))
    inspect = package_commands.add_parser("inspect", help="verify an election package and show it")
    inspect.add_argument("package", help="the package folder")
    inspect.add_argument("--authority", metavar="FINGERPRINT", help="pin the authority key")
    inspect.set_defaults(run=_lazy("refvote.cmd_package:inspect"))

    dev = commands.add_parser("dev", help="demo and test helpers (never for an election)")
    dev_commands = dev.add_subparsers(dest="dev_command", metavar="COMMAND", required=True)
    keys = dev_commands.add_parser(
        "keys", help="make demo authority, tally, booth and poll-book keys and PINs"
    )
    keys.add_argument("--definition", required=True, help="definition.json (or its TOML source)")
    keys.add_argument("--out", required=True, help="a new folder for the keys")
    keys.set_defaults(run=_lazy("refvote.cmd_package:dev_keys"))
    cards = dev_commands.add_parser("make-cards", help="make a test eID CA and test cards")
    cards.add_argument("--out", required=True, help="a new folder")
    cards.add_argument("--count", type=int, default=5)
    cards.add_argument(
        "--kind", choices=("rsa", "ec"), default="rsa", help="RSA-2048 or ECDSA P-256"
    )
    cards.set_defaults(run=_lazy("refvote.cmd_dev:make_cards"))

    trustee = commands.add_parser(
        "trustee", help="a trustee's steps, on the trustee's own offline device"
    )
    trustee_commands = trustee.add_subparsers(
        dest="trustee_command", metavar="COMMAND", required=True
    )
    t_init = trustee_commands.add_parser("init", help="make this trustee's identity on its medium")
    t_init.add_argument("--medium", required=True)
    t_init.add_argument("--name", required=True)
    t_init.add_argument("--passphrase-file")
    t_init.set_defaults(run=_lazy("refvote.cmd_trustee:init"))
    t_step = trustee_commands.add_parser("step", help="do the next step of the key ceremony")
    t_step.add_argument("--medium", required=True)
    t_step.add_argument(
        "--ceremony", required=True, help="the ceremony folder as the officials published it"
    )
    t_step.add_argument("--passphrase-file")
    t_step.add_argument(
        "--deadline-passed", action="store_true", help="complain about envelopes still missing"
    )
    t_step.set_defaults(run=_lazy("refvote.cmd_trustee:step"))
    t_accept = trustee_commands.add_parser(
        "accept", help="pin the signed election package on this medium (after the ceremony)"
    )
    t_accept.add_argument("package", help="the election package folder")
    t_accept.add_argument("--medium", required=True)
    t_accept.add_argument(
        "--authority", required=True, help="the authority key's fingerprint, read aloud"
    )
    t_accept.add_argument("--passphrase-file")
    t_accept.set_defaults(run=_lazy("refvote.cmd_trustee:accept"))
    t_decrypt = trustee_commands.add_parser(
        "decrypt", help="verify a record and give decryption shares"
    )
    t_decrypt.add_argument("--medium", required=True)
    t_decrypt.add_argument("--record", required=True, help="the pre-decryption record")
    t_decrypt.add_argument(
        "--authority",
        required=True,
        help="the authority key's fingerprint, read aloud at the decryption session",
    )
    t_decrypt.add_argument("--passphrase-file")
    t_decrypt.set_defaults(run=_lazy("refvote.cmd_trustee:decrypt"))

    tally = commands.add_parser("tally", help="the air-gapped tally station")
    tally_commands = tally.add_subparsers(dest="tally_command", metavar="COMMAND", required=True)
    ceremony = tally_commands.add_parser(
        "ceremony", help="open, collect, restart or rehearse the key ceremony"
    )
    ceremony_commands = ceremony.add_subparsers(
        dest="ceremony_command", metavar="COMMAND", required=True
    )
    c_open = ceremony_commands.add_parser("open", help="open a ceremony: roster and nonce")
    c_open.add_argument("--definition", required=True, help="definition.json")
    c_open.add_argument("--k", type=int, required=True, help="threshold")
    c_open.add_argument(
        "--trustee",
        action="append",
        required=True,
        metavar="NAME=PUBKEY",
        help="a trustee and its identity.pub.json, in order (repeat)",
    )
    c_open.add_argument("--out", required=True)
    c_open.set_defaults(run=_lazy("refvote.cmd_tally:ceremony_open"))
    c_collect = ceremony_commands.add_parser(
        "collect", help="check and publish the trustees' new files"
    )
    c_collect.add_argument("--ceremony", required=True)
    c_collect.add_argument("media", nargs="+", help="trustee media")
    c_collect.set_defaults(run=_lazy("refvote.cmd_tally:ceremony_collect"))
    c_restart = ceremony_commands.add_parser(
        "restart", help="a new ceremony without excluded trustees"
    )
    c_restart.add_argument("--ceremony", required=True)
    c_restart.add_argument("--exclude", type=int, action="append", required=True)
    c_restart.add_argument("--out", required=True)
    c_restart.set_defaults(run=_lazy("refvote.cmd_tally:ceremony_restart"))
    c_rehearse = ceremony_commands.add_parser(
        "rehearse", help="every trustee on this machine (rehearsals only)"
    )
    c_rehearse.add_argument("--definition", required=True)
    c_rehearse.add_argument("--n", type=int, default=5)
    c_rehearse.add_argument("--k", type=int, default=3)
    c_rehearse.add_argument("--passphrase-file", help="one passphrase per line, trustee 1 first")
    c_rehearse.add_argument("--out", required=True)
    c_rehearse.add_argument("--media", required=True)
    c_rehearse.set_defaults(run=_lazy("refvote.cmd_tally:ceremony_rehearse"))
    t_init2 = tally_commands.add_parser(
        "init", help="verify the election package into a new workspace"
    )
    t_init2.add_argument("--package", required=True)
    t_init2.add_argument("--workspace", required=True)
    t_init2.add_argument("--authority", metavar="FINGERPRINT")
    t_init2.set_defaults(run=_lazy("refvote.cmd_tally:init"))
    t_import = tally_commands.add_parser("import", help="verify and import booth exports")
    t_import.add_argument("--workspace", required=True)
    t_import.add_argument("media", nargs="+", help="export files or media folders")
    t_import.set_defaults(run=_lazy("refvote.cmd_tally:import_"))
    t_prepare = tally_commands.add_parser(
        "prepare", help="write the pre-decryption record for trustees"
    )
    t_prepare.add_argument("--workspace", required=True)
    t_prepare.add_argument("--tally-key", required=True)
    t_prepare.add_argument("--out", required=True)
    t_prepare.set_defaults(run=_lazy("refvote.cmd_tally:prepare"))
    t_dec = tally_commands.add_parser(
        "decrypt", help="check trustees' decryption shares as they arrive"
    )
    t_dec.add_argument("--workspace", required=True)
    t_dec.add_argument("media", nargs="+", help="shares files or trustee media")
    t_dec.set_defaults(run=_lazy("refvote.cmd_tally:decrypt"))
    t_pub = tally_commands.add_parser(
        "publish", help="decrypt, write the record and the official reports"
    )
    t_pub.add_argument("--workspace", required=True)
    t_pub.add_argument("--tally-key", required=True)
    t_pub.add_argument("--out", required=True)
    t_pub.add_argument("--reports", help="folder for the reports (default: OUT-reports)")
    t_pub.add_argument("--official", action="store_true", help="print OFFICIAL instead of TEST")
    t_pub.add_argument(
        "--authority",
        metavar="FINGERPRINT",
        help="the authority key's read-aloud fingerprint: the record is verified against it and "
        "the public site written (without it, the site is not written)",
    )
    t_pub.set_defaults(run=_lazy("refvote.cmd_tally:publish"))
    t_rule = tally_commands.add_parser(
        "rule", help="Art. 29 of the Referendum Act on given figures"
    )
    t_rule.add_argument("--eligible", type=int, required=True)
    t_rule.add_argument("--yes", type=int, required=True)
    t_rule.add_argument("--no", type=int, required=True)
    t_rule.add_argument("--json", action="store_true")
    t_rule.set_defaults(run=_lazy("refvote.cmd_tally:rule"))

    from refvote import cmd_station  # its parser only: nothing heavy is imported here

    cmd_station.add_parser(commands)

    from refvote import cmd_booth  # its parser only: Qt and the booth load when it runs

    cmd_booth.add_parser(commands)

    lookup = commands.add_parser("lookup", help="find a tracking code in a published record")
    lookup.add_argument("code", help="the receipt's code (16 characters) or the QR's 64 hex digits")
    lookup.add_argument("record")
    lookup.add_argument(
        "--authority",
        metavar="FINGERPRINT",
        required=True,
        help="the election authority key's read-aloud fingerprint: the answer rests on it",
    )
    lookup.set_defaults(run=_lazy("refvote.cmd_lookup:lookup"))

    demo = commands.add_parser("demo", help="a whole mock referendum on embedded defaults")
    demo.add_argument("--out", default="demo-out")
    demo.add_argument("--voters", type=int, default=24, help="voters per station (24)")
    demo.add_argument("--stations", type=int, default=2, help="stations, two booths each (2)")
    demo.set_defaults(run=_lazy("refvote.demo:run"))

    verify = commands.add_parser(
        "verify", help="re-check a published election record from its files alone"
    )
    verify.add_argument("record", help="the record folder")
    verify.add_argument(
        "--authority",
        metavar="FINGERPRINT",
        help='the election authority key\'s read-aloud fingerprint, e.g. "ABCD EFGH IJKL MNOP"',
    )
    verify.add_argument(
        "--pre-decryption",
        action="store_true",
        help="check a pre-decryption record (V1-V10; it must hold no shares or results)",
    )
    verify.set_defaults(run=_lazy("refvote.cmd_verify:verify"))

    site = commands.add_parser(
        "site", help="write the public results site of a verified record (static, offline)"
    )
    site.add_argument("record", help="the record folder")
    site.add_argument(
        "--authority",
        metavar="FINGERPRINT",
        required=True,
        help="the election authority key's read-aloud fingerprint: the site rests on it",
    )
    site.add_argument("--out", required=True, help="a new folder for the site")
    site.set_defaults(run=_lazy("refvote.cmd_site:site"))

    from refvote.cmd_audit import register as register_audit

    register_audit(commands, _lazy)

    bench = commands.add_parser(
        "bench",
        help="performance figures, as ratios against ElectionGuard measured in the same run",
    )
    bench.add_argument(
        "--peer-python",
        default=".venv-eg/bin/python",
        help="the Python that has electionguard==1.4.0 (made by `make bench`)",
    )
    bench.add_argument("--runs", type=int, default=31, help="runs per figure, at least 31")
    bench.add_argument(
        "--dlog-solves", type=int, default=70_000, help="packed discrete-log solves (70000)"
    )
    bench.add_argument("--json", action="store_true", help="print the figures as JSON")
    bench.add_argument(
        "--booth-voters",
        type=int,
        default=500,
        help="voters of the booth's simulated day (500; 0 skips the booth figures)",
    )
    bench.set_defaults(run=_lazy("refvote.cmd_bench:bench"))
    return parser


def _one_line(exc: BaseException) -> str:
    """What went wrong, on one line: a person sees this, never a traceback."""
    if isinstance(exc, MemoryError):
        return (
            "out of memory: an input is far larger than any refvote file, or this machine "
            "has too little memory; nothing more was written"
        )
    if isinstance(exc, RecursionError):
        return "an input is nested too deeply to be a refvote file; nothing was written"
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return f"{where}{exc.strerror or exc}; the command stopped, run it again once fixed"
    if isinstance(exc, UnicodeError):
        return f"an input is not UTF-8 text ({exc})"
    # The layers' own errors carry their message (they name the file and the rule).
    if type(exc).__module__.split(".")[0] in ("crypto", "ballots", "tally", "hardware", "booth"):
        return str(exc)
    return f"internal error ({type(exc).__name__}: {exc}); please report it"


def main(argv: Sequence[str] | None = None) -> int:
    from refvote.terminal import SafeStream

    if not isinstance(sys.stdout, SafeStream):
        sys.stdout = SafeStream(sys.stdout)
    if not isinstance(sys.stderr, SafeStream):
        sys.stderr = SafeStream(sys.stderr)
    args = build_parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except KeyboardInterrupt:
        print("refvote: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: no traceback reaches a person
        message = " ".join(_one_line(exc).split())
        print(f"refvote: {message}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
