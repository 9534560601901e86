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
import { Config, ConfigError, Context, DefaultServices, Effect, Either, Layer, Option, Schema, Tracer } from "effect"
import type { Credentials } from "./Credentials.js"
import { fromConfigError } from "./Credentials.js"
import { Exchange } from "./Exchange.js"
import { answer } from "./internal/client/answer.js"
import * as Decode from "./internal/client/decode.js"
import { prepare, type Prepared } from "./internal/client/prepared.js"
import { retries, retrying } from "./internal/client/retry.js"
import { overExchange, overHttpClient, type Send } from "./internal/client/send.js"
import { type SignEnv, signedHeaders } from "./internal/client/sign.js"
import type { Received } from "./internal/exchangeAttempt.js"
import * as RateLimiter from "./internal/rateLimiter.js"
import { ResponseVerifier } from "./ResponseVerifier.js"
import * as ResponseVerifierModule from "./ResponseVerifier.js"
import { type Policy, RetryPolicy } from "./RetryPolicy.js"
import * as SensitiveFields from "./SensitiveFields.js"
import { Signer } from "./Signer.js"
import * as SignerModule from "./Signer.js"
import * as WechatPayConfig from "./WechatPayConfig.js"
import { WechatPayConfigError, type WechatPayRequestError } from "./WechatPayError.js"
import type { WechatPayRequest } from "./WechatPayRequest.js"

/**
 * A request before signing (see `WechatPayRequest`).
 *
 * @since 0.1.0
 * @category Models
 */
export type Request = WechatPayRequest

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
  /**
   * Sends `request` to an endpoint that answers no content (204): succeeds on
   * any verified 2xx, fails with a typed error otherwise.
   */
  readonly executeNoContent: (request: Request) => Effect.Effect<void, WechatPayRequestError>
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
  /**
   * The most bytes of an answer's body read, enforced while reading: a
   * larger answer fails with a transport error of reason `TooLarge`, not
   * retried. Default 16 MiB (a 200-item page is about 40 KiB).
   */
  readonly maxResponseBytes?: number | undefined
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
  retries
}

const USER_AGENT = "effect-wechatpay/0.1.0"
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/

/**
 * What is wrong with a base URL, or `undefined`: an http(s) URL without
 * credentials, query or fragment (they would mangle the signed path), and
 * plain `http://` only to a loopback host (the sandbox). The URL is never
 * echoed: it may carry a password.
 *
 * @since 0.2.0
 * @category Config
 */
