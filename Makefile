# refvote: every target installs what it needs on a fresh Debian machine.
#   make demo   the main job on embedded defaults: a mock referendum through real booths
#   make test   the whole test suite
#   make bench  performance figures as ratios against ElectionGuard, measured in the same run,
#               and a 500-voter day at one booth process (cast latency, start-up, peak RSS)
#   make bench-scale  verify (1, 2 workers, Dask), import and the site on a synthetic record of
#               SCALE_BALLOTS ballots (default 20000; RECORD=DIR reuses a synth-record output),
#               into benchmarks/results.md (long: tens of minutes on 2 cores)
#   make lint   ruff, and mypy --strict on crypto/ and ballots/
#   make fuzz   the fuzzers of outside input, long (FUZZ_EXAMPLES per property, default 5000)
#   make chaos  crash and fault injection, N rounds each (default 200, SEED 1): tally commands
#               killed or failed at random calls; the booth and the poll book killed at seeded
#               write points, storage faults injected, every restart checked; trustee step
#               and decrypt killed at random calls (TRUSTEE_N rounds, default 30)
#   make screenshots  every booth screen offscreen (zh-TW, en; normal, largest text, white on
#               black) to docs/screenshots, a contact sheet, and the real kiosk window under Xvfb

PYTHON     ?= python3
VENV       := .venv
EG_VENV    := .venv-eg
STAMPS     := .stamps
APT_PKGS   := pcscd vsmartcard-vpcd libpcsclite-dev fonts-noto-cjk fonts-arphic-uming poppler-utils chromium chromium-driver \
              espeak-ng softhsm2 opensc xvfb xauth libsodium23 libxcb-icccm4 libxcb-keysyms1
OUT        ?= demo-out

.PHONY: demo test bench bench-scale lint clean apt fuzz chaos

demo: $(STAMPS)/apt $(VENV)/.installed
	$(VENV)/bin/refvote demo --out $(OUT)

test: $(STAMPS)/apt $(VENV)/.installed
	$(VENV)/bin/pytest -q

bench: $(VENV)/.installed $(EG_VENV)/.installed
	$(VENV)/bin/refvote bench --peer-python $(EG_VENV)/bin/python

SCALE_BALLOTS ?= 20000
bench-scale: $(VENV)/.installed
	$(VENV)/bin/python -m refvote.bench_scale --ballots $(SCALE_BALLOTS) $(if $(RECORD),--record $(RECORD))

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

FUZZ_EXAMPLES ?= 5000
fuzz: $(VENV)/.installed
	HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest -q \
	  tests/test_fuzz_parsers.py
	HYPOTHESIS_PROFILE=fuzz FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(VENV)/bin/pytest -q \
	  tests/test_package.py tests/test_definition.py tests/test_encoding.py \
	  tests/test_ceremony.py -k "mutated or random or round_trip"

N ?= 200
SEED ?= 1
TRUSTEE_N ?= 30
chaos: $(VENV)/.installed
	$(VENV)/bin/python -m tests.chaos.tally_chaos $(N) $(SEED)
	$(VENV)/bin/python -m tests.chaos.booth_chaos $(N) $(SEED)
	$(VENV)/bin/python -m tests.chaos.trustee_chaos $(TRUSTEE_N) $(SEED)

apt: $(STAMPS)/apt

# Debian packages: installed when run as root, otherwise the exact command is printed.
$(STAMPS)/apt: Makefile
	@missing=""; for p in $(APT_PKGS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing Debian packages:$$missing"; \
	    echo "run: sudo apt-get update && sudo apt-get install -y --no-install-recommends $(APT_PKGS)"; \
	    exit 1; \
	  fi; \
	fi
	@mkdir -p $(STAMPS) && touch $@

$(VENV)/.installed: pyproject.toml $(STAMPS)/apt
	test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --disable-pip-version-check -e '.[test,dev]'
	touch $@

# The peer for benchmarks, in its own environment (it pins old libraries of its own).
$(EG_VENV)/.installed:
	test -x $(EG_VENV)/bin/python || $(PYTHON) -m venv $(EG_VENV)
	$(EG_VENV)/bin/pip install -q --disable-pip-version-check electionguard==1.4.0
	touch $@

clean:
	rm -rf $(VENV) $(EG_VENV) $(STAMPS) $(OUT) *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache

# The booth's screens for docs/booth.md; the real window: `refvote booth --demo` under Xvfb
# (Qt's xcb plugin needs libxcb-icccm4 and libxcb-keysyms1; the demo takes pcscd's vpcd lock).
.PHONY: screenshots
screenshots: $(STAMPS)/apt $(VENV)/.installed
	rm -f docs/screenshots/booth-*.png
	REFVOTE_SCREENSHOTS=docs/screenshots QT_QPA_PLATFORM=offscreen $(VENV)/bin/pytest -q \
	  tests/test_booth_ui_screenshots.py tests/test_booth_ui_screenshots_worker.py \
	  tests/test_booth_ui_access.py::test_access_screenshots
	xvfb-run -a -s "-screen 0 1920x1080x24" $(VENV)/bin/refvote booth --demo --quit-after-ready \
	  --screenshot docs/screenshots/booth-xvfb-kiosk-zh-TW.png --out $(OUT)/booth-demo
	$(VENV)/bin/python -m tests.contact_sheet docs/screenshots
