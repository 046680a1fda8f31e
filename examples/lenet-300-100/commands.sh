#!/usr/bin/env sh
# LeNet-300-100 on MNIST: the commands behind pretrained/ and docs/results.md. Run from the repository root
# after `npm ci && npx turbo run build`. Every step checkpoints after each epoch: Ctrl-C, then rerun the same
# command with --resume added, continues from the last finished epoch.
set -e
SW="node packages/cli/dist/bin.js"
OUT=${OUT:-runs/lenet-300-100}

pretrain() {
  # 18 epochs of Adam 1e-3, then 5 epochs at 1e-4 (a learning-rate step on resume).
  $SW pretrain --arch lenet-300-100 --data mnist --epochs 18 --batch-size 128 --lr 1e-3 --seed 1 --out "$OUT/pretrain"
  $SW pretrain --arch lenet-300-100 --out "$OUT/pretrain" --resume --epochs 23 --lr 1e-4
}

compress() {
  # PAPER.md section 10: tau 0.02 reached 66.9x at 2.00% in 30 epochs (the tutorial's 0.005 does not converge).
  $SW compress examples/lenet-300-100/pretrained/model.json --data mnist --epochs 30 --tau 0.02 --out "$OUT/compress-tau0.02"
}

compress_paper_defaults() {
  # The paper's/tutorial defaults, for comparison (tau 0.005).
  $SW compress examples/lenet-300-100/pretrained/model.json --data mnist --epochs 30 --tau 0.005 --out "$OUT/compress-tau0.005"
}

"${1:-compress}"
