/**
 * One WeChat Pay request, done right: canonical URL → sign → send → verify →
 * map non-2xx to a typed error → decode with `effect/Schema`; transient
 * failures retried as one unit under the `RetryPolicy`, each attempt signed
 * afresh (new nonce and timestamp) and, when a tracer is installed (e.g.
 * `@effect/opentelemetry`), traced as its own span `WechatPayClient.request`.
 * Under Effect's built-in tracer, which exports nothing, no span is made: a
 * span per request costs memory over a long listing.
 *
 * The transport is whatever `HttpClient` layer the program provides:
 * `@effect-wechatpay/node` for Node, `FetchHttpClient.layer` elsewhere, the
 * sandbox's in-memory client in tests. Endpoints call `execute` and nothing else:
 * adding one is a schema and a request.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer, Stream } from "effect"
 * import { Credentials, FaceCollections, WechatPayClient } from "@effect-wechatpay/core"
 *
 * const WechatPayLive = WechatPayClient.layerWebCrypto().pipe(
 *   Layer.provide(Credentials.layerConfig()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * const program = Stream.runCollect(FaceCollections.allCollections("1234567")).pipe(
 *   Effect.provide(WechatPayLive)
 * )
 * ```
 *
 * @since 0.1.0
 */
// Modules, not the @effect/platform barrel: the barrel loads every platform
// module (HttpApi, OpenApi, …): measured 15 MiB more heap in a listing process.
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import {
  Clock,
  Config,
  Context,
  DefaultServices,
  Duration,
  Effect,
  Either,
  FiberRef,
  Layer,
  Metric,
  Option,
  ParseResult,
  Schedule,
  Schema,
  Tracer
} from "effect"
import type { Credentials } from "./Credentials.js"
import { fromConfigError } from "./Credentials.js"
import { Exchange } from "./Exchange.js"
import * as ExchangeAttempt from "./internal/exchangeAttempt.js"
import type { Received } from "./internal/exchangeAttempt.js"
import * as Protocol from "./internal/protocol.js"
import * as RateLimiter from "./internal/rateLimiter.js"
import { ResponseVerifier } from "./ResponseVerifier.js"
import * as ResponseVerifierModule from "./ResponseVerifier.js"
import { type Policy, RetryPolicy } from "./RetryPolicy.js"
import { Signer } from "./Signer.js"
import * as SignerModule from "./Signer.js"
import {
  isTransient,
  WechatPayApiError,
  WechatPayConfigError,
  WechatPayDecodeError,
  type WechatPayRequestError,
  WechatPayTransportError
} from "./WechatPayError.js"

/**
 * A request before signing. `path` is already percent-encoded; `query` pairs
 * are encoded once by the client, and those exact bytes are signed and sent.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Request {
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
  readonly path: string
  readonly query?: ReadonlyArray<readonly [string, string]> | undefined
  /** JSON text, sent and signed byte for byte. Absent: an empty body is signed. */
  readonly body?: string | undefined
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service {
  /**
   * Sends `request` and decodes the verified 2xx body with `schema`.
   * Fails with a typed error otherwise; never returns unverified data.
   */
  readonly execute: <A, I>(
    request: Request,
    schema: Schema.Schema<A, I, never>
  ) => Effect.Effect<A, WechatPayRequestError>
}

/**
 * @since 0.1.0
 * @category Context
 */
