/**
 * What a notification receiver needs on Node, from the environment: the
 * verification keys (the same variables as the client: `WECHATPAY_PUBLIC_KEY_ID`
 * with `WECHATPAY_PUBLIC_KEY_FILE`, and/or `WECHATPAY_PLATFORM_CERT_FILES`,
 * see `NodeKeys`), the APIv3 key (`WECHATPAY_APIV3_KEY` or
 * `WECHATPAY_APIV3_KEY_FILE`) and an in-memory `NotificationStore`.
 *
 * @example
 * ```ts
 * import { HttpRouter, HttpServer } from "@effect/platform"
 * import { NodeHttpServer } from "@effect/platform-node"
 * import { Effect, Layer } from "effect"
 * import { NotificationHandler } from "@effect-wechatpay/core"
 * import { NodeNotifications } from "@effect-wechatpay/node"
 * import { createServer } from "node:http"
 *
 * const app = HttpRouter.empty.pipe(
 *   HttpRouter.post("/wechatpay/notify", NotificationHandler.httpApp((event) => Effect.log(event.eventType)))
 * )
 * const Main = HttpServer.serve(app).pipe(
 *   Layer.provide(NodeNotifications.layerConfig()),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 8080 }))
 * )
 * ```
 *
 * @since 0.2.0
 */
import { ApiV3Key, type NotificationStore, NotificationStore as Store, type ResponseVerifier, type WechatPayError } from "@effect-wechatpay/core"
import { type Effect, Layer, type Redacted } from "effect"
import * as Internal from "./internal/config.js"
import * as NodeKeys from "./NodeKeys.js"
import * as NodeResponseVerifier from "./NodeResponseVerifier.js"

/**
 * The APIv3 key from `WECHATPAY_APIV3_KEY` or the file named by
 * `WECHATPAY_APIV3_KEY_FILE` (one of them; a trailing line break in the file
 * is not part of the key), checked for 32 bytes.
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerApiV3KeyConfig: Layer.Layer<ApiV3Key.ApiV3Key, WechatPayError.WechatPayConfigError> = Layer.effect(
  ApiV3Key.ApiV3Key,
  Internal.loadApiV3Key
)

/**
 * Verification keys, the APIv3 key and an in-memory store of handled ids
 * (`capacity`, default `NotificationStore.DEFAULT_CAPACITY`), all from the
 * environment.
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerConfig = (
  options: { readonly capacity?: number | undefined } = {}
): Layer.Layer<
  ResponseVerifier.ResponseVerifier | ApiV3Key.ApiV3Key | NotificationStore.NotificationStore,
  WechatPayError.WechatPayConfigError
> =>
  Layer.mergeAll(
    NodeResponseVerifier.layer.pipe(Layer.provide(NodeKeys.layerConfig)),
    layerApiV3KeyConfig,
    Store.layerMemory(options)
  )

/**
 * Reads the APIv3 key as `layerApiV3KeyConfig` does.
 *
 * @since 0.2.0
 * @category Config
 */
export const loadApiV3Key: Effect.Effect<Redacted.Redacted<string>, WechatPayError.WechatPayConfigError> =
  Internal.loadApiV3Key
