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
