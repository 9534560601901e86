/**
 * Faults the sandbox injects on demand, as data ({@link Faults}) or parsed from a compact text spec
 * ({@link parseFaults}, used by the CLI's `--faults`). Grammar (see the package README):
 *
 * ```text
 * spec     = "" | entry *("," entry)
 * entry    = setting | fault
 * setting  = ("cap" | "quota" | "latency" | "retry-after" | "seed") "=" integer
 * fault    = kind 1*(":" param)                       ; exactly one selector among the params
 * kind     = "429" | "500" | "reset" | "tamper" | "probe" | "stale" | "wrong-serial"
 *          | "missing-header" | "malformed-json" | "unknown-state"
 * selector = "first=" k | "nth=" i *("+" i) | "rate=" p | "every"
 * option   = "retry-after=" s        ; 429 only
 *          | "header=" name          ; missing-header only (default Wechatpay-Signature)
 *          | "state=" value          ; unknown-state only (default PHOTO_REVIEWING)
 * ```
 *
 * Example: `429:first=3,500:rate=0.3,reset:nth=5,tamper:nth=2+4,cap=7,quota=50,latency=20`.
 *
 * @since 0.1.0
 */
import { Either, Schema } from "effect"
import { uniform } from "./internal/prng.js"

/**
 * Which requests a fault applies to. Requests are numbered 1, 2, 3, … in the order the sandbox receives them
 * (every request counts, whatever its outcome).
 *
 * @since 0.1.0
 * @category Models
 */
export type Selector =
  | { readonly _tag: "First"; readonly count: number }
  | { readonly _tag: "Nth"; readonly indices: ReadonlyArray<number> }
  | { readonly _tag: "Rate"; readonly probability: number }
  | { readonly _tag: "Every" }

/**
 * @since 0.1.0
 * @category Models
 */
export const faultKinds = [
  "429",
  "500",
  "reset",
  "tamper",
  "probe",
  "stale",
  "wrong-serial",
  "missing-header",
  "malformed-json",
  "unknown-state",
  "charge-drop",
  "charge-500"
] as const

/**
 * - `charge-drop`: process the charge (`POST /v3/offlineface/transactions`: the transaction is recorded), then
 *   drop the connection without answering. Applies to the charge only.
 * - `charge-500`: process the charge, then answer 500 `SYSTEM_ERROR`. Applies to the charge only.
 * - Any fault takes `route=NAME` (a route name of the sandbox, e.g. `createTransaction`, `getTransaction`): it then
 *   applies to requests of that route only, and counts them alone for `first=`/`nth=`. `429`, `500` and `reset`
 *   strike before anything is processed: nothing is recorded.
 * - `429`: answer 429 `FREQUENCY_LIMITED` (optional `Retry-After`), before authentication.
 * - `500`: answer 500 `SYSTEM_ERROR`, before authentication.
 * - `reset`: drop the connection without answering (in memory: a transport `RequestError`).
 * - `tamper`: change one byte of the body after signing.
 * - `probe`: send a `WECHATPAY/SIGNTEST/…` probe signature.
 * - `stale`: `Wechatpay-Timestamp` = now − 600 s (correctly signed).
 * - `wrong-serial`: a `Wechatpay-Serial` the client cannot know (signature made with the real key).
 * - `missing-header`: leave out `Wechatpay-Signature` (or the header named by `header`).
 * - `malformed-json`: a body that is not JSON (correctly signed).
 * - `unknown-state`: the first item of a 200 answer gets `collection_state` `PHOTO_REVIEWING` (or `state`),
 *   correctly signed; no effect on other answers.
 *
 * @since 0.1.0
 * @category Models
 */
export type FaultKind = (typeof faultKinds)[number]

/**
 * @since 0.1.0
 * @category Models
 */
