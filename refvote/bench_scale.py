"""`make bench-scale`: verification, import and the site on a large synthetic record.

    python -m refvote.bench_scale [--ballots 20000] [--stations 40] [--record DIR]
                                  [--results benchmarks/results.md] [--json FILE]

Measured once each, on a record made by `refvote dev synth-record` (or the one given with
--record, made by it: DIR holds record/ and authority.txt):

  verify_w1_s, verify_w2_s, verify_dask2_s   `refvote verify` wall time in this process
                                             (--workers 1), 2 local processes, a Dask
                                             LocalCluster of 2 worker processes (its start-up
                                             not counted)
  verify_w1_ballots_per_s, …                 published ballots (cast + challenged) / time
  import_w2_s                                `refvote tally import` of every export, 2 workers
  site_build_s                               `refvote site` (verifies with 2 workers, renders)
  site_render_s                              the site after publish's own verification (render
                                             and write only: what publish adds)
  lookup_page_bytes, lookup_shard_max_bytes  lookup.html + lookup.js + site.css; the largest
                                             code shard a lookup fetches
  national_64_s                              a 2021-sized record (8.2 M ballots) on 64 Dask
                                             workers, extrapolated (the model is written out)

The results go between the markers of the "Scale" section of benchmarks/results.md (the rest
of the file is left as it is), with the machine, its load and the date.
"""

from __future__ import annotations

import argparse
import datetime
import io
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BEGIN, END = "<!-- scale:begin -->", "<!-- scale:end -->"
NATIONAL_BALLOTS = 8_200_000
NATIONAL_WORKERS = 64


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = fn()
    return time.perf_counter() - start, value


def measure(folder: Path, work: Path) -> dict[str, Any]:
    from distributed import Client, LocalCluster

    from tally.parallel import DaskRunner, ProcessRunner
    from tally.site import build_site, render, verified_record
    from tally.station import TallyStation
    from tally.verify import Verifier

    record = folder / "record"
    authority = (folder / "authority.txt").read_text(encoding="ascii").strip()
    figures: dict[str, Any] = {}

    split: dict[str, float] = {}

    def verify(runner: Any) -> str:
        out = io.StringIO()
        verifier = Verifier(record, authority, out, runner=runner)
        start = time.perf_counter()
        if not verifier.run():
            raise SystemExit(f"the synthetic record does not verify:\n{out.getvalue()}")
        split["main"] = time.perf_counter() - start - verifier.export_seconds
        split["exports"] = verifier.export_seconds
        return out.getvalue()

    print("verify, 1 worker (this process)…", file=sys.stderr, flush=True)
    figures["verify_w1_s"], report = _timed(lambda: verify(None))
    figures["verify_w1_main_s"] = round(split["main"], 1)  # outside the per-export checks
    figures["verify_w1_exports_s"] = round(split["exports"], 1)
    ballots = sum(
        len(json.loads((record / "booths" / p).read_bytes())["ballots"])
        for p in os.listdir(record / "booths")
    )
    figures["ballots"] = ballots
    figures["exports"] = len(os.listdir(record / "booths"))
    print("verify, 2 local workers…", file=sys.stderr, flush=True)
    figures["verify_w2_s"], again = _timed(lambda: verify(ProcessRunner(2)))
    figures["verify_w2_exports_s"] = round(split["exports"], 1)
    assert again == report
    print("verify, Dask LocalCluster of 2 workers…", file=sys.stderr, flush=True)
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster, set_as_default=False) as client,
    ):
        figures["verify_dask2_s"], again = _timed(lambda: verify(DaskRunner(client)))
        figures["verify_dask2_exports_s"] = round(split["exports"], 1)
    assert again == report
    for key in ("w1", "w2", "dask2"):
        figures[f"verify_{key}_ballots_per_s"] = round(ballots / figures[f"verify_{key}_s"], 1)
    figures["speedup_w2"] = round(figures["verify_w1_s"] / figures["verify_w2_s"], 2)
    figures["dask2_vs_w2"] = round(figures["verify_dask2_s"] / figures["verify_w2_s"], 3)

    print("tally import, 2 workers…", file=sys.stderr, flush=True)
    station = TallyStation(work / "ws")
    station.init(record / "package", authority)
    exports = [p.read_bytes() for p in sorted((record / "booths").glob("*.json"))]
    figures["import_w2_s"], results = _timed(lambda: station.import_many(exports, ProcessRunner(2)))
    rejected = [r for r in results if isinstance(r, Exception)]
    if rejected:
        raise SystemExit(f"the import rejected {len(rejected)} exports: {rejected[0]}")
    figures["import_w2_ballots_per_s"] = round(ballots / figures["import_w2_s"], 1)

    print("site: refvote site (verifies with 2 workers) and the render alone…", file=sys.stderr)
    figures["site_build_s"], _ = _timed(
        lambda: build_site(record, authority, work / "site", runner=ProcessRunner(2))
    )
    verified = verified_record(record, authority, ProcessRunner(2))
    figures["site_render_s"], _ = _timed(
        lambda: build_site(record, authority, work / "site2", verified=verified)
    )
    files = render(verified)
    shards = [len(data) for path, data in files.items() if path.startswith("codes/")]
    page = len(files["lookup.html"]) + len(files["lookup.js"]) + len(files["site.css"])
    figures["lookup_page_bytes"] = page
    figures["lookup_shard_max_bytes"] = max(shards)
    figures["lookup_total_max_bytes"] = page + max(shards)
    figures["site_files"] = len(files)
    figures.update(_national(figures, ballots))
    return figures


