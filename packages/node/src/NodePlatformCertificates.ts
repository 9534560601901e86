/**
 * Certificate mode on Node with certificates that download and rotate
 * themselves: core's `PlatformCertificates` over `node:crypto`, the node:http
 * transport and the `WECHATPAY_*` configuration.
 *
 * `layerConfig` reads what `NodeWechatPayClient.layerConfig` reads (see
 * `NodeKeys`), except that no verification key is required, plus the APIv3
 * key (`WECHATPAY_APIV3_KEY` or `WECHATPAY_APIV3_KEY_FILE`). Certificates in
 * `WECHATPAY_PLATFORM_CERT_FILES`, if set, are held from the start (they
 * verify the first download too); a WeChat Pay public key, if set, is trusted
 * and preferred alongside (migration).
 *
 * @example
 * ```ts
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Effect } from "effect"
 * import { FaceCollections, PlatformCertificates } from "@effect-wechatpay/core"
 * import { NodePlatformCertificates } from "@effect-wechatpay/node"
 *
 * const program = Effect.gen(function*() {
 *   const held = yield* Effect.flatMap(PlatformCertificates.PlatformCertificates, (set) => set.current)
 *   yield* Effect.log(`holding ${held.map((cert) => cert.serial).join(", ")}`)
 *   yield* FaceCollections.getFaceCollection({ collectionId: "FC2353ZJIHOJKHOIIOIJ" })
 * })
 *
 * program.pipe(Effect.provide(NodePlatformCertificates.layerConfig()), NodeRuntime.runMain)
 * ```
 *
 * @since 0.2.0
 */
import {
  ApiV3Key,
  Credentials,
  PlatformCertificates,
  ResponseVerifier,
  SensitiveFields,
  type Signer,
  WechatPayClient,
  WechatPayError
} from "@effect-wechatpay/core"
import type * as HttpClient from "@effect/platform/HttpClient"
import { Effect, Layer, type Redacted } from "effect"
import * as Internal from "./internal/config.js"
import * as NodeExchange from "./NodeExchange.js"
import * as NodeResponseVerifier from "./NodeResponseVerifier.js"
import * as NodeSensitiveFields from "./NodeSensitiveFields.js"
import * as NodeSigner from "./NodeSigner.js"
import * as NodeWechatPayClient from "./NodeWechatPayClient.js"

/**
 * The rotating set; downloads verified with `node:crypto`.
 *
 * @example
 * ```ts
 * import { NodePlatformCertificates } from "@effect-wechatpay/node"
 *
 * const CertificatesLive = NodePlatformCertificates.layer({ refreshInterval: "24 hours" })
 * ```
 *
 * @since 0.2.0
 * @category Layers
 */
export const layer = (
  options: PlatformCertificates.Options = {}
): Layer.Layer<
  PlatformCertificates.PlatformCertificates,
  PlatformCertificates.DownloadError,
  HttpClient.HttpClient | Signer.Signer | ApiV3Key.ApiV3Key
> => Layer.scoped(PlatformCertificates.PlatformCertificates, PlatformCertificates.make(options, NodeResponseVerifier.crypto))

