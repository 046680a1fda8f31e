// Canonical JSON (sorted keys, exact numbers, -0 kept) for the graph and metadata, and a structural check of decoded graphs.
import { NODE_KINDS, type JsonValue, type ModelGraph } from '@softweight/core';
import { SwsFormatError } from './errors.js';

/**
 * Serialises `value` deterministically: object keys sorted by UTF-16 code units, no whitespace, numbers in
 * JavaScript's shortest round-trip form with -0 written as `-0`, properties whose value is `undefined`
 * omitted (as `JSON.stringify` does). Anything else that JSON cannot carry exactly throws `SwsFormatError`.
 */
export function canonicalJson(value: unknown, section: 'graph' | 'metadata', path = '$'): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new SwsFormatError(section, path, `${value} cannot be stored (JSON numbers must be finite)`);
      return Object.is(value, -0) ? '-0' : String(value);
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) {
        return `[${value.map((v, i) => {
          if (v === undefined) throw new SwsFormatError(section, `${path}[${i}]`, 'undefined array element cannot be stored');
          return canonicalJson(v, section, `${path}[${i}]`);
        }).join(',')}]`;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) {
        throw new SwsFormatError(section, path, `a ${(value as object).constructor?.name ?? 'non-plain'} object cannot be stored; use plain objects, arrays, strings, numbers, booleans and null`);
      }
      const rec = value as Record<string, unknown>;
      const keys = Object.keys(rec).filter((k) => rec[k] !== undefined).sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(rec[k], section, `${path}.${k}`)}`).join(',')}}`;
    }
    default:
      throw new SwsFormatError(section, path, `a ${typeof value} cannot be stored in JSON`);
  }
}

/** Parses JSON text, turning a syntax error into `SwsFormatError`. */
export function parseJson(text: string, section: 'graph' | 'metadata'): JsonValue {
  try {
    return JSON.parse(text) as JsonValue;
  } catch (cause) {
    throw new SwsFormatError(section, 'json', 'not valid JSON', { cause });
  }
}

type FieldType = 'string' | 'string?' | 'number' | 'pair' | 'numbers' | 'padding' | 'pads' | 'activation';
const ACTIVATIONS = new Set(['linear', 'relu', 'relu6', 'elu', 'sigmoid', 'tanh', 'softmax']);
const CONV: Record<string, FieldType> = { kernelSize: 'pair', strides: 'pair', padding: 'padding', dilation: 'pair', kernel: 'string', bias: 'string?', activation: 'activation' };
const NODE_FIELDS: Record<string, Record<string, FieldType>> = {
  dense: { units: 'number', kernel: 'string', bias: 'string?', activation: 'activation' },
  conv2d: { ...CONV, filters: 'number' },
  depthwiseConv2d: { ...CONV, depthMultiplier: 'number' },
  maxPool2d: { poolSize: 'pair', strides: 'pair', padding: 'padding' },
  avgPool2d: { poolSize: 'pair', strides: 'pair', padding: 'padding' },
  globalAvgPool2d: {},
  flatten: {},
  reshape: { targetShape: 'numbers' },
  activation: { activation: 'activation' },
  batchNorm: { epsilon: 'number', gamma: 'string?', beta: 'string?', movingMean: 'string', movingVariance: 'string' },
  add: {},
  concat: { axis: 'number' },
  dropout: { rate: 'number' },
  zeroPadding2d: { padding: 'pads' },
};

const isNumbers = (v: unknown): boolean => Array.isArray(v) && v.every((x) => typeof x === 'number');
const isPair = (v: unknown): boolean => isNumbers(v) && (v as unknown[]).length === 2;

