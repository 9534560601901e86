/**
 * The APIv3 key (APIv3 密钥): the 32-character secret shared with WeChat Pay
 * that decrypts notification resources and downloaded platform certificates
 * (`AEAD_AES_256_GCM`, spec: wechatpay-apiv3.md §4). It is held as `Redacted`
 * from the moment it is read and is named, never shown, in every error.
 *
 * Core reads it from `WECHATPAY_APIV3_KEY`; `@effect-wechatpay/node` adds
 * `WECHATPAY_APIV3_KEY_FILE` (`NodeApiV3Key.layerConfig`).
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { ApiV3Key } from "@effect-wechatpay/core"
 *
 * // From the environment (`WECHATPAY_APIV3_KEY`):
 * const fromEnv = ApiV3Key.layerConfig()
 * // Or a value you hold already:
 * const fromValue = ApiV3Key.layer(Redacted.make("TestOnlyApiV3Key0123456789abcdef"))
 * ```
 *
 * @since 0.2.0
 */
import { Config, Context, Effect, Either, Layer, Redacted } from "effect"
import { fromConfigError } from "./Credentials.js"
import * as WechatPayConfig from "./WechatPayConfig.js"
import { WechatPayConfigError } from "./WechatPayError.js"

/**
 * @since 0.2.0
 * @category Context
 */
export class ApiV3Key extends Context.Tag("@effect-wechatpay/core/ApiV3Key")<ApiV3Key, Redacted.Redacted<string>>() {}

/**
 * The environment variable core reads.
 *
 * @since 0.2.0
 * @category Config
 */
export const VARIABLE = WechatPayConfig.variables.apiV3Key

/**
 * What is wrong with a candidate key, or `undefined` when it is usable: 32
 * bytes as UTF-8 (WeChat Pay's keys are 32 ASCII characters), taken as they
 * are (a key is not trimmed: a space would be part of it).
 *
 * @since 0.2.0
 * @category Validation
 */
export const issue = (key: Redacted.Redacted<string>): string | undefined => {
  const value = Redacted.value(key)
  if (value.length === 0) return "is empty"
  const bytes = new TextEncoder().encode(value).length
  return bytes === 32 ? undefined : `must be 32 bytes (the APIv3 key set in the merchant platform), got ${bytes}`
}

/**
 * Checks a key ({@link issue}); `setting` names where it came from in the error.
 *
 * @since 0.2.0
 * @category Constructors
 */
export const make = (
  key: Redacted.Redacted<string>,
  setting: string = VARIABLE
): Either.Either<Redacted.Redacted<string>, WechatPayConfigError> => {
  const problem = issue(key)
  return problem === undefined ? Either.right(key) : Either.left(new WechatPayConfigError({ setting, issue: problem }))
}

/**
 * @since 0.2.0
 * @category Layers
 */
export const layer = (key: Redacted.Redacted<string>): Layer.Layer<ApiV3Key, WechatPayConfigError> =>
  Layer.effect(ApiV3Key, make(key, "apiV3Key"))

/**
 * The key from `Config` (by default `WECHATPAY_APIV3_KEY`), checked.
 *
 * @since 0.2.0
 * @category Config
 */
export const config = (name: WechatPayConfig.Variable = VARIABLE): Config.Config<Redacted.Redacted<string>> =>
  WechatPayConfig.requiredRedacted(name).pipe(Config.validate({ message: "must be 32 bytes", validation: (key) => issue(key) === undefined }))

/**
 * @since 0.2.0
 * @category Layers
 */
export const layerConfig = (name: WechatPayConfig.Variable = VARIABLE): Layer.Layer<ApiV3Key, WechatPayConfigError> =>
  Layer.effect(
    ApiV3Key,
    Effect.flatMap(Effect.mapError(WechatPayConfig.requiredRedacted(name), fromConfigError), (key) => make(key, name))
  )
