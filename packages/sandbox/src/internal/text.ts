/**
 * Text the sandbox makes up as WeChat Pay does: random alphanumerics (nonces,
 * keys) and times in Beijing time (`2026-12-03T20:00:00+08:00`).
 *
 * @internal
 */
import { randomBytes } from "node:crypto"

const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/** `length` random characters of [0-9A-Za-z]. */
export const randomText = (length: number): string => {
  let s = ""
  for (const b of randomBytes(length)) s += alphabet.charAt(b % 62)
  return s
}

/** Epoch milliseconds as WeChat Pay writes times: seconds, `+08:00`. */
export const beijingTime = (ms: number): string => `${new Date(ms + 8 * 3600_000).toISOString().slice(0, 19)}+08:00`