def _national(f: dict[str, Any], ballots: int) -> dict[str, Any]:
    """Measured split of the 1-worker run: S (main process: V1–V3, V6 across exports, V10–V15)
    and P (the per-export checks, V4–V9). The 2-worker Dask run gives the parallel efficiency
    e = P / (2 · its per-export time). Both scaled linearly to 8.2 M ballots; P shared by 64
    workers at efficiency e (capped at 1)."""
    s, p = f["verify_w1_main_s"], f["verify_w1_exports_s"]
    efficiency = min(1.0, p / (2 * f["verify_dask2_exports_s"]))
    efficiency_local = min(1.0, p / (2 * f["verify_w2_exports_s"]))
    scale = NATIONAL_BALLOTS / ballots
    national = s * scale + p * scale / (NATIONAL_WORKERS * efficiency)
    return {
        "model_serial_s": round(s, 1),
        "model_parallel_s": round(p, 1),
        "model_dask_efficiency": round(efficiency, 3),
        "model_local_efficiency": round(efficiency_local, 3),
        "national_64_s": round(national),
        "national_serial_1_core_h": round(f["verify_w1_s"] * scale / 3600, 1),
    }


def write_results(path: Path, f: dict[str, Any], load: tuple[str, str]) -> None:
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    cores = len(os.sched_getaffinity(0))
    rows = [
        ("`refvote verify --workers 1` (in this process)", "verify_w1"),
        ("`refvote verify --workers 2` (local processes)", "verify_w2"),
        ("`refvote verify --dask` (LocalCluster, 2 worker processes)", "verify_dask2"),
        ("`refvote tally import --workers 2` (every export)", "import_w2"),
        ("`refvote site --workers 2` (verifies, then builds)", "site_build"),
        ("the site after publish's own verification (render and write)", "site_render"),
    ]
    table = "| What | Time | Ballots/s |\n|---|---:|---:|\n" + "\n".join(
        f"| {label} | {f[key + '_s']:.1f} s | {f.get(key + '_ballots_per_s', '')} |"
        for label, key in rows
    )
    section = f"""{BEGIN}
## Scale: verification, import and the site on a synthetic record (issue 16)

Measured {now} by `make bench-scale` (`python -m refvote.bench_scale`), once, on
{platform.node() or "this machine"}: {_cpu()}, {cores} cores, Python {platform.python_version()},
{platform.system()} {platform.release()}. **The machine is shared with other sessions running
tests at the same time** (load average {load[0]} at the start, {load[1]} at the end, on
{cores} cores): the figures are what a loaded 2-core machine gave, not its capacity; ratios
between runs are noisy.

Record: `refvote dev synth-record` (SYNTHETIC), {f["ballots"]:,} published ballots of four
questions (cast and about 1 % challenged) in {f["exports"]} booth exports.

{table}

2 workers / 1 worker: {f["speedup_w2"]}× faster; Dask / local processes (2 workers):
{f["dask2_vs_w2"]}× the time. The outputs of the three verifications were byte-identical.

Lookup page weight: `lookup.html` + `lookup.js` + `site.css` = {f["lookup_page_bytes"]:,} bytes;
the largest code shard a lookup fetches {f["lookup_shard_max_bytes"]:,} bytes; in all at most
{f["lookup_total_max_bytes"]:,} bytes ({f["site_files"]:,} files in the site).

**A 2021-sized record (8.2 M ballots) on a 64-core Dask cluster: about
{f["national_64_s"] / 60:.0f} minutes** ({f["national_64_s"]:,} s), computed, not measured. Model:
the 1-worker run split, as measured, into S = {f["model_serial_s"]} s in the main process (V1–V3,
V6 across exports, V10–V15) and P = {f["model_parallel_s"]} s of per-export checks (V4–V9); the
Dask run of 2 workers did the per-export part at a parallel efficiency of
{f["model_dask_efficiency"]} (local processes: {f["model_local_efficiency"]}); T = S·r + P·r /
(64 · efficiency), r = 8.2 M / {f["ballots"]:,}. Assumed: 64 cores as fast per core as these
(loaded) ones, the efficiency at 64 workers that of 2, both parts linear in ballots, exports
read at the main process's speed, and memory in the main process for V6's set of every ballot
ID and α (about 33 M values). One core alone: about {f["national_serial_1_core_h"]} h.

JSON: `benchmarks/scale.json`.
{END}
"""
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    if BEGIN in text and END in text:
        text = text[: text.index(BEGIN)] + section.rstrip("\n") + text[text.index(END) + len(END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m refvote.bench_scale")
    parser.add_argument("--ballots", type=int, default=20_000)
    parser.add_argument("--stations", type=int, default=40)
    parser.add_argument("--record", help="a synth-record output folder to use instead")
    parser.add_argument("--results", default="benchmarks/results.md")
    parser.add_argument("--json", default="benchmarks/scale.json")
    args = parser.parse_args(argv)
    load_start = f"{os.getloadavg()[0]:.1f}"
    with tempfile.TemporaryDirectory(prefix="refvote-bench-scale-") as tmp:
        work = Path(tmp)
        if args.record:
            folder = Path(args.record)
        else:
            from refvote.synth import synth_record
            from tally.parallel import default_workers

            folder = work / "synth"
            print(f"synth-record: {args.ballots:,} ballots…", file=sys.stderr, flush=True)
            synth_record(folder, args.ballots, args.stations, default_workers())
        figures = measure(folder, work)
        shutil.rmtree(work / "ws", ignore_errors=True)
    load_end = f"{os.getloadavg()[0]:.1f}"
    figures["load_start"], figures["load_end"] = load_start, load_end
    write_results(Path(args.results), figures, (load_start, load_end))
    Path(args.json).write_text(json.dumps(figures, indent=1, sort_keys=True) + "\n")
    print(json.dumps(figures, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