export const baseUrlIssue = (url: string): string | undefined => {
  if (!URL.canParse(url)) return "must be an http(s) URL, e.g. https://api.mch.weixin.qq.com"
  const parsed = new URL(url)
  if (!/^https?:$/.test(parsed.protocol)) return "must be an http(s) URL, e.g. https://api.mch.weixin.qq.com"
  if (parsed.username !== "" || parsed.password !== "") return "must not carry a user name or password"
  if (parsed.search !== "" || parsed.hash !== "" || /[?#]/.test(url)) return "must not have a query or a fragment"
  if (parsed.protocol === "http:" && !LOOPBACK.test(parsed.hostname)) {
    return "plain http:// is allowed to a loopback host only (localhost, 127.0.0.1, [::1]); use https://"
  }
  return undefined
}

/**
 * The documented range of `requestsPerSecond`.
 *
 * @since 0.2.0
 * @category Config
 */
export const REQUESTS_PER_SECOND_RANGE = { min: 0.1, max: 10_000 } as const

/**
 * What is wrong with a rate, or `undefined`.
 *
 * @since 0.2.0
 * @category Config
 */
export const requestsPerSecondIssue = (rate: number): string | undefined =>
  Number.isFinite(rate) && rate >= REQUESTS_PER_SECOND_RANGE.min && rate <= REQUESTS_PER_SECOND_RANGE.max
    ? undefined
    : `must be a number of requests per second from ${REQUESTS_PER_SECOND_RANGE.min} to ${REQUESTS_PER_SECOND_RANGE.max}`

/** Effect's own tracer: its spans go nowhere, so the client makes none under it. */
const defaultTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

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
    const baseIssue = baseUrlIssue(base)
    if (baseIssue !== undefined) return yield* new WechatPayConfigError({ setting: "baseUrl", issue: baseIssue })
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
    const rateIssue = rps === undefined ? undefined : requestsPerSecondIssue(rps)
    if (rateIssue !== undefined) return yield* new WechatPayConfigError({ setting: "requestsPerSecond", issue: rateIssue })
    const limiter = rps === undefined ? undefined : yield* RateLimiter.make(rps)

    const env: SignEnv = { signer, userAgent, acceptSerial: verifier.acceptSerial }
    // The transport, chosen once.
    const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1024) {
      return yield* new WechatPayConfigError({ setting: "maxResponseBytes", issue: "must be an integer of at least 1024" })
    }
    const send: Send = exchange === undefined ? overHttpClient(http, maxBytes) : overExchange(exchange, maxBytes)

    // Memory: Effect's `async`, `onExit` and `uninterruptibleMask` make, per call, a
    // closure V8 allocates in the old generation (internal/exchangeAttempt.ts), and
    // everything such a closure reaches survives young-generation GCs until the
    // next full GC. So the per-request path holds no page in a generator
    // (combinators, not `Effect.gen`), captures no response in a closure,
    // releases the body once parsed, builds its exchange outside this scope, and
    // makes a span only when a tracer records it.
    const attemptOf = (request: Prepared, policy: Policy) => (attemptNo: number) => {
      const once = (traced: boolean): Effect.Effect<Received, WechatPayRequestError> =>
        Effect.flatMap(
          signedHeaders(env, request),
          (headers) =>
            Effect.flatMap(
              send(request, headers, attemptNo, policy.timeout),
              (response) => answer(verifier, response, attemptNo, traced)
            )
        )
      // A span per attempt, when a tracer records spans.
      return Effect.tracerWith((tracer) =>
        tracer === defaultTracer ? once(false) : once(true).pipe(
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
    }
    const answered = (request: Request): Effect.Effect<Received, WechatPayRequestError> =>
      Effect.flatMap(RetryPolicy, (policy) => {
        const prepared = prepare(base, request)
        return retrying(policy, prepared.retry, limiter?.take, attemptOf(prepared, policy))
      })

    const execute = <A, I>(request: Request, schema: Schema.Schema<A, I, never>): Effect.Effect<A, WechatPayRequestError> =>
      Effect.flatMap(answered(request), Decode.json(schema))
    const executeNoContent = (request: Request): Effect.Effect<void, WechatPayRequestError> =>
      Effect.flatMap(answered(request), Decode.noContent)
    return WechatPayClient.of({ execute, executeNoContent })
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
 * The client with core's WebCrypto signer, verifier and sensitive-field
 * encryption, from `Credentials`.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerWebCrypto = (
  options: Options = {}
): Layer.Layer<WechatPayClient | SensitiveFields.SensitiveFields, WechatPayConfigError, HttpClient.HttpClient | Credentials> =>
  Layer.merge(
    layer(options).pipe(
      Layer.provide(Layer.merge(SignerModule.layerWebCrypto, ResponseVerifierModule.layerWebCrypto))
    ),
    SensitiveFields.layerWebCrypto
  )

/**
 * `Options` from configuration: `WECHATPAY_BASE_URL` (default production),
 * `WECHATPAY_REQUESTS_PER_SECOND` (default: no client-side limit).
 *
 * @since 0.1.0
 * @category Config
 */
export const config: Config.Config<Options> = Config.all({
  baseUrl: WechatPayConfig.optional(WechatPayConfig.variables.baseUrl).pipe(
    Config.map(Option.getOrElse(() => PRODUCTION_URL))
  ),
  // A plain decimal: a number parser would read "0x10" as 16 and "1e-9" as a rate that never sends.
  requestsPerSecond: WechatPayConfig.optional(WechatPayConfig.variables.requestsPerSecond).pipe(
    Config.mapOrFail((text) =>
      Option.isNone(text)
        ? Either.right(undefined)
        : /^\d{1,6}(\.\d{1,6})?$/.test(text.value)
        ? Either.right(Number(text.value))
        : Either.left(
          ConfigError.InvalidData([], "must be a plain decimal number of requests per second, e.g. 150 or 2.5")
        )
    )
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
