/**
 * PROTOTYPE (bench only): a copy of packages/core/src/WechatPayClient.ts with
 * the changes PROFILE.md recommends, each marked `PROTO(<name>)` and each
 * switchable off with `PROTO_OFF=<name>,…` so that its gain can be measured
 * alone. Behaviour (signing, verification, retries, errors, spans, metrics)
 * is core's; it provides core's `WechatPayClient` tag (same key).
 *
 * - `tracer`: the transport's own per-request span (`http.client GET`, with an
 *   attribute per request and response header, W3C/B3 propagation headers and
 *   a FinalizationRegistry entry per response) is switched off; this client's
 *   `WechatPayClient.request` span per attempt stays, with the same attributes.
 * - `span`: that span is made without capturing a stack trace (`new Error()`).
 * - `headers`: the response headers are converted once, not on every access.
 * - `schedule`: the retry schedule is built once per policy, not per request.
 * - `retry`: no retry driver on the success path: `Effect.retry` starts only
 *   after a first transient failure, replaying it to the schedule.
 * - `raw`: an optional promise-based exchange (see `RawTransport`).
 * - `nonce`: nonces come from a pooled CSPRNG buffer, not one
 *   `getRandomValues` call per request.
 * - `decode` (FaceCollections.ts / FaceCollection.ts) and `inline`
 *   (FaceCollections.ts): see there.
 */
// PROTO(imports): core's modules by path and @effect/platform's by module, never a barrel
// (`@effect-wechatpay/core`'s index pulls in core's WechatPayClient, which imports the
// `@effect/platform` barrel: every platform module, HttpApi and OpenApi included).
import * as ResponseVerifierModule from "@effect-wechatpay/core/ResponseVerifier"
import * as RetryPolicyModule from "@effect-wechatpay/core/RetryPolicy"
import * as SignerModule from "@effect-wechatpay/core/Signer"
import type * as Core from "@effect-wechatpay/core/WechatPayClient"
import * as WechatPayError from "@effect-wechatpay/core/WechatPayError"
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Clock, Context, Duration, Effect, Either, Layer, Metric, Option, ParseResult, Schedule, Schema } from "effect"
import { EventEmitter } from "node:events"
import { fastDecoderOf } from "./FaceCollection.js"
import * as Protocol from "./protocol.js"
import * as RateLimiter from "./rateLimiter.js"

type WechatPayRequestError = WechatPayError.WechatPayRequestError
const { isTransient, WechatPayApiError, WechatPayConfigError, WechatPayDecodeError, WechatPayTransportError } =
  WechatPayError

/**
 * Core's tag, redeclared with the same key (Effect's `Context` matches tags by
 * key), so that this module need not import core's `WechatPayClient.js`.
 */
export class WechatPayClient extends Context.Tag("@effect-wechatpay/core/WechatPayClient")<WechatPayClient, Core.Service>() {}

/** Core's counters, by the same names. */
export const metrics = {
  attempts: Metric.counter("wechatpay_request_attempts", { description: "WeChat Pay requests sent, retries included" }),
  retries: Metric.counter("wechatpay_request_retries", { description: "WeChat Pay requests sent again after a transient failure" })
}

const PRODUCTION_URL = "https://api.mch.weixin.qq.com"

/** A response as the raw transport reads it: status, lower-case headers, the body text. */
export interface RawResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
}

/**
 * How the client aborts a raw exchange (deadline or interruption): an
 * `EventEmitter` with `aborted`, which undici accepts as a signal, because
 * Node's `EventTarget`-based `AbortSignal` costs more per request than the
 * rest of the bookkeeping together.
 */
export class Abort extends EventEmitter {
  aborted = false
  abort(): void {
    if (this.aborted) return
    this.aborted = true
    this.emit("abort")
  }
}

/** Why a raw exchange failed (the connection, the protocol): its description, for the transport error. */
export class RawTransportFailure {
  constructor(readonly description: string) {}
}

/**
 * PROTO(raw): an optional, promise-based transport for one exchange, which a
 * platform layer may provide next to its `HttpClient` (the node layer does,
 * over the same kind of undici keep-alive agent). When present, an attempt is
 * a handful of Effect steps around one `Effect.async`, instead of the
 * `HttpClient` pipeline. The per-attempt deadline is a timer inside that
 * `Effect.async` (it aborts the request), so `TestClock` does not drive it:
 * tests run over `HttpClient` layers, which keep core's `Effect.timeoutFail`.
 */
