#!/usr/bin/env python3
"""An independent .sws v1 decoder written from docs/format.md alone, to check the spec is complete.

Usage: python3 sws_decode.py FILE.sws   -> prints a JSON summary (graph, codebooks, tensor checksums).
Structural checks only (CRCs, lengths, stream end states); not core's full model validation.
"""
import json, struct, sys, zlib


# docs/format.md section 5, copied verbatim
JSON_DICTIONARY = json.loads(r'''[
  "{\"inputs\":[{\"name\":\"", "\",\"shape\":[", "]}],\"name\":\"", "\"nodes\":[", "],\"outputs\":[\"", "\"]}",
  "\"},{\"", "},{\"", "\"],\"", "],\"", "\",\"", "\":\"",
  "\":[", "\":", "[\"", "\"]", "[1,1]", "[2,2]",
  "[3,3]", "[5,5]", "activation\":\"", "bias\":\"", "inputs\":[\"", "kernel\":\"",
  "kernelSize\":[", "kind\":\"", "name\":\"", "units\":", "filters\":", "dilation\":[",
  "strides\":[", "padding\":\"", "poolSize\":[", "depthMultiplier\":", "targetShape\":[", "epsilon\":",
  "gamma\":\"", "beta\":\"", "movingMean\":\"", "movingVariance\":\"", "axis\":", "rate\":",
  "linear", "relu", "relu6", "softmax", "sigmoid", "tanh",
  "elu", "valid", "same", "dense", "conv2d", "depthwiseConv2d",
  "maxPool2d", "avgPool2d", "globalAvgPool2d", "flatten", "reshape", "batchNorm",
  "concat", "dropout", "zeroPadding2d", "activation", "add", "/kernel",
  "/bias", "/gamma", "/beta", "/moving_mean", "/moving_variance"
]
''')


class Bad(Exception):
    pass


class Bytes:
    def __init__(self, b, pos, end):
        self.b, self.pos, self.end = b, pos, end

    def u8(self):
        if self.pos >= self.end: raise Bad("truncated")
        v = self.b[self.pos]; self.pos += 1; return v

    def take(self, n):
        if self.pos + n > self.end: raise Bad("truncated")
        v = self.b[self.pos:self.pos + n]; self.pos += n; return v

    def varint(self):
        v, shift = 0, 0
        for i in range(5):
            c = self.u8(); v |= (c & 0x7F) << shift; shift += 7
            if not c & 0x80:
                if i > 0 and c == 0: raise Bad("non-shortest varint")
                if v >= 1 << 32: raise Bad("varint too large")
                return v
        raise Bad("varint too long")

    def string(self):
        n = self.varint()
        if n > 4096: raise Bad("name too long")
        return self.take(n).decode("utf-8")

    def shape(self):
        rank = self.varint()
        if rank > 16: raise Bad("rank")
        return [self.varint() for _ in range(rank)]


class Bits:
    """LSB-first bit reader over b[start:end]; reads past end give zeros and are caught by close()."""
    def __init__(self, b, start, end):
        self.b, self.start, self.end, self.bit = b, start, end, 0

    def read(self, n):
        v = 0
        for i in range(n):
            p = self.start + (self.bit >> 3)
            byte = self.b[p] if p < self.end else 0
            v |= ((byte >> (self.bit & 7)) & 1) << i
            self.bit += 1
        return v

    def eg(self, k):
        z = 0
        while self.read(1) == 0:
            z += 1
            if z > 32 - k: raise Bad("exp-Golomb prefix")
        return self.read(z + k) + (1 << (z + k)) - (1 << k)

    def close(self):
        if self.bit > (self.end - self.start) * 8: raise Bad("bits past the end")
        used = (self.bit + 7) >> 3
        pad = used * 8 - self.bit
        if pad and self.b[self.start + used - 1] >> (8 - pad): raise Bad("non-zero padding")
        return self.start + used