/**
 * The `node:crypto` response verifier over the `PlatformCertificates` in
 * context, reading the set on every response.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { NodePlatformCertificates } from "@effect-wechatpay/node"
 *
 * const VerifierLive = NodePlatformCertificates.layerResponseVerifier.pipe(Layer.provide(NodePlatformCertificates.layer()))
 * ```
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerResponseVerifier: Layer.Layer<
  ResponseVerifier.ResponseVerifier,
  WechatPayError.WechatPayConfigError,
  PlatformCertificates.PlatformCertificates
> = Layer.effect(
  ResponseVerifier.ResponseVerifier,
  Effect.flatMap(
    PlatformCertificates.PlatformCertificates,
    (set) => PlatformCertificates.makeResponseVerifier(set, NodeResponseVerifier.crypto)
  )
)

/**
 * `node:crypto` sensitive-field encryption over the `PlatformCertificates` in
 * context: the newest certificate valid at the moment of each request.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { NodePlatformCertificates } from "@effect-wechatpay/node"
 *
 * const FieldsLive = NodePlatformCertificates.layerSensitiveFields.pipe(Layer.provide(NodePlatformCertificates.layer()))
 * ```
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerSensitiveFields: Layer.Layer<
  SensitiveFields.SensitiveFields,
  WechatPayError.WechatPayConfigError,
  PlatformCertificates.PlatformCertificates
> = Layer.effect(
  SensitiveFields.SensitiveFields,
  Effect.flatMap(
    PlatformCertificates.PlatformCertificates,
    (set) => PlatformCertificates.makeSensitiveFields(set, NodeSensitiveFields.crypto)
  )
)

const clientOptionsOf = (options: PlatformCertificates.Options): WechatPayClient.Options => {
  const { certificates: _c, maxSkewSeconds: _m, publicKey: _p, refreshInterval: _r, ...client } = options
  return client
}

/**
 * The client in certificate mode over the transport in context: the rotating
 * set, the client verifying with it, sensitive fields encrypted with it. The
 * merchant key comes from `Credentials` (whose verification keys, if any, are
 * held from the start and trusted alongside).
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer, Redacted } from "effect"
 * import { ApiV3Key, Credentials } from "@effect-wechatpay/core"
 * import { NodePlatformCertificates } from "@effect-wechatpay/node"
 *
 * const merchant = {
 *   mchid: "1900000001",
 *   serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
 *   privateKey: Redacted.make(process.env.MERCHANT_KEY_PEM ?? "")
 * }
 * const WechatPayLive = NodePlatformCertificates.layerClientWithoutHttpClient().pipe(
 *   Layer.provide(Credentials.layer({ merchant, verification: {} }, { requireVerification: false })),
 *   Layer.provide(ApiV3Key.layerConfig()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * ```
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerClientWithoutHttpClient = (
  options: PlatformCertificates.Options = {}
): Layer.Layer<
  WechatPayClient.WechatPayClient | SensitiveFields.SensitiveFields | PlatformCertificates.PlatformCertificates,
  PlatformCertificates.DownloadError,
  Credentials.Credentials | ApiV3Key.ApiV3Key | HttpClient.HttpClient
> =>
  Layer.unwrapEffect(Effect.map(Credentials.Credentials, (credentials) => {
    const { platformCertificates, publicKey } = credentials.verification
    const setOptions: PlatformCertificates.Options = {
      ...options,
      certificates: options.certificates ?? platformCertificates,
      publicKey: options.publicKey ?? publicKey
    }
    return Layer.mergeAll(
      WechatPayClient.layer(clientOptionsOf(setOptions)).pipe(Layer.provide(Layer.effect(
        ResponseVerifier.ResponseVerifier,
        Effect.flatMap(PlatformCertificates.PlatformCertificates, (set) =>
          PlatformCertificates.makeResponseVerifier(set, NodeResponseVerifier.crypto, {
            maxSkewSeconds: setOptions.maxSkewSeconds
          }))
      ))),
      layerSensitiveFields
    ).pipe(
      Layer.provideMerge(layer(setOptions)),
      Layer.provide(NodeSigner.layer)
    )
  }))

/**
 * {@link layerClientWithoutHttpClient} over the node:http transport (NodeExchange).
 *
 * @example
 * ```ts
 * import { Layer, Redacted } from "effect"
 * import { ApiV3Key, Credentials } from "@effect-wechatpay/core"
 * import { NodePlatformCertificates } from "@effect-wechatpay/node"
 *
 * const merchant = {
 *   mchid: "1900000001",
 *   serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
 *   privateKey: Redacted.make(process.env.MERCHANT_KEY_PEM ?? "")
 * }
 * const WechatPayLive = NodePlatformCertificates.layerClient({ refreshInterval: "24 hours" }).pipe(
 *   Layer.provide(Credentials.layer({ merchant, verification: {} }, { requireVerification: false })),
 *   Layer.provide(ApiV3Key.layerConfig())
 * )
 * ```
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerClient = (
  options: PlatformCertificates.Options = {}
): Layer.Layer<
  WechatPayClient.WechatPayClient | SensitiveFields.SensitiveFields | PlatformCertificates.PlatformCertificates,
  PlatformCertificates.DownloadError,
  Credentials.Credentials | ApiV3Key.ApiV3Key
> =>
  layerClientWithoutHttpClient(options).pipe(
    Layer.provide(Layer.merge(NodeWechatPayClient.layerHttpClient, NodeExchange.layer))
  )

/**
 * What certificate mode reads from the environment: the credentials (no
 * verification key required), the APIv3 key, `WECHATPAY_BASE_URL` and
 * `WECHATPAY_REQUESTS_PER_SECOND`; and how to name a configuration error
 * after the variable that caused it.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NodePlatformCertificates } from "@effect-wechatpay/node"
 *
 * const mchid = Effect.map(NodePlatformCertificates.loadConfig, (loaded) => loaded.credentials.merchant.mchid)
 * ```
 *
 * @since 0.2.0
 * @category Config
 */