export class RawTransport extends Context.Tag("@effect-wechatpay/core/RawTransport")<RawTransport, {
  readonly request: (
    method: string,
    origin: string,
    path: string,
    headers: Readonly<Record<string, string>>,
    body: string | undefined,
    signal: Abort
  ) => Promise<RawResponse>
}>() {}

export const tuningNames = ["tracer", "span", "headers", "schedule", "retry", "nonce", "decode", "inline", "raw"] as const
export type TuningName = (typeof tuningNames)[number]

/**
 * Which prototype changes are on: all, unless named in `PROTO_OFF`. Mutable for
 * attribution experiments; `tracer` and `nonce` are read when a layer is built,
 * the others on every request.
 */
export const tuning: Record<TuningName, boolean> = (() => {
  const off = new Set((process.env["PROTO_OFF"] ?? "").split(",").map((s) => s.trim()))
  const on = {} as Record<TuningName, boolean>
  for (const name of tuningNames) on[name] = !off.has(name)
  return on
})()

const USER_AGENT = "effect-wechatpay/0.1.0"

const ErrorBody = Schema.parseJson(Schema.Struct({
  code: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.Unknown)
}))
const decodeErrorBody = Schema.decodeUnknownOption(ErrorBody)

interface Answer {
  readonly status: number
  readonly body: string
  readonly requestId: string | undefined
}

const describeCause = (error: HttpClientError.HttpClientError): string => {
  const cause = error.cause
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause
  const code = typeof inner === "object" && inner !== null && "code" in inner ? String(inner.code) : undefined
  const message = inner instanceof Error ? inner.message : undefined
  return [error.reason, code, message].filter((part) => part !== undefined && part !== "").join(": ")
}

const parseRetryAfter = (value: string | undefined, nowMillis: number): number | undefined => {
  if (value === undefined) return undefined
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000
  const date = Date.parse(value)
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMillis)
}

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

// PROTO(schedule): Retry-After, when sent, is a floor under the policy's own delay. Built once per policy.
const scheduleOf = (policy: RetryPolicyModule.Policy) =>
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
const schedules = new WeakMap<RetryPolicyModule.Policy, ReturnType<typeof scheduleOf>>()
const cachedSchedule = (policy: RetryPolicyModule.Policy) => {
  if (!tuning.schedule) return scheduleOf(policy)
  let schedule = schedules.get(policy)
  if (schedule === undefined) {
    schedule = scheduleOf(policy)
    schedules.set(policy, schedule)
  }
  return schedule
}

/** Core's behaviour, for `PROTO_OFF=headers`: the headers converted afresh on every access. */
const headersProxy = (response: HttpClientResponse.HttpClientResponse): Readonly<Record<string, string | undefined>> =>
  new Proxy<Record<string, string | undefined>>({}, {
    get: (_, name) => typeof name === "string" ? response.headers[name] : undefined
  })

const redactSignature = (names: ReadonlyArray<string | RegExp>) => [...names, "wechatpay-signature"]

/**
 * Builds the client over the `HttpClient`, `Signer` and `ResponseVerifier` in context.
 */
export const make = (
  options: Core.Options = {}
): Effect.Effect<
  Core.Service,
  WechatPayError.WechatPayConfigError,
  HttpClient.HttpClient | SignerModule.Signer | ResponseVerifierModule.ResponseVerifier
