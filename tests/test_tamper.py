"""Issue 10, Build: the tamper catalogue.

One row per manipulation of a package, ceremony folder, booth export, poll-book count or
record: what is changed, who re-signs it (the party that could have made it: a booth its
export, the tally station the index, the authority its package, a trustee its shares, a poll
book its count), and the check (docs/election-record.md §8) that must refuse it. Each row runs
the verifier with the authority fingerprint pinned and asserts that the FIRST failed line is
exactly that check: every earlier check passed, so the manipulation was not caught by
accident (a broken signature, a stale index) but by the rule written for it.

The rows complement tests/test_verifier.py (one mutation per check) and
tests/test_verifier_hostile.py (malformed members): none repeats one of theirs.

One honest election (and a second one, for replays across elections) is built per module;
each row works on a copy.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from ballots.package import key_fingerprint
from ballots.record import SharesFile
from crypto.hashing import file_fingerprint
from crypto.hazmat.group import G
from crypto.signing import SigningKey
from crypto.threshold import PartialDecryption
from tests.record_helpers import (
    BuiltRecord,
    build_record,
    edit,
    failed_check,
    resign_export,
    resign_index,
    run,
)
from tests.tamper_helpers import (
    PLACEHOLDER,
    read,
    resign_shares,
    sign_export_obj,
    sign_package_obj,
    sign_pollbook_obj,
    write,
)

IDENTITY_HEX = "00" * 32  # ristretto255's identity (RFC 9496 §4.3.2)
NEGATIVE_S_HEX = "01" + "00" * 31  # RFC 9496 A.2: a negative field element, never an element


@dataclass
class Election:
    built: BuiltRecord
    other: BuiltRecord  # another election, for replays


@pytest.fixture(scope="module")
def election(tmp_path_factory: pytest.TempPathFactory) -> Election:
    built = build_record(tmp_path_factory.mktemp("tamper"), pollbook=("S1", "S2"))
    other = build_record(
        tmp_path_factory.mktemp("other"), ballots=12, seed=11, pollbook=("S1", "S2")
    )
    return Election(built, other)


@dataclass
class Case:
    """The record folder `r`, the election `e`: alter r as the re-signer could."""

    r: Path
    e: Election

    @property
    def b(self) -> BuiltRecord:
        return self.e.built

    def export(self, booth: str) -> Any:
        return read(self.r, f"booths/{booth}.json")

    def busiest(self) -> str:
        return max(self.b.exports, key=lambda x: len(x.ballots)).booth_id

    def with_status(self, status: str) -> str:
        return next(
            x.booth_id for x in self.b.exports if any(b.status.value == status for b in x.ballots)
        )

    def booth_raw(self, booth: str, change: Callable[[Any], None], huge: int | None = None) -> None:
        """The booth re-signs its export as changed, bytes as they stand (PLACEHOLDER, if
        `change` put it in, written as `huge`)."""
        obj = self.export(booth)
        change(obj)
        sign_export_obj(obj, self.b.booth_keys[booth], huge)
        write(self.r, f"booths/{booth}.json", obj, huge)

    def booth(self, booth: str, change: Callable[[Any], None], close: bool = True) -> None:
        """The booth re-signs its export as changed, recomputing its closing code."""
        edit(self.r, f"booths/{booth}.json", change)
        resign_export(self.r, booth, self.b.booth_keys[booth], recompute_close=close)

    def authority(self, change: Callable[[Any], None], key: SigningKey | None = None) -> None:
        obj = read(self.r, "package/package.json")
        change(obj)
        sign_package_obj(obj, key or self.b.authority)
        write(self.r, "package/package.json", obj)

    def pollbook(
        self, station: str, change: Callable[[Any], None], huge: int | None = None
    ) -> None:
        obj = read(self.r, f"pollbook/{station}.json")
        change(obj)
        sign_pollbook_obj(obj, self.b.pollbook_keys[station], huge)
        write(self.r, f"pollbook/{station}.json", obj, huge)

    def shares(self, t: int) -> SharesFile:
        return SharesFile.from_json((self.r / f"tally/shares/trustee-{t:02d}.json").read_bytes())


def first(ballots: list[Any], status: str) -> Any:
    return next(b for b in ballots if b["status"] == status)


def flip_hex(text: str) -> str:
    return ("1" if text[0] != "1" else "2") + text[1:]


# Package and ceremony folder (signed by the authority; the ceremony files by trustees) -----


def rekeyed_package(c: Case) -> None:
    rogue = SigningKey.generate()
    c.authority(lambda o: o.update(authority_key=rogue.verify_key.raw.hex()), key=rogue)


def package_for_another_base(c: Case) -> None:
    c.authority(lambda o: o.update(base=read(c.e.other.folder, "package/package.json")["base"]))


def definition_altered(c: Case) -> None:
    definition = read(c.r, "package/definition.json")
    definition["stations"][0]["eligible"] += 1
    write(c.r, "package/definition.json", definition)
    fp = file_fingerprint((c.r / "package/definition.json").read_bytes()).hex()
    c.authority(lambda o: o.update(definition=fp))


def ceremony_file_altered(c: Case) -> None:
    # A trustee's round-1 file changed after the ceremony; the authority lists its new hash.
    relative = "round1/trustee-02.json"
    edit(
        c.r, f"package/ceremony/{relative}", lambda o: o.update(signature=flip_hex(o["signature"]))
    )
    fp = file_fingerprint((c.r / f"package/ceremony/{relative}").read_bytes()).hex()

    def relist(o: Any) -> None:
        next(x for x in o["ceremony"] if x["path"] == relative)["fingerprint"] = fp

    c.authority(relist)


def ceremony_file_missing(c: Case) -> None:
    relative = "confirm/trustee-04.json"
    (c.r / f"package/ceremony/{relative}").unlink()
    c.authority(lambda o: o.update(ceremony=[x for x in o["ceremony"] if x["path"] != relative]))


def booth_rekeyed_in_package(c: Case) -> None:
    rogue = SigningKey.generate()

    def rekey(o: Any) -> None:
        o["booth_keys"][0]["key"] = rogue.verify_key.raw.hex()

    c.authority(rekey)


def tally_rekeyed_in_package(c: Case) -> None:
    rogue = SigningKey.generate()
    c.authority(lambda o: o.update(tally_key=rogue.verify_key.raw.hex()))


def station_key_swapped_in_package(c: Case) -> None:
    def swap(o: Any) -> None:
        a, b = o["station_keys"]
        a["key"], b["key"] = b["key"], a["key"]

    c.authority(swap)


def package_hex_upper_case(c: Case) -> None:
    c.authority(lambda o: o.update(tally_key=o["tally_key"].upper()))


# Booth exports (signed by the booth) ------------------------------------------------------


def replayed_export_other_election(c: Case) -> None:
    shutil.copy(c.e.other.folder / "booths/S1-A.json", c.r / "booths/S1-A.json")


def export_of_another_booth_in_slot(c: Case) -> None:
    shutil.copy(c.r / "booths/S1-B.json", c.r / "booths/S1-A.json")


def export_counts_oversized(c: Case) -> None:
    c.booth_raw(c.busiest(), lambda o: o["counts"].update(cast=PLACEHOLDER), huge=2**70)


def export_hex_upper_case(c: Case) -> None:
    c.booth_raw(c.busiest(), lambda o: o.update(close=o["close"].upper()))


def export_non_canonical(c: Case) -> None:
    path = c.r / f"booths/{c.busiest()}.json"
    path.write_bytes(path.read_bytes().replace(b'{"ballots":', b'{ "ballots":', 1))


def export_cast_count_raised(c: Case) -> None:
    c.booth(c.busiest(), lambda o: o["counts"].update(cast=o["counts"]["cast"] + 1))


def close_code_altered(c: Case) -> None:
    c.booth_raw(c.busiest(), lambda o: o.update(close=flip_hex(o["close"])))


def opening_nonce_altered(c: Case) -> None:
    c.booth(c.busiest(), lambda o: o.update(opening_nonce=flip_hex(o["opening_nonce"])), False)


def chain_link_altered(c: Case) -> None:
    def alter(o: Any) -> None:
        entry = next(e for e in o["chain"] if e["kind"] == "cast")
        entry["ballot_hash"] = flip_hex(entry["ballot_hash"])

    c.booth(c.busiest(), alter)


def chain_entry_dropped_ballot_kept(c: Case) -> None:
    def drop(o: Any) -> None:
        o["chain"].remove(next(e for e in o["chain"] if e["kind"] == "cast"))

    c.booth(c.busiest(), drop)


def void_entry_turned_cast(c: Case) -> None:
    booth = next(x.booth_id for x in c.b.exports if x.counts.voided)

    def alter(o: Any) -> None:
        next(e for e in o["chain"] if e["kind"] == "void")["kind"] = "cast"
        o["counts"]["voided"] -= 1
        o["counts"]["cast"] += 1

    c.booth(booth, alter)


def ballot_station_relabelled(c: Case) -> None:
    c.booth(c.busiest(), lambda o: o["ballots"][0].update(station_id="S2"))


def ballot_moved_to_another_booth(c: Case) -> None:
    # S1-A's cast ballot (and its chain entry) moved into S1-B's export: both booths re-sign.
    src, dst = c.export("S1-A"), c.export("S1-B")
    ballot = first(src["ballots"], "cast")
    n = src["ballots"].index(ballot)
    entry = src["chain"][[e["kind"] for e in src["chain"]].index("cast")]
    del src["ballots"][n]
    dst["ballots"] = sorted([*dst["ballots"], ballot], key=lambda b: b["ballot_id"])
    dst["chain"].append(entry)
    src["chain"].remove(entry)
    dst["counts"]["cast"] += 1
    src["counts"]["cast"] -= 1
    write(c.r, "booths/S1-A.json", src)
    write(c.r, "booths/S1-B.json", dst)
    resign_export(c.r, "S1-A", c.b.booth_keys["S1-A"])
    resign_export(c.r, "S1-B", c.b.booth_keys["S1-B"])


def ballot_moved_and_relabelled(c: Case) -> None:
    ballot_moved_to_another_booth(c)

    def relabel(o: Any) -> None:
        for b in o["ballots"]:
            b["booth_id"] = "S1-B"

    c.booth("S1-B", relabel)


def ballot_id_changed(c: Case) -> None:
    def alter(o: Any) -> None:
        b = o["ballots"][-1]
        b["ballot_id"] = b["ballot_id"][:-2] + ("00" if b["ballot_id"][-2:] == "ff" else "ff")

    c.booth(c.busiest(), alter)


def ballot_ciphertext_beta_altered(c: Case) -> None:
    def alter(o: Any) -> None:
        q = first(o["ballots"], "cast")["questions"][0]
        q["beta"] = first(o["ballots"][::-1], "cast")["questions"][-1]["beta"]

    c.booth(c.busiest(), alter)


def ciphertexts_swapped_between_questions(c: Case) -> None:
    def swap(o: Any) -> None:
        b = next(b for b in o["ballots"] if len(b["questions"]) == 2 and b["status"] == "cast")
        q0, q1 = b["questions"]
        for k in ("alpha", "beta", "proof"):
            q0[k], q1[k] = q1[k], q0[k]

    c.booth(c.busiest(), swap)


def identity_alpha(c: Case) -> None:
    c.booth_raw(c.busiest(), lambda o: o["ballots"][0]["questions"][0].update(alpha=IDENTITY_HEX))


def invalid_encoding_alpha(c: Case) -> None:
    c.booth_raw(c.busiest(), lambda o: o["ballots"][0]["questions"][0].update(alpha=NEGATIVE_S_HEX))


def alpha_with_bit_255_set(c: Case) -> None:
    # The same α with bit 255 set: libsodium 1.0.18 decodes it as the real α (a second
    # encoding, which would slip past "every α distinct"); RFC 9496 and refvote refuse it.
    def alias(o: Any) -> None:
        q = o["ballots"][0]["questions"][0]
        q["alpha"] = q["alpha"][:62] + f"{int(q['alpha'][62:], 16) | 0x80:02x}"

    c.booth_raw(c.busiest(), alias)


def alpha_reused_across_ballots(c: Case) -> None:
    def reuse(o: Any) -> None:
        o["ballots"][1]["questions"][0]["alpha"] = o["ballots"][0]["questions"][0]["alpha"]

    c.booth(c.busiest(), reuse)


def unknown_question(c: Case) -> None:
    c.booth(c.busiest(), lambda o: o["ballots"][0]["questions"][-1].update(question_id="99"))


def questions_out_of_order(c: Case) -> None:
    def reorder(o: Any) -> None:
        b = next(b for b in o["ballots"] if len(b["questions"]) == 2)
        b["questions"].reverse()

    c.booth(c.busiest(), reorder)


def replayed_ballot_other_election(c: Case) -> None:
    # A cast ballot of the other election (same booth and station names) slipped into S1-A's
    # export with a chain entry of its own hash; the booth re-signs.
    theirs = read(c.e.other.folder, "booths/S1-A.json")
    ballot = first(theirs["ballots"], "cast")
    entry = next(
        e
        for e in theirs["chain"]
        if e["kind"] == "cast"
        and e["ballot_hash"]
        not in {x["ballot_hash"] for x in read(c.r, "booths/S1-A.json")["chain"]}
    )

    def insert(o: Any) -> None:
        o["ballots"] = sorted([*o["ballots"], ballot], key=lambda b: b["ballot_id"])
        o["chain"].append(entry)
        o["counts"]["cast"] += 1

    c.booth("S1-A", insert)


def forged_reveal_nonce(c: Case) -> None:
    booth = c.with_status("challenged")

    def forge(o: Any) -> None:
        first(o["ballots"], "challenged")["reveal"][0]["r"] = "02" + "00" * 31

    c.booth(booth, forge)


def reveal_choice_out_of_range(c: Case) -> None:
    booth = c.with_status("challenged")
    c.booth(booth, lambda o: first(o["ballots"], "challenged")["reveal"][0].update(m=2))


def reveal_of_fewer_questions(c: Case) -> None:
    booth = next(
        x.booth_id
        for x in c.b.exports
        if any(b.status.value == "challenged" and len(b.ballot.questions) == 2 for b in x.ballots)
    )

    def drop(o: Any) -> None:
        b = next(
            b for b in o["ballots"] if b["status"] == "challenged" and len(b["questions"]) == 2
        )
        b["reveal"].pop()

    c.booth(booth, drop)


def reveal_on_a_cast_ballot(c: Case) -> None:
    def reveal(o: Any) -> None:
        first(o["ballots"], "cast")["reveal"] = [{"question_id": "17", "m": 0, "r": "01" * 32}]

    c.booth_raw(c.busiest(), reveal)


# Tally files (signed through the index by the tally station; shares by trustees) ---------


def sums_reordered(c: Case) -> None:
    edit(c.r, "tally/sums.json", lambda o: o["sums"].reverse())


def sum_missing_a_ballot(c: Case) -> None:
    edit(c.r, "tally/sums.json", lambda o: o["sums"][0]["ballots"].pop())


def sum_alpha_replaced(c: Case) -> None:
    edit(c.r, "tally/sums.json", lambda o: o["sums"][0].update(alpha=o["sums"][1]["alpha"]))


def sums_non_canonical(c: Case) -> None:
    path = c.r / "tally/sums.json"
    path.write_bytes(path.read_bytes() + b"\n")


def shares_files_swapped(c: Case) -> None:
    three, four = (c.r / "tally/shares/trustee-03.json", c.r / "tally/shares/trustee-04.json")
    a, b = three.read_bytes(), four.read_bytes()
    three.write_bytes(b)
    four.write_bytes(a)


def shares_signed_by_another_trustee(c: Case) -> None:
    resign_shares(c.r, 3, c.b.trustee_keys[3])


def shares_reordered(c: Case) -> None:
    shares = list(c.shares(4).shares)
    shares[0], shares[1] = shares[1], shares[0]
    resign_shares(c.r, 4, c.b.trustee_keys[3], shares)


def share_identity(c: Case) -> None:
    # The trustee claims D = O: the identity is a valid group element, the proof must fail.
    from crypto.hazmat.group import Point

    shares = list(c.shares(1).shares)
    shares[0] = PartialDecryption(Point.from_bytes(bytes.fromhex(IDENTITY_HEX)), shares[0].proof)
    resign_shares(c.r, 1, c.b.trustee_keys[0], shares)


def share_shifted_by_g_with_its_proof(c: Case) -> None:
    # D + G with the proof of trustee 4's D: a wrong share behind a well-formed file.
    shares = list(c.shares(4).shares)
    shares[2] = PartialDecryption(shares[2].share + G, shares[2].proof)
    resign_shares(c.r, 4, c.b.trustee_keys[3], shares)


def shares_of_another_election(c: Case) -> None:
    # Trustee 5 of the other election's shares file placed as trustee 5's here.
    src = c.e.other.folder / "tally/shares/trustee-03.json"
    (c.r / "tally/shares/trustee-05.json").write_bytes(src.read_bytes())


def too_few_shares(c: Case) -> None:
    (c.r / "tally/shares/trustee-04.json").unlink()


def result_t_consistent_forgery(c: Case) -> None:
    # Yes and no moved together with T (so T mod B, ⌊T/B⌋ agree): only the decryption can tell.
    def alter(o: Any) -> None:
        s = next(s for s in o["sums"] if s["yes"] > 0)
        s["yes"] -= 1
        s["blank"] += 1
        s["T"] -= 1

    edit(c.r, "tally/results.json", alter)


def result_oversized_integer(c: Case) -> None:
    obj = read(c.r, "tally/results.json")
    obj["sums"][0]["T"] = PLACEHOLDER
    write(c.r, "tally/results.json", obj, huge=2**300)


def total_eligible_altered(c: Case) -> None:
    def alter(o: Any) -> None:
        t = next(t for t in o["totals"] if t["level"] == "nation")
        t["eligible"] += 1

    edit(c.r, "tally/results.json", alter)


def totals_reordered(c: Case) -> None:
    edit(c.r, "tally/results.json", lambda o: o["totals"].reverse())


def outcome_threshold_altered(c: Case) -> None:
    edit(c.r, "tally/results.json", lambda o: o["outcomes"][0].update(threshold=1))


# Poll-book counts (signed by the station's poll book) -------------------------------------


def pollbook_voted_disagrees_resigned(c: Case) -> None:
    c.pollbook("S2", lambda o: o["counts"].update(voted=o["counts"]["voted"] - 1))


def pollbook_oversized(c: Case) -> None:
    c.pollbook("S1", lambda o: o["counts"].update(released=PLACEHOLDER), huge=2**80)


def pollbook_of_another_election(c: Case) -> None:
    shutil.copy(c.e.other.folder / "pollbook/S1.json", c.r / "pollbook/S1.json")


# Record index (signed by the tally station) -----------------------------------------------


def extra_export_file(c: Case) -> None:
    shutil.copy(c.r / "booths/S1-A.json", c.r / "booths/S9-Z.json")


def extra_shares_file_beyond_n(c: Case) -> None:
    shutil.copy(c.r / "tally/shares/trustee-01.json", c.r / "tally/shares/trustee-06.json")


@dataclass(frozen=True)
class Row:
    name: str
    resigner: str  # booth, authority, trustee, pollbook, tally (the index only)
    expected: str
    manipulate: Callable[[Case], None]
    says: str  # a fragment of the FAILED line (what the check names)
    resign_index: bool = True


ROWS = [
    # V1: the package and its ceremony folder
    Row(
        "re-keyed package (rogue authority)",
        "rogue",
        "V1",
        rekeyed_package,
        "other than the one given",
    ),
    Row(
        "package for another election's base",
        "authority",
        "V1",
        package_for_another_base,
        "base is not the one the ceremony gives",
    ),
    Row(
        "definition altered, package relisted",
        "authority",
        "V1",
        definition_altered,
        "manifest_hash is not that of its definition",
    ),
    Row(
        "ceremony file altered, package relisted",
        "authority",
        "V1",
        ceremony_file_altered,
        "round1 signature does not verify",
    ),
    Row(
        "ceremony file missing, package relisted",
        "authority",
        "V1",
        ceremony_file_missing,
        "did not confirm",
    ),
    Row(
        "package tally key in upper-case hex",
        "authority",
        "V1",
        package_hex_upper_case,
        "not lowercase hex",
    ),
    # V3: index and layout
    Row(
        "tally key replaced in the package",
        "authority",
        "V3",
        tally_rekeyed_in_package,
        "tally station's signature does not verify",
    ),
    Row(
        "export of a booth not in the definition",
        "tally",
        "V3",
        extra_export_file,
        "booths/S9-Z.json: not a file of the record's layout",
    ),
    Row(
        "shares file for trustee 6 of 5",
        "tally",
        "V3",
        extra_shares_file_beyond_n,
        "trustee-06.json: not a file of the record's layout",
    ),
    # V4: exports
    Row(
        "booth key replaced in the package",
        "authority",
        "V4",
        booth_rekeyed_in_package,
        "booth S1-A: export signature does not verify",
    ),
    Row(
        "export replayed from another election",
        "booth",
        "V4",
        replayed_export_other_election,
        "belongs to another election",
    ),
    Row(
        "S1-B's export in S1-A's slot",
        "booth",
        "V4",
        export_of_another_booth_in_slot,
        "holds the export of booth S1-B",
    ),
    Row("export counts 2**70", "booth", "V4", export_counts_oversized, "is outside"),
    Row(
        "export close in upper-case hex", "booth", "V4", export_hex_upper_case, "not lowercase hex"
    ),
    Row(
        "export non-canonical JSON (space)",
        "booth",
        "V4",
        export_non_canonical,
        "not in canonical form",
    ),
    Row("alpha not a ristretto255 encoding", "booth", "V4", invalid_encoding_alpha, "ristretto255"),
    Row("alpha with bit 255 set", "booth", "V4", alpha_with_bit_255_set, "ristretto255"),
    Row(
        "reveal on a cast ballot",
        "booth",
        "V4",
        reveal_on_a_cast_ballot,
        "present exactly for challenged ballots",
    ),
    # V5: chains
    Row("cast count raised", "booth", "V5", export_cast_count_raised, "counts say"),
    Row(
        "close code altered", "booth", "V5", close_code_altered, "does not lead to its closing code"
    ),
    Row(
        "opening nonce altered",
        "booth",
        "V5",
        opening_nonce_altered,
        "does not lead to its closing code",
    ),
    Row(
        "chain entry dropped, ballot kept",
        "booth",
        "V5",
        chain_entry_dropped_ballot_kept,
        "the chain holds",
    ),
    Row("void entry turned cast", "booth", "V5", void_entry_turned_cast, "the export publishes"),
    # V6: validity rules
    Row("identity-point alpha", "booth", "V6", identity_alpha, "α is O"),
    Row(
        "ballot names another station",
        "booth",
        "V6",
        ballot_station_relabelled,
        "names another booth or station",
    ),
    Row(
        "ballot moved to another booth",
        "booth",
        "V6",
        ballot_moved_to_another_booth,
        "names another booth or station",
    ),
    Row("alpha reused across ballots", "booth", "V6", alpha_reused_across_ballots, "appears twice"),
    Row("unknown question ID", "booth", "V6", unknown_question, "'99' unknown"),
    Row(
        "questions out of definition order",
        "booth",
        "V6",
        questions_out_of_order,
        "out of definition order",
    ),
    # V7: proofs
    Row(
        "ballot moved and relabelled",
        "booth",
        "V7",
        ballot_moved_and_relabelled,
        "membership proof does not verify",
    ),
    Row("ballot ID changed", "booth", "V7", ballot_id_changed, "membership proof does not verify"),
    Row(
        "beta replaced by another ballot's",
        "booth",
        "V7",
        ballot_ciphertext_beta_altered,
        "membership proof does not verify",
    ),
    Row(
        "ciphertexts swapped between questions",
        "booth",
        "V7",
        ciphertexts_swapped_between_questions,
        "membership proof does not verify",
    ),
    Row(
        "ballot replayed from another election",
        "booth",
        "V7",
        replayed_ballot_other_election,
        "membership proof does not verify",
    ),
    # V8: ballots in chains
    Row("chain link altered", "booth", "V8", chain_link_altered, "0 times in the chain"),
    # V9: challenges
    Row("forged reveal nonce", "booth", "V9", forged_reveal_nonce, "does not re-encrypt"),
    Row("reveal choice 2", "booth", "V9", reveal_choice_out_of_range, "not 0, 1 or B"),
    Row(
        "reveal of fewer questions",
        "booth",
        "V9",
        reveal_of_fewer_questions,
        "does not cover exactly its questions",
    ),
    # V10: sums
    Row("sums reordered", "tally", "V10", sums_reordered, "out of order"),
    Row("sum missing a ballot", "tally", "V10", sum_missing_a_ballot, "ballot list is not exactly"),
    Row("sum alpha replaced", "tally", "V10", sum_alpha_replaced, "is not the sum of its ballots"),
    # V11: shares
    Row(
        "shares files of trustees 3 and 4 swapped",
        "trustee",
        "V11",
        shares_files_swapped,
        "trustee-03.json: names trustee 4",
    ),
    Row(
        "trustee 3's shares signed by trustee 4",
        "trustee",
        "V11",
        shares_signed_by_another_trustee,
        "trustee 3's signature does not verify",
    ),
    Row("shares reordered", "trustee", "V11", shares_reordered, "trustee 4's share for station S1"),
    Row("identity share", "trustee", "V11", share_identity, "trustee 1's share"),
    Row(
        "share shifted by G",
        "trustee",
        "V11",
        share_shifted_by_g_with_its_proof,
        "trustee 4's share for station S2",
    ),
    Row(
        "shares file of another election",
        "trustee",
        "V11",
        shares_of_another_election,
        "trustee-05.json",
    ),
    Row("only two shares files (k = 3)", "tally", "V11", too_few_shares, "k = 3 are needed"),
    # V12–V14: results
    Row(
        "count forged with T to match",
        "tally",
        "V12",
        result_t_consistent_forgery,
        "T·G is not what the trustees' shares decrypt",
    ),
    Row("T = 2**300", "tally", "V12", result_oversized_integer, "tally/results.json: integer"),
    Row("nation eligible altered", "tally", "V13", total_eligible_altered, "question 17"),
    Row("totals reordered", "tally", "V13", totals_reordered, "question 17"),
    Row(
        "outcome threshold altered",
        "tally",
        "V14",
        outcome_threshold_altered,
        "Art. 29 outcome is not recomputed",
    ),
    # V15: poll-book counts
    Row(
        "poll book's voted disagrees",
        "pollbook",
        "V15",
        pollbook_voted_disagrees_resigned,
        "counts 16 voters",
    ),
    Row("poll-book count 2**80", "pollbook", "V15", pollbook_oversized, "is outside"),
    Row(
        "poll-book count of another election",
        "pollbook",
        "V15",
        pollbook_of_another_election,
        "not station S1's count for this election",
    ),
    Row(
        "station keys swapped in the package",
        "authority",
        "V15",
        station_key_swapped_in_package,
        "signature does not verify",
    ),
]

XFAIL: dict[str, str] = {}


def test_the_catalogue_has_at_least_thirty_distinct_rows() -> None:
    assert len({r.name for r in ROWS}) == len(ROWS) >= 30
    assert len({r.manipulate for r in ROWS}) == len(ROWS)


@pytest.mark.parametrize(
    "row",
    [
        pytest.param(r, id=r.name, marks=[pytest.mark.xfail(strict=True, reason=XFAIL[r.name])])
        if r.name in XFAIL
        else pytest.param(r, id=r.name)
        for r in ROWS
    ],
)
def test_manipulation_fails_its_own_check(election: Election, tmp_path: Path, row: Row) -> None:
    folder = tmp_path / "record"
    shutil.copytree(election.built.folder, folder)
    row.manipulate(Case(folder, election))
    if row.resign_index:
        resign_index(folder, election.built.tally_key)
    ok, out = run(folder, key_fingerprint(election.built.authority.verify_key), until=row.expected)
    assert not ok
    assert failed_check(out) == row.expected, out
    failed = next(line for line in out.splitlines() if "FAILED" in line)
    assert row.says in failed, failed
