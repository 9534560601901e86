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
import type { HttpClient } from "@effect/platform"
// The module itself, not the barrel: the barrel loads all of platform-node (~0.2 s per process start).
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { Effect, Layer } from "effect"
import * as Internal from "./internal/config.js"
import * as NodeExchange from "./NodeExchange.js"
import * as NodeResponseVerifier from "./NodeResponseVerifier.js"
import * as NodeSensitiveFields from "./NodeSensitiveFields.js"
import * as NodeSigner from "./NodeSigner.js"

/**
 * The transport: `@effect/platform-node`'s undici client. Its dispatcher keeps
 * connections alive (one per layer, closed with the layer's scope). Measured on
 * loopback against `NodeHttpClient.layer` (an `http.Agent` without keep-alive:
 * a new connection per request) and the same with `keepAlive: true`: about
 * 190 µs per sequential request against 350 µs (keep-alive agent) and 600 µs
 * (default agent).
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
export const layerHttpClient: Layer.Layer<HttpClient.HttpClient> = NodeHttpClient.layerUndici

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
 * The client with the Node signer, verifier and transport (undici keep-alive,
 * as core's `Exchange` and as an `HttpClient`); needs `Credentials`.
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
