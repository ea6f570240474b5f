"""The ESC/POS driver against the virtual printer over a real pty: jobs, faults, pictures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from hardware.errors import PrintFailed
from hardware.fonts import CJK_FAMILY, cjk_font, find_font
from hardware.printer import escpos
from hardware.printer.driver import ThermalPrinter
from hardware.printer.escpos import PAPER_SENSOR, REALTIME, Align, PrinterState, classify
from hardware.printer.job import Job, PrinterProfile
from hardware.printer.virtual_printer import VirtualPrinter

BALLOT_QR = "RV1 00112233445566778899aabbccddeeff 17=Y 18=N 19=B 20=D"
TRACKING = "7TQE4XJN2K5AWQ3R" + "0" * 48


def paper_record(profile: PrinterProfile) -> Job:
    """A fixed sample paper record (the real layout belongs to the booth)."""
    job = Job(profile)
    job.text("TEST 測試", bold=True, scale=2, align=Align.CENTER)
    job.text("110年全國性公民投票", align=Align.CENTER)
    for case, title, answer in [
        ("第17案", "核四啟封", "同意"),
        ("第18案", "萊劑豬肉進口", "不同意"),
        ("第19案", "公投與大選同日", "空白"),
        ("第20案", "三接遷離藻礁", "不領取"),
    ]:
        job.text(f"{case} {title}")
        job.text(answer, bold=True, scale=2, align=Align.CENTER)
    job.text("選票編號 0011 2233 4455 6677", align=Align.CENTER)
    job.qr(BALLOT_QR, module=4)
    return job.feed(2).cut()


def receipt(profile: PrinterProfile) -> Job:
    job = Job(profile)
    job.text("TEST 測試", bold=True, align=Align.CENTER)
    job.text("追蹤碼 Tracking code", align=Align.CENTER)
    job.text("7TQE 4XJN 2K5A WQ3R", bold=True, scale=2, align=Align.CENTER)
    job.qr(TRACKING, module=3)
    return job.feed(2).cut()


@pytest.fixture
def printer(tmp_path: Path) -> Iterator[tuple[VirtualPrinter, ThermalPrinter]]:
    virtual = VirtualPrinter(tmp_path / "paper")
    driver = ThermalPrinter(virtual.port, PrinterProfile(status_timeout=0.5, job_timeout=5.0))
    yield virtual, driver
    driver.close()
    virtual.close()


def decode_qr(path: Path) -> list[str]:
    import zxingcpp

    return [r.text for r in zxingcpp.read_barcodes(Image.open(path))]


def test_the_cjk_font_resolves() -> None:
    path, _ = find_font()
    assert "NotoSansCJK" in path.name
    assert cjk_font(24).getname()[0] == CJK_FAMILY


def _glyph(text: str) -> bytes:
    from PIL import ImageDraw

    image = Image.new("L", (64, 64), 255)
    ImageDraw.Draw(image).text((4, 4), text, font=cjk_font(48), fill=0)
    return image.tobytes()


def test_chinese_renders_as_glyphs_not_boxes() -> None:
    tofu = _glyph("\U000f0000")  # a private-use code point: the font's missing-glyph box
    for ch in "同意不同第案":
        assert _glyph(ch) != tofu, ch
    assert _glyph("同") != _glyph("意")


@pytest.mark.parametrize("text_mode", ["raster", "big5"])
def test_paper_record_and_receipt(printer, text_mode: str) -> None:  # type: ignore[no-untyped-def]
    virtual, driver = printer
    profile = PrinterProfile(text=text_mode, status_timeout=0.5, job_timeout=5.0)
    assert driver.print_job(paper_record(profile)).state is PrinterState.READY
    assert driver.print_job(receipt(profile)).state is PrinterState.READY
    assert len(virtual.pieces) == 2 and virtual.unknown == []
    assert decode_qr(virtual.pieces[0]) == [BALLOT_QR]
    assert decode_qr(virtual.pieces[1]) == [TRACKING]
    width, height = Image.open(virtual.pieces[0]).size
    assert width == escpos.PAPER_DOTS and height > 400


def test_paper_out_mid_job_fails_the_job(printer) -> None:  # type: ignore[no-untyped-def]
    virtual, driver = printer
    job = paper_record(driver.profile)
    virtual.paper_out_at = virtual.received + len(job.to_bytes()) // 2
    with pytest.raises(PrintFailed, match="paper out") as info:
        driver.print_job(job)
    assert info.value.state == "paper out"
    assert virtual.pieces == []  # the piece was never cut: nothing complete came out


def test_cover_open_fails_the_job(printer) -> None:  # type: ignore[no-untyped-def]
    virtual, driver = printer
    virtual.set_cover_open()
    with pytest.raises(PrintFailed, match="cover open"):
        driver.print_job(receipt(driver.profile))
    virtual.set_cover_open(False)
    virtual.cover_open_at = virtual.received + 100
    with pytest.raises(PrintFailed, match="cover open"):
        driver.print_job(receipt(driver.profile))


def test_silent_printer_fails_the_job(printer) -> None:  # type: ignore[no-untyped-def]
    virtual, driver = printer
    virtual.set_silent()
    with pytest.raises(PrintFailed, match="no answer"):
        driver.print_job(receipt(driver.profile))


def test_printer_going_silent_mid_job(printer) -> None:  # type: ignore[no-untyped-def]
    virtual, driver = printer
    job = paper_record(driver.profile)
    virtual.silent_at = virtual.received + 12 + len(job.to_bytes()) // 3
    with pytest.raises(PrintFailed, match="no answer"):
        driver.print_job(job)


def test_cutter_error_fails_the_job(printer) -> None:  # type: ignore[no-untyped-def]
    virtual, driver = printer
    virtual.cutter_error = True
    with pytest.raises(PrintFailed, match="cutter error"):
        driver.print_job(receipt(driver.profile))


def test_paper_near_end_still_prints_and_says_so(printer) -> None:  # type: ignore[no-untyped-def]
    virtual, driver = printer
    virtual.paper_near_end = True
    assert driver.print_job(receipt(driver.profile)).state is PrinterState.PAPER_NEAR_END
    assert decode_qr(virtual.pieces[0]) == [TRACKING]


# Status bytes, fuzzed --------------------------------------------------------------------


@given(st.sampled_from([1, 2, 3, 4]), st.integers(0, 255))
def test_status_decoder_accepts_only_valid_bytes(n: int, value: int) -> None:
    declaration = REALTIME[n]
    try:
        flags = declaration.decode(value)
    except ValueError:
        assert value & 0x12 != 0x12 or value & 0x81
        return
    assert declaration.decode(declaration.encode(flags)) == flags
    for name, mask in declaration.flags.items():
        assert (name in flags) == bool(value & mask)


@given(
    st.dictionaries(
        st.sampled_from([1, 2, 3, 4]),
        st.sets(
            st.sampled_from(
                [
                    "offline",
                    "cover_open",
                    "paper_end",
                    "paper_end_stop",
                    "paper_near_end",
                    "cutter_error",
                    "unrecoverable",
                ]
            )
        ),
    )
)
def test_round_trip_through_the_declarations(flags: dict[int, set[str]]) -> None:
    encoded = {n: REALTIME[n].encode(f) for n, f in flags.items()}
    decoded = {n: REALTIME[n].decode(v) for n, v in encoded.items()}
    assert classify(decoded) is classify({n: f & set(REALTIME[n].flags) for n, f in flags.items()})


@given(st.integers(0, 255))
def test_paper_sensor_decoder(value: int) -> None:
    try:
        PAPER_SENSOR.decode(value)
    except ValueError:
        assert value & 0x90


@given(st.binary(max_size=400))
def test_virtual_printer_parser_survives_any_bytes(
    tmp_path_factory: pytest.TempPathFactory, data: bytes
) -> None:
    virtual = VirtualPrinter(tmp_path_factory.mktemp("fuzz"))
    try:
        with virtual._lock:  # feed the parser directly, as the pty thread would
            for byte in data:
                virtual._buffer.append(byte)
                virtual._process()
    finally:
        virtual.close()


@pytest.mark.parametrize("text_mode", ["raster", "big5"])
def test_long_lines_wrap_instead_of_running_off_the_paper(printer, text_mode: str) -> None:  # type: ignore[no-untyped-def]
    from hardware.printer.job import EDGE, render_line, wrap

    long = "選票編號 Ballot ID cd38 48c4 25a4 ac55 ea09 c4ed 4312 9abc"
    parts = wrap(long, escpos.PAPER_DOTS, scale=1)
    assert len(parts) == 2 and " ".join(parts) == long
    for part in parts:  # every part fits between the edges: no ink in the last EDGE dots
        image = render_line(part, escpos.PAPER_DOTS)
        assert (
            image.crop((escpos.PAPER_DOTS - EDGE, 0, escpos.PAPER_DOTS, image.height)).getextrema()[
                0
            ]
            == 255
        )
    cjk = "你是否同意政府應全面禁止進口含有萊克多巴胺之乙型受體素豬隻之肉品"
    assert "".join(wrap(cjk, escpos.PAPER_DOTS, scale=2)) == cjk
    virtual, driver = printer
    profile = PrinterProfile(text=text_mode, status_timeout=0.5, job_timeout=5.0)
    job = Job(profile).text(long).text(cjk, scale=2).cut()
    if text_mode == "big5":
        assert job.to_bytes().count(escpos.KANJI_ON) == 2 + len(
            wrap(cjk, escpos.PAPER_DOTS, scale=2)
        )
    driver.print_job(job)
    assert len(virtual.pieces) == 1
    paper = Image.open(virtual.pieces[0]).convert("L")
    # Nothing printed in the right margin: no line ran off the paper.
    assert (
        paper.crop((escpos.PAPER_DOTS - EDGE, 0, escpos.PAPER_DOTS, paper.height)).getextrema()[0]
        == 255
    )
