/**
 * A progress line on stderr (items, pages, retries, elapsed), redrawn in place
 * with `\r` while a listing runs and cleared at the end. Only on a terminal:
 * when stderr is a file or a pipe nothing is written.
 *
 * @since 0.1.0
 */
import { WechatPayClient } from "@effect-wechatpay/core"
import { Clock, Duration, Effect, Fiber, Metric, Option, type Scope } from "effect"

/**
 * Counters the listing updates as pages arrive.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Counters {
  pages: number
  items: number
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Progress {
  readonly counters: Counters
  /** Retries so far (from `WechatPayClient.metrics.retries`). */
  readonly retries: Effect.Effect<number>
  /** Time since the start. */
  readonly elapsed: Effect.Effect<Duration.Duration>
  /** Call before writing to stdout: takes the line off a terminal that stdout shares. */
  readonly beforeWrite: () => void
  /** Call after writing to stdout: puts it back. */
  readonly afterWrite: () => void
}

/**
 * The terminal progress is drawn on, if any.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Terminal {
  readonly write: (text: string) => void
  readonly columns: number | undefined
  /** Whether stdout is the same terminal (lines must be taken off before output). */
  readonly sharedWithOutput: boolean
}

/**
 * stderr, when it is a terminal.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const stderrTerminal = (): Option.Option<Terminal> =>
  process.stderr.isTTY === true
    ? Option.some({
      write: (text) => {
        process.stderr.write(text)
      },
      get columns() {
        return process.stderr.columns
      },
      sharedWithOutput: process.stdout.isTTY === true
    })
    : Option.none()

const retriesNow = Effect.map(Metric.value(WechatPayClient.metrics.retries), (state) => state.count)

/**
 * `1,234`
 *
 * @since 0.1.0
 * @category Formatting
 */
export const count = (n: number): string => n.toLocaleString("en-US")

/**
 * `2.1 s`, `340 ms`
 *
 * @since 0.1.0
 * @category Formatting
 */
export const seconds = (d: Duration.Duration): string => {
  const ms = Duration.toMillis(d)
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`
}

const plural = (n: number, one: string, many: string) => `${count(n)} ${n === 1 ? one : many}`

/**
 * `1,234 items, 62 pages, 0 retries`
 *
 * @since 0.1.0
 * @category Formatting
 */
export const summary = (counters: Counters, retries: number): string =>
  `${plural(counters.items, "item", "items")}, ${plural(counters.pages, "page", "pages")}, ${
    plural(retries, "retry", "retries")
  }`

const CLEAR = "\r\x1b[K"

/**
 * Tracks a listing; draws the line every 100 ms on `terminal` (if given) until the scope closes, then clears it.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (
  label: string,
  terminal: Option.Option<Terminal>
): Effect.Effect<Progress, never, Scope.Scope> =>
  Effect.gen(function*() {
    const counters: Counters = { pages: 0, items: 0 }
    const baseline = yield* retriesNow
    const started = yield* Clock.currentTimeMillis
    const retries = Effect.map(retriesNow, (n) => n - baseline)
    const elapsed = Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(now - started))
    if (Option.isNone(terminal)) {
      return { counters, retries, elapsed, beforeWrite: () => {}, afterWrite: () => {} }
    }
    const tty = terminal.value
    let line = ""
    let visible = false
    const draw = () => {
      if (line === "") return
      tty.write(CLEAR + line)
      visible = true
    }
    const render = Effect.gen(function*() {
      const text = `${label}: ${summary(counters, yield* retries)}, ${seconds(yield* elapsed)}`
      const columns = tty.columns !== undefined && tty.columns > 0 ? tty.columns : 80
      const width = columns - 1
      line = text.length > width ? text.slice(0, Math.max(0, width - 1)) + "…" : text
      draw()
    })
    const ticker = yield* Effect.forkScoped(
      Effect.forever(Effect.zipRight(render, Effect.sleep("100 millis")))
    )
    yield* Effect.addFinalizer(() =>
      Effect.zipRight(
        Fiber.interrupt(ticker),
        Effect.sync(() => {
          if (visible) tty.write(CLEAR)
          visible = false
        })
      )
    )
    return {
      counters,
      retries,
      elapsed,
      beforeWrite: () => {
        if (tty.sharedWithOutput && visible) {
          tty.write(CLEAR)
          visible = false
        }
      },
      afterWrite: () => {
        if (tty.sharedWithOutput) draw()
      }
    }
  })
