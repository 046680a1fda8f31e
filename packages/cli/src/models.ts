// The two paper architectures, built with seeded initialisers so a pretraining run can be reproduced.
import * as tf from '@tensorflow/tfjs';
import { CliError } from './errors.js';

/** Architectures `softweight pretrain` can build. */
export const ARCHS = ['lenet-300-100', 'lenet5-caffe'] as const;
/** One of `ARCHS`. */
export type Arch = (typeof ARCHS)[number];

/** LeNet-300-100: Dense 784-300-100-10 with ReLU (PAPER.md section 6). */
export function lenet300100(seed: number, classes = 10): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  return tf.sequential({
    name: 'lenet_300_100',
    layers: [
      tf.layers.dense({ name: 'fc1', inputShape: [784], units: 300, activation: 'relu', kernelInitializer: init(1) }),
      tf.layers.dense({ name: 'fc2', units: 100, activation: 'relu', kernelInitializer: init(2) }),
      tf.layers.dense({ name: 'fc3', units: classes, activation: 'softmax', kernelInitializer: init(3) }),
    ],
  });
}

/** LeNet-5-Caffe: conv 20@5x5, pool, conv 50@5x5, pool, dense 800-500 ReLU, dense 500-10 (no ReLU after the convs, as in Caffe). */
export function lenet5Caffe(seed: number, classes = 10): tf.Sequential {
  const init = (k: number) => tf.initializers.glorotUniform({ seed: seed + k });
  return tf.sequential({
    name: 'lenet5_caffe',
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 20, kernelSize: 5, padding: 'valid', kernelInitializer: init(1) }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: 50, kernelSize: 5, padding: 'valid', kernelInitializer: init(2) }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2, strides: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc1', units: 500, activation: 'relu', kernelInitializer: init(3) }),
      tf.layers.dense({ name: 'fc2', units: classes, activation: 'softmax', kernelInitializer: init(4) }),
    ],
  });
}

/** Builds `arch`, or a one-line error naming the choices. */
export function buildArch(arch: string, seed: number, classes = 10): tf.Sequential {
  if (arch === 'lenet-300-100') return lenet300100(seed, classes);
  if (arch === 'lenet5-caffe') return lenet5Caffe(seed, classes);
  throw new CliError(`--arch ${arch}: expected one of ${ARCHS.join(', ')}`, { exitCode: 2 });
}