def symbol_set(br, alphabet):
    m = br.eg(0) + 2
    if m > alphabet: raise Bad("symbol count")
    k = br.read(4)
    out, prev = [], -1
    for _ in range(m):
        s = prev + 1 + br.eg(k)
        if s >= alphabet: raise Bad("symbol outside alphabet")
        out.append(s); prev = s
    return out


def stream(r, count, alphabet):
    method = r.u8()
    if method == 0:
        s = r.varint()
        if s >= max(alphabet, 1): raise Bad("constant symbol")
        return [s] * count
    if method == 1:
        w = r.u8()
        if not 1 <= w <= 16: raise Bad("raw width")
        br = Bits(r.b, r.pos, r.end)
        out = [br.read(w) for _ in range(count)]
        if any(s >= alphabet for s in out): raise Bad("raw symbol")
        r.pos = br.close()
        return out
    if method == 2:
        br = Bits(r.b, r.pos, r.end)
        used = symbol_set(br, alphabet)
        lengths = {s: br.read(4) + 1 for s in used}
        if sum(1 << (16 - l) for l in lengths.values()) != 1 << 16: raise Bad("incomplete code")
        # canonical codes (RFC 1951 3.2.2)
        codes, code, counts = {}, 0, [0] * 17
        for s in used: counts[lengths[s]] += 1
        next_code = [0] * 17
        for l in range(1, 17):
            code = (code + counts[l - 1]) << 1
            next_code[l] = code
        for s in sorted(used):
            l = lengths[s]; codes[(l, next_code[l])] = s; next_code[l] += 1
        out = []
        for _ in range(count):
            v, l = 0, 0
            while True:
                v = (v << 1) | br.read(1); l += 1  # first bit = most significant
                if (l, v) in codes: out.append(codes[(l, v)]); break
                if l > 16: raise Bad("bad code")
        r.pos = br.close()
        return out
    if method == 3:
        br = Bits(r.b, r.pos, r.end)
        used = symbol_set(br, alphabet)
        P = br.read(4) + 1
        if P > 15 or (1 << P) < len(used): raise Bad("precision")
        k = br.read(4)
        freq, total = {}, 0
        for j, s in enumerate(used[:-1]):
            f = br.eg(k) + 1; total += f
            if total > (1 << P) - (len(used) - 1 - j): raise Bad("frequencies")
            freq[s] = f
        freq[used[-1]] = (1 << P) - total
        r.pos = br.close()
        cum, acc = {}, 0
        for s in used: cum[s] = acc; acc += freq[s]
        slot_sym = []
        for s in used: slot_sym += [s] * freq[s]
        x = struct.unpack_from("<I", r.take(4))[0]
        if not (1 << 15) <= x < (1 << 31): raise Bad("rANS state")
        out = []
        for _ in range(count):
            slot = x & ((1 << P) - 1)
            s = slot_sym[slot]; out.append(s)
            x = freq[s] * (x >> P) + slot - cum[s]
            if x < 1 << 15:
                x = (x << 16) | struct.unpack_from("<H", r.take(2))[0]
        if x != 1 << 15: raise Bad("rANS final state")
        return out
    raise Bad("stream method")


