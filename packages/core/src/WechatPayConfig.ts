/**
 * Every `WECHATPAY_*` setting, named once, with one rule for a value: a
 * setting that is unset or blank (only whitespace) counts as unset, a value
 * is trimmed (secrets excepted: a key is taken as written), and an error
 * names the variable, never its value. Core reads the values given as text;
 * `@effect-wechatpay/node` reads the same table and adds the `…_FILE`
 * variants (a path to a file holding the value). The CLI and the demo use
 * these names.
 *
 * | variable | meaning | read by |
 * | --- | --- | --- |
 * | `WECHATPAY_MCHID` | 商户号, the merchant id | core, node |
 * | `WECHATPAY_MERCHANT_SERIAL` | the merchant API certificate's serial (hex) | core, node |
 * | `WECHATPAY_PRIVATE_KEY` / `_FILE` | the merchant API private key: PEM text / a PEM file | core / node |
 * | `WECHATPAY_PUBLIC_KEY_ID` | `PUB_KEY_ID_…`, the WeChat Pay public key's id (public-key mode) | core, node |
 * | `WECHATPAY_PUBLIC_KEY` / `_FILE` | the WeChat Pay public key: PEM text / a PEM file | core / node |
 * | `WECHATPAY_PLATFORM_CERTS` / `WECHATPAY_PLATFORM_CERT_FILES` | platform certificates (certificate mode): PEM text (several blocks allowed) / comma-separated PEM files | core / node |
 * | `WECHATPAY_APIV3_KEY` / `_FILE` | the APIv3 key (32 characters): notifications, certificate downloads | core / node |
 * | `WECHATPAY_BASE_URL` | WeChat Pay's URL (default `https://api.mch.weixin.qq.com`) | core, node |
 * | `WECHATPAY_REQUESTS_PER_SECOND` | an optional client-side rate limit, a plain decimal | core, node |
 *
 * @example
 * ```ts
 * import { WechatPayConfig } from "@effect-wechatpay/core"
 *
 * const name = WechatPayConfig.variables.apiV3Key // "WECHATPAY_APIV3_KEY"
 * const mchid = WechatPayConfig.required(WechatPayConfig.variables.mchid)
 * ```
 *
 * @since 0.2.0
 */
import { Config, ConfigError, Either, Option, Redacted } from "effect"

/**
 * The names, one entry per setting (and per form of it).
 *
 * @since 0.2.0
 * @category Names
 */
export const variables = {
  mchid: "WECHATPAY_MCHID",
  merchantSerial: "WECHATPAY_MERCHANT_SERIAL",
  privateKey: "WECHATPAY_PRIVATE_KEY",
  privateKeyFile: "WECHATPAY_PRIVATE_KEY_FILE",
  publicKeyId: "WECHATPAY_PUBLIC_KEY_ID",
  publicKey: "WECHATPAY_PUBLIC_KEY",
  publicKeyFile: "WECHATPAY_PUBLIC_KEY_FILE",
  platformCerts: "WECHATPAY_PLATFORM_CERTS",
  platformCertFiles: "WECHATPAY_PLATFORM_CERT_FILES",
  apiV3Key: "WECHATPAY_APIV3_KEY",
  apiV3KeyFile: "WECHATPAY_APIV3_KEY_FILE",
  baseUrl: "WECHATPAY_BASE_URL",
  requestsPerSecond: "WECHATPAY_REQUESTS_PER_SECOND"
} as const

/**
 * @since 0.2.0
 * @category Names
 */
export type Variable = typeof variables[keyof typeof variables]

const isSet = (value: string) => value.trim() !== ""

/**
 * A required text setting, trimmed; blank is `is empty`.
 *
 * @since 0.2.0
 * @category Rules
 */
export const required = (name: Variable): Config.Config<string> =>
  Config.string(name).pipe(
    Config.mapOrFail((value) =>
      isSet(value) ? Either.right(value.trim()) : Either.left(ConfigError.InvalidData([], "is empty"))
    )
  )

/**
 * An optional text setting, trimmed; blank counts as unset.
 *
 * @since 0.2.0
 * @category Rules
 */
export const optional = (name: Variable): Config.Config<Option.Option<string>> =>
  Config.string(name).pipe(
    Config.option,
    Config.map((value) => Option.filter(Option.map(value, (text) => text.trim()), isSet))
  )

/**
 * A required secret, as written (not trimmed); blank is `is empty`.
 *
 * @since 0.2.0
 * @category Rules
 */
export const requiredRedacted = (name: Variable): Config.Config<Redacted.Redacted<string>> =>
  Config.redacted(name).pipe(
    Config.mapOrFail((value) =>
      isSet(Redacted.value(value)) ? Either.right(value) : Either.left(ConfigError.InvalidData([], "is empty"))
    )
  )

/**
 * An optional secret, as written; blank counts as unset.
 *
 * @since 0.2.0
 * @category Rules
 */
export const optionalRedacted = (name: Variable): Config.Config<Option.Option<Redacted.Redacted<string>>> =>
  Config.redacted(name).pipe(Config.option, Config.map(Option.filter((value) => isSet(Redacted.value(value)))))