export interface Fault {
  readonly kind: FaultKind
  readonly select: Selector
  /** `429` only: value of the `Retry-After` header in seconds (default: the global `retryAfter`, else none). */
  readonly retryAfter?: number | undefined
  /** `missing-header` only: the response header to leave out (default `Wechatpay-Signature`). */
  readonly header?: string | undefined
  /** `unknown-state` only: the unknown `collection_state` value (default `PHOTO_REVIEWING`). */
  readonly state?: string | undefined
  /** Only requests of this route (e.g. `createTransaction`); their own count drives `first`/`nth`. Default: every route. */
  readonly route?: string | undefined
}

/**
 * The whole fault plan.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Faults {
  readonly faults?: ReadonlyArray<Fault> | undefined
  /** Every list page holds at most `cap` items, whatever `limit` asked for (silently). */
  readonly cap?: number | undefined
  /**
   * At most `quota` requests are admitted within any 1-second window of the sandbox's `Clock`; the excess gets
   * 429 `FREQUENCY_LIMITED`. Rejected requests do not count against the window.
   */
  readonly quota?: number | undefined
  /** Delay every request by this many milliseconds (`Effect.sleep`, so `TestClock` controls it). */
  readonly latency?: number | undefined
  /** `Retry-After` seconds for quota rejections and for `429` faults without their own value. */
  readonly retryAfter?: number | undefined
  /** Seed of `rate=` selectors (default: the sandbox's data seed). */
  readonly seed?: number | undefined
}

/**
 * No faults.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const none: Faults = {}

/**
 * @since 0.1.0
 * @category Constructors
 */
export const first = (count: number): Selector => ({ _tag: "First", count })

/**
 * @since 0.1.0
 * @category Constructors
 */
export const nth = (...indices: ReadonlyArray<number>): Selector => ({ _tag: "Nth", indices })

/**
 * @since 0.1.0
 * @category Constructors
 */
export const rate = (probability: number): Selector => ({ _tag: "Rate", probability })

/**
 * @since 0.1.0
 * @category Constructors
 */
export const every: Selector = { _tag: "Every" }

/**
 * Whether a selector picks request number `seq` (1-based). `rate` draws are a pure function of
 * `(seed, faultIndex, seq)`: deterministic and independent of evaluation order.
 *
 * @since 0.1.0
 * @category Utils
 */
export const isSelected = (select: Selector, seq: number, seed: number, faultIndex: number): boolean => {
  switch (select._tag) {
    case "First":
      return seq <= select.count
    case "Nth":
      return select.indices.includes(seq)
    case "Rate":
      return uniform(seed, 0x5eed, faultIndex, seq) < select.probability
    case "Every":
      return true
  }
}

/**
 * A fault spec that does not parse. `column` is 1-based and points at the offending entry or parameter.
 *
 * @since 0.1.0
 * @category Errors
 */
export class FaultParseError extends Schema.TaggedError<FaultParseError>()("FaultParseError", {
  input: Schema.String,
  column: Schema.Number,
  reason: Schema.String
}) {
  override get message(): string {
    return `Invalid fault spec at column ${this.column}: ${this.reason} (in "${this.input}")`
  }
}

const settingNames = ["cap", "quota", "latency", "retry-after", "seed"] as const
type SettingName = (typeof settingNames)[number]

const isFaultKind = (s: string): s is FaultKind => (faultKinds as ReadonlyArray<string>).includes(s)
const isSettingName = (s: string): s is SettingName => (settingNames as ReadonlyArray<string>).includes(s)

class Failure {
  constructor(readonly column: number, readonly reason: string) {}
}

const parseUint = (text: string, what: string, column: number, min: number): number => {
  if (!/^[0-9]+$/.test(text)) throw new Failure(column, `${what} must be a decimal integer, got "${text}"`)
  const n = Number(text)
  if (!Number.isSafeInteger(n)) throw new Failure(column, `${what} is too large: "${text}"`)
  if (n < min) throw new Failure(column, `${what} must be at least ${min}, got ${n}`)
  return n
}

