// Bounds-checked byte and bit readers/writers: every read names its field so corruption is reported precisely.
import { SwsFormatError, type SwsSection } from './errors.js';

/** Growable little-endian byte buffer. */
export class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.length + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** Appends one byte. */
  u8(v: number): void {
    this.reserve(1);
    this.buf[this.length++] = v;
  }

  /** Appends a little-endian u16. */
  u16(v: number): void {
    this.reserve(2);
    this.view.setUint16(this.length, v, true);
    this.length += 2;
  }

  /** Appends a little-endian u32. */
  u32(v: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, v, true);
    this.length += 4;
  }

  /** Appends a little-endian float32. */
  f32(v: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, v, true);
    this.length += 4;
  }

  /** Unsigned LEB128, at most 5 bytes (values < 2^32). */
  varint(v: number): void {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`varint ${v} out of range`);
    while (v >= 0x80) {
      this.u8((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.u8(v);
  }

  /** Appends bytes. */
  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Writes a u32 placeholder and returns its offset for `patchU32`. */
  placeholderU32(): number {
    const at = this.length;
    this.u32(0);
    return at;
  }

  /** Overwrites the u32 at `at`. */
  patchU32(at: number, v: number): void {
    this.view.setUint32(at, v, true);
  }

  /** A copy of the bytes written. */
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  /** View of the bytes written so far (no copy; invalidated by later writes). */
  peek(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }
}

/** Reads a byte range; every read is bounds-checked and failures throw `SwsFormatError` naming the field. */
export class ByteReader {
  pos: number;
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    readonly section: SwsSection,
    start = 0,
    readonly end = bytes.length,
  ) {
    this.pos = start;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Throws `SwsFormatError` for this reader's section and `field`. */
  fail(field: string, message: string): never {
    throw new SwsFormatError(this.section, field, message);
  }

  /** Bytes left before `end`. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws unless `n` more bytes are available. */
  need(n: number, field: string): void {
    if (n > this.end - this.pos) this.fail(field, `truncated: needs ${n} bytes, ${this.end - this.pos} left`);
  }

  /** Reads one byte. */
  u8(field: string): number {
    this.need(1, field);
    return this.bytes[this.pos++]!;
  }

  /** Reads a little-endian u16. */
  u16(field: string): number {
    this.need(2, field);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  /** Reads a little-endian u32. */
  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Reads a little-endian float32. */
  f32(field: string): number {
    this.need(4, field);
    const v = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return v;
  }

  /** Unsigned LEB128 in canonical (shortest) form, value < 2^32, then checked against `max`. */
  varint(field: string, max = 0xffffffff): number {
    let v = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const b = this.u8(field);
      v += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) {
        if (i > 0 && b === 0) this.fail(field, 'varint is not in shortest form');
        if (v > max) this.fail(field, `value ${v} exceeds the limit ${max}`);
        return v;
      }
      scale *= 0x80;
    }
    return this.fail(field, 'varint longer than 5 bytes');
  }

  /** A sub-range of `n` bytes (no copy). */
  take(n: number, field: string): Uint8Array {
    this.need(n, field);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** Throws unless every byte up to `end` was read. */
  expectEnd(field: string): void {
    if (this.pos !== this.end) this.fail(field, `${this.end - this.pos} unexpected trailing bytes`);
  }
}

/** LSB-first bit packer (bit 0 of the first byte is the first bit written). */
export class BitWriter {
  private readonly out = new ByteWriter();
  private acc = 0;
  private n = 0;
  /** Total bits written. */
  bits = 0;

  /** Writes the low `count` bits of `value` (count <= 24 per call; use `writeLong` for more). */
  write(value: number, count: number): void {
    this.acc |= (value & ((1 << count) - 1)) << this.n;
    this.n += count;
    this.bits += count;
    while (this.n >= 8) {
      this.out.u8(this.acc & 0xff);
      this.acc >>>= 8;
      this.n -= 8;
    }
  }

  /** Writes up to 32 bits. */
  writeLong(value: number, count: number): void {
    if (count > 16) {
      this.write(value & 0xffff, 16);
      this.write(Math.floor(value / 65536), count - 16);
    } else this.write(value, count);
  }

  /** Exp-Golomb code of order `k` for `v >= 0` (v < 2^32): a unary prefix of zeros, a one, then the payload bits. */
  expGolomb(v: number, k: number): void {
    const u = v + 2 ** k;
    const n = bitLength(u); // u >= 2^k so n >= k + 1
    this.writeLong(0, n - 1 - k);
    this.write(1, 1);
    this.writeLong(u - 2 ** (n - 1), n - 1);
  }

  /** Pads with zero bits to a byte boundary and returns the bytes. */
  finish(): Uint8Array {
    if (this.n > 0) {
      this.out.u8(this.acc & 0xff);
      this.acc = 0;
      this.n = 0;
    }
    return this.out.finish();
  }
}

/** Number of bits in the binary representation of `v` (0 for 0). */
export function bitLength(v: number): number {
  return v < 4294967296 ? 32 - Math.clz32(v) : 32 + bitLength(Math.floor(v / 4294967296));
}

/** Size in bits of `expGolomb(v, k)`. */
export function expGolombBits(v: number, k: number): number {
  const n = bitLength(v + 2 ** k);
  return 2 * n - 1 - k;
}

/**
 * LSB-first bit reader over `bytes[start, end)`. Reading past `end` yields zeros and is detected by `close`,
 * so the hot loops need no bounds checks; callers bound the number of reads.
 */
export class BitReader {
  private pos: number;
  private acc = 0;
  private n = 0;
  private consumed = 0;
  constructor(
    private readonly bytes: Uint8Array,
    private readonly start: number,
    private readonly end: number,
    private readonly section: SwsSection,
    private readonly field: string,
  ) {
    this.pos = start;
  }

  private refill(): void {
    while (this.n <= 24) {
      const b = this.pos < this.end ? this.bytes[this.pos]! : 0;
      this.pos++;
      this.acc |= b << this.n;
      this.n += 8;
    }
  }

  /** The next `count` (<= 24) bits without consuming them. */
  peek(count: number): number {
    if (this.n < count) this.refill();
    return this.acc & ((1 << count) - 1);
  }

  /** Consumes `count` bits already peeked. */
  skip(count: number): void {
    this.acc >>>= count;
    this.n -= count;
    this.consumed += count;
  }

  /** Reads `count` <= 24 bits. */
  read(count: number): number {
    if (count === 0) return 0;
    if (this.n < count) this.refill();
    const v = this.acc & ((1 << count) - 1);
    this.acc >>>= count;
    this.n -= count;
    this.consumed += count;
    return v;
  }

  /** Reads up to 32 bits. */
  readLong(count: number): number {
    if (count > 16) {
      const lo = this.read(16);
      return lo + this.read(count - 16) * 65536;
    }
    return this.read(count);
  }

  /** Reads an exp-Golomb code of order `k` (see `BitWriter.expGolomb`). */
  expGolomb(k: number, what: string): number {
    let zeros = 0;
    while (this.read(1) === 0) {
      if (++zeros > 32 - k) this.fail(what, 'exp-Golomb prefix too long');
    }
    const n = zeros + k; // payload bits
    return this.readLong(n) + 2 ** n - 2 ** k;
  }

  /** Bits consumed so far beyond the available bytes (> 0 means truncated). */
  get overrun(): number {
    return this.consumed - (this.end - this.start) * 8;
  }

  fail(what: string, message: string): never {
    throw new SwsFormatError(this.section, `${this.field}${what ? '.' + what : ''}`, message);
  }

  /**
   * Ends reading at a byte boundary: checks that the bits read fit before `end` and that the padding
   * bits of the last byte are zero. Returns the offset just after the last byte used.
   */
  close(): number {
    if (this.overrun > 0) this.fail('', `truncated: needs ${this.consumed} bits, ${(this.end - this.start) * 8} available`);
    const used = Math.ceil(this.consumed / 8);
    const padBits = used * 8 - this.consumed;
    if (padBits > 0 && this.bytes[this.start + used - 1]! >>> (8 - padBits) !== 0) this.fail('', 'non-zero padding bits');
    return this.start + used;
  }
}