export class WechatPayClient extends Context.Tag("@effect-wechatpay/core/WechatPayClient")<WechatPayClient, Service>() {}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Options {
  /** Default `https://api.mch.weixin.qq.com`. A path prefix, if any, is signed too. */
  readonly baseUrl?: string | undefined
  readonly userAgent?: string | undefined
  /**
   * Client-side request rate limit, in requests per second, shared by every
   * request (and every stream) of this client layer, retries included. Set it
   * below your WeChat Pay quota to avoid 429s altogether. Default: none.
   */
  readonly requestsPerSecond?: number | undefined
  /** Decorate the transport: a proxy, extra tracing, a test probe. */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * @since 0.1.0
 * @category Constants
 */
export const PRODUCTION_URL = "https://api.mch.weixin.qq.com"

/**
 * @since 0.1.0
 * @category Constants
 */
export const BACKUP_URL = "https://api2.mch.weixin.qq.com"

/**
 * A counter a progress display or a dashboard can read: requests sent again
 * after a transient failure. (Requests themselves are counted by the spans:
 * a metric update per request measurably slowed a listing.)
 *
 * @since 0.1.0
 * @category Metrics
 */
export const metrics = {
  retries: Metric.counter("wechatpay_request_retries", { description: "WeChat Pay requests sent again after a transient failure" })
}

const USER_AGENT = "effect-wechatpay/0.1.0"

const ErrorBody = Schema.parseJson(Schema.Struct({
  code: Schema.optional(Schema.String),
  message: Schema.optional(Schema.String),
  detail: Schema.optional(Schema.Unknown)
}))
const decodeErrorBody = Schema.decodeUnknownOption(ErrorBody)

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

/** Effect's own tracer: its spans go nowhere, so the client makes none under it. */
const defaultTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

const NOT_JSON: unique symbol = Symbol("NOT_JSON")
// A named function: profiles then show the parse as itself (bench/src/profile.ts).
const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return NOT_JSON
  }
}

const NO_HEADERS: Readonly<Record<string, string | undefined>> = {}
const release = (received: Received): string => {
  const body = received.body
  received.body = ""
  received.headers = NO_HEADERS
  return body
}