function fieldOk(t: FieldType, v: unknown): boolean {
  switch (t) {
    case 'string':
      return typeof v === 'string';
    case 'string?':
      return v === undefined || typeof v === 'string';
    case 'number':
      return typeof v === 'number';
    case 'pair':
      return isPair(v);
    case 'numbers':
      return isNumbers(v);
    case 'padding':
      return v === 'valid' || v === 'same';
    case 'pads':
      return Array.isArray(v) && v.length === 2 && v.every(isPair);
    case 'activation':
      return typeof v === 'string' && ACTIVATIONS.has(v);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/**
 * Checks that a decoded JSON value has the structure of a `ModelGraph` (types of every field core's
 * validator reads), so that validation afterwards reports problems instead of crashing on foreign input.
 */
export function checkGraphJson(v: JsonValue): ModelGraph {
  const fail = (field: string, message: string): never => {
    throw new SwsFormatError('graph', field, message);
  };
  if (!isObject(v)) return fail('$', 'the graph must be a JSON object');
  if (v['name'] !== undefined && typeof v['name'] !== 'string') fail('$.name', 'must be a string');
  if (!Array.isArray(v['inputs'])) fail('$.inputs', 'must be an array');
  (v['inputs'] as unknown[]).forEach((inp, i) => {
    if (!isObject(inp) || typeof inp['name'] !== 'string' || !isNumbers(inp['shape'])) fail(`$.inputs[${i}]`, 'must be { name: string, shape: number[] }');
  });
  if (!isStrings(v['outputs'])) fail('$.outputs', 'must be an array of strings');
  if (!Array.isArray(v['nodes'])) fail('$.nodes', 'must be an array');
  const kinds = new Set<string>(NODE_KINDS);
  (v['nodes'] as unknown[]).forEach((node, i) => {
    const at = `$.nodes[${i}]`;
    if (!isObject(node)) return fail(at, 'must be an object');
    if (typeof node['name'] !== 'string') fail(`${at}.name`, 'must be a string');
    if (typeof node['kind'] !== 'string' || !kinds.has(node['kind'])) fail(`${at}.kind`, `unknown node kind ${JSON.stringify(node['kind'])}`);
    if (!isStrings(node['inputs'])) fail(`${at}.inputs`, 'must be an array of strings');
    for (const [field, type] of Object.entries(NODE_FIELDS[node['kind'] as string]!)) {
      if (!fieldOk(type, node[field])) fail(`${at}.${field}`, `has the wrong type for a ${String(node['kind'])} node (expected ${type})`);
    }
    return undefined;
  });
  return v as unknown as ModelGraph;
}

/**
 * The JSON dictionary of format version 1: symbol `256 + i` of a JSON stream stands for the ASCII string
 * `JSON_DICTIONARY[i]`. Fragments of canonical graph JSON (sorted keys), so a graph shrinks to about
 * a third of its symbols. Part of the format: never reorder or change in version 1.
 */
export const JSON_DICTIONARY: readonly string[] = [
  // 0-19: structure
  '{"inputs":[{"name":"', '","shape":[', ']}],"name":"', '"nodes":[', '],"outputs":["', '"]}',
  '"},{"', '},{"', '"],"', '],"', '","', '":"', '":[', '":', '["', '"]', '[1,1]', '[2,2]', '[3,3]', '[5,5]',
  // 20-41: keys of graph nodes (canonical order puts them after `{"` or `,"`)
  'activation":"', 'bias":"', 'inputs":["', 'kernel":"', 'kernelSize":[', 'kind":"', 'name":"', 'units":', 'filters":', 'dilation":[', 'strides":[', 'padding":"',
  'poolSize":[', 'depthMultiplier":', 'targetShape":[', 'epsilon":', 'gamma":"', 'beta":"', 'movingMean":"', 'movingVariance":"', 'axis":', 'rate":',
  // 42-50: activations and paddings
  'linear', 'relu', 'relu6', 'softmax', 'sigmoid', 'tanh', 'elu', 'valid', 'same',
  // 51-64: node kinds
  'dense', 'conv2d', 'depthwiseConv2d', 'maxPool2d', 'avgPool2d', 'globalAvgPool2d', 'flatten', 'reshape', 'batchNorm', 'concat', 'dropout', 'zeroPadding2d', 'activation', 'add',
  // 65-70: weight-name suffixes
  '/kernel', '/bias', '/gamma', '/beta', '/moving_mean', '/moving_variance',
];

const DICT_BYTES = JSON_DICTIONARY.map((s) => Uint8Array.from(s, (c) => c.charCodeAt(0)));
/** Dictionary entries by first byte, longest first: the candidates the tokenizer tries at a position. */
const DICT_BY_FIRST: number[][] = Array.from({ length: 256 }, () => []);
DICT_BYTES.forEach((b, i) => DICT_BY_FIRST[b[0]!]!.push(i));
for (const list of DICT_BY_FIRST) list.sort((a, b) => DICT_BYTES[b]!.length - DICT_BYTES[a]!.length || a - b);

/** Greedy longest-match tokenization of UTF-8 JSON text: bytes 0-255 stay, dictionary hits become 256 + i. */
export function tokenizeJson(text: Uint8Array): Uint16Array {
  const out = new Uint16Array(text.length);
  let n = 0;
  let i = 0;
  while (i < text.length) {
    let hit = -1;
    for (const d of DICT_BY_FIRST[text[i]!]!) {
      const b = DICT_BYTES[d]!;
      if (i + b.length > text.length) continue;
      let k = 1;
      while (k < b.length && text[i + k] === b[k]) k++;
      if (k === b.length) {
        hit = d;
        break;
      }
    }
    if (hit >= 0) {
      out[n++] = 256 + hit;
      i += DICT_BYTES[hit]!.length;
    } else out[n++] = text[i++]!;
  }
  return out.slice(0, n);
}

/** Expands JSON stream symbols into exactly `length` bytes; null if they expand to any other length. */
export function expandJson(symbols: Uint16Array, length: number): Uint8Array | null {
  const out = new Uint8Array(length);
  let n = 0;
  for (let i = 0; i < symbols.length; i++) {
    const s = symbols[i]!;
    if (s < 256) {
      if (n >= length) return null;
      out[n++] = s;
    } else {
      const b = DICT_BYTES[s - 256]!;
      if (n + b.length > length) return null;
      out.set(b, n);
      n += b.length;
    }
  }
  return n === length ? out : null;
}
