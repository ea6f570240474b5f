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
    build.add_argument("--booth-keys", required=True, help="folder of <booth_id>.pub.json files")
    build.add_argument("--tally-key", required=True, help="the tally station's public key file")
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
    keys = dev_commands.add_parser("keys", help="make demo authority, tally and booth keys")
    keys.add_argument("--definition", required=True, help="definition.json (or its TOML source)")
    keys.add_argument("--out", required=True, help="a new folder for the keys")
    keys.set_defaults(run=_lazy("refvote.cmd_package:dev_keys"))

    verify = commands.add_parser(
        "verify", help="re-check a published election record from its files alone"
    )
    verify.add_argument("record", help="the record folder")
    verify.add_argument(
        "--authority",
        metavar="FINGERPRINT",
        help='the election authority key\'s read-aloud fingerprint, e.g. "ABCD EFGH IJKL MNOP"',
    )
    verify.set_defaults(run=_lazy("refvote.cmd_verify:verify"))

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
    bench.set_defaults(run=_lazy("refvote.cmd_bench:bench"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except KeyboardInterrupt:
        print("refvote: interrupted", file=sys.stderr)
        return 130
    return result


if __name__ == "__main__":
    sys.exit(main())