/**
 * Builds the client over the `HttpClient`, `Signer` and `ResponseVerifier` in
 * context, and the `Exchange`, when the platform provides one.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, WechatPayConfigError, HttpClient.HttpClient | Signer | ResponseVerifier> =>
  Effect.gen(function*() {
    const base = (options.baseUrl ?? PRODUCTION_URL).replace(/\/+$/, "")
    if (!URL.canParse(base) || !/^https?:$/.test(new URL(base).protocol)) {
      return yield* new WechatPayConfigError({ setting: "baseUrl", issue: "must be an http(s) URL" })
    }
    const signer = yield* Signer
    const verifier = yield* ResponseVerifier
    // One span per attempt is this client's (below); the transport's own, with an
    // attribute per header and propagation headers, would double the cost of tracing.
    const http = (options.transformClient ?? ((client: HttpClient.HttpClient) => client))(
      HttpClient.withTracerDisabledWhen(yield* HttpClient.HttpClient, () => true)
    )
    // A transformClient must see every request: the platform's Exchange is then not used.
    const exchange = options.transformClient === undefined
      ? Option.getOrUndefined(yield* Effect.serviceOption(Exchange))
      : undefined
    const userAgent = options.userAgent ?? USER_AGENT
    const rps = options.requestsPerSecond
    if (rps !== undefined && !(Number.isFinite(rps) && rps > 0)) {
      return yield* new WechatPayConfigError({ setting: "requestsPerSecond", issue: "must be a positive number" })
    }
    const limiter = rps === undefined ? undefined : yield* RateLimiter.make(rps)

    // Memory: Effect's `async`, `onExit` and `uninterruptibleMask` make, per call, a
    // closure V8 allocates in the old generation (internal/exchangeAttempt.ts), and
    // everything such a closure reaches survives young-generation GCs until the
    // next full GC. So the per-request path holds no page in a generator
    // (combinators, not `Effect.gen`), captures no response in a closure,
    // releases the body once parsed, builds its exchange outside this scope, and
    // makes a span only when a tracer records it.
    const execute = <A, I>(request: Request, schema: Schema.Schema<A, I, never>): Effect.Effect<A, WechatPayRequestError> =>
      Effect.flatMap(RetryPolicy, (policy) => {
        const query = request.query !== undefined && request.query.length > 0
          ? `?${Protocol.queryString(request.query)}`
          : ""
        // Parse once; sign exactly the path + query the transport will send.
        const url = new URL(base + request.path + query)
        const canonicalUrl = url.pathname + url.search
        const href = url.href
        const origin = url.origin
        const body = request.body ?? ""
        const context = { method: request.method, path: request.path }
        const timeoutError = (attempts: number) =>
          new WechatPayTransportError({
            ...context,
            reason: "Timeout",
            description: `no complete response within ${Duration.format(policy.timeout)}`,
            attempts
          })

        // The timeout covers the exchange only: signing and verifying are local
        // work that cannot hang, a silent server can.
        const overHttpClient = (headers: Record<string, string>, attemptNo: number) => {
          let httpRequest = HttpClientRequest.make(request.method)(href).pipe(HttpClientRequest.setHeaders(headers))
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
          return http.execute(httpRequest).pipe(
            Effect.flatMap((response) =>
              Effect.map(response.text, (text): Received => ({
                method: request.method,
                path: request.path,
                status: response.status,
                // `response.headers` builds a new object on every access: once is enough.
                headers: response.headers,
                body: text
              }))
            ),
            Effect.mapError(transportError),
            Effect.timeoutFail({ duration: policy.timeout, onTimeout: () => timeoutError(attemptNo) })
          )
        }
        const overExchange = (
          platform: Exchange["Type"],
          headers: Record<string, string>,
          attemptNo: number
        ): Effect.Effect<Received, WechatPayTransportError> =>
          Effect.flatMap(FiberRef.get(ExchangeAttempt.currentInFlight), (slot) =>
            ExchangeAttempt.run({
              platform,
              request: { method: request.method, origin, path: canonicalUrl, headers, body: request.body },
              path: request.path,
              timeout: policy.timeout,
              attempts: attemptNo
            }, slot))

        // A received response: verified, then returned (2xx) or a typed API error.
        const answerOf = (
          response: Received,
          attemptNo: number,
          traced: boolean
        ): Effect.Effect<Received, WechatPayRequestError> => {
          const requestId = response.headers["request-id"]
          let annotated: Effect.Effect<void> = Effect.void
          if (traced) {
            const attributes: Record<string, unknown> = { "http.response.status_code": response.status }
            if (requestId !== undefined) attributes["wechatpay.request_id"] = requestId
            annotated = Effect.annotateCurrentSpan(attributes)
          }
          if (response.status >= 200 && response.status < 300) {
            return Effect.zipRight(annotated, Effect.as(verifier.verify(response), response))
          }
          // An error answer that carries WeChat Pay's signature headers is verified
          // like any other; one with none (a gateway, a proxy) is kept, marked unverified.
          const signed = response.headers["wechatpay-signature"] !== undefined ||
            response.headers["wechatpay-serial"] !== undefined ||
            response.headers["wechatpay-timestamp"] !== undefined
          const failed = Effect.flatMap(Clock.currentTimeMillis, (now) => {
            const parsed = Option.getOrUndefined(decodeErrorBody(response.body))
            return Effect.fail(
              new WechatPayApiError({
                ...context,
                status: response.status,
                code: parsed?.code,
                serverMessage: parsed?.message,
                detail: parsed?.detail,
                requestId,
                verified: signed,
                attempts: attemptNo,
                retryAfterMillis: parseRetryAfter(response.headers["retry-after"], now)
              })
            )
          })
          return Effect.zipRight(annotated, signed ? Effect.zipRight(verifier.verify(response), failed) : failed)
        }

        const sendSigned = (attemptNo: number, traced: boolean): Effect.Effect<Received, WechatPayRequestError> =>
          Effect.flatMap(Clock.currentTimeMillis, (now) => {
            const timestamp = Math.floor(now / 1000)
            const nonce = Protocol.nonce()
            const message = Protocol.requestMessage(request.method, canonicalUrl, timestamp, nonce, body)
            return Effect.flatMap(signer.sign(message), (signature) => {
              const headers: Record<string, string> = {
                Authorization: Protocol.authorization({
                  mchid: signer.mchid,
                  serialNo: signer.serialNo,
                  nonce,
                  signature,
                  timestamp
                }),
                Accept: "application/json",
                "User-Agent": userAgent,
                "Wechatpay-Serial": verifier.acceptSerial
              }
              if (request.body !== undefined) headers["Content-Type"] = "application/json"
              const sent = exchange === undefined
                ? overHttpClient(headers, attemptNo)
                : overExchange(exchange, headers, attemptNo)
              return Effect.flatMap(sent, (response) => answerOf(response, attemptNo, traced))
            })
          })
        // A span per attempt, when a tracer records spans. Effect's built-in tracer
        // exports nothing, and a span costs memory per request (see above).
        const attempt = (attemptNo: number): Effect.Effect<Received, WechatPayRequestError> =>
          Effect.tracerWith((tracer) =>
            tracer === defaultTracer ? sendSigned(attemptNo, false) : sendSigned(attemptNo, true).pipe(
              Effect.withSpan("WechatPayClient.request", {
                kind: "client",
                // A stack trace per attempt costs more than the span itself.
                captureStackTrace: false,
                attributes: {
                  "http.request.method": request.method,
                  "url.path": request.path,
                  "wechatpay.attempt": attemptNo
                }
              })
            )
          )

        let attempts = 0
        const once = Effect.suspend(() => {
          attempts += 1
          const run = attempts > 1 ? Effect.zipRight(Metric.increment(metrics.retries), attempt(attempts)) : attempt(attempts)
          return limiter === undefined ? run : Effect.zipRight(limiter.take, run)
        })
        // The retry driver starts only after a first transient failure, which it is
        // then fed (replayed), so delays and counts are exactly Effect.retry's.
        const answered = Effect.catchIf(once, isTransient, (first) => {
          let replayed = false
          return Effect.suspend(() => replayed ? once : (replayed = true, Effect.fail(first))).pipe(
            Effect.retry({ schedule: cachedSchedule(policy), while: isTransient })
          )
        }).pipe(Effect.mapError((error) => withAttempts(error, attempts)))

        const decode = Schema.decodeUnknownEither(schema)
        return Effect.flatMap(answered, (answer): Effect.Effect<A, WechatPayDecodeError> => {
          const requestId = answer.headers["request-id"]
          const where = { method: request.method, path: request.path, status: answer.status, requestId }
          const json = parseJson(release(answer))
          if (json === NOT_JSON) {
            return Effect.fail(new WechatPayDecodeError({ ...where, where: "Json", issue: "the body is not valid JSON" }))
          }
          const decoded = decode(json)
          return Either.isRight(decoded) ? Effect.succeed(decoded.right) : Effect.fail(
            new WechatPayDecodeError({
              ...where,
              where: "Schema",
              issue: ParseResult.TreeFormatter.formatErrorSync(decoded.left)
            })
          )
        })
      })
    return WechatPayClient.of({ execute })
  })

/**
 * @since 0.1.0
 * @category Layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<WechatPayClient, WechatPayConfigError, HttpClient.HttpClient | Signer | ResponseVerifier> =>
  Layer.effect(WechatPayClient, make(options))

/**
 * The client with core's WebCrypto signer and verifier, from `Credentials`.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerWebCrypto = (
  options: Options = {}
): Layer.Layer<WechatPayClient, WechatPayConfigError, HttpClient.HttpClient | Credentials> =>
  layer(options).pipe(
    Layer.provide(Layer.merge(SignerModule.layerWebCrypto, ResponseVerifierModule.layerWebCrypto))
  )

/**
 * `Options` from configuration: `WECHATPAY_BASE_URL` (default production),
 * `WECHATPAY_REQUESTS_PER_SECOND` (default: no client-side limit).
 *
 * @since 0.1.0
 * @category Config
 */
export const config: Config.Config<Options> = Config.all({
  baseUrl: Config.string("WECHATPAY_BASE_URL").pipe(Config.withDefault(PRODUCTION_URL)),
  requestsPerSecond: Config.number("WECHATPAY_REQUESTS_PER_SECOND").pipe(
    Config.option,
    Config.map(Option.getOrUndefined)
  )
})

/**
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  input: Config.Config<Options> = config
): Layer.Layer<WechatPayClient, WechatPayConfigError, HttpClient.HttpClient | Signer | ResponseVerifier> =>
  Layer.unwrapEffect(Effect.map(Effect.mapError(input, fromConfigError), layer))
