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
import { Config, ConfigError, Context, Effect, Either, Layer, Option, Schema } from "effect"
import type { Credentials } from "./Credentials.js"
import { fromConfigError } from "./Credentials.js"
import { answer } from "./internal/client/answer.js"
import * as Decode from "./internal/client/decode.js"
import * as Pipeline from "./internal/client/pipeline.js"
import { retries } from "./internal/client/retry.js"
import type { Received } from "./internal/exchangeAttempt.js"
import { ResponseVerifier } from "./ResponseVerifier.js"
import * as ResponseVerifierModule from "./ResponseVerifier.js"
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
  /**
   * Optional. Signs `request` ahead of time, while the process would
   * otherwise wait (once the requests of the current tick have left), so that
   * executing it within a few seconds sends that signature instead of signing
   * then. Sends nothing: a request never executed costs its signature only.
   * Listings call it for their next page while a page is in flight
   * (`Paging.offset`'s `ahead`). Used by a request's first attempt only,
   * fresh (10 s), for the exact method, URL and body it signs; a request with
   * headers of its own is not signed ahead. A test double may leave it out.
   *
   * @example
   * ```ts
   * import { WechatPayClient } from "@effect-wechatpay/core"
   * import { Effect } from "effect"
   *
   * const next = { method: "GET" as const, path: "/v3/offlineface/face-collections", query: [["organization_id", "org-1"], ["offset", "50"], ["limit", "50"]] as const }
   * const program = Effect.gen(function*() {
   *   const client = yield* WechatPayClient.WechatPayClient
   *   if (client.signAhead !== undefined) yield* client.signAhead(next)
   * })
   * ```
   */
  readonly signAhead?: ((request: Request) => Effect.Effect<void>) | undefined
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

/**
 * What is wrong with a base URL, or `undefined`: an http(s) URL without
 * credentials, query or fragment (they would mangle the signed path), and
 * plain `http://` only to a loopback host (the sandbox). The URL is never
 * echoed: it may carry a password.
 *
 * @since 0.2.0
 * @category Config
 */
export const baseUrlIssue: (url: string) => string | undefined = Pipeline.baseUrlIssue

/**
 * The documented range of `requestsPerSecond`.
 *
 * @since 0.2.0
 * @category Config
 */
export const REQUESTS_PER_SECOND_RANGE: { readonly min: 0.1; readonly max: 10_000 } = Pipeline.REQUESTS_PER_SECOND_RANGE

/**
 * What is wrong with a rate, or `undefined`.
 *
 * @since 0.2.0
 * @category Config
 */
export const requestsPerSecondIssue: (rate: number) => string | undefined = Pipeline.requestsPerSecondIssue

/**
 * Builds the client over the `HttpClient`, `Signer` and `ResponseVerifier` in
 * context, and the `Exchange`, when the platform provides one. A verifier
 * over a rotating set (`PlatformCertificates`) names its current serial at
 * each attempt (`acceptSerialAt`).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (
  options: Options = {}
): Effect.Effect<Service, WechatPayConfigError, HttpClient.HttpClient | Signer | ResponseVerifier> =>
  Effect.gen(function*() {
    const verifier = yield* ResponseVerifier
    const { run, signAhead } = yield* Pipeline.make(options, verifier.acceptSerialAt ?? verifier.acceptSerial)
    // Every answer is verified before anything reads it.
    const check: Pipeline.Check<Received> = (response, attemptNo, traced) => answer(verifier, response, attemptNo, traced)
    const execute = <A, I>(request: Request, schema: Schema.Schema<A, I, never>): Effect.Effect<A, WechatPayRequestError> =>
      Effect.flatMap(run(request, check), Decode.json(schema))
    const executeNoContent = (request: Request): Effect.Effect<void, WechatPayRequestError> =>
      Effect.flatMap(run(request, check), Decode.noContent)
    return WechatPayClient.of({ execute, executeNoContent, signAhead })
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
