/**
 * The client of the commands that call WeChat Pay: built from the `WECHATPAY_*`
 * configuration, under `--max-attempts`. Loaded only by those commands (see
 * `Shared.lazy`): the client and its transport are most of what the program
 * loads.
 *
 * @internal
 */
import { RetryPolicy } from "@effect-wechatpay/core"
import { NodeWechatPayClient } from "@effect-wechatpay/node"
import { Effect, Option } from "effect"
import type * as Failure from "../Failure.js"
import { usage } from "./shared.js"

/**
 * Runs `effect` under the default retry policy, or one with `maxAttempts`
 * (1 to 100, else a `UsageError`).
 */
export const withMaxAttempts = (maxAttempts: Option.Option<number>) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | Failure.UsageError, R> => {
  if (Option.isNone(maxAttempts)) return effect
  const n = maxAttempts.value
  if (!Number.isSafeInteger(n) || n < 1 || n > 100) {
    return Effect.fail(usage(`--max-attempts must be between 1 and 100, got ${n}`))
  }
  return Effect.provideService(effect, RetryPolicy.RetryPolicy, RetryPolicy.make({ maxAttempts: n }))
}

/**
 * Runs `effect` with the client `NodeWechatPayClient.layerConfig` builds from
 * the `WECHATPAY_*` configuration (a `WechatPayConfigError` when it cannot),
 * under `--max-attempts`.
 */
export const withClient = (maxAttempts: Option.Option<number>) =>
<A, E, R>(effect: Effect.Effect<A, E, R>) =>
  effect.pipe(withMaxAttempts(maxAttempts), Effect.provide(NodeWechatPayClient.layerConfig()))

