#!/usr/bin/env sh
# LeNet-5-Caffe on MNIST: the commands behind pretrained/ and docs/results.md. Run from the repository root
# after `npm ci && npx turbo run build`. Convnets train on the wasm backend thanks to the training kernels
# @softweight/tfjs registers (Conv2DBackpropFilter...). Ctrl-C, then the same command with --resume, continues.
set -e
SW="node packages/cli/dist/bin.js"
OUT=${OUT:-runs/lenet5-caffe}

pretrain() {
  $SW pretrain --arch lenet5-caffe --data mnist --epochs 5 --batch-size 128 --lr 1e-3 --seed 1 --out "$OUT/pretrain"
  $SW pretrain --arch lenet5-caffe --out "$OUT/pretrain" --resume --epochs 7 --lr 1e-4
}

compress() {
  # The best setting found (docs/results.md): tau 0.03, 40 epochs -> 1.00% error after quantization at 183.8x.
  $SW compress examples/lenet5-caffe/pretrained/model.json --data mnist --epochs 40 --tau 0.03 --out "$OUT/compress-tau0.03"
}

compress_tau002() {
  # tau as for LeNet-300-100 (PAPER.md section 10): 0.83% at 152.7x after 40 epochs.
  $SW compress examples/lenet5-caffe/pretrained/model.json --data mnist --epochs 40 --tau 0.02 --out "$OUT/compress-tau0.02"
}

"${1:-compress}"
