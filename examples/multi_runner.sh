#!/usr/bin/env bash
# Collect benchmark runs from several machines, then merge them into one report.
#
# Each "machine" here is one headless runner process with its own machine label, all started
# in parallel on this computer; on a cluster each is one Slurm array task or one Kubernetes Job
# pod (docs/deployment.md), and only the merge at the end runs in one place. Tested as is by
# jupyterlab_device_bench/tests/test_multi_runner.py.
#
# Settings (environment variables):
#   LABELS    machine labels separated by commas, one runner each (default: "node A,node B,node C")
#   DEVICES   devices each runner benchmarks (default: cpu)
#   OUT       folder for the runners' notebooks and the merged report (default: runs)
#   DATA_DIR  folder with the MNIST files (default: data)
#   PYTHON    the Python with jupyterlab-device-bench (default: python)
#   KERNEL    the kernel the runners use (default: the notebook's, python3)
#   WORKLOAD  extra runner arguments; the default is the smallest honest run: the quick profile
#             on 640 real MNIST test images (10 timed steps after 2 warm-up steps)
set -euo pipefail

IFS=',' read -ra labels <<<"${LABELS:-node A,node B,node C}"
DEVICES=${DEVICES:-cpu}
OUT=${OUT:-runs}
DATA_DIR=${DATA_DIR:-data}
PYTHON=${PYTHON:-python}
WORKLOAD=${WORKLOAD:-"--profile quick --param split_from_test=true --param train_size=640 \
--param test_size=128 --param warmup_steps=2"}
KERNEL_ARGS=()
if [[ -n ${KERNEL:-} ]]; then KERNEL_ARGS=(--kernel "$KERNEL"); fi

mkdir -p "$OUT"
pids=()
outputs=()
index=0
for label in "${labels[@]}"; do
    output="$OUT/bench-$index.ipynb"
    # shellcheck disable=SC2086  # WORKLOAD is a list of arguments
    "$PYTHON" -m jupyterlab_device_bench run --devices $DEVICES $WORKLOAD \
        --param "data_dir=$DATA_DIR" --machine-label "$label" ${KERNEL_ARGS[@]+"${KERNEL_ARGS[@]}"} \
        --output "$output" >"$OUT/bench-$index.log" 2>&1 &
    pids+=("$!")
    outputs+=("$output")
    index=$((index + 1))
done

# Wait for every runner; a failed device is recorded in its notebook (exit 1), so keep going.
status=0
for i in "${!pids[@]}"; do
    if wait "${pids[$i]}"; then code=0; else code=$?; fi
    echo "runner $i (${labels[$i]}): exit $code, log $OUT/bench-$i.log"
    if [[ $code -ne 0 && $code -ne 1 ]]; then status=$code; fi
done

"$PYTHON" -m jupyterlab_device_bench merge-reports "${outputs[@]}" --output "$OUT/merged.json"
exit "$status"
