/**
 * `node:crypto` encryption of sensitive request fields: RSA-OAEP with SHA-1
 * and MGF1-SHA-1 (`crypto.publicEncrypt`, `oaepHash: "sha1"`). The choice of
 * key and the schema are core's `SensitiveFields`; the keys become
 * `KeyObject`s once, here.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Credentials } from "@effect-wechatpay/core"
 * import { NodeSensitiveFields } from "@effect-wechatpay/node"
 *
 * const SensitiveFieldsLive = NodeSensitiveFields.layer.pipe(Layer.provide(Credentials.layerConfig()))
 * ```
 *
 * @since 0.2.0
 */
import { Credentials, SensitiveFields, WechatPayError } from "@effect-wechatpay/core"
import { Effect, Layer } from "effect"
import * as Crypto from "node:crypto"

/**
 * Builds the service over the configured WeChat Pay public key and platform
 * certificates.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NodeSensitiveFields } from "@effect-wechatpay/node"
 *
 * declare const pem: string
 * const service = NodeSensitiveFields.make({ publicKey: { id: "PUB_KEY_ID_0119000000012025010100000000000001", pem } })
 * ```
 *
 * @since 0.2.0
 * @category Constructors
 */
export const make = (
  verification: Credentials.VerificationKeys
): Effect.Effect<SensitiveFields.Service, WechatPayError.WechatPayConfigError> =>
  SensitiveFields.make<Crypto.KeyObject>(verification, crypto)

/**
 * The `node:crypto` primitive: SPKI → `KeyObject`, `crypto.publicEncrypt` with OAEP-SHA1.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PlatformCertificates } from "@effect-wechatpay/core"
 * import { NodeSensitiveFields } from "@effect-wechatpay/node"
 *
 * const fields = Effect.flatMap(PlatformCertificates.PlatformCertificates, (certificates) =>
 *   PlatformCertificates.makeSensitiveFields(certificates, NodeSensitiveFields.crypto))
 * ```
 *
 * @since 0.2.0
 * @category Constructors
 */
export const crypto: SensitiveFields.EncryptCrypto<Crypto.KeyObject> = {
    importKey: (spki, serial) =>
      Effect.try({
        try: () => {
          const key = Crypto.createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" })
          const bits = key.asymmetricKeyDetails?.modulusLength
          if (key.asymmetricKeyType !== "rsa" || bits === undefined) throw new Error("not RSA")
          return { key, modulusBytes: bits / 8 }
        },
        catch: () =>
          new WechatPayError.WechatPayConfigError({ setting: `encryption key ${serial}`, issue: "not an RSA public key" })
      }),
    encrypt: (key, plaintext) =>
      Effect.try(() =>
        Crypto.publicEncrypt({ key, padding: Crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, plaintext)
      )
}

/**
 * @since 0.2.0
 * @category Layers
 */
export const layer: Layer.Layer<SensitiveFields.SensitiveFields, WechatPayError.WechatPayConfigError, Credentials.Credentials> =
  Layer.effect(
    SensitiveFields.SensitiveFields,
    Effect.flatMap(Credentials.Credentials, (credentials) => make(credentials.verification))
  )
