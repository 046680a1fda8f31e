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
