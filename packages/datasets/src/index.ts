// @softweight/datasets: IDX image datasets (MNIST, Fashion-MNIST, ...) for Node, validated and as typed arrays.
export { DatasetError, type DatasetErrorDetails } from './errors.js';
export { parseIdx, encodeIdx, idxMagic, type IdxArray, type IdxType } from './idx.js';
export {
  IDX_FILE_NAMES,
  findIdxFiles,
  readIdxFile,
  loadIdxDirectory,
  loadMnist,
  mnistDirectory,
  oneHot,
  type ImageSplit,
  type ImageDataset,
  type IdxFiles,
  type LoadOptions,
} from './load.js';
