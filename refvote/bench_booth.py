"""`refvote bench`'s booth figures: a simulated polling day at one booth, in a child process.

The parent builds a one-booth election (ceremony rehearsed, signed package, station-link keys,
test eID cards) and runs the station's poll book on loopback; the child is the booth process:
the real booth core, the ESC/POS driver to a virtual printer on a pty, the poll book over
mutual TLS, cards answered in-process (`booth.driver.LocalCards`: the same card checks, no
pcscd). Measured in the child: start-up (a new booth: create, configure, open polls; and a
restart over the full store, which compares the store, the mirror and the chain), the cast
latency from Cast to durable on both media (`Booth.cast` returns after the store's commit and
the mirror's), and the booth process's peak RSS (its own `ru_maxrss`, read at its end).
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

BOOTH = "B1-A"
PASSPHRASES = ["bench one", "bench two"]


def _definition(voters: int) -> str:
    import datetime

    from refvote.demo import EXAMPLE

    text = EXAMPLE.read_text(encoding="utf-8")
    head = text[: text.index("[[stations]]")]
    today = datetime.datetime.now(datetime.timezone(datetime.timedelta(hours=8))).date()
    head = head.replace('referendum_id = "TW-2021-12-18"', 'referendum_id = "BENCH"')
    head = head.replace('date = "2021-12-18"', f'date = "{today.isoformat()}"')
    return head + (
        '[[stations]]\nstation_id = "B1"\nname = "基準測試站"\ncounty = "臺北市"\n'
        f'township = "中正區"\neligible = {voters}\nbooths = ["{BOOTH}"]\n'
    )


def booth_figures(voters: int) -> dict[str, Any]:
    """Build the election, run the poll book here and the booth in a child process."""
    from cryptography.hazmat.primitives.serialization import (
        Encoding,
        NoEncryption,
        PrivateFormat,
    )

    from ballots.definition import load_source
    from ballots.package import build_package, key_fingerprint, verify_confidential, verify_package
    from ballots.station_link import DevStationKeys
    from booth.pollbook.server import PollBookServer
    from crypto.ceremony.rehearsal import open_ceremony, rehearse
    from crypto.keyfile import write_signing_key
    from crypto.signing import SigningKey
    from hardware.idcard.testca import TestCA

    with tempfile.TemporaryDirectory(prefix="refvote-bench-") as tmp_name:
        tmp = Path(tmp_name)
        definition = load_source(_definition(voters))
        trustees = [SigningKey.generate() for _ in range(2)]
        params = open_ceremony(
            definition.manifest_hash(), 2, [(f"T{i}", k) for i, k in enumerate(trustees, 1)]
        )
        rehearse(params, trustees, PASSPHRASES).files.write(tmp / "ceremony")
        authority, booth_key = SigningKey.generate(), SigningKey.generate()
        identifiers = [f"Q{n:09d}" for n in range(voters)]
        ca = TestCA.create("refvote BENCH eID CA")
        cards = {}
        for ident in identifiers:
            key, cert = ca.issue(ident, "ec")
            pem = key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
            cards[ident] = [pem.decode("ascii"), cert.public_bytes(Encoding.DER).hex()]
        devices = DevStationKeys.generate(definition)
        devices.write(tmp / "keys")
        build_package(
            tmp / "package",
            definition.to_json(),
            tmp / "ceremony",
            authority,
            SigningKey.generate().verify_key,
            {BOOTH: booth_key.verify_key},
            [("bench CA", ca.certificate.public_bytes(Encoding.DER))],
            {"B1": identifiers},
            [("bench CA", ca.crl([]).public_bytes(Encoding.DER))],
            devices.setup(),
        )
        fingerprint = key_fingerprint(authority.verify_key)
        verified = verify_package(tmp / "package", fingerprint)
        confidential = verify_confidential(
            (tmp / "package" / "confidential.json").read_bytes(), verified
        )
        write_signing_key(tmp / "keys" / "booth.key.json", "booth", BOOTH, booth_key)
        server = PollBookServer(
            verified,
            confidential,
            "B1",
            tmp / "keys" / "stations" / "B1.tls.key.pem",
            tmp / "pollbook.sqlite",
            ("127.0.0.1", 0),
        )
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            config = {
                "folder": str(tmp / "booth"),
                "package": str(tmp / "package"),
                "fingerprint": fingerprint,
                "address": list(server.address),
                "pin": devices.pins["B1"].officer,
                "cards": cards,
            }
            (tmp / "config.json").write_text(json.dumps(config), encoding="utf-8")
            done = subprocess.run(  # noqa: S603 - this interpreter, this module
                [sys.executable, "-m", "refvote.bench_booth", str(tmp / "config.json")],
                capture_output=True,
                text=True,
                check=False,
                timeout=3600,
            )
        finally:
            server.shutdown()
            thread.join(timeout=10)
        if done.returncode != 0:
            raise RuntimeError(f"the booth process failed: {done.stderr.strip()[-2000:]}")
        figures: dict[str, Any] = json.loads(done.stdout)
        return figures


def _child(config_path: str) -> None:
    import resource

    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    from ballots.package import verify_package
    from booth.core.session import SessionState
    from booth.driver import BoothRig, HeadlessVoter, LocalCards, random_plans
    from crypto.keyfile import read_signing_key

    config = json.loads(Path(config_path).read_text(encoding="utf-8"))
    folder = Path(config["folder"])
    cards = {
        ident: (load_pem_private_key(pem.encode("ascii"), None), bytes.fromhex(der))
        for ident, (pem, der) in config["cards"].items()
    }
    keys = Path(config["package"]).parent / "keys"
    _, signing_key = read_signing_key(keys / "booth.key.json", "booth")
    pin, fingerprint = config["pin"], config["fingerprint"]

    def rig() -> BoothRig:
        return BoothRig.create(
            booth_id=BOOTH,
            signing_key=signing_key,
            folder=folder,
            verified=verify_package(Path(config["package"]), fingerprint),
            tls_key=keys / "booths" / f"{BOOTH}.tls.key.pem",
            pollbook_address=tuple(config["address"]),
            cards=LocalCards(cards),
            worker_pin=pin,
        )

    started = time.perf_counter()
    first = rig()
    first.booth.configure(Path(config["package"]), fingerprint, pin)
    first.booth.open_polls(pin)
    startup_new = time.perf_counter() - started
    plans = random_plans(first.booth.package.definition, list(cards))
    voting = time.perf_counter()
    tally = HeadlessVoter(first).run(plans)
    day_s = time.perf_counter() - voting
    first.close()
    started = time.perf_counter()
    again = rig()
    startup_restart = time.perf_counter() - started
    again.close()
    latencies = sorted(tally.cast_seconds)
    p95 = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]
    figures = {
        "booth_voters": len(plans),
        "booth_cast": sum(o is SessionState.CAST for o in tally.outcomes),
        "booth_cast_latency_median_ms": round(statistics.median(latencies) * 1000, 2),
        "booth_cast_latency_p95_ms": round(p95 * 1000, 2),
        "booth_startup_new_s": round(startup_new, 3),
        "booth_startup_restart_s": round(startup_restart, 3),
        "booth_day_s": round(day_s, 1),
        "booth_peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    _child(sys.argv[1])
