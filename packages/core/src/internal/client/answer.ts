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
import { printable, WechatPayApiError, WechatPayDecodeError, type WechatPayRequestError } from "../../WechatPayError.js"
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

const requestIdOf = (response: Received): string | undefined => {
  const requestId = response.headers["request-id"]
  return requestId === undefined ? undefined : printable(requestId, 64)
}

/**
 * The client never asks for a compressed answer: one that says it is
 * (`Content-Encoding` other than `identity`) is refused by name rather than
 * verified as garbage. Its body is not read.
 */
const encodingError = (response: Received): WechatPayDecodeError | undefined => {
  const encoding = response.headers["content-encoding"]
  if (encoding === undefined) return undefined
  const name = encoding.trim().toLowerCase()
  if (name === "" || name === "identity") return undefined
  return new WechatPayDecodeError({
    method: response.method,
    path: response.path,
    status: response.status,
    where: "Encoding",
    issue: `the answer is encoded (Content-Encoding: ${printable(encoding, 40)}), which was not asked for`,
    requestId: requestIdOf(response)
  })
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
        // What the server wrote reaches logs and terminals: escaped and cut.
        code: parsed?.code === undefined ? undefined : printable(parsed.code, 64),
        serverMessage: parsed?.message === undefined ? undefined : printable(parsed.message, 300),
        detail: parsed?.detail,
        requestId: requestIdOf(response),
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
  const encoded = encodingError(response)
  if (encoded !== undefined) {
    response.body = ""
    checked = Effect.fail(encoded)
  } else if (response.status >= 200 && response.status < 300) {
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
