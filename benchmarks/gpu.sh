#!/usr/bin/env bash
# The GPU checks in one script, about 6 minutes on one CUDA device (under 8 with the first call's compile):
#   1. the CUDA tests (tests/integration/test_cuda.py: every model family and precision, metrics vs the CPU, resume);
#   2. `ganlab bench --device cuda` for demo, dcgan, wgan-gp in fp32, in bf16, and compiled (torch.compile);
#   3. a short training with periodic evaluation (dcgan, 3,000 steps) and a 10,000-sample evaluation on the GPU.
# It writes OUT/gpu.json (the card, each test's outcome, every bench result, the training's summary and metrics) and
# the logs OUT/tests.log and OUT/train.log.
#
# On a machine with ganlab installed (`make setup data`):   bash benchmarks/gpu.sh [OUT]
# On a bare GPU machine whose python3 holds torch (the device tool's): first, here, `bash benchmarks/gpu.sh --bundle`
# writes .gpu/ (git-ignored: Fashion-MNIST and the wheels such an image lacks, about 30 MB); carry .gpu there and run
# `bash benchmarks/gpu.sh $OUT` (the device tool: carry [".gpu"]).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--bundle" ]; then
  mkdir -p .gpu/wheels .gpu/fashion-mnist
  cp /usr/share/datasets/fashion-mnist/*.gz .gpu/fashion-mnist/
  python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
    --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 -d .gpu/wheels torch-fidelity
  du -sh .gpu
  exit 0
fi

OUT=${1:-${OUT:-benchmarks/results/gpu}}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
if [ -x .venv/bin/python ]; then
  PY=.venv/bin/python
else  # a bare image: its python3, ganlab from the checkout, the carried wheels and data
  PY=python3
  if compgen -G ".gpu/wheels/*.whl" >/dev/null; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --target /tmp/ganlab-site .gpu/wheels/*.whl
    export PYTHONPATH=/tmp/ganlab-site:${PYTHONPATH:-}
  fi
  export PYTHONPATH=$PWD/src:${PYTHONPATH:-}
fi
[ -d .gpu/fashion-mnist ] && export GANLAB_DATA=$PWD/.gpu/fashion-mnist
RUN=$(mktemp -d)

# 1. the CUDA tests
set +e
timeout 240 $PY -m pytest -q -m cuda tests/integration/test_cuda.py -p no:cacheprovider \
  --junitxml="$RUN/tests.xml" >"$OUT/tests.log" 2>&1
tests_rc=$?
set -e
tail -n 3 "$OUT/tests.log"

# 2. throughput: fp32, bf16, compiled
for variant in fp32 bf16 compile; do
  case $variant in
    fp32) sets=(--set train.precision=fp32) ;;
    bf16) sets=(--set train.precision=bf16) ;;
    compile) sets=(--set train.compile=true) ;;
  esac
  $PY -m ganlab bench demo dcgan wgan-gp --device cuda --seconds 8 --warmup 5 "${sets[@]}" --json >"$RUN/bench-$variant.json"
  echo "bench $variant done"
done

# 3. a short training with periodic evaluation, then the final evaluation on the GPU
$PY -m ganlab train dcgan --device cuda --set train.steps=3000 --set eval.every=1000 --out "$RUN/dcgan" >"$OUT/train.log" 2>&1
$PY -m ganlab evaluate "$RUN/dcgan" --samples 10000 --device cuda >>"$OUT/train.log" 2>&1
tail -n 8 "$OUT/train.log"

$PY - "$RUN" "$OUT/gpu.json" "$tests_rc" <<'EOF'
import json, sys, xml.etree.ElementTree as ET
from pathlib import Path
import torch
run, out, tests_rc = Path(sys.argv[1]), Path(sys.argv[2]), int(sys.argv[3])
cases = []
if (run / "tests.xml").is_file():
    for case in ET.parse(run / "tests.xml").iter("testcase"):
        outcome = "failed" if case.find("failure") is not None or case.find("error") is not None else (
            "skipped" if case.find("skipped") is not None else "passed")
        cases.append({"test": case.get("name"), "outcome": outcome, "seconds": float(case.get("time", 0))})
result = {
    "device": torch.cuda.get_device_name(0),
    "torch": torch.__version__,
    "cuda": torch.version.cuda,
    "tests_exit_code": tests_rc,
    "tests": cases,
    "bench": {v: json.loads((run / f"bench-{v}.json").read_text()) for v in ("fp32", "bf16", "compile")},
    "train_summary": json.loads((run / "dcgan" / "summary.json").read_text()),
    "train_evals": [json.loads(line) for line in (run / "dcgan" / "eval.jsonl").read_text().splitlines()],
    "final_eval": json.loads((run / "dcgan" / "eval.json").read_text()),
}
out.write_text(json.dumps(result, indent=1) + "\n")
for variant, report in result["bench"].items():
    for r in report["results"]:
        print(f"{variant:8} {r['config']:10} {r['gen_steps_per_s']:10.1f} G steps/s")
print("tests:", sum(c["outcome"] == "passed" for c in cases), "passed of", len(cases))
EOF
