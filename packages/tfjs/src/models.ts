// Builders for the paper's architectures (PAPER.md section 6) and a small BatchNorm ResNet, as tfjs LayersModels.
import * as tf from '@tensorflow/tfjs';

/** Options shared by the model builders. */
export interface ModelBuilderOptions {
  /** Seed for the kernel initialisers (Glorot uniform), for reproducible runs. Unseeded when absent. */
  seed?: number;
  /** Number of classes of the softmax output. Default 10. */
  classes?: number;
}

function kernelInit(seed: number | undefined, k: number): ReturnType<typeof tf.initializers.glorotUniform> | undefined {
  return seed === undefined ? undefined : tf.initializers.glorotUniform({ seed: seed + k });
}

/**
 * LeNet-300-100: Dense 784-300-100-classes with ReLU and a softmax output; 266,200 weights + 410 biases.
 * Layers `fc1`, `fc2`, `fc3`, so the weights are `fc1/kernel`, `fc1/bias`, ... Input `[784]` (flattened
 * 28x28 images), or `[28, 28, 1]` with `imageInput: true` (adds a `flatten` layer first).
 */
export function lenet300100(options: ModelBuilderOptions & { imageInput?: boolean } = {}): tf.Sequential {
  const classes = options.classes ?? 10;
  const layers: tf.layers.Layer[] = [];
  if (options.imageInput === true) layers.push(tf.layers.flatten({ name: 'flatten', inputShape: [28, 28, 1] }));
  const first = options.imageInput === true ? {} : { inputShape: [784] };
  layers.push(
    tf.layers.dense({ name: 'fc1', ...first, units: 300, activation: 'relu', kernelInitializer: kernelInit(options.seed, 1) }),
    tf.layers.dense({ name: 'fc2', units: 100, activation: 'relu', kernelInitializer: kernelInit(options.seed, 2) }),
    tf.layers.dense({ name: 'fc3', units: classes, activation: 'softmax', kernelInitializer: kernelInit(options.seed, 3) }),
  );
  return tf.sequential({ name: 'lenet_300_100', layers });
}

/**
 * LeNet-5-Caffe: conv 20@5x5 -> maxpool 2 -> conv 50@5x5 -> maxpool 2 -> flatten -> dense 500 ReLU -> dense
 * classes softmax; no ReLU after the convolutions, as in the Caffe original; 430,500 weights + 580 biases.
 * Input `[28, 28, 1]` in [0, 1). Layers `conv1`, `pool1`, `conv2`, `pool2`, `flatten`, `fc1`, `fc2`.
 */
export function lenet5Caffe(options: ModelBuilderOptions = {}): tf.Sequential {
  const classes = options.classes ?? 10;
  return tf.sequential({
    name: 'lenet5_caffe',
    layers: [
      tf.layers.conv2d({ name: 'conv1', inputShape: [28, 28, 1], filters: 20, kernelSize: 5, padding: 'valid', kernelInitializer: kernelInit(options.seed, 1) }),
      tf.layers.maxPooling2d({ name: 'pool1', poolSize: 2, strides: 2 }),
      tf.layers.conv2d({ name: 'conv2', filters: 50, kernelSize: 5, padding: 'valid', kernelInitializer: kernelInit(options.seed, 2) }),
      tf.layers.maxPooling2d({ name: 'pool2', poolSize: 2, strides: 2 }),
      tf.layers.flatten({ name: 'flatten' }),
      tf.layers.dense({ name: 'fc1', units: 500, activation: 'relu', kernelInitializer: kernelInit(options.seed, 3) }),
      tf.layers.dense({ name: 'fc2', units: classes, activation: 'softmax', kernelInitializer: kernelInit(options.seed, 4) }),
    ],
  });
}

/** Options of `smallResNet`. */
export interface SmallResNetOptions extends ModelBuilderOptions {
  /** Input shape `[H, W, C]`. Default `[32, 32, 3]` (CIFAR-10). */
  inputShape?: [number, number, number];
  /** Channels of the first stage; each later stage doubles them. Default 16. */
  filters?: number;
  /** Residual blocks per stage. Default 1. */
  blocksPerStage?: number;
  /** Number of stages; every stage after the first halves H and W with a strided conv. Default 2. */
  stages?: number;
}

/**
 * A small ResNet with BatchNorm (He et al. 2016 basic blocks): conv3x3-BN-ReLU stem, stages of
 * [conv3x3-BN-ReLU-conv3x3-BN + shortcut, ReLU] blocks (a 1x1 strided conv + BN shortcut where the shape changes),
 * global average pooling, dense softmax. Every conv is bias-free (BatchNorm follows). Layer names are
 * `stem_conv`, `s1b1_conv1`, `s1b1_bn1`, ..., `head`.
 */
export function smallResNet(options: SmallResNetOptions = {}): tf.LayersModel {
  const classes = options.classes ?? 10;
  const width = options.filters ?? 16;
  const blocks = options.blocksPerStage ?? 1;
  const stages = options.stages ?? 2;
  let k = 0;
  const conv = (name: string, filters: number, size: number, strides: number) =>
    tf.layers.conv2d({ name, filters, kernelSize: size, strides, padding: 'same', useBias: false, kernelInitializer: kernelInit(options.seed, ++k) });
  const bn = (name: string) => tf.layers.batchNormalization({ name, axis: -1 });
  const apply = (layer: tf.layers.Layer, x: tf.SymbolicTensor | tf.SymbolicTensor[]) => layer.apply(x) as tf.SymbolicTensor;

  const input = tf.input({ name: 'input', shape: options.inputShape ?? [32, 32, 3] });
  let x = apply(tf.layers.reLU({ name: 'stem_relu' }), apply(bn('stem_bn'), apply(conv('stem_conv', width, 3, 1), input)));
  let channels = width;
  for (let s = 1; s <= stages; s++) {
    const filters = width * 2 ** (s - 1);
    for (let b = 1; b <= blocks; b++) {
      const p = `s${s}b${b}`;
      const strides = s > 1 && b === 1 ? 2 : 1;
      let y = apply(conv(`${p}_conv1`, filters, 3, strides), x);
      y = apply(tf.layers.reLU({ name: `${p}_relu1` }), apply(bn(`${p}_bn1`), y));
      y = apply(bn(`${p}_bn2`), apply(conv(`${p}_conv2`, filters, 3, 1), y));
      const shortcut = strides !== 1 || channels !== filters ? apply(bn(`${p}_proj_bn`), apply(conv(`${p}_proj`, filters, 1, strides), x)) : x;
      x = apply(tf.layers.activation({ name: `${p}_relu2`, activation: 'relu' }), apply(tf.layers.add({ name: `${p}_add` }), [y, shortcut]));
      channels = filters;
    }
  }
  x = apply(tf.layers.globalAveragePooling2d({ name: 'gap' }), x);
  const output = apply(tf.layers.dense({ name: 'head', units: classes, activation: 'softmax', kernelInitializer: kernelInit(options.seed, ++k) }), x);
  return tf.model({ name: 'small_resnet', inputs: input, outputs: output });
}