const parseProbability = (text: string, column: number): number => {
  if (!/^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/.test(text)) {
    throw new Failure(column, `rate must be a decimal number between 0 and 1, got "${text}"`)
  }
  const p = Number(text)
  if (!(p >= 0 && p <= 1)) throw new Failure(column, `rate must be between 0 and 1, got ${text}`)
  return p
}

type Mutable<A> = { -readonly [K in keyof A]: A[K] }

const parseFault = (kind: FaultKind, params: ReadonlyArray<{ text: string; column: number }>, column: number) => {
  let select: Selector | undefined
  const fault: { retryAfter?: number; header?: string; state?: string; route?: string } = {}
  for (const { column: col, text } of params) {
    const eq = text.indexOf("=")
    const name = eq < 0 ? text : text.slice(0, eq)
    const value = eq < 0 ? undefined : text.slice(eq + 1)
    const needValue = (): string => {
      if (value === undefined || value === "") throw new Failure(col, `"${name}" needs a value: ${name}=…`)
      return value
    }
    const setSelector = (s: Selector) => {
      if (select !== undefined) throw new Failure(col, `fault "${kind}" has more than one selector`)
      select = s
    }
    switch (name) {
      case "first":
        setSelector(first(parseUint(needValue(), "first", col + 6, 1)))
        break
      case "nth": {
        const raw = needValue()
        let offset = col + 4
        const indices: Array<number> = []
        for (const part of raw.split("+")) {
          indices.push(parseUint(part, "nth", offset, 1))
          offset += part.length + 1
        }
        setSelector(nth(...indices))
        break
      }
      case "rate":
        setSelector(rate(parseProbability(needValue(), col + 5)))
        break
      case "every":
        if (value !== undefined) throw new Failure(col, `"every" takes no value`)
        setSelector(every)
        break
      case "retry-after":
        if (kind !== "429") throw new Failure(col, `"retry-after" applies to the 429 fault only`)
        if (fault.retryAfter !== undefined) throw new Failure(col, `"retry-after" given twice`)
        fault.retryAfter = parseUint(needValue(), "retry-after", col + 12, 0)
        break
      case "header":
        if (kind !== "missing-header") throw new Failure(col, `"header" applies to the missing-header fault only`)
        if (fault.header !== undefined) throw new Failure(col, `"header" given twice`)
        if (!/^[A-Za-z0-9-]+$/.test(needValue())) throw new Failure(col + 7, `"header" must be a header name`)
        fault.header = needValue()
        break
      case "state":
        if (kind !== "unknown-state") throw new Failure(col, `"state" applies to the unknown-state fault only`)
        if (fault.state !== undefined) throw new Failure(col, `"state" given twice`)
        fault.state = needValue()
        break
      case "route":
        if (fault.route !== undefined) throw new Failure(col, `"route" given twice`)
        if (!/^[A-Za-z]+$/.test(needValue())) throw new Failure(col + 6, `"route" must be a route name`)
        fault.route = needValue()
        break
      default:
        throw new Failure(
          col,
          `unknown parameter "${name}" for fault "${kind}" (expected first=k, nth=i[+j…], rate=p, every, route=name` +
            (kind === "429"
              ? ", retry-after=s"
              : kind === "missing-header"
              ? ", header=name"
              : kind === "unknown-state"
              ? ", state=value"
              : "") + ")"
        )
    }
  }
  if (select === undefined) {
    throw new Failure(column, `fault "${kind}" needs a selector: first=k, nth=i[+j…], rate=p or every`)
  }
  const out: Mutable<Fault> = { kind, select }
  if (fault.retryAfter !== undefined) out.retryAfter = fault.retryAfter
  if (fault.header !== undefined) out.header = fault.header
  if (fault.state !== undefined) out.state = fault.state
  if (fault.route !== undefined) out.route = fault.route
  return out
}

/**
 * Parses a fault spec (the CLI's `--faults`). The empty (or blank) string is {@link none}.
 * Errors name the 1-based column and what was expected.
 *
 * Either is a subtype of Effect: `yield* Faults.parseFaults(text)` works inside `Effect.gen`.
 *
 * @since 0.1.0
 * @category Parsing
 */