> =>
  Effect.gen(function*() {
    const base = (options.baseUrl ?? PRODUCTION_URL).replace(/\/+$/, "")
    if (!URL.canParse(base) || !/^https?:$/.test(new URL(base).protocol)) {
      return yield* new WechatPayConfigError({ setting: "baseUrl", issue: "must be an http(s) URL" })
    }
    const signer = yield* SignerModule.Signer
    const verifier = yield* ResponseVerifierModule.ResponseVerifier
    const transform = options.transformClient ?? ((client: HttpClient.HttpClient) => client)
    const transport = yield* HttpClient.HttpClient
    // PROTO(tracer): one span per attempt is this client's; the transport's own is switched off.
    const http = transform(tuning.tracer ? HttpClient.withTracerDisabledWhen(transport, () => true) : transport)
    const userAgent = options.userAgent ?? USER_AGENT
    const rps = options.requestsPerSecond
    if (rps !== undefined && !(Number.isFinite(rps) && rps > 0)) {
      return yield* new WechatPayConfigError({ setting: "requestsPerSecond", issue: "must be a positive number" })
    }
    const limiter = rps === undefined ? RateLimiter.unlimited : yield* RateLimiter.make(rps)
    const nonce = tuning.nonce ? Protocol.pooledNonce : Protocol.nonce
    // A `transformClient` (proxy, probe) must see every request: the raw exchange is then not used.
    const raw = tuning.raw && options.transformClient === undefined
      ? Option.getOrUndefined(yield* Effect.serviceOption(RawTransport))
      : undefined

    const execute = <A, I>(request: Core.Request, schema: Schema.Schema<A, I, never>) =>
      Effect.gen(function*() {
        const policy = yield* RetryPolicyModule.RetryPolicy
        const query = request.query !== undefined && request.query.length > 0
          ? `?${Protocol.queryString(request.query)}`
          : ""
        // Parse once; sign exactly the path + query the transport will send.
        const url = new URL(base + request.path + query)
        const canonicalUrl = url.pathname + url.search
        const href = url.href
        const origin = url.origin
        const timeoutMillis = Duration.toMillis(policy.timeout)
        const body = request.body ?? ""
        const context = { method: request.method, path: request.path }

        const attempt = (attemptNo: number): Effect.Effect<Answer, WechatPayRequestError> =>
          Effect.gen(function*() {
            const timestamp = Math.floor((yield* Clock.currentTimeMillis) / 1000)
            const nonceStr = nonce()
            const signature = yield* signer.sign(
              Protocol.requestMessage(request.method, canonicalUrl, timestamp, nonceStr, body)
            )
            const httpExchange = (requestHeaders: Readonly<Record<string, string>>) => {
              let httpRequest = HttpClientRequest.make(request.method)(href).pipe(HttpClientRequest.setHeaders(requestHeaders))
              if (request.body !== undefined) {
                httpRequest = HttpClientRequest.bodyText(httpRequest, request.body, "application/json")
              }
              const transportError = (error: HttpClientError.HttpClientError) =>
                new WechatPayTransportError({
                  ...context,
                  reason: "Connection",
                  description: describeCause(error),
                  attempts: attemptNo
                })
              // The timeout covers the exchange only: signing and verifying are local
              // work that cannot hang, a silent server can.
              return http.execute(httpRequest).pipe(
                Effect.flatMap((response) =>
                  Effect.map(response.text, (text) => ({
                    status: response.status,
                    // PROTO(headers): `response.headers` builds a new object on every access.
                    headers: tuning.headers ? response.headers : headersProxy(response),
                    text
                  }))
                ),
                Effect.mapError(transportError),
                Effect.timeoutFail({
                  duration: policy.timeout,
                  onTimeout: () =>
                    new WechatPayTransportError({
                      ...context,
                      reason: "Timeout",
                      description: `no complete response within ${Duration.format(policy.timeout)}`,
                      attempts: attemptNo
                    })
                })
              )
            }
            const requestHeaders = {
              Authorization: Protocol.authorization({
                mchid: signer.mchid,
                serialNo: signer.serialNo,
                nonce: nonceStr,
                signature,
                timestamp
              }),
              Accept: "application/json",
              "User-Agent": userAgent,
              "Wechatpay-Serial": verifier.acceptSerial,
              ...(request.body === undefined ? {} : { "Content-Type": "application/json" })
            }
            const exchange: Effect.Effect<
              { readonly status: number; readonly headers: Readonly<Record<string, string | undefined>>; readonly text: string },
              WechatPayRequestError
            > = raw !== undefined
              // PROTO(raw): one promise for the whole exchange, its deadline included.
              ? Effect.async((resume) => {
                const controller = new Abort()
                let timedOut = false
                const timer = setTimeout(() => {
                  timedOut = true
                  controller.abort()
                }, timeoutMillis)
                raw.request(request.method, origin, canonicalUrl, requestHeaders, request.body, controller).then(
                  (response) => {
                    clearTimeout(timer)
                    resume(Effect.succeed({ status: response.status, headers: response.headers, text: response.body }))
                  },
                  (failure: unknown) => {
                    clearTimeout(timer)
                    resume(Effect.fail(
                      new WechatPayTransportError({
                        ...context,
                        reason: timedOut ? "Timeout" : "Connection",
                        description: timedOut
                          ? `no complete response within ${Duration.format(policy.timeout)}`
                          : failure instanceof RawTransportFailure
                          ? failure.description
                          : String(failure),
                        attempts: attemptNo
                      })
                    ))
                  }
                )
                // Interrupted: stop the timer and abort the request (no listener on a signal needed).
                return Effect.sync(() => {
                  clearTimeout(timer)
                  controller.abort()
                })
              })
              : httpExchange(requestHeaders)
            const response = yield* exchange
            const text = response.text
            const headersOf = () => response.headers
            const requestId = headersOf()["request-id"]
            yield* Effect.annotateCurrentSpan({
              "http.response.status_code": response.status,
              ...(requestId === undefined ? {} : { "wechatpay.request_id": requestId })
            })
            const received = { ...context, status: response.status, headers: headersOf(), body: text }
            if (response.status >= 200 && response.status < 300) {
              yield* verifier.verify(received)
              return { status: response.status, body: text, requestId }
            }
            // An error answer that carries WeChat Pay's signature headers is verified
            // like any other; one with none (a gateway, a proxy) is kept, marked unverified.
            const signed = headersOf()["wechatpay-signature"] !== undefined ||
              headersOf()["wechatpay-serial"] !== undefined ||
              headersOf()["wechatpay-timestamp"] !== undefined
            if (signed) yield* verifier.verify(received)
            const parsed = Option.getOrUndefined(decodeErrorBody(text))
            const retryAfterMillis = parseRetryAfter(
              headersOf()["retry-after"],
              yield* Clock.currentTimeMillis
            )
            return yield* new WechatPayApiError({
              ...context,
              status: response.status,
              code: parsed?.code,
              serverMessage: parsed?.message,
              detail: parsed?.detail,
              requestId,
              verified: signed,
              attempts: attemptNo,
              retryAfterMillis
            })
          }).pipe(
            Effect.locallyWith(Headers.currentRedactedNames, redactSignature),
            Effect.withSpan("WechatPayClient.request", {
              kind: "client",
              // PROTO(span): no `new Error()` per attempt for the span's source location.
              captureStackTrace: !tuning.span,
              attributes: {
                "http.request.method": request.method,
                "url.path": request.path,
                "wechatpay.attempt": attemptNo
              }
            })
          )

        const schedule = cachedSchedule(policy)
        let attempts = 0
        const once = Effect.suspend(() => {
          attempts += 1
          return limiter.take.pipe(
            Effect.zipRight(Metric.increment(metrics.attempts)),
            Effect.zipRight(attempts > 1 ? Metric.increment(metrics.retries) : Effect.void),
            Effect.zipRight(attempt(attempts))
          )
        })
        const answer = yield* (
          tuning.retry
            // PROTO(retry): the schedule's driver is built only after a first transient failure,
            // which it is then fed (as core's `Effect.retry` would be), so delays and counts are core's.
            ? Effect.catchIf(once, isTransient, (first) => {
              let replayed = false
              return Effect.suspend(() => replayed ? once : (replayed = true, Effect.fail(first))).pipe(
                Effect.retry({ schedule, while: isTransient })
              )
            })
            : Effect.retry(once, { schedule, while: isTransient })
        ).pipe(Effect.mapError((error) => withAttempts(error, attempts)))

        const where = { ...context, status: answer.status, requestId: answer.requestId }
        const json = yield* Effect.try({
          try: (): unknown => JSON.parse(answer.body),
          catch: () => new WechatPayDecodeError({ ...where, where: "Json", issue: "the body is not valid JSON" })
        })
        // PROTO(decode): a registered fast path first; the schema decides (and reports) otherwise.
        const fast = tuning.decode ? fastDecoderOf(schema) : undefined
        if (fast !== undefined) {
          const value = fast(json)
          if (value !== undefined) return value
        }
        const decoded = Schema.decodeUnknownEither(schema)(json)
        if (Either.isLeft(decoded)) {
          return yield* new WechatPayDecodeError({
            ...where,
            where: "Schema",
            issue: ParseResult.TreeFormatter.formatErrorSync(decoded.left)
          })
        }
        return decoded.right
      })

    return WechatPayClient.of({ execute })
  })

export const layer = (
  options: Core.Options = {}
): Layer.Layer<
  WechatPayClient,
  WechatPayError.WechatPayConfigError,
  HttpClient.HttpClient | SignerModule.Signer | ResponseVerifierModule.ResponseVerifier
> => Layer.effect(WechatPayClient, make(options))
