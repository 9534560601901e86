/**
 * When and how often a request is tried again.
 *
 * Only transient failures are retried (429, 5xx, connection failures,
 * timeouts; see `WechatPayError.isTransient`); every retry is signed afresh.
 * The policy is a `Context.Reference`: it has a default, and a caller or a test
 * overrides it for a whole program or for one call.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { FaceCollections, RetryPolicy } from "@effect-wechatpay/core"
 *
 * // Patient: up to 20 attempts, delays up to 30 s, 20 s per attempt.
 * const patient = FaceCollections.allCollections("1234567").pipe(
 *   Stream.provideService(
 *     RetryPolicy.RetryPolicy,
 *     RetryPolicy.make({ maxAttempts: 20, maxDelay: "30 seconds", timeout: "20 seconds" })
 *   )
 * )
 * ```
 *
 * @since 0.1.0
 */
import { Context, Duration, Schedule } from "effect"
import type { WechatPayRequestError } from "./WechatPayError.js"

/**
 * @since 0.1.0
 * @category Models
 */
export interface Policy {
  /**
   * Decides, after a transient failure, whether to try again and after which
   * delay. Its input is the failure. It must end (bound it with
   * `Schedule.recurs` or `Schedule.upTo`): a listing must give up in bounded time.
   */
  readonly schedule: Schedule.Schedule<unknown, WechatPayRequestError>
  /** Time allowed for one attempt: sending, and reading the whole response. */
  readonly timeout: Duration.Duration
  /**
   * A server's `Retry-After` is honoured (the delay is at least what it asks)
   * up to this bound, so that one response cannot stall a listing for hours.
   */
  readonly maxRetryAfter: Duration.Duration
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Options {
  /** First delay. Default 200 ms. */
  readonly baseDelay?: Duration.DurationInput
  /** Growth per retry. Default 2. */
  readonly factor?: number
  /** Cap on one delay. Default 5 s. */
  readonly maxDelay?: Duration.DurationInput
  /** Attempts in all, the first included. Default 10. */
  readonly maxAttempts?: number
  /** Randomise each delay by ×0.8–1.2, so that clients do not retry in step. Default true. */
  readonly jitter?: boolean
  /** Per-attempt timeout. Default 10 s. */
  readonly timeout?: Duration.DurationInput
  /** Bound on an honoured `Retry-After`. Default 60 s. */
  readonly maxRetryAfter?: Duration.DurationInput
}

/**
 * The defaults, and why: a listing of hundreds of pages must get through a
 * server that fails 30 % of requests transiently. With 10 attempts one page is
 * lost with probability 0.3^10 ≈ 6·10⁻⁶, so 1 000 pages complete 99.4 % of the
 * time; and a server that never recovers is given up on after at most
 * 10 × 10 s of timeouts plus ≈ 27 s of delays.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const defaults = {
  baseDelay: Duration.millis(200),
  factor: 2,
  maxDelay: Duration.seconds(5),
  maxAttempts: 10,
  jitter: true,
  timeout: Duration.seconds(10),
  maxRetryAfter: Duration.seconds(60)
} as const

/**
 * Exponential backoff, capped, jittered, with a bounded number of attempts.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (options: Options = {}): Policy => {
  const maxDelay = Duration.decode(options.maxDelay ?? defaults.maxDelay)
  const maxAttempts = options.maxAttempts ?? defaults.maxAttempts
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new RangeError(`RetryPolicy.make: maxAttempts must be an integer >= 1, got ${maxAttempts}`)
  }
  const backoff = Schedule.exponential(options.baseDelay ?? defaults.baseDelay, options.factor ?? defaults.factor)
  const jittered = (options.jitter ?? defaults.jitter) ? Schedule.jittered(backoff) : backoff
  return fromSchedule(
    jittered.pipe(
      Schedule.modifyDelay((_, delay) => Duration.min(delay, maxDelay)),
      Schedule.intersect(Schedule.recurs(maxAttempts - 1))
    ),
    options
  )
}

/**
 * A policy from any schedule of your own (it must end).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const fromSchedule = (
  schedule: Schedule.Schedule<unknown, WechatPayRequestError>,
  options: Pick<Options, "timeout" | "maxRetryAfter"> = {}
): Policy => ({
  schedule,
  timeout: Duration.decode(options.timeout ?? defaults.timeout),
  maxRetryAfter: Duration.decode(options.maxRetryAfter ?? defaults.maxRetryAfter)
})

/**
 * Never retry (one attempt), still with the default per-attempt timeout.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const none: Policy = fromSchedule(Schedule.stop)

/**
 * The retry policy in effect. Defaults to `make()`.
 *
 * @since 0.1.0
 * @category Context
 */
export class RetryPolicy extends Context.Reference<RetryPolicy>()("@effect-wechatpay/core/RetryPolicy", {
  defaultValue: (): Policy => make()
}) {}
