/**
 * Who the caller is (merchant id, merchant API certificate serial, merchant
 * private key) and which WeChat Pay keys responses are verified with.
 *
 * Verification keys come in two kinds, alone or together (the migration case):
 * - public-key mode (微信支付公钥): an id `PUB_KEY_ID_…` and a PEM public key;
 * - platform-certificate mode (平台证书): PEM certificates, each keyed by its own serial.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { Credentials } from "@effect-wechatpay/core"
 *
 * const CredentialsLive = Credentials.layer({
 *   merchant: {
 *     mchid: "1900000001",
 *     serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
 *     privateKey: Redacted.make(process.env.MERCHANT_KEY_PEM ?? "")
 *   },
 *   verification: { publicKey: { id: "PUB_KEY_ID_0119000000012025010100000000000001", pem: "-----BEGIN PUBLIC KEY-----..." } }
 * })
 * ```
 *
 * @since 0.1.0
 */
import { Config, ConfigError, Context, Effect, Either, Layer, Option, Redacted } from "effect"
import * as Pem from "./internal/pem.js"
import * as WechatPayConfig from "./WechatPayConfig.js"
import { WechatPayConfigError } from "./WechatPayError.js"

/**
 * @since 0.1.0
 * @category Models
 */
export interface MerchantCredentials {
  /** 商户号: the merchant or service-provider number that owns the key (the caller). */
  readonly mchid: string
  /** 商户API证书序列号: serial of the merchant API certificate, hex (`make` writes it in upper case). */
  readonly serialNo: string
  /** 商户API私钥: PEM (PKCS#8 `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`). */
  readonly privateKey: Redacted.Redacted<string>
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface VerificationKeys {
  /** 微信支付公钥 and its id (`PUB_KEY_ID_…`). */
  readonly publicKey?: { readonly id: string; readonly pem: string } | undefined
  /** 平台证书: PEM texts; each may hold several certificates. Keep old and new during rotation. */
  readonly platformCertificates?: ReadonlyArray<string> | undefined
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service {
  readonly merchant: MerchantCredentials
  readonly verification: VerificationKeys
}

/**
 * @since 0.1.0
 * @category Context
 */
export class Credentials extends Context.Tag("@effect-wechatpay/core/Credentials")<Credentials, Service>() {}

const PUB_KEY_ID = /^PUB_KEY_ID_[0-9A-Za-z_]+$/

/**
 * @since 0.2.0
 * @category Models
 */
export interface MakeOptions {
  /**
   * Whether a WeChat Pay verification key must be configured. Default `true`;
   * `false` for certificate mode with downloaded certificates
   * (`PlatformCertificates`), which needs none to start.
   */
  readonly requireVerification?: boolean | undefined
}

/**
 * Checks the shape of every value (never printing one) and returns them.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { Credentials } from "@effect-wechatpay/core"
 *
 * // Certificate mode, certificates downloaded at start: no verification key yet.
 * const checked = Credentials.make({
 *   merchant: { mchid: "1900000001", serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1", privateKey: Redacted.make("…") },
 *   verification: {}
 * }, { requireVerification: false })
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (input: Service, options: MakeOptions = {}): Effect.Effect<Service, WechatPayConfigError> =>
  Effect.gen(function*() {
    const fail = (setting: string, issue: string) => Effect.fail(new WechatPayConfigError({ setting, issue }))
    if (!/^\d{1,32}$/.test(input.merchant.mchid)) {
      return yield* fail("merchant.mchid", "must be the merchant number (digits)")
    }
    if (!/^[0-9A-Fa-f]{1,64}$/.test(input.merchant.serialNo)) {
      return yield* fail(
        "merchant.serialNo",
        "must be the merchant API certificate serial: 1 to 64 hexadecimal digits (0-9, A-F), as in 5157F09EFDC0…"
      )
    }
    const privateKey = Pem.privateKeyDer(Redacted.value(input.merchant.privateKey))
    if (Either.isLeft(privateKey)) return yield* fail("merchant.privateKey", privateKey.left)
    const { platformCertificates, publicKey } = input.verification
    if (
      options.requireVerification !== false && publicKey === undefined &&
      (platformCertificates === undefined || platformCertificates.length === 0)
    ) {
      return yield* fail(
        "verification",
        "no WeChat Pay verification key: configure the WeChat Pay public key (PUB_KEY_ID_…) or platform certificates"
      )
    }
    if (publicKey !== undefined) {
      if (!PUB_KEY_ID.test(publicKey.id)) {
        return yield* fail("verification.publicKey.id", "must look like PUB_KEY_ID_0119…")
      }
      const der = Pem.publicKeyDer(publicKey.pem)
      if (Either.isLeft(der)) return yield* fail("verification.publicKey.pem", der.left)
    }
    for (const [index, pem] of (platformCertificates ?? []).entries()) {
      const certs = Pem.certificates(pem)
      if (Either.isLeft(certs)) return yield* fail(`verification.platformCertificates[${index}]`, certs.left)
    }
    // WeChat Pay writes serials in upper case; the Authorization header carries this one.
    const serialNo = input.merchant.serialNo.toUpperCase()
    return serialNo === input.merchant.serialNo ? input : { ...input, merchant: { ...input.merchant, serialNo } }
  })

/**
 * @since 0.1.0
 * @category Layers
 */
export const layer = (input: Service, options: MakeOptions = {}): Layer.Layer<Credentials, WechatPayConfigError> =>
  Layer.effect(Credentials, make(input, options))

const V = WechatPayConfig.variables

/**
 * Reads PEM texts from configuration (environment variables by default):
 * `WECHATPAY_MCHID`, `WECHATPAY_MERCHANT_SERIAL`, `WECHATPAY_PRIVATE_KEY` (PEM),
 * `WECHATPAY_PUBLIC_KEY_ID` + `WECHATPAY_PUBLIC_KEY` (PEM), `WECHATPAY_PLATFORM_CERTS` (PEM).
 * `@effect-wechatpay/node` adds the `…_FILE` variants.
 *
 * @since 0.1.0
 * @category Config
 */
export const config: Config.Config<Service> = Config.all({
  mchid: WechatPayConfig.required(V.mchid),
  serialNo: WechatPayConfig.required(V.merchantSerial),
  privateKey: WechatPayConfig.requiredRedacted(V.privateKey),
  publicKeyId: WechatPayConfig.optional(V.publicKeyId),
  publicKey: WechatPayConfig.optional(V.publicKey),
  platformCerts: WechatPayConfig.optional(V.platformCerts)
}).pipe(
  Config.mapOrFail(({ mchid, platformCerts, privateKey, publicKey, publicKeyId, serialNo }) => {
    if (Option.isSome(publicKeyId) !== Option.isSome(publicKey)) {
      return Either.left(ConfigError.InvalidData(
        [Option.isSome(publicKeyId) ? V.publicKey : V.publicKeyId],
        `${V.publicKeyId} and ${V.publicKey} go together`
      ))
    }
    return Either.right({
      merchant: { mchid, serialNo, privateKey },
      verification: {
        publicKey: Option.isSome(publicKeyId) && Option.isSome(publicKey)
          ? { id: publicKeyId.value, pem: publicKey.value }
          : undefined,
        platformCertificates: Option.isSome(platformCerts) ? [platformCerts.value] : undefined
      }
    })
  })
)

/**
 * A `ConfigError` as a `WechatPayConfigError` naming the variable, never its value.
 *
 * @since 0.1.0
 * @category Errors
 */
export const fromConfigError = (error: ConfigError.ConfigError): WechatPayConfigError => {
  const name = (path: ReadonlyArray<string>) => path.join(".") || "configuration"
  const first = ConfigError.reduceWithContext(error, undefined, {
    andCase: (_, left: { setting: string; issue: string } | undefined, right) => left ?? right,
    orCase: (_, left, right) => left ?? right,
    invalidDataCase: (_, path, message) => ({ setting: name(path), issue: message }),
    missingDataCase: (_, path) => ({ setting: name(path), issue: "is not set" }),
    sourceUnavailableCase: (_, path, message) => ({ setting: name(path), issue: message }),
    unsupportedCase: (_, path, message) => ({ setting: name(path), issue: message })
  })
  return new WechatPayConfigError(first ?? { setting: "configuration", issue: "invalid" })
}

/**
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  input: Config.Config<Service> = config
): Layer.Layer<Credentials, WechatPayConfigError> =>
  Layer.effect(
    Credentials,
    input.pipe(Effect.mapError(fromConfigError), Effect.flatMap(make))
  )
