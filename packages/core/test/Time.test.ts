/**
 * WechatPaySchema.Time is exact over the whole range RFC 3339 allows: years
 * 0000–9999, offsets −23:59…+23:59, milliseconds. The oracle is an
 * independent civil-date → day-count computation (Howard Hinnant's
 * days_from_civil), not `Date`.
 */
import { WechatPaySchema } from "@effect-wechatpay/core"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Either, FastCheck as fc, Schema } from "effect"

const decode = Schema.decodeUnknownEither(WechatPaySchema.Time)
const encode = Schema.encodeSync(WechatPaySchema.Time)

// Days since 1970-01-01 of a proleptic Gregorian date (days_from_civil).
const daysFromCivil = (y0: number, m: number, d: number): number => {
  const y = m <= 2 ? y0 - 1 : y0
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}
const isLeap = (y: number) => (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0
const daysIn = (y: number, m: number) => [31, isLeap(y) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!

const pad = (n: number, w = 2) => String(n).padStart(w, "0")

const civil = fc.record({
  year: fc.integer({ min: 0, max: 9999 }),
  month: fc.integer({ min: 1, max: 12 }),
  day: fc.integer({ min: 1, max: 31 }),
  hour: fc.integer({ min: 0, max: 23 }),
  minute: fc.integer({ min: 0, max: 59 }),
  second: fc.integer({ min: 0, max: 59 }),
  millis: fc.option(fc.integer({ min: 0, max: 999 }), { nil: undefined }),
  offset: fc.option(fc.integer({ min: -(23 * 60 + 59), max: 23 * 60 + 59 }), { nil: undefined })
}).map((t) => ({ ...t, day: Math.min(t.day, daysIn(t.year, t.month)) }))

const text = (t: {
  year: number
  month: number
  day: number
  hour: number
  minute: number
  second: number
  millis: number | undefined
  offset: number | undefined
}) => {
  const zone = t.offset === undefined
    ? "Z"
    : `${t.offset < 0 ? "-" : "+"}${pad(Math.floor(Math.abs(t.offset) / 60))}:${pad(Math.abs(t.offset) % 60)}`
  const fraction = t.millis === undefined ? "" : `.${pad(t.millis, 3)}`
  return `${pad(t.year, 4)}-${pad(t.month)}-${pad(t.day)}T${pad(t.hour)}:${pad(t.minute)}:${pad(t.second)}${fraction}${zone}`
}

describe("WechatPaySchema.Time", () => {
  it("decodes every valid time to the oracle's instant and offset, and encodes it back", () => {
    fc.assert(
      fc.property(civil, (t) => {
        const input = text(t)
        const decoded = decode(input)
        if (Either.isLeft(decoded)) return false
        const offsetMinutes = t.offset ?? 0
        const expected = ((daysFromCivil(t.year, t.month, t.day) * 24 + t.hour) * 60 + t.minute - offsetMinutes) *
            60_000 + t.second * 1000 + (t.millis ?? 0)
        expect(DateTime.toEpochMillis(decoded.right)).toBe(expected)
        expect(DateTime.zonedOffset(decoded.right)).toBe(offsetMinutes * 60_000)
        // Encoding writes the same instant in the same offset; "Z" comes back as "+00:00" and ".000" is dropped.
        const again = decode(encode(decoded.right))
        expect(Either.isRight(again) && DateTime.toEpochMillis(again.right)).toBe(expected)
        return true
      }),
      { numRuns: 2000 }
    )
  })

  it("years 0000 to 0099 are exact (Date.UTC would move them to 1900–1999)", () => {
    const first = decode("0001-01-01T00:00:00Z")
    expect(Either.isRight(first) && DateTime.toEpochMillis(first.right)).toBe(-62135596800000)
    expect(Either.isRight(first) && encode(first.right)).toBe("0001-01-01T00:00:00+00:00")
    const zero = decode("0000-02-29T12:00:00+08:00") // year 0 is a leap year
    expect(Either.isRight(zero) && encode(zero.right)).toBe("0000-02-29T12:00:00+08:00")
  })

  it("fractions are read as digits, not floats", () => {
    const t = decode("2024-03-01T10:00:00.57+08:00")
    expect(Either.isRight(t) && DateTime.toEpochMillis(t.right) % 1000).toBe(570)
    const nanos = decode("2024-03-01T10:00:00.999999999+08:00")
    expect(Either.isRight(nanos) && DateTime.toEpochMillis(nanos.right) % 1000).toBe(999)
  })

  it("rejects offsets outside RFC 3339's hours and minutes, and impossible dates", () => {
    for (
      const bad of [
        "2024-03-01T10:00:00+24:00",
        "2024-03-01T10:00:00+99:99",
        "2024-03-01T10:00:00-23:60",
        "2023-02-29T10:00:00+08:00",
        "1900-02-29T10:00:00+08:00",
        "2024-13-01T10:00:00+08:00",
        "2024-03-01T24:00:00+08:00",
        "2024-03-01 10:00:00+08:00",
        "2024-03-01T10:00:00"
      ]
    ) {
      expect(Either.isLeft(decode(bad)), bad).toBe(true)
    }
  })
})
