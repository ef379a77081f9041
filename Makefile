# salesbot: `make run` starts the assistant with demo data, `make test` runs every test.
# Both install what they need into .venv (Python 3.10) and skip work already done.

PYTHON ?= python3.10
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
MODEL := models/salesbot.tar.gz
TRAINING_INPUTS := config.yml domain.yml $(shell find data -type f 2>/dev/null)

.PHONY: run run-cluster test install browser haproxy model demo assets validate lint unit integration e2e rasa-test nlu-report bench bench-segments bench-recommend bench-evaluate bench-wechat bench-review bench-import bench-load screenshots vendor clean

run: $(INSTALLED) $(MODEL)
	$(BIN)/salesbot migrate
	$(BIN)/salesbot demo-data --if-empty
	$(BIN)/salesbot segment
	$(BIN)/salesbot train-recommender
	$(BIN)/salesbot care plan
	$(BIN)/salesbot run

# 2 Rasa, 2 action and 2 console servers on the local PostgreSQL behind HAProxy
run-cluster: $(INSTALLED) $(MODEL) haproxy
	$(BIN)/salesbot run-cluster

test: $(INSTALLED) $(MODEL) browser haproxy
	$(BIN)/ruff check bot actions tests bench
	$(BIN)/ruff format --check bot actions tests bench
	$(BIN)/salesbot nlu-assets --check
	$(BIN)/salesbot validate-data
	$(BIN)/pytest -q -p no:cacheprovider tests/unit tests/integration tests/e2e
	$(MAKE) --no-print-directory rasa-test
	$(MAKE) --no-print-directory nlu-report

install: $(INSTALLED)

# The browser tests drive Debian's Chromium (no browser download); CJK fonts so the
# screenshots show Chinese. Needs apt (root or sudo); without it those tests skip.
CHROMIUM := /usr/bin/chromium
browser: $(CHROMIUM)

# `make run-cluster` and its test put Debian's HAProxy in front of the servers.
HAPROXY := /usr/sbin/haproxy
haproxy: $(HAPROXY)

$(HAPROXY):
	@if command -v apt-get >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q haproxy >/dev/null || \
		{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q haproxy >/dev/null; } || \
		echo "could not install haproxy: the cluster test will be skipped"; \
	else echo "no apt-get: the cluster test will be skipped"; fi

$(CHROMIUM):
	@if command -v apt-get >/dev/null; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q chromium fonts-wqy-microhei >/dev/null || \
		{ $$SUDO apt-get update -q >/dev/null && $$SUDO apt-get install -y -q chromium fonts-wqy-microhei >/dev/null; } || \
		echo "could not install chromium: the browser tests will be skipped"; \
	else echo "no apt-get: the browser tests will be skipped"; fi

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade "pip<24.1"
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e ".[dev]"
	touch $@

model: $(MODEL)

# Rasa also fingerprints the inputs; the file dependencies skip even loading Rasa.
$(MODEL): $(INSTALLED) $(TRAINING_INPUTS)
	$(BIN)/rasa train --fixed-model-name salesbot --out models
	touch $@

demo: $(INSTALLED)
	$(BIN)/salesbot migrate
	$(BIN)/salesbot demo-data --if-empty
	$(BIN)/salesbot segment
	$(BIN)/salesbot train-recommender
	$(BIN)/salesbot care plan

# After editing knowledge/catalog.csv: regenerate the jieba dictionary and lookups.
assets: $(INSTALLED)
	$(BIN)/salesbot nlu-assets

validate: $(INSTALLED)
	$(BIN)/salesbot validate-data

lint: $(INSTALLED)
	$(BIN)/ruff check bot actions tests bench

unit: $(INSTALLED)
	$(BIN)/pytest -q tests/unit

integration: $(INSTALLED)
	$(BIN)/pytest -q tests/integration

e2e: $(INSTALLED) $(MODEL)
	$(BIN)/pytest -q tests/e2e

# Conversation stories (tests/stories) through NLU and dialogue policies of the model.
rasa-test: $(INSTALLED) $(MODEL) browser
	$(BIN)/rasa test core --model $(MODEL) --stories tests/stories \
		--fail-on-prediction-errors --out var/results/core

