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
from refvote.messages import figure, h, lang_from_argv, positive_figure, set_lang, t

# subcommand path → "module:function"; the module is imported only when the command runs.
Handler = Callable[[argparse.Namespace], int]


def add_worker_options(parser: argparse.ArgumentParser, *, dask: bool = True) -> None:
    """--workers N / --dask ADDRESS: where the per-export checks run (tally.parallel).

    The tally station's own commands (import, publish) take local processes only: a Dask
    cluster's workers would decide what enters the air-gapped workspace and their answers are
    unpickled, so only a verifier who runs a cluster of their own may use one (verify, site)."""
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help=h("workers"),
    )
    if dask:
        parser.add_argument(
            "--dask",
            metavar="ADDRESS",
            help=h("dask"),
        )


def _lazy(target: str) -> Handler:
    def run(args: argparse.Namespace) -> int:
        module_name, func = target.split(":")
        handler: Handler = getattr(importlib.import_module(module_name), func)
        return handler(args)

    return run


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="refvote", description=h("description"))
    parser.add_argument(
        "--version", action="version", version=f"refvote {__version__}", help=h("version")
    )
    parser.add_argument("--lang", choices=("zh-TW", "en"), help=h("lang"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    crypto = commands.add_parser("crypto", help=h("crypto"))
    crypto_commands = crypto.add_subparsers(dest="crypto_command", metavar="COMMAND", required=True)
    selftest = crypto_commands.add_parser(
        "selftest",
        help=h("crypto.selftest"),
    )
    selftest.add_argument("--ballots", type=int, default=200, help=h("crypto.selftest.ballots"))
    selftest.set_defaults(run=_lazy("refvote.cmd_crypto:selftest"))

    package = commands.add_parser("package", help=h("package"))
    package_commands = package.add_subparsers(
        dest="package_command", metavar="COMMAND", required=True
    )
    freeze = package_commands.add_parser("freeze", help=h("package.freeze"))
    freeze.add_argument("source", help=h("package.freeze.source"))
    freeze.add_argument("--out", default="definition.json", help=h("package.freeze.out"))
    freeze.add_argument("--force", action="store_true", help=h("package.freeze.force"))
    freeze.set_defaults(run=_lazy("refvote.cmd_package:freeze"))
    build = package_commands.add_parser("build", help=h("package.build"))
    build.add_argument("--definition", required=True, help=h("definition"))
    build.add_argument("--ceremony", required=True, help=h("package.build.ceremony"))
    build.add_argument("--authority-key", required=True, help=h("package.build.authority_key"))
    build.add_argument(
        "--booth-keys",
        required=True,
        help=h("package.build.booth_keys"),
    )
    build.add_argument("--tally-key", required=True, help=h("package.build.tally_key"))
    build.add_argument(
        "--station-keys",
        required=True,
        help=h("package.build.station_keys"),
    )
    build.add_argument("--pins", required=True, help=h("package.build.pins"))
    build.add_argument("--roll", required=True, help=h("package.build.roll"))
    build.add_argument("--ca", action="append", default=[], help=h("package.build.ca"))
    build.add_argument("--crl", action="append", default=[], help=h("package.build.crl"))
    build.add_argument("--out", required=True, help=h("package.build.out"))
    build.add_argument("--official", action="store_true", help=h("package.build.official"))
    build.add_argument("--passphrase-file", help=h("package.build.passphrase_file"))
    build.set_defaults(run=_lazy("refvote.cmd_package:build"))
    inspect = package_commands.add_parser("inspect", help=h("package.inspect"))
    inspect.add_argument("package", help=h("package.folder"))
    inspect.add_argument("--authority", metavar="FINGERPRINT", help=h("authority.pin"))
    inspect.set_defaults(run=_lazy("refvote.cmd_package:inspect"))

    dev = commands.add_parser("dev", help=h("dev"))
    dev_commands = dev.add_subparsers(dest="dev_command", metavar="COMMAND", required=True)
    keys = dev_commands.add_parser("keys", help=h("dev.keys"))
    keys.add_argument("--definition", required=True, help=h("definition"))
    keys.add_argument("--out", required=True, help=h("dev.keys.out"))
    keys.set_defaults(run=_lazy("refvote.cmd_package:dev_keys"))
    cards = dev_commands.add_parser("make-cards", help=h("dev.make_cards"))
    cards.add_argument("--out", required=True, help=h("new_folder"))
    cards.add_argument("--count", type=positive_figure, default=5, help=h("dev.make_cards.count"))
    cards.add_argument(
        "--kind", choices=("rsa", "ec"), default="rsa", help=h("dev.make_cards.kind")
    )
    cards.add_argument(
        "--pkcs11",
        action="store_true",
        help="also make each card a SoftHSM2 token in a MOICA card's PKCS#11 layout",
    )
    cards.set_defaults(run=_lazy("refvote.cmd_dev:make_cards"))
    synth = dev_commands.add_parser("synth-record", help=h("dev.synth_record"))
    synth.add_argument("--ballots", type=int, required=True, help=h("dev.synth_record.ballots"))
    synth.add_argument("--stations", type=int, required=True, help=h("dev.synth_record.stations"))
    synth.add_argument("--workers", type=int, metavar="N", help=h("dev.synth_record.workers"))
    synth.add_argument("--seed", type=int, default=1, help=h("dev.synth_record.seed"))
    synth.add_argument("--out", required=True, help=h("dev.synth_record.out"))
    synth.set_defaults(run=_lazy("refvote.cmd_dev:synth_record"))

    keys_parser = commands.add_parser("keys", help=h("keys"))
    keys_commands = keys_parser.add_subparsers(dest="keys_command", metavar="ROLE", required=True)
    for role in ("authority", "tally", "booth", "station"):
        k = keys_commands.add_parser(role, help=h(f"keys.{role}"))
        if role in ("booth", "station"):
            k.add_argument("--definition", required=True, help=h("definition"))
        k.add_argument("--out", required=True, help=h(f"keys.{role}.out"))
        k.add_argument("--passphrase-file", help=h("keys.passphrase_file"))
        k.set_defaults(run=_lazy("refvote.cmd_keys:make_keys"), role=role)

    trustee = commands.add_parser("trustee", help=h("trustee"))
    trustee_commands = trustee.add_subparsers(
        dest="trustee_command", metavar="COMMAND", required=True
    )
    t_init = trustee_commands.add_parser("init", help=h("trustee.init"))
    t_init.add_argument("--medium", required=True, help=h("trustee.medium"))
    t_init.add_argument("--name", required=True, help=h("trustee.init.name"))
    t_init.add_argument("--passphrase-file", help=h("passphrase_file"))
    t_init.set_defaults(run=_lazy("refvote.cmd_trustee:init"))
    t_step = trustee_commands.add_parser("step", help=h("trustee.step"))
    t_step.add_argument("--medium", required=True, help=h("trustee.medium"))
    t_step.add_argument("--ceremony", required=True, help=h("trustee.step.ceremony"))
    t_step.add_argument("--passphrase-file", help=h("passphrase_file"))
    t_step.add_argument(
        "--deadline-passed", action="store_true", help=h("trustee.step.deadline_passed")
    )
    t_step.set_defaults(run=_lazy("refvote.cmd_trustee:step"))
    t_accept = trustee_commands.add_parser("accept", help=h("trustee.accept"))
    t_accept.add_argument("package", help=h("package.folder"))
    t_accept.add_argument("--medium", required=True, help=h("trustee.medium"))
    t_accept.add_argument("--authority", required=True, help=h("authority.read_aloud"))
    t_accept.add_argument("--passphrase-file", help=h("passphrase_file"))
    t_accept.set_defaults(run=_lazy("refvote.cmd_trustee:accept"))
    t_decrypt = trustee_commands.add_parser("decrypt", help=h("trustee.decrypt"))
    t_decrypt.add_argument("--medium", required=True, help=h("trustee.medium"))
    t_decrypt.add_argument("--record", required=True, help=h("trustee.decrypt.record"))
    t_decrypt.add_argument(
        "--authority",
        required=True,
        help=h("trustee.decrypt.authority"),
    )
    t_decrypt.add_argument("--passphrase-file", help=h("passphrase_file"))
    t_decrypt.set_defaults(run=_lazy("refvote.cmd_trustee:decrypt"))

    tally = commands.add_parser("tally", help=h("tally"))
    tally_commands = tally.add_subparsers(dest="tally_command", metavar="COMMAND", required=True)
    ceremony = tally_commands.add_parser("ceremony", help=h("tally.ceremony"))
    ceremony_commands = ceremony.add_subparsers(
        dest="ceremony_command", metavar="COMMAND", required=True
    )
    c_open = ceremony_commands.add_parser("open", help=h("tally.ceremony.open"))
    c_open.add_argument("--definition", required=True, help=h("definition"))
    c_open.add_argument("--k", type=positive_figure, required=True, help=h("tally.ceremony.k"))
    c_open.add_argument(
        "--trustee",
        action="append",
        required=True,
        metavar="NAME=PUBKEY",
        help=h("tally.ceremony.open.trustee"),
    )
    c_open.add_argument("--out", required=True, help=h("tally.ceremony.out"))
    c_open.set_defaults(run=_lazy("refvote.cmd_tally:ceremony_open"))
    c_collect = ceremony_commands.add_parser("collect", help=h("tally.ceremony.collect"))
    c_collect.add_argument("--ceremony", required=True, help=h("tally.ceremony.folder"))
    c_collect.add_argument("media", nargs="+", help=h("tally.trustee_media"))
    c_collect.set_defaults(run=_lazy("refvote.cmd_tally:ceremony_collect"))
    c_restart = ceremony_commands.add_parser("restart", help=h("tally.ceremony.restart"))
    c_restart.add_argument("--ceremony", required=True, help=h("tally.ceremony.folder"))
    c_restart.add_argument(
        "--exclude",
        type=positive_figure,
        action="append",
        required=True,
        help=h("tally.ceremony.exclude"),
    )
    c_restart.add_argument("--out", required=True, help=h("tally.ceremony.out"))
    c_restart.set_defaults(run=_lazy("refvote.cmd_tally:ceremony_restart"))
    c_rehearse = ceremony_commands.add_parser("rehearse", help=h("tally.ceremony.rehearse"))
    c_rehearse.add_argument("--definition", required=True, help=h("definition"))
    c_rehearse.add_argument("--n", type=positive_figure, default=5, help=h("tally.ceremony.n"))
    c_rehearse.add_argument("--k", type=positive_figure, default=3, help=h("tally.ceremony.k"))
    c_rehearse.add_argument("--passphrase-file", help=h("tally.ceremony.rehearse.passphrases"))
    c_rehearse.add_argument("--out", required=True, help=h("tally.ceremony.out"))
    c_rehearse.add_argument("--media", required=True, help=h("tally.ceremony.rehearse.media"))
    c_rehearse.set_defaults(run=_lazy("refvote.cmd_tally:ceremony_rehearse"))
    t_init2 = tally_commands.add_parser("init", help=h("tally.init"))
    t_init2.add_argument("--package", required=True, help=h("package.folder"))
    t_init2.add_argument("--workspace", required=True, help=h("tally.workspace.new"))
    t_init2.add_argument(
        "--authority", metavar="FINGERPRINT", required=True, help=h("tally.init.authority")
    )
    t_init2.set_defaults(run=_lazy("refvote.cmd_tally:init"))
    t_import = tally_commands.add_parser("import", help=h("tally.import"))
    t_import.add_argument("--workspace", required=True, help=h("tally.workspace"))
    t_import.add_argument("media", nargs="+", help=h("tally.import.media"))
    add_worker_options(t_import, dask=False)
    t_import.set_defaults(run=_lazy("refvote.cmd_tally:import_"))
    from refvote.cmd_manual import register as register_manual_count

    register_manual_count(tally_commands, _lazy)
    t_prepare = tally_commands.add_parser("prepare", help=h("tally.prepare"))
    t_prepare.add_argument("--workspace", required=True, help=h("tally.workspace"))
    t_prepare.add_argument("--tally-key", required=True, help=h("tally.tally_key"))
    t_prepare.add_argument("--passphrase-file", help=h("key_passphrase_file"))
    t_prepare.add_argument("--out", required=True, help=h("tally.prepare.out"))
    t_prepare.set_defaults(run=_lazy("refvote.cmd_tally:prepare"))
    t_comb = tally_commands.add_parser("combine-shares", help=h("tally.combine_shares"))
    t_comb.add_argument("--workspace", required=True, help=h("tally.workspace"))
    t_comb.add_argument("media", nargs="+", help=h("tally.combine_shares.media"))
    t_comb.set_defaults(run=_lazy("refvote.cmd_tally:combine_shares"))
    # The old name, kept only to say the new one (it was confused with `trustee decrypt`).
    t_dec = tally_commands.add_parser("decrypt", help=h("tally.decrypt_renamed"))
    t_dec.add_argument("--workspace", help=h("tally.decrypt_renamed.rest"))
    t_dec.add_argument("media", nargs="*", help=h("tally.decrypt_renamed.rest"))
    t_dec.set_defaults(run=_lazy("refvote.cmd_tally:decrypt_renamed"))
    t_pub = tally_commands.add_parser("publish", help=h("tally.publish"))
    t_pub.add_argument("--workspace", required=True, help=h("tally.workspace"))
    t_pub.add_argument("--tally-key", required=True, help=h("tally.tally_key"))
    t_pub.add_argument("--passphrase-file", help=h("key_passphrase_file"))
    t_pub.add_argument("--out", required=True, help=h("tally.publish.out"))
    t_pub.add_argument("--reports", help=h("tally.publish.reports"))
    t_pub.add_argument("--authority", metavar="FINGERPRINT", help=h("tally.publish.authority"))
    add_worker_options(t_pub, dask=False)
    t_pub.set_defaults(run=_lazy("refvote.cmd_tally:publish"))
    t_status = tally_commands.add_parser("status", help=h("tally.status"))
    t_status.add_argument("--workspace", required=True, help=h("tally.workspace"))
    t_status.set_defaults(run=_lazy("refvote.cmd_tally:status"))
    t_rule = tally_commands.add_parser("rule", help=h("tally.rule"))
    t_rule.add_argument("--eligible", type=figure, required=True, help=h("tally.rule.eligible"))
    t_rule.add_argument("--yes", type=figure, required=True, help=h("tally.rule.yes"))
    t_rule.add_argument("--no", type=figure, required=True, help=h("tally.rule.no"))
    t_rule.add_argument("--json", action="store_true", help=h("json"))
    t_rule.set_defaults(run=_lazy("refvote.cmd_tally:rule"))

    from refvote import cmd_station  # its parser only: nothing heavy is imported here

    cmd_station.add_parser(commands)

    from refvote import cmd_booth  # its parser only: Qt and the booth load when it runs

    cmd_booth.add_parser(commands)

    lookup = commands.add_parser("lookup", help=h("lookup"))
    lookup.add_argument("code", help=h("lookup.code"))
    lookup.add_argument("record", help=h("record"))
    lookup.add_argument(
        "--authority",
        metavar="FINGERPRINT",
        required=True,
        help=h("lookup.authority"),
    )
    lookup.set_defaults(run=_lazy("refvote.cmd_lookup:lookup"))

    demo = commands.add_parser("demo", help=h("demo"))
    demo.add_argument("--out", default="demo-out", help=h("demo.out"))
    demo.add_argument("--voters", type=positive_figure, default=24, help=h("demo.voters"))
    demo.add_argument("--stations", type=positive_figure, default=2, help=h("demo.stations"))
    demo.set_defaults(run=_lazy("refvote.demo:run"))

    verify = commands.add_parser("verify", help=h("verify"))
    verify.add_argument("record", help=h("record"))
    verify.add_argument(
        "--authority",
        metavar="FINGERPRINT",
        help=h("verify.authority"),
    )
    verify.add_argument(
        "--pre-decryption",
        action="store_true",
        help=h("verify.pre_decryption"),
    )
    verify.add_argument("--station", metavar="ID", help=h("verify.station"))
    verify.add_argument("--close", metavar="CODE", help=h("verify.close"))
    verify.add_argument("--counts", metavar="CAST,CHALLENGED,VOIDED", help=h("verify.counts"))
    add_worker_options(verify)
    verify.set_defaults(run=_lazy("refvote.cmd_verify:verify"))

    results = commands.add_parser("results", help=h("results"))
    results.add_argument("record", help=h("record"))
    results.add_argument(
        "--authority", metavar="FINGERPRINT", required=True, help=h("results.authority")
    )
    results.add_argument(
        "--level",
        choices=("nation", "county", "township", "station"),
        default="nation",
        help=h("results.level"),
    )
    results.add_argument("--area", help=h("results.area"))
    fmt = results.add_mutually_exclusive_group()
    fmt.add_argument("--csv", action="store_true", help=h("results.csv"))
    fmt.add_argument("--json", action="store_true", help=h("results.json"))
    results.set_defaults(run=_lazy("refvote.cmd_results:results"))

    site = commands.add_parser("site", help=h("site"))
    site.add_argument("record", help=h("record"))
    site.add_argument(
        "--authority",
        metavar="FINGERPRINT",
        required=True,
        help=h("site.authority"),
    )
    site.add_argument("--out", required=True, help=h("site.out"))
    add_worker_options(site)
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
    """What went wrong, on one line, what to do first: a person sees this, never a traceback."""
    if isinstance(exc, MemoryError):
        return t("frame.out_of_memory")
    if isinstance(exc, RecursionError):
        return t("frame.recursion")
    if isinstance(exc, OSError):
        where = f"{exc.filename}: " if exc.filename else ""
        return t("frame.os_error", where=where, error=exc.strerror or exc)
    if isinstance(exc, UnicodeError):
        return t("frame.not_utf8", error=exc)
    # The layers' own errors carry their message (they name the file and the rule).
    if type(exc).__module__.split(".")[0] in ("crypto", "ballots", "tally", "hardware", "booth"):
        return t("frame.library", detail=exc)
    return t("frame.internal", kind=type(exc).__name__, error=exc)


def _without_lang(argv: list[str]) -> list[str]:
    """argv without `--lang X` / `--lang=X` (read before parsing: it may follow a command)."""
    out: list[str] = []
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if "--" in argv[:i]:
            out.append(arg)
        elif arg == "--lang" and i + 1 < len(argv):
            skip = True
        elif not arg.startswith("--lang="):
            out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    from refvote.terminal import SafeStream

    if not isinstance(sys.stdout, SafeStream):
        sys.stdout = SafeStream(sys.stdout)
    if not isinstance(sys.stderr, SafeStream):
        sys.stderr = SafeStream(sys.stderr)
    raw = list(sys.argv[1:] if argv is None else argv)
    set_lang(lang_from_argv(raw))
    args = build_parser().parse_args(_without_lang(raw))
    try:
        result: int = args.run(args)
    except KeyboardInterrupt:
        print(f"refvote: {t('frame.interrupted')}", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: no traceback reaches a person
        message = " ".join(_one_line(exc).split())
        print(f"refvote: {message}", file=sys.stderr)
        return 1
    return result


if __name__ == "__main__":
    sys.exit(main())
