import { describe, expect, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { Faults } from "@effect-wechatpay/sandbox"

const ok = (spec: string): Faults.Faults => {
  const r = Faults.parseFaults(spec)
  if (Either.isLeft(r)) throw new Error(r.left.message)
  return r.right
}

const fails = (spec: string): Faults.FaultParseError => {
  const r = Faults.parseFaults(spec)
  if (Either.isRight(r)) throw new Error(`expected a parse error for ${spec}`)
  return r.left
}

describe("parseFaults", () => {
  it("parses the full example", () => {
    const spec =
      "429:first=3,500:rate=0.3,reset:nth=5,tamper:nth=2,probe:nth=1,stale:nth=1,wrong-serial:nth=1," +
      "malformed-json:nth=1,unknown-state:nth=1,missing-header:nth=1,cap=7,quota=50,latency=20"
    const f = ok(spec)
    expect(f.cap).toBe(7)
    expect(f.quota).toBe(50)
    expect(f.latency).toBe(20)
    expect(f.faults?.map((x) => x.kind)).toEqual([
      "429",
      "500",
      "reset",
      "tamper",
      "probe",
      "stale",
      "wrong-serial",
      "malformed-json",
      "unknown-state",
      "missing-header"
    ])
    expect(f.faults?.[0]?.select).toEqual(Faults.first(3))
    expect(f.faults?.[1]?.select).toEqual(Faults.rate(0.3))
    expect(f.faults?.[2]?.select).toEqual(Faults.nth(5))
    expect(Faults.formatFaults(f)).toBe(spec)
  })

  it("parses lists, every, options and settings; blank is none", () => {
    expect(ok("")).toEqual({})
    expect(ok("  ")).toEqual({})
    expect(ok(" tamper:nth=2+4+9 , 500:every ")).toEqual({
      faults: [{ kind: "tamper", select: Faults.nth(2, 4, 9) }, { kind: "500", select: Faults.every }]
    })
    const f = ok("429:retry-after=2:first=1,missing-header:every:header=Wechatpay-Nonce,unknown-state:nth=1:state=X,retry-after=5,seed=9")
    expect(f).toEqual({
      faults: [
        { kind: "429", select: Faults.first(1), retryAfter: 2 },
        { kind: "missing-header", select: Faults.every, header: "Wechatpay-Nonce" },
        { kind: "unknown-state", select: Faults.nth(1), state: "X" }
      ],
      retryAfter: 5,
      seed: 9
    })
    expect(ok(Faults.formatFaults(f))).toEqual(f)
    expect(ok("500:rate=1").faults?.[0]?.select).toEqual(Faults.rate(1))
    expect(ok("500:rate=.5").faults?.[0]?.select).toEqual(Faults.rate(0.5))
  })

  const cases: ReadonlyArray<readonly [string, number, RegExp]> = [
    ["bogus:nth=1", 1, /unknown fault "bogus"/],
    ["429", 1, /needs a selector/],
    ["429:first=0", 11, /first must be at least 1/],
    ["429:first=x", 11, /first must be a decimal integer/],
    ["500:rate=1.5", 10, /between 0 and 1/],
    ["500:rate=abc", 10, /decimal number/],
    ["reset:nth=1+x", 13, /nth must be a decimal integer, got "x"/],
    ["reset:nth=", 7, /needs a value/],
    ["reset:nth=1:first=2", 13, /more than one selector/],
    ["reset:every=3", 7, /takes no value/],
    ["tamper:nth=1:retry-after=3", 14, /applies to the 429 fault only/],
    ["tamper:when=3", 8, /unknown parameter "when"/],
    ["tamper:nth=1:", 14, /empty parameter/],
    ["cap=7,,quota=1", 7, /empty entry/],
    ["cap=7,", 7, /empty entry/],
    ["cap=0", 5, /at least 1/],
    ["cap=7,cap=8", 7, /given twice/],
    ["latency=fast", 9, /latency must be a decimal integer/],
    ["speed=3", 1, /unknown setting "speed"/],
    ["quota", 1, /needs a value/],
    ["429:first=1, 500:nope", 18, /unknown parameter "nope"/]
  ]
  for (const [spec, column, reason] of cases) {
    it(`rejects ${JSON.stringify(spec)} at column ${column}`, () => {
      const e = fails(spec)
      expect(e._tag).toBe("FaultParseError")
      expect(e.reason).toMatch(reason)
      expect(e.column).toBe(column)
      expect(e.message).toContain(`column ${column}`)
    })
  }

  it.effect("is yieldable in Effect.gen", () =>
    Effect.gen(function*() {
      const f = yield* Faults.parseFaults("cap=3")
      expect(f.cap).toBe(3)
      const e = yield* Effect.flip(Faults.parseFaults("cap=x"))
      expect(e._tag).toBe("FaultParseError")
    }))
})

describe("isSelected", () => {
  it("first, nth, every, and a deterministic rate", () => {
    expect([1, 2, 3, 4].map((s) => Faults.isSelected(Faults.first(2), s, 1, 0))).toEqual([true, true, false, false])
    expect([1, 2, 3, 4].map((s) => Faults.isSelected(Faults.nth(2, 4), s, 1, 0))).toEqual([false, true, false, true])
    expect(Faults.isSelected(Faults.every, 1000, 1, 0)).toBe(true)
    const draws = Array.from({ length: 10_000 }, (_, i) => Faults.isSelected(Faults.rate(0.3), i + 1, 42, 0))
    const share = draws.filter(Boolean).length / draws.length
    expect(share).toBeGreaterThan(0.27)
    expect(share).toBeLessThan(0.33)
    expect(Array.from({ length: 100 }, (_, i) => Faults.isSelected(Faults.rate(0.3), i + 1, 42, 0))).toEqual(
      draws.slice(0, 100)
    )
    expect(Faults.isSelected(Faults.rate(0), 5, 1, 0)).toBe(false)
    expect(Faults.isSelected(Faults.rate(1), 5, 1, 0)).toBe(true)
  })
})