export const parseFaults = (spec: string): Either.Either<Faults, FaultParseError> => {
  try {
    return Either.right(parseUnsafe(spec))
  } catch (e) {
    if (e instanceof Failure) {
      return Either.left(new FaultParseError({ input: spec, column: e.column, reason: e.reason }))
    }
    throw e
  }
}

const parseUnsafe = (spec: string): Faults => {
  const out: Mutable<Faults> = {}
  const faults: Array<Fault> = []
  if (spec.trim() === "") return out
  let pos = 0
  for (const rawEntry of spec.split(",")) {
    const lead = rawEntry.length - rawEntry.trimStart().length
    const entry = rawEntry.trim()
    const column = pos + lead + 1
    pos += rawEntry.length + 1
    if (entry === "") throw new Failure(column, "empty entry (two commas in a row, or a trailing comma?)")
    const parts = entry.split(":")
    const head = parts[0] ?? ""
    if (parts.length === 1 && head.includes("=")) {
      const eq = head.indexOf("=")
      const name = head.slice(0, eq)
      const value = head.slice(eq + 1)
      if (!isSettingName(name)) {
        throw new Failure(
          column,
          `unknown setting "${name}" (expected one of ${settingNames.join(", ")}; faults look like kind:selector)`
        )
      }
      const key = name === "retry-after" ? "retryAfter" : name
      if (out[key] !== undefined) throw new Failure(column, `setting "${name}" given twice`)
      out[key] = parseUint(value, name, column + eq + 1, name === "cap" || name === "quota" ? 1 : 0)
      continue
    }
    if (!isFaultKind(head)) {
      throw new Failure(
        column,
        isSettingName(head)
          ? `setting "${head}" needs a value: ${head}=n`
          : `unknown fault "${head}" (expected one of ${faultKinds.join(", ")}, or a setting ${
            settingNames.map((s) => `${s}=n`).join(", ")
          })`
      )
    }
    let col = column + head.length + 1
    const params: Array<{ text: string; column: number }> = []
    for (const text of parts.slice(1)) {
      if (text === "") throw new Failure(col, `empty parameter after ":" in fault "${head}"`)
      params.push({ text, column: col })
      col += text.length + 1
    }
    faults.push(parseFault(head, params, column))
  }
  if (faults.length > 0) out.faults = faults
  return out
}

const formatSelector = (s: Selector): string => {
  switch (s._tag) {
    case "First":
      return `first=${s.count}`
    case "Nth":
      return `nth=${s.indices.join("+")}`
    case "Rate":
      return `rate=${s.probability}`
    case "Every":
      return "every"
  }
}

/**
 * Formats a fault plan in the {@link parseFaults} syntax (`parseFaults(formatFaults(f))` equals `f`).
 *
 * @since 0.1.0
 * @category Parsing
 */
export const formatFaults = (faults: Faults): string => {
  const entries: Array<string> = []
  for (const f of faults.faults ?? []) {
    let e = `${f.kind}:${formatSelector(f.select)}`
    if (f.retryAfter !== undefined) e += `:retry-after=${f.retryAfter}`
    if (f.header !== undefined) e += `:header=${f.header}`
    if (f.state !== undefined) e += `:state=${f.state}`
    if (f.route !== undefined) e += `:route=${f.route}`
    entries.push(e)
  }
  if (faults.cap !== undefined) entries.push(`cap=${faults.cap}`)
  if (faults.quota !== undefined) entries.push(`quota=${faults.quota}`)
  if (faults.latency !== undefined) entries.push(`latency=${faults.latency}`)
  if (faults.retryAfter !== undefined) entries.push(`retry-after=${faults.retryAfter}`)
  if (faults.seed !== undefined) entries.push(`seed=${faults.seed}`)
  return entries.join(",")
}
