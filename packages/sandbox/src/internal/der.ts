/**
 * A minimal DER encoder: just what an X.509 v3 certificate needs.
 *
 * @internal
 */

export type Der = Uint8Array

const concat = (parts: ReadonlyArray<Uint8Array>): Uint8Array => {
  let n = 0
  for (const p of parts) n += p.length
  const out = new Uint8Array(n)
  let o = 0
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

const encodeLength = (n: number): Uint8Array => {
  if (n < 0x80) return Uint8Array.of(n)
  const bytes: Array<number> = []
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff)
  return Uint8Array.from([0x80 | bytes.length, ...bytes])
}

export const tlv = (tag: number, content: Uint8Array): Der =>
  concat([Uint8Array.of(tag), encodeLength(content.length), content])

export const sequence = (...items: ReadonlyArray<Der>): Der => tlv(0x30, concat(items))
export const set = (...items: ReadonlyArray<Der>): Der => tlv(0x31, concat(items))

/** Context-specific, constructed, explicit tag `[n]`. */
export const explicit = (n: number, inner: Der): Der => tlv(0xa0 | n, inner)

export const nullValue: Der = Uint8Array.of(0x05, 0x00)

export const boolean = (b: boolean): Der => Uint8Array.of(0x01, 0x01, b ? 0xff : 0x00)

/** INTEGER from unsigned big-endian magnitude bytes (adds a 0x00 when the top bit is set, strips extra zeros). */
export const integerFromBytes = (magnitude: Uint8Array): Der => {
  let start = 0
  while (start < magnitude.length - 1 && magnitude[start] === 0) start++
  let body = magnitude.subarray(start)
  if (body.length === 0) body = Uint8Array.of(0)
  if ((body[0] ?? 0) & 0x80) body = concat([Uint8Array.of(0), body])
  return tlv(0x02, body)
}

export const integer = (n: number): Der => {
  const bytes: Array<number> = []
  for (let x = n; x > 0; x = Math.floor(x / 256)) bytes.unshift(x & 0xff)
  return integerFromBytes(Uint8Array.from(bytes))
}

const base128 = (n: number): Array<number> => {
  const out = [n & 0x7f]
  for (let x = Math.floor(n / 128); x > 0; x = Math.floor(x / 128)) out.unshift(0x80 | (x & 0x7f))
  return out
}

export const oid = (dotted: string): Der => {
  const arcs = dotted.split(".").map(Number)
  const [a = 0, b = 0, ...rest] = arcs
  return tlv(0x06, Uint8Array.from([...base128(a * 40 + b), ...rest.flatMap(base128)]))
}

/** BIT STRING with no unused bits. */
export const bitString = (bytes: Uint8Array): Der => tlv(0x03, concat([Uint8Array.of(0), bytes]))

/** BIT STRING of named bits (bit 0 = most significant bit of the first byte), minimal encoding. */
export const namedBits = (bits: ReadonlyArray<number>): Der => {
  const max = Math.max(...bits)
  const bytes = new Uint8Array(Math.floor(max / 8) + 1)
  for (const bit of bits) bytes[Math.floor(bit / 8)] = (bytes[Math.floor(bit / 8)] ?? 0) | (0x80 >> (bit % 8))
  const unused = 7 - (max % 8)
  return tlv(0x03, concat([Uint8Array.of(unused), bytes]))
}

export const octetString = (bytes: Uint8Array): Der => tlv(0x04, bytes)

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s)

export const printableString = (s: string): Der => tlv(0x13, ascii(s))
export const utf8String = (s: string): Der => tlv(0x0c, new TextEncoder().encode(s))

const pad2 = (n: number) => String(n).padStart(2, "0")

/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (and before 1950). */
export const time = (date: Date): Der => {
  const y = date.getUTCFullYear()
  const rest = pad2(date.getUTCMonth() + 1) + pad2(date.getUTCDate()) + pad2(date.getUTCHours()) +
    pad2(date.getUTCMinutes()) + pad2(date.getUTCSeconds()) + "Z"
  if (y >= 1950 && y < 2050) return tlv(0x17, ascii(pad2(y % 100) + rest))
  return tlv(0x18, ascii(String(y).padStart(4, "0") + rest))
}
