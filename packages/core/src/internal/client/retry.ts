/**
 * Step 4, retry: an attempt run again after a transient failure, as the
 * request's retry class allows, under the `RetryPolicy`'s schedule, with the
 * server's `Retry-After` as a floor. The retry driver starts only after a first
 * retryable failure, which it is then fed (replayed), so delays and counts are
 * exactly `Effect.retry`'s and a request that succeeds at once pays nothing.
 *
 * @internal
 */
import { Duration, Effect, Metric, Schedule } from "effect"
import type { Policy } from "../../RetryPolicy.js"
import {
  isTransient,
  WechatPayApiError,
  type WechatPayRequestError,
  WechatPayTransportError
} from "../../WechatPayError.js"
import type { RetryClass } from "../../WechatPayRequest.js"

/**
 * Whether `error` may be retried for a request of `retry` class. An `unsafe`
 * request (a charge) is sent again only when WeChat Pay cannot have processed
 * it: a 429, or a connection refused before a byte left.
 */
export const retryable = (retry: RetryClass) => retry === "idempotent" ? isTransient : isSafeToResend

const isSafeToResend = (error: unknown): boolean =>
  (error instanceof WechatPayApiError && error.status === 429) ||
  (error instanceof WechatPayTransportError && error.reason === "Refused")

const withAttempts = (error: WechatPayRequestError, attempts: number): WechatPayRequestError => {
  switch (error._tag) {
    case "WechatPayApiError":
      return new WechatPayApiError({ ...error, attempts })
    case "WechatPayTransportError":
      return new WechatPayTransportError({ ...error, attempts })
    default:
      return error
  }
}

// Retry-After, when sent, is a floor under the policy's own delay. Built once per policy.
const scheduleOf = (policy: Policy) =>
  Schedule.intersect(
    policy.schedule,
    Schedule.identity<WechatPayRequestError>().pipe(
      Schedule.addDelay((error) =>
        error._tag === "WechatPayApiError" && error.retryAfterMillis !== undefined
          ? Duration.min(Duration.millis(error.retryAfterMillis), policy.maxRetryAfter)
          : Duration.zero
      )
    )
  )
const schedules = new WeakMap<Policy, ReturnType<typeof scheduleOf>>()
const cachedSchedule = (policy: Policy) => {
  let schedule = schedules.get(policy)
  if (schedule === undefined) {
    schedule = scheduleOf(policy)
    schedules.set(policy, schedule)
  }
  return schedule
}

/**
 * Metrics a dashboard can read: requests sent again after a transient
 * failure. (Requests themselves are counted by the spans: a metric update per
 * request measurably slowed a listing.)
 */
export const retries = Metric.counter("wechatpay_request_retries", {
  description: "WeChat Pay requests sent again after a transient failure"
})

/**
 * Runs `attempt(n)` for n = 1, 2, … while the failure is retryable for
 * `retry` and the policy allows; the error carries the number of attempts.
 * `before` runs before every attempt (the rate limiter).
 */
export const retrying = <A>(
  policy: Policy,
  retry: RetryClass,
  before: Effect.Effect<void> | undefined,
  attempt: (attemptNo: number) => Effect.Effect<A, WechatPayRequestError>
): Effect.Effect<A, WechatPayRequestError> => {
  const again = retryable(retry)
  let attempts = 0
  const once = Effect.suspend(() => {
    attempts += 1
    const run = attempts > 1 ? Effect.zipRight(Metric.increment(retries), attempt(attempts)) : attempt(attempts)
    return before === undefined ? run : Effect.zipRight(before, run)
  })
  return Effect.catchIf(once, again, (first) => {
    let replayed = false
    return Effect.suspend(() => replayed ? once : (replayed = true, Effect.fail(first))).pipe(
      Effect.retry({ schedule: cachedSchedule(policy), while: again })
    )
  }).pipe(Effect.mapError((error) => withAttempts(error, attempts)))
}
