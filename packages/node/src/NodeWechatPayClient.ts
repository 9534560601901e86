/**
 * The WeChat Pay client on Node: core's `WechatPayClient` over the
 * `node:crypto` signer and verifier and a keep-alive HTTP client.
 *
 * - `layer(options)` needs only `Credentials`;
 * - `layerConfig(options)` needs nothing: credentials and keys come from the
 *   environment (see `NodeKeys` for the variables) and `WECHATPAY_BASE_URL`
 *   (default `https://api.mch.weixin.qq.com`).
 *
 * @example
 * ```ts
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect, Stream } from "effect"
 * import { FaceCollections } from "@effect-wechatpay/core"
 * import { NodeWechatPayClient } from "@effect-wechatpay/node"
 *
 * const program = Effect.gen(function*() {
 *   const all = yield* Stream.runCollect(FaceCollections.allCollections("1234567"))
 *   yield* Effect.log(`${all.length} users to re-collect`)
 * })
 *
 * program.pipe(Effect.provide(NodeWechatPayClient.layerConfig()), NodeRuntime.runMain)
 * ```
 *
 * @since 0.1.0
 */
import { Credentials, type SensitiveFields, WechatPayClient, WechatPayError } from "@effect-wechatpay/core"
// The modules themselves, not the barrels: a barrel loads all of its package.
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import { Context, Effect, Layer } from "effect"
import * as Internal from "./internal/config.js"
import * as NodeExchange from "./NodeExchange.js"
import * as NodeResponseVerifier from "./NodeResponseVerifier.js"
import * as NodeSensitiveFields from "./NodeSensitiveFields.js"
import * as NodeSigner from "./NodeSigner.js"