export const loadConfig: Effect.Effect<
  {
    readonly credentials: Credentials.Service
    readonly apiV3Key: Redacted.Redacted<string>
    readonly baseUrl: string
    readonly requestsPerSecond: number | undefined
    readonly rename: (error: WechatPayError.WechatPayConfigError) => WechatPayError.WechatPayConfigError
  },
  WechatPayError.WechatPayConfigError
> = Effect.gen(function*() {
  const loaded = yield* Internal.loadCredentialsConfigWith({ requireVerification: false })
  const apiV3Key = yield* Internal.loadApiV3Key
  const baseUrl = yield* Internal.loadBaseUrl
  const requestsPerSecond = yield* Internal.loadRequestsPerSecond
  return { credentials: loaded.credentials, apiV3Key, baseUrl, requestsPerSecond, rename: loaded.rename }
})

const renameConfig = (rename: (error: WechatPayError.WechatPayConfigError) => WechatPayError.WechatPayConfigError) =>
(error: PlatformCertificates.DownloadError): PlatformCertificates.DownloadError =>
  error._tag === "WechatPayConfigError" ? rename(error) : error

/**
 * The whole certificate-mode client from the environment (see the module's
 * description): the first download happens when the layer is built, and
 * fails it (a 404 `RESOURCE_NOT_EXISTS` is a `WechatPayConfigError` that
 * points to public-key mode).
 *
 * @example
 * ```ts
 * import { NodePlatformCertificates } from "@effect-wechatpay/node"
 *
 * const WechatPayLive = NodePlatformCertificates.layerConfig({ refreshInterval: "24 hours" })
 * ```
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerConfig = (
  options: Omit<PlatformCertificates.Options, "baseUrl"> = {}
): Layer.Layer<
  WechatPayClient.WechatPayClient | SensitiveFields.SensitiveFields | PlatformCertificates.PlatformCertificates,
  PlatformCertificates.DownloadError
> =>
  Layer.unwrapEffect(Effect.map(loadConfig, (loaded) =>
    layerClient({
      ...options,
      baseUrl: loaded.baseUrl,
      requestsPerSecond: options.requestsPerSecond ?? loaded.requestsPerSecond
    }).pipe(
      Layer.provide(Layer.merge(
        Layer.succeed(Credentials.Credentials, loaded.credentials),
        Layer.succeed(ApiV3Key.ApiV3Key, loaded.apiV3Key)
      )),
      Layer.mapError(renameConfig(loaded.rename))
    )))

/**
 * Downloads the certificates once with the environment's configuration, as
 * `effect-wechatpay certificates download` does: decrypted, the answer
 * verified, newest first.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NodePlatformCertificates } from "@effect-wechatpay/node"
 *
 * const serials = Effect.map(NodePlatformCertificates.downloadConfig, (list) => list.map((cert) => cert.serial))
 * ```
 *
 * @since 0.2.0
 * @category Download
 */
export const downloadConfig: Effect.Effect<
  ReadonlyArray<PlatformCertificates.PlatformCertificate>,
  PlatformCertificates.DownloadError
> = Effect.gen(function*() {
  const loaded = yield* loadConfig
  const { platformCertificates, publicKey } = loaded.credentials.verification
  return yield* PlatformCertificates.download({
    baseUrl: loaded.baseUrl,
    requestsPerSecond: loaded.requestsPerSecond,
    certificates: platformCertificates,
    publicKey
  }, NodeResponseVerifier.crypto).pipe(
    Effect.provide(Layer.mergeAll(
      NodeSigner.layer.pipe(Layer.provide(Layer.succeed(Credentials.Credentials, loaded.credentials))),
      Layer.succeed(ApiV3Key.ApiV3Key, loaded.apiV3Key),
      NodeWechatPayClient.layerHttpClient,
      NodeExchange.layer
    )),
    Effect.mapError(renameConfig(loaded.rename))
  )
})