# Intent accuracy: Rasa's 5-fold cross-validation over data/nlu and the held-out
# phrasings of tests/nlu/heldout.yml, confusions printed and charted
# (var/results/nlu-confusions.png); fails below tests/nlu/floors.yml.
nlu-report: $(INSTALLED) $(MODEL) browser
	rm -rf var/results/nlu-cv var/results/nlu-heldout && mkdir -p var/results
	$(BIN)/rasa test nlu --nlu data/nlu --config config.yml --cross-validation \
		--folds 5 --out var/results/nlu-cv >var/results/nlu-cv.log 2>&1 || \
		{ tail -20 var/results/nlu-cv.log; exit 1; }
	$(BIN)/rasa test nlu --model $(MODEL) --nlu tests/nlu/heldout.yml \
		--out var/results/nlu-heldout >var/results/nlu-heldout.log 2>&1 || \
		{ tail -20 var/results/nlu-heldout.log; exit 1; }
	$(BIN)/salesbot nlu-report var/results/nlu-cv var/results/nlu-heldout \
		--floors tests/nlu/floors.yml --chart var/results/nlu-confusions.png

bench: $(INSTALLED) $(MODEL)
	$(BIN)/python -m bench.lookup_latency
	$(BIN)/python -m bench.wechat_latency

bench-wechat: $(INSTALLED) $(MODEL)
	$(BIN)/python -m bench.wechat_latency

bench-review: $(INSTALLED)
	$(BIN)/python -m bench.review_console

# 1,000,000 customers / ~20 M order lines (made once under var/bench, ~15 min), then
# a full `salesbot segment` against a plain pandas baseline in the same run.
bench-segments: $(INSTALLED)
	$(BIN)/python -m bench.segments

# 1,000,000 customers / 50,000 SKUs (a widened copy of the bench-segments database):
# training time and serving p95 of every kind against the profile card.
bench-recommend: $(INSTALLED)
	$(BIN)/python -m bench.recommend

# evaluate-recommender on a 1,000,000-line synthetic log (both views)
bench-evaluate: $(INSTALLED)
	$(BIN)/python -m bench.evaluate_recommender

# The browser tests save their screenshots under var/screenshots; this refreshes the
# README's copies in docs/ from the last run.
screenshots:
	@ls var/screenshots/*.png >/dev/null 2>&1 || { echo "no screenshots yet: run make e2e first"; exit 1; }
	cp var/screenshots/*.png docs/

# ~585,000 lines of a real-shaped export in pounds (made once under var/bench):
# `salesbot import` time and peak memory against holding every row, then segment.
bench-import: $(INSTALLED)
	$(BIN)/python -m bench.import_export

# turn latency at 20 conversations at once against Rasa's starter bot (moodbot); then
# the cluster (PostgreSQL, Redis, HAProxy): 1 vs 2 replicas, a 5-minute soak, faults
bench-load: $(INSTALLED) $(MODEL) haproxy
	$(BIN)/python -m bench.load
	$(BIN)/python -m bench.cluster_load

# The browser libraries are vendored (committed; nothing downloads at run time). This
# refreshes them from the npm registry at the pinned versions.
ECHARTS := 6.1.0
IDB_KEYVAL := 6.3.0
STATIC_VENDOR := bot/web/static/vendor
vendor:
	rm -rf var/vendor && mkdir -p var/vendor
	cd var/vendor && npm pack --silent echarts@$(ECHARTS) idb-keyval@$(IDB_KEYVAL) >/dev/null
	cd var/vendor && mkdir echarts idb && tar xzf echarts-$(ECHARTS).tgz -C echarts && tar xzf idb-keyval-$(IDB_KEYVAL).tgz -C idb
	cp var/vendor/echarts/package/dist/echarts.min.js var/vendor/echarts/package/LICENSE var/vendor/echarts/package/NOTICE $(STATIC_VENDOR)/echarts/
	cp var/vendor/idb/package/dist/umd.js $(STATIC_VENDOR)/idb-keyval/idb-keyval.min.js
	cp var/vendor/idb/package/LICENCE $(STATIC_VENDOR)/idb-keyval/LICENSE

clean:
	rm -rf var/results var/log models
