// @softweight/codec: the .sws file format — encode, decode and inspect soft weight-shared models.
export { SwsFormatError, type SwsSection } from './errors.js';
export {
  encode,
  encodeWithStats,
  decode,
  inspect,
  SWS_MAGIC,
  SWS_FORMAT_VERSION,
  SWS_LIMITS,
  type DecodeOptions,
  type SwsInfo,
  type SwsEncodeStats,
  type QuantizedTensorStats,
  type QuantizedLayout,
  type FloatTensorStats,
} from './format.js';
export { type StreamStats, type StreamMethodName } from './stream.js';
export { crc32 } from './crc32.js';
