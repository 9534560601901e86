/**
 * Small, stateless, platform-independent hashing used to derive deterministic data and fault decisions.
 * Not cryptographic.
 *
 * @internal
 */

/** FNV-1a over the UTF-16 code units of a string, 32-bit. */
export const hashString = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return h >>> 0
}

/** murmur3 finaliser: a good 32-bit avalanche. */
const fmix32 = (x: number): number => {
  let h = x >>> 0
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Combines 32-bit words (numbers larger than 2^32 are folded) into one well-mixed 32-bit word. */
export const mix = (...words: ReadonlyArray<number>): number => {
  let h = 0x9e3779b9
  for (const w of words) {
    const lo = w >>> 0
    const hi = Math.floor(w / 0x100000000) >>> 0
    h = fmix32(h ^ lo)
    h = fmix32((h + 0x7f4a7c15) ^ hi)
  }
  return h
}

/** A deterministic number in [0, 1) for the given words. */
export const uniform = (...words: ReadonlyArray<number>): number => mix(...words) / 0x100000000