/**
 * The `HttpClient`: `@effect/platform-node`'s undici client (keep-alive; its
 * dispatcher is closed with the layer's scope), loaded on its first request.
 * `layer` sends every request through `NodeExchange` (node:http), so unless a
 * `transformClient` option asks for the `HttpClient` path, neither
 * `NodeHttpClient` nor undici is ever loaded: they are 0.5 MB of JavaScript to
 * load and initialise, which a process (a CLI above all) would pay at start for
 * nothing. Measured on loopback, through this `HttpClient` pipeline: about
 * 190 µs per sequential request, against 350 µs for `NodeHttpClient.layer` with
 * a keep-alive agent and 600 µs with the default agent (a new connection per
 * request).
 *
 * @example
 * ```ts
 * import { HttpClient } from "@effect/platform"
 * import { Effect } from "effect"
 * import { NodeWechatPayClient } from "@effect-wechatpay/node"
 *
 * const status = HttpClient.get("https://api.mch.weixin.qq.com/v3/certificates").pipe(
 *   Effect.map((response) => response.status),
 *   Effect.provide(NodeWechatPayClient.layerHttpClient)
 * )
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerHttpClient: Layer.Layer<HttpClient.HttpClient> = Layer.scoped(
  HttpClient.HttpClient,
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    // Loaded and built once, on the first request, in this layer's scope.
    const undici = yield* Effect.cached(
      Effect.promise(() => import("@effect/platform-node/NodeHttpClient")).pipe(
        Effect.flatMap((module) => Layer.buildWithScope(module.layerUndici, scope)),
        Effect.map(Context.get(HttpClient.HttpClient))
      )
    )
    // `makeWith`, not `make`: the undici client makes the request's span itself, once.
    return HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
      (request) => Effect.flatMap(request, (request) => Effect.flatMap(undici, (client) => client.execute(request))),
      Effect.succeed
    )
  })
)

/**
 * The client with the Node signer and verifier over the `HttpClient` in
 * context: bring your own transport (a proxy agent, a recording client, the
 * sandbox's in-memory client).
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 * import { NodeKeys, NodeWechatPayClient } from "@effect-wechatpay/node"
 *
 * const OverFetch = NodeWechatPayClient.layerWithoutHttpClient().pipe(
 *   Layer.provide(Layer.merge(NodeKeys.layerConfig, FetchHttpClient.layer))
 * )
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerWithoutHttpClient = (
  options: WechatPayClient.Options = {}
): Layer.Layer<
  WechatPayClient.WechatPayClient | SensitiveFields.SensitiveFields,
  WechatPayError.WechatPayConfigError,
  Credentials.Credentials | HttpClient.HttpClient
> =>
  Layer.merge(
    WechatPayClient.layer(options).pipe(
      Layer.provide(Layer.merge(NodeSigner.layer, NodeResponseVerifier.layer))
    ),
    NodeSensitiveFields.layer
  )

/**
 * The client with the Node signer, verifier and transport (core's `Exchange`
 * over node:http keep-alive agents, and `layerHttpClient`, loaded only if
 * used); needs `Credentials`.
 *
 * @example
 * ```ts
 * import { Layer, Redacted } from "effect"
 * import { Credentials } from "@effect-wechatpay/core"
 * import { NodeWechatPayClient } from "@effect-wechatpay/node"
 *
 * const WechatPayLive = NodeWechatPayClient.layer({ baseUrl: "https://api2.mch.weixin.qq.com" }).pipe(
 *   Layer.provide(Credentials.layer({
 *     merchant: {
 *       mchid: "1900000001",
 *       serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
 *       privateKey: Redacted.make(process.env.MERCHANT_KEY_PEM ?? "")
 *     },
 *     verification: { publicKey: { id: "PUB_KEY_ID_0119000000012025010100000000000001", pem: "-----BEGIN PUBLIC KEY-----..." } }
 *   }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (
  options: WechatPayClient.Options = {}
): Layer.Layer<
  WechatPayClient.WechatPayClient | SensitiveFields.SensitiveFields,
  WechatPayError.WechatPayConfigError,
  Credentials.Credentials
> =>
  layerWithoutHttpClient(options).pipe(Layer.provide(Layer.merge(layerHttpClient, NodeExchange.layer)))

/**
 * Options of `layerConfig`: everything but the base URL, which comes from
 * `WECHATPAY_BASE_URL`.
 *
 * @example
 * ```ts
 * import type { NodeWechatPayClient } from "@effect-wechatpay/node"
 *
 * const options: NodeWechatPayClient.ConfigOptions = { userAgent: "my-school-app/1.0" }
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type ConfigOptions = Omit<WechatPayClient.Options, "baseUrl">

/**
 * The whole client from environment configuration (through Effect's `Config`,
 * so `Layer.setConfigProvider` can supply another source): credentials and
 * keys as described in `NodeKeys`, `WECHATPAY_BASE_URL` (default production),
 * `WECHATPAY_REQUESTS_PER_SECOND` (optional client-side rate limit).
 *
 * Any missing or malformed value fails the layer with a `WechatPayConfigError`
 * whose `setting` is the variable's name, e.g. `WECHATPAY_PRIVATE_KEY_FILE`;
 * no error carries a key or a file's contents.
 *
 * @example
 * ```ts
 * import { ConfigProvider, Effect, Layer, Stream } from "effect"
 * import { FaceCollections } from "@effect-wechatpay/core"
 * import { NodeWechatPayClient } from "@effect-wechatpay/node"
 *
 * // From the environment:
 * const WechatPayLive = NodeWechatPayClient.layerConfig()
 *
 * // From a map (tests, or another source):
 * const FromMap = NodeWechatPayClient.layerConfig().pipe(
 *   Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map([
 *     ["WECHATPAY_MCHID", "1900000001"],
 *     ["WECHATPAY_MERCHANT_SERIAL", "5157F09EFDC096DE15EBE81A47057A7232F1B8E1"],
 *     ["WECHATPAY_PRIVATE_KEY_FILE", "/etc/wechatpay/apiclient_key.pem"],
 *     ["WECHATPAY_PUBLIC_KEY_ID", "PUB_KEY_ID_0119000000012025010100000000000001"],
 *     ["WECHATPAY_PUBLIC_KEY_FILE", "/etc/wechatpay/pub_key.pem"]
 *   ]))))
 * )
 *
 * const program = Stream.runCollect(FaceCollections.allCollections("1234567")).pipe(Effect.provide(WechatPayLive))
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  options: ConfigOptions = {}
): Layer.Layer<WechatPayClient.WechatPayClient | SensitiveFields.SensitiveFields, WechatPayError.WechatPayConfigError> =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const loaded = yield* Internal.loadCredentialsConfig
    const baseUrl = yield* Internal.loadBaseUrl
    const requestsPerSecond = options.requestsPerSecond ?? (yield* Internal.loadRequestsPerSecond)
    return layer({ ...options, baseUrl, requestsPerSecond }).pipe(
      Layer.provide(Layer.succeed(Credentials.Credentials, loaded.credentials)),
      Layer.mapError(loaded.rename)
    )
  }))
