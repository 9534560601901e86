/**
 * WeChat Pay's RFC 3339 times, parsed and written exactly.
 *
 * Exact: no `Date.UTC` year mapping (it reads years 0–99 as 1900–1999), no
 * float arithmetic on the fraction, offsets limited to ±23:59.
 *
 * @internal
 */
import { DateTime } from "effect"

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

const DAYS_IN_MONTH = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0

// One zone object per offset seen (WeChat Pay sends +08:00): parsing a page
// allocates no zones.
const zones = new Map<number, DateTime.TimeZone.Offset>()
const zoneOf = (offsetMillis: number) => {
  let zone = zones.get(offsetMillis)
  if (zone === undefined) {
    zone = DateTime.zoneMakeOffset(offsetMillis)
    zones.set(offsetMillis, zone)
  }
  return zone
}

// Milliseconds since the epoch of a proleptic Gregorian UTC date, for every
// year 0000–9999 (Date.UTC would move 0000–0099 to 1900–1999).
const utcMillis = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms: number): number => {
  const date = new Date(0)
  date.setUTCFullYear(y, mo - 1, d)
  date.setUTCHours(h, mi, s, ms)
  return date.getTime()
}

/** Parses WeChat Pay's RFC 3339 time; `undefined` when it is not one. */
export const parseTime = (text: string): DateTime.Zoned | undefined => {
  const match = RFC3339.exec(text)
  if (match === null) return undefined
  const y = +match[1]!, mo = +match[2]!, d = +match[3]!, h = +match[4]!, mi = +match[5]!, s = +match[6]!
  if (mo < 1 || mo > 12 || d < 1 || d > DAYS_IN_MONTH[mo - 1]! || (mo === 2 && d === 29 && !isLeap(y))) {
    return undefined
  }
  if (h > 23 || mi > 59 || s > 59) return undefined
  const fraction = match[7]
  const zone = match[8]!
  let offsetMinutes = 0
  if (zone !== "Z") {
    const oh = +zone.slice(1, 3)
    const om = +zone.slice(4, 6)
    if (oh > 23 || om > 59) return undefined
    offsetMinutes = (zone.charCodeAt(0) === 45 ? -1 : 1) * (oh * 60 + om)
  }
  // Digits, not a float: ".57" is 570 ms, never 569.
  const millis = fraction === undefined ? 0 : +fraction.slice(1, 4).padEnd(3, "0")
  const epoch = utcMillis(y, mo, d, h, mi, s, millis) - offsetMinutes * 60_000
  return DateTime.unsafeMakeZoned(epoch, { timeZone: zoneOf(offsetMinutes * 60_000) })
}

/**
 * Formats a zoned time as WeChat Pay writes it: seconds, milliseconds only when
 * non-zero, the `±HH:MM` offset.
 */
export const formatTime = (dateTime: DateTime.Zoned): string => {
  const offset = DateTime.zonedOffset(dateTime)
  const local = new Date(DateTime.toEpochMillis(dateTime) + offset)
  const millis = local.getUTCMilliseconds()
  const sign = offset < 0 ? "-" : "+"
  const abs = Math.round(Math.abs(offset) / 60_000)
  return `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${
    pad(local.getUTCHours())
  }:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${millis === 0 ? "" : `.${pad(millis, 3)}`}${sign}${
    pad(Math.floor(abs / 60))
  }:${pad(abs % 60)}`
}
