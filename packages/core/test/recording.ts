/**
 * A recording `WechatPayClient` for endpoint tests: every request is kept
 * (when run, not when built: a poller runs the same effect again) and
 * answered with `answer` decoded by the endpoint's own schema; 204 endpoints
 * succeed. `SensitiveFields` encrypts under the test WeChat Pay public key
 * (its private half is `fixtures/wechatpay_private_key.pem`).
 */
import { SensitiveFields, WechatPayClient, type WechatPayError } from "@effect-wechatpay/core"
import { Effect, Layer, Schema } from "effect"
import { readFileSync } from "node:fs"

export const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")

export const PUB_KEY_ID = "PUB_KEY_ID_0119000000012025010100000000000001"

/** The wire JSON to answer with, or a function of the request giving it (or a typed failure). */
export type Answer =
  | unknown
  | ((request: WechatPayClient.Request) => Effect.Effect<unknown, WechatPayError.WechatPayRequestError>)

export const recording = (answer: Answer = undefined) => {
  const requests: Array<WechatPayClient.Request> = []
  const reply = (request: WechatPayClient.Request): Effect.Effect<unknown, WechatPayError.WechatPayRequestError> =>
    typeof answer === "function"
      ? (answer as (request: WechatPayClient.Request) => Effect.Effect<unknown, WechatPayError.WechatPayRequestError>)(request)
      : Effect.succeed(answer)
  const client = WechatPayClient.WechatPayClient.of({
    execute: (request, schema) =>
      Effect.suspend(() => {
        requests.push(request)
        return Effect.flatMap(reply(request), (wire) => Effect.orDie(Schema.decodeUnknown(schema)(wire)))
      }),
    executeNoContent: (request) =>
      Effect.suspend(() => {
        requests.push(request)
        return Effect.asVoid(reply(request))
      })
  })
  const layer = Layer.merge(
    Layer.succeed(WechatPayClient.WechatPayClient, client),
    Layer.effect(
      SensitiveFields.SensitiveFields,
      SensitiveFields.makeWebCrypto({ publicKey: { id: PUB_KEY_ID, pem: fixture("wechatpay_public_key.pem") } })
    )
  )
  return { requests, layer }
}
