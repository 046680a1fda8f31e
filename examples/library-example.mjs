// The library in one file: attach the prior to a tfjs model, fit, quantize, write .sws, export ONNX, run it in onnxruntime-node.
import * as tf from '@tensorflow/tfjs';
import { GaussianMixturePrior, toGraph } from '@softweight/tfjs';
import { quantize, compressionReport } from '@softweight/quantize';
import { encode, decode } from '@softweight/codec';
import { toOnnx } from '@softweight/onnx';
import * as ort from 'onnxruntime-node';

// A small classifier and a few hundred samples (synthetic here; use your own data and pretrained model).
const n = 400, features = 64, classes = 4;
const labels = Array.from({ length: n }, (_, i) => i % classes);
const x = tf.tidy(() => tf.oneHot(labels, classes).matMul(tf.randomNormal([classes, features], 0, 1, 'float32', 1)).add(tf.randomNormal([n, features], 0, 0.3, 'float32', 2)));
const y = tf.tensor1d(labels, 'float32');
const model = tf.sequential({
  layers: [
    tf.layers.dense({ name: 'fc1', inputShape: [features], units: 32, activation: 'relu' }),
    tf.layers.dense({ name: 'fc2', units: classes, activation: 'softmax' }),
  ],
});
model.compile({ optimizer: tf.train.adam(1e-3), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
await model.fit(x, y, { epochs: 20, batchSize: 64, verbose: 0 }); // "pretraining"

// 1. Attach the Gaussian-mixture prior and keep using model.fit: the prior's callback learns the mixture.
//    One epoch shows the API; the clusters need ~30 epochs to form (docs/results.md), so expect heavy pruning here.
const prior = new GaussianMixturePrior({ datasetSize: n, tau: 0.02, components: 17, pi0: 0.999 });
prior.attach(model);
await model.fit(x, y, { epochs: 1, batchSize: 64, verbose: 0, callbacks: [prior.callback()] });

// 2. Quantize: merge components, assign every weight to its most responsible component, prune the zero one.
const covered = prior.covered.map((c) => `${c.layer}/${c.role}`);
prior.detach();
const { graph, weights } = toGraph(model);
const { compressed } = quantize({ graph, weights, covered }, prior.state());
const report = compressionReport(compressed);
console.log(`non-zero ${report.total.nonZeroPercent.toFixed(1)}%, CR ${report.total.compressionRate.toFixed(1)}x (paper accounting)`);

// 3. A self-contained .sws file (decodes in the browser too) and an ONNX model.
const sws = encode(compressed);
console.log(`.sws: ${sws.byteLength} bytes; decodes to ${decode(sws).quantized.length} quantized tensors`);
const onnx = toOnnx(compressed, { weights: 'codebook' });

// 4. Run the ONNX model in onnxruntime-node.
const session = await ort.InferenceSession.create(onnx);
const input = new ort.Tensor('float32', x.dataSync(), [n, features]);
const output = (await session.run({ [session.inputNames[0]]: input }))[session.outputNames[0]];
let correct = 0;
for (let i = 0; i < n; i++) {
  const row = output.data.slice(i * classes, (i + 1) * classes);
  if (row.indexOf(Math.max(...row)) === labels[i]) correct++;
}
console.log(`onnxruntime-node: ${onnx.byteLength} bytes, accuracy of the quantized model ${((100 * correct) / n).toFixed(1)}%`);
