#!/usr/bin/env bash
# Coverage-guided fuzzing of the decoders and importers (fuzz/fuzz_targets, cargo-fuzz on the
# nightly toolchain; cargo-fuzz is installed when missing). Each target starts from a corpus
# made here from the project's fixtures and ../shared/formats (real captures, not committed),
# and runs until RUNS executions or an hour, with 1 s per input and 2 GiB at most; a crash,
# a timeout or an input over the memory limit stops it and is kept in fuzz/artifacts/TARGET/.
# Usage: bash scripts/fuzz.sh [RUNS (10000000)] [TARGET…]   Figures go to BENCHMARKS.md.
# FUZZ_SECONDS caps each target's time (3600 by default). The 1 s per input is wall-clock time:
# on a machine busy with other work (a build beside a fuzzer at low priority) an input can be
# reported as a timeout although it takes milliseconds alone; run the reported input alone
# (`target/fuzz/x86_64-unknown-linux-gnu/release/TARGET FILE`) before calling it a finding.
# Inputs once reported are kept in fixtures/fuzz/TARGET (regression tests read them) and seed
# the corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-10000000}
shift || true
ALL="gtfs_rt siri_xml siri_json itxpt positions_json offers_csv france_travail_json places_csv gtfs_files gtfs_zip rome_csv public_forms"
TARGETS=${*:-$ALL}
rustup toolchain list | grep -q nightly || { echo "the nightly toolchain is needed (rustup toolchain install nightly)"; exit 1; }
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
SHARED=${DKLIK_FORMATS_DIR:-../shared/formats}
python3 - "$SHARED" <<'PY'
import glob, io, os, sys, zipfile
shared = sys.argv[1]
def put(target, name, data):
    d = f"fuzz/corpus/{target}"
    os.makedirs(d, exist_ok=True)
    open(f"{d}/{name}", "wb").write(data)
def head(path, n=40):
    return b"".join(open(path, "rb").readlines()[:n])
for p in glob.glob(f"{shared}/gtfs-rt/*.pb"):
    put("gtfs_rt", os.path.basename(p), open(p, "rb").read())
for p in glob.glob(f"{shared}/siri/**/*.xml", recursive=True):
    put("siri_xml", os.path.basename(p), open(p, "rb").read())
for p in glob.glob(f"{shared}/siri/**/*.json", recursive=True):
    put("siri_json", os.path.basename(p), open(p, "rb").read())
for p in glob.glob(f"{shared}/itxpt/**/*GNSS*/**/*.xml", recursive=True):
    put("itxpt", os.path.basename(p), open(p, "rb").read())
put("offers_csv", "demo.csv", head("fixtures/offers/demo-offres.csv", 30))
put("france_travail_json", "sample.json", open("fixtures/offers/france-travail-sample.json", "rb").read())
put("places_csv", "lieux.csv", open("territoire/lieux-dunkerque.csv", "rb").read())
gtfs = ["agency.txt", "stops.txt", "routes.txt", "trips.txt", "stop_times.txt", "calendar.txt",
        "calendar_dates.txt", "shapes.txt", "feed_info.txt"]
def feed(folder):
    return [head(f"{folder}/{f}", 30) if os.path.exists(f"{folder}/{f}") else b"" for f in gtfs]
for name, folder in [("demo", "fixtures/gtfs/dunkerque-demo"), ("aranda", f"{shared}/gtfs/aranda"),
                     ("google", f"{shared}/gtfs/google-sample")]:
    if os.path.isdir(folder):
        files = feed(folder)
        put("gtfs_files", name, b"\0".join(files))
        z = io.BytesIO()
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
            for n, b in zip(gtfs, files):
                if b:
                    zf.writestr(n, b)
        put("gtfs_zip", f"{name}.zip", z.getvalue())
rome = ["unix_referentiel_code_rome.csv", "unix_referentiel_appellation.csv",
        "unix_referentiel_competence.csv", "unix_referentiel_savoir.csv",
        "unix_referentiel_contexte_travail.csv", "unix_coherence_item.csv",
        "unix_grand_domaine.csv", "unix_rubrique_mobilite.csv"]
put("positions_json", "one.json", b'{"vehicle":"DK-101","lat":51.03,"lon":2.37,"timestamp":1767225600,"trip_id":"T1","route_id":"C1","stop_id":"S1"}')
put("positions_json", "list.json", b'[{"vehicle":"DK-101","lat":51.03,"lon":2.37,"timestamp":1767225600},{"vehicle":"DK-102","lat":51.04,"lon":2.38,"timestamp":1767225610.0}]')
put("public_forms", "callback", b"prenom=Nadia&telephone=06+11+22+33+99&email=&moment=matin&consentement=oui&src=ecran&imp=ABCDEFGH&code=K7M3PX")
put("public_forms", "registration", b"seance=12&prenom=Jos%C3%A9&telephone=%2B33611223399&email=jose%40exemple.fr&consentement=oui")
put("public_forms", "questionnaire", b"reponses=q1%3Da%2Cq2%3Db&prenom=&telephone=0611")
for p in glob.glob("fixtures/fuzz/*/*"):
    put(os.path.basename(os.path.dirname(p)), "found-" + os.path.basename(p), open(p, "rb").read())
put("rome_csv", "fixture", b"\0".join(head(f"fixtures/rome/{f}", 40) for f in rome))
PY
FOUND=0
mkdir -p target/fuzz
for t in $TARGETS; do
  echo "== $t"
  if CARGO_TARGET_DIR=target/fuzz cargo +nightly fuzz run --fuzz-dir fuzz "$t" "fuzz/corpus/$t" -- \
    -runs="$RUNS" -max_total_time="${FUZZ_SECONDS:-3600}" -timeout=1 -rss_limit_mb=2048 -max_len=65536 \
    -print_final_stats=1 >"target/fuzz/$t.log" 2>&1; then
    grep -E "^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)|^Done" "target/fuzz/$t.log" || true
  else
    FOUND=1
    grep -E "SUMMARY|panicked|Test unit written|ERROR" "target/fuzz/$t.log" | head -5 || true
    echo "   finding kept in fuzz/artifacts/$t (log: target/fuzz/$t.log)"
  fi
done
exit $FOUND
