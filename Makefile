# Balai: `make run` serves the demo village, `make test` runs the whole suite.
# Both work on a fresh clone: they create .venv and install what they need.

PY      := .venv/bin/python
PIP     := .venv/bin/pip
STAMP   := .venv/.installed
MO      := portal/translations/id/LC_MESSAGES/messages.mo
export BALAI_LISTEN ?= 127.0.0.1:8080
DATA    := $(or $(BALAI_DATA_DIR),var)

.PHONY: run test lint bench screenshots translations release clean-venv

$(STAMP): requirements.txt requirements-dev.txt
	python3 -m venv .venv
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $(STAMP)

$(MO): portal/translations/id/LC_MESSAGES/messages.po $(STAMP)
	.venv/bin/pybabel compile --use-fuzzy --statistics -d portal/translations

run: $(STAMP) $(MO)
	$(PY) -m portal migrate
	$(PY) -m portal demo
	@$(PY) -m portal voices || echo "(No voice clips: install espeak-ng to hear the calls; the board uses the browser's speech meanwhile.)"
	@# The demo kiosk: a fresh device token for its agent each run, and a pairing link for the
	@# browser you want to use as the kiosk screen. Receipts are pictures in $(DATA)/receipts.
	$(PY) -m portal kiosk add "Kiosk Aula" --exist-ok --token-file $(DATA)/kiosk-token
	@trap 'kill $$worker $$agent 2>/dev/null' EXIT INT TERM; \
	$(PY) -m portal worker & worker=$$!; \
	BALAI_KIOSK_TOKEN=$$(cat $(DATA)/kiosk-token) BALAI_PRINTER=$${BALAI_PRINTER:-preview://$(DATA)/receipts} \
	  $(PY) -m kiosk & agent=$$!; \
	$(PY) -m portal serve

test: $(STAMP) $(MO)
	bash tests/setup-system.sh
	$(PY) -m pytest

lint: $(STAMP)
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .

# Every benchmark runs; then make fails loudly if any missed its budget (the figures: var/bench/).
bench: $(STAMP) $(MO)
	bash tests/setup-system.sh
	@failed=""; \
	for b in queue printing pages sync; do $(PY) bench/$$b.py || failed="$$failed $$b"; done; \
	if [ -n "$$failed" ]; then echo "make bench: BELOW BUDGET or failed:$$failed" >&2; exit 1; fi

# Refresh the README's screenshots from the browser tier.
screenshots: $(STAMP) $(MO)
	bash tests/setup-system.sh
	$(PY) -m pytest -m e2e -q
	$(PY) -m pytest -q tests/test_letter_pdf.py  # draws the letters as pictures (letter-a4.png)
	mkdir -p docs/screenshots
	cp var/screenshots/phone-home.png var/screenshots/phone-queue.png var/screenshots/phone-ticket-called.png \
	   var/screenshots/console-counter.png var/screenshots/console-index.png var/screenshots/board.png \
	   var/screenshots/kiosk-start-800x480.png var/screenshots/kiosk-ticket-1024x600.png \
	   var/screenshots/kiosk-service-1280x800.png var/screenshots/kiosk-printer-out-1024x600.png \
	   var/screenshots/phone-wifi.png var/screenshots/phone-wifi-connected.png var/screenshots/console-hotspot.png \
	   var/screenshots/phone-budget.png var/screenshots/phone-services.png var/screenshots/phone-complaint.png \
	   var/screenshots/phone-letter-form.png var/screenshots/phone-letter-ready.png var/screenshots/console-letter-request.png \
	   var/screenshots/letter-a4.png \
	   var/screenshots/phone-complaint-sent.png var/screenshots/phone-poll.png var/screenshots/console-content.png \
	   var/screenshots/console-announcement-edit.png var/screenshots/console-budget.png \
	   var/screenshots/console-complaint.png var/screenshots/hub-overview.png var/screenshots/hub-village.png \
	   var/screenshots/phone-district.png var/screenshots/console-sync.png \
	   var/screenshots/console-setup.png var/screenshots/console-dashboard.png var/screenshots/console-stats.png \
	   var/screenshots/console-users.png var/screenshots/console-printers.png var/screenshots/console-backups.png \
	   var/screenshots/console-clock.png \
	   docs/screenshots/
	cp var/screenshots/receipt-800x480.png docs/screenshots/receipt.png

# After changing user-visible text: refresh the catalogue, then translate the new entries.
translations: $(STAMP)
	.venv/bin/pybabel extract --no-location --omit-header -F babel.cfg -k N_ -k _l -o portal/translations/messages.pot .
	.venv/bin/pybabel update --no-fuzzy-matching -i portal/translations/messages.pot -d portal/translations

# A tarball for the Pi that installs and upgrades with no internet (deploy/raspberrypi/release.sh):
# `make release ARCH=amd64` for a 64-bit PC instead of a Pi.
release: $(STAMP)
	PYTHON=$(PY) bash deploy/raspberrypi/release.sh --arch $(or $(ARCH),arm64)

clean-venv:
	rm -rf .venv