def decode(b):
    if b[:4] != b"SWS\x1a": raise Bad("magic")
    version, flags = struct.unpack_from("<HH", b, 4)
    if version != 1 or flags != 0: raise Bad("version/flags")
    pos, sections = 8, {}
    for want in (1, 2, 3, 4):
        if pos >= len(b): break
        sid = b[pos]
        if sid != want:
            if want == 3 and sid == 4: continue
            raise Bad("section order")
        (n,) = struct.unpack_from("<I", b, pos + 1)
        if pos + 5 + n + 4 > len(b): raise Bad("section length")
        (crc,) = struct.unpack_from("<I", b, pos + 5 + n)
        if zlib.crc32(b[pos:pos + 5 + n]) != crc: raise Bad("crc")
        sections[sid] = (pos + 5, pos + 5 + n)
        pos += 5 + n + 4
    if pos != len(b) or 4 not in sections or 1 not in sections or 2 not in sections: raise Bad("framing")

    h = Bytes(b, *sections[1])
    codebooks = []
    for _ in range(h.varint()):
        name = h.string(); K = h.varint() + 1; z = h.varint()
        values = list(struct.unpack("<%df" % K, h.take(4 * K)))
        codebooks.append({"name": name, "values": values, "zeroIndex": z})
    quant = [{"name": h.string(), "shape": h.shape(), "codebook": h.varint(), "nonZeros": h.varint(), "bytes": h.varint()} for _ in range(h.varint())]
    floats = [{"name": h.string(), "shape": h.shape(), "bytes": h.varint()} for _ in range(h.varint())]
    if h.pos != h.end: raise Bad("head trailing bytes")

    def json_section(sid):
        r = Bytes(b, *sections[sid]); n = r.varint(); c = r.varint()
        if n > 16 << 20 or c > n: raise Bad("json lengths")
        text = bytearray()
        for s in stream(r, c, 256 + len(JSON_DICTIONARY)):
            text += bytes([s]) if s < 256 else JSON_DICTIONARY[s - 256].encode("ascii")
            if len(text) > n: raise Bad("json longer than declared")
        if len(text) != n or r.pos != r.end: raise Bad("json length")
        return json.loads(text.decode("utf-8"))

    graph = json_section(2)
    metadata = json_section(3) if 3 in sections else None

    def size(shape):
        n = 1
        for d in shape: n *= d
        return n

    at = sections[4][0]
    for t in quant:
        r = Bytes(b, at, at + t["bytes"]); at += t["bytes"]
        cb = codebooks[t["codebook"]]; K, z, n = len(cb["values"]), cb["zeroIndex"], size(t["shape"])
        layout = r.u8()
        if layout == 1:
            idx = stream(r, n, K)
        elif layout in (0, 2):
            g = r.u8(); d, m = g & 15, g >> 4
            A = (1 << d) + (32 - d) * (1 << m)
            tokens = stream(r, t["nonZeros"], A)
            E = sum(d + ((tk - (1 << d)) >> m) - m for tk in tokens if tk >= (1 << d))
            extra = Bits(b, r.pos, r.pos + (E + 7) // 8); r.take((E + 7) // 8)
            syms = stream(r, t["nonZeros"], K - 1)
            idx, p = [z] * n, -1
            for tk, s in zip(tokens, syms):
                if tk < (1 << d): gap = tk
                else:
                    u = tk - (1 << d); e = d + (u >> m)
                    gap = ((1 << m) + (u & ((1 << m) - 1))) * (1 << (e - m)) + extra.read(e - m)
                p += gap + 1
                if p >= n: raise Bad("gap past the end")
                # layout 2 scans the last axis outermost: position p is element (p mod rows) * cols + p div rows
                cols = t["shape"][-1] if t["shape"] else 1
                rows = n // cols if cols else 0
                el = p if layout == 0 else (p % rows) * cols + p // rows
                idx[el] = s + (1 if s >= z else 0)
            extra.close()
        else:
            raise Bad("layout")
        if r.pos != r.end: raise Bad("record length")
        if sum(1 for i in idx if i != z) != t["nonZeros"]: raise Bad("nonZeros")
        t["indicesCrc32"] = zlib.crc32(struct.pack("<%dH" % n, *idx))
    for t in floats:
        r = Bytes(b, at, at + t["bytes"]); at += t["bytes"]; n = size(t["shape"])
        layout = r.u8()
        if layout == 0: raw = r.take(4 * n)
        elif layout == 1:
            planes = [stream(r, n, 256) for _ in range(4)]
            raw = bytes(planes[i % 4][i // 4] for i in range(4 * n))
        else: raise Bad("float layout")
        if r.pos != r.end: raise Bad("float record length")
        t["valuesCrc32"] = zlib.crc32(raw)
    return {"graph": graph, "metadata": metadata, "codebooks": codebooks, "quantized": quant, "float": floats}


if __name__ == "__main__":
    print(json.dumps(decode(open(sys.argv[1], "rb").read()), indent=1))
