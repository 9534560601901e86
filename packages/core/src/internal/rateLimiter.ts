/**
 * A client-side request-rate limit, shared by every request of one client
 * layer: WeChat Pay answers 429 past a per-merchant quota, and waiting here is
 * cheaper than a rejected request and its backoff.
 *
 * Requests are spaced evenly, `1 / requestsPerSecond` apart (a virtual
 * schedule: each caller reserves the next free slot atomically, then sleeps
 * until it). Time comes from `Clock`, so tests drive it with `TestClock`.
 *
 * @internal
 */
import { Clock, Effect, Ref } from "effect"

/** @internal */
export interface RateLimiter {
  /** Waits for this request's slot. */
  readonly take: Effect.Effect<void>
}

/** @internal */
export const make = (requestsPerSecond: number): Effect.Effect<RateLimiter> =>
  Effect.map(Ref.make(0), (nextFree) => {
    const interval = 1000 / requestsPerSecond
    return {
      take: Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.flatMap(
          Ref.modify(nextFree, (next) => {
            const slot = Math.max(now, next)
            return [slot - now, slot + interval] as const
          }),
          (wait) => wait > 0 ? Effect.sleep(wait) : Effect.void
        ))
    }
  })
