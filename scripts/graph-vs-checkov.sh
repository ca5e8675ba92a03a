#!/usr/bin/env bash
# `azrelo graph` over every quickstart main template (838 files with the
# parameters files beside them) in one process, timed next to checkov's ARM
# graph builder on the same files (parsing + graph, checks not run).
#
#   scripts/graph-vs-checkov.sh [RUNS]
#
# Installs checkov from PyPI into target/checkov-venv (outside .ci/run) and
# builds azrelo in release mode. Prints wall time and peak memory of each.
set -euo pipefail
cd "$(dirname "$0")/.."
runs="${1:-3}"
corpus="$(cd ../shared/corpus/quickstarts && pwd)"
venv="$PWD/target/checkov-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q checkov
fi
cargo build -q --release -p azrelo
bin="$PWD/target/release/azrelo"
script="$PWD/scripts/checkov_arm_graph.py"
errs="$PWD/target"
mapfile -t files < <(cd "$corpus" && find . \( -name azuredeploy.json -o -name main.json \) | sort)
echo "files: ${#files[@]} (checkov $("$venv/bin/checkov" --version))"
measure() { # label, command...
  local label=$1; shift
  for i in $(seq "$runs"); do
    /usr/bin/time -f "$label run $i: %e s wall, %M KiB peak" "$@" > /dev/null 2> "$errs/.gvc-$label.err" || true
    tail -1 "$errs/.gvc-$label.err"
  done
}
cd "$corpus"
measure azrelo "$bin" graph --template-resource-group '{dir}' -q -o json "${files[@]}"
"$bin" graph --template-resource-group '{dir}' -q "${files[@]}" 2>&1 | grep -E "nodes \(|could not be read" || true
measure checkov "$venv/bin/python" "$script" "${files[@]}"
"$venv/bin/python" "$script" "${files[@]}"
