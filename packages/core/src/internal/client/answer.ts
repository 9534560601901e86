/**
 * Step 3, answer: a received response is verified, then returned (2xx) or
 * turned into a typed API error. An error answer that carries WeChat Pay's
 * signature headers is verified like any other; one with none (a gateway, a
 * proxy) is kept, marked unverified.
 *
 * @internal
 */
import { Clock, Effect, Option, Schema } from "effect"
import type { Service as ResponseVerifier } from "../../ResponseVerifier.js"
import { WechatPayApiError, type WechatPayRequestError } from "../../WechatPayError.js"
import type { Received } from "../exchangeAttempt.js"

const ErrorBody = Schema.parseJson(Schema.Struct({
  code: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.Unknown)
}))
const decodeErrorBody = Schema.decodeUnknownOption(ErrorBody)

const parseRetryAfter = (value: string | undefined, nowMillis: number): number | undefined => {
  if (value === undefined) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMillis)
}

export const annotate = (response: Received): Effect.Effect<void> => {
  const attributes: Record<string, unknown> = { "http.response.status_code": response.status }
  const requestId = response.headers["request-id"]
  if (requestId !== undefined) attributes["wechatpay.request_id"] = requestId
  return Effect.annotateCurrentSpan(attributes)
}

export const apiError = (response: Received, attemptNo: number, verified: boolean): Effect.Effect<never, WechatPayApiError> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const parsed = Option.getOrUndefined(decodeErrorBody(response.body))
    return Effect.fail(
      new WechatPayApiError({
        method: response.method,
        path: response.path,
        status: response.status,
        code: parsed?.code,
        serverMessage: parsed?.message,
        detail: parsed?.detail,
        requestId: response.headers["request-id"],
        verified,
        attempts: attemptNo,
        retryAfterMillis: parseRetryAfter(response.headers["retry-after"], now)
      })
    )
  })

export const answer = (
  verifier: ResponseVerifier,
  response: Received,
  attemptNo: number,
  traced: boolean
): Effect.Effect<Received, WechatPayRequestError> => {
  let checked: Effect.Effect<Received, WechatPayRequestError>
  if (response.status >= 200 && response.status < 300) {
    checked = Effect.as(verifier.verify(response), response)
  } else {
    const signed = response.headers["wechatpay-signature"] !== undefined ||
      response.headers["wechatpay-serial"] !== undefined ||
      response.headers["wechatpay-timestamp"] !== undefined
    const failed = apiError(response, attemptNo, signed)
    checked = signed ? Effect.zipRight(verifier.verify(response), failed) : failed
  }
  return traced ? Effect.zipRight(annotate(response), checked) : checked
}
