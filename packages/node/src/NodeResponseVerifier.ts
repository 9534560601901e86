/**
 * A `node:crypto` response verifier. The checks (headers, probe signatures,
 * clock window, serial → key) are core's `ResponseVerifier.make`; the keys
 * (WeChat Pay public key by its `PUB_KEY_ID_…`, platform certificates by their
 * serials, via `ResponseVerifier.decodeKeys`) become `KeyObject`s once, and
 * each signature is checked with the synchronous `crypto.verify`.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Credentials } from "@effect-wechatpay/core"
 * import { NodeResponseVerifier } from "@effect-wechatpay/node"
 *
 * const VerifierLive = NodeResponseVerifier.layer.pipe(Layer.provide(Credentials.layerConfig()))
 * ```
 *
 * @since 0.1.0
 */
import { Credentials, ResponseVerifier, WechatPayError } from "@effect-wechatpay/core"
import { Clock, Effect, Layer } from "effect"
import * as Crypto from "node:crypto"

/**
 * Verifier options.
 *
 * @example
 * ```ts
 * import type { NodeResponseVerifier } from "@effect-wechatpay/node"
 *
 * const options: NodeResponseVerifier.Options = { maxSkewSeconds: 120 }
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export interface Options {
  /** Allowed clock difference. Default 300 s; exactly this much is rejected. */
  readonly maxSkewSeconds?: number | undefined
}

/**
 * SHA256withRSA (PKCS#1 v1.5) verification with `node:crypto`. A signature of
 * the wrong length or otherwise unusable is simply invalid (`false`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { createPublicKey } from "node:crypto"
 * import { NodeResponseVerifier } from "@effect-wechatpay/node"
 *
 * declare const pem: string
 * declare const message: Uint8Array
 * declare const signature: Uint8Array
 * const valid: Effect.Effect<boolean> = NodeResponseVerifier.verifySignature(createPublicKey(pem), message, signature)
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const verifySignature = (
  key: Crypto.KeyObject,
  message: Uint8Array,
  signature: Uint8Array
): Effect.Effect<boolean> =>
  Effect.sync(() => {
    try {
      return Crypto.verify("sha256", message, key, signature)
    } catch {
      return false
    }
  })

/**
 * The `node:crypto` primitive for verifiers over keys that arrive at run time
 * (`PlatformCertificates`): SPKI → `KeyObject`, then {@link verifySignature}.
 *
 * @example
 * ```ts
 * import { PlatformCertificates } from "@effect-wechatpay/core"
 * import { NodeResponseVerifier } from "@effect-wechatpay/node"
 *
 * const once = PlatformCertificates.download({}, NodeResponseVerifier.crypto)
 * ```
 *
 * @since 0.2.0
 * @category Constructors
 */
export const crypto: ResponseVerifier.VerifierCrypto<Crypto.KeyObject> = {
  importKey: (spki, id) =>
    Effect.try({
      try: () => {
        const key = Crypto.createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" })
        if (key.asymmetricKeyType !== "rsa") throw new TypeError("not RSA")
        return key
      },
      catch: () =>
        new WechatPayError.WechatPayConfigError({
          setting: `verification key ${id}`,
          issue: "not an RSA public key Node accepts"
        })
    }),
  verifySignature
}

/**
 * Builds the verifier; keys are decoded and turned into `KeyObject`s here, once.
 * A key Node cannot use fails with a `WechatPayConfigError` naming the setting
 * (`verification.publicKey.pem` or `verification.platformCertificates`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NodeResponseVerifier } from "@effect-wechatpay/node"
 *
 * declare const publicKeyPem: string
 * const program = Effect.gen(function*() {
 *   const verifier = yield* NodeResponseVerifier.make({
 *     publicKey: { id: "PUB_KEY_ID_0119000000012025010100000000000001", pem: publicKeyPem }
 *   })
 *   // verifier.acceptSerial === "PUB_KEY_ID_0119000000012025010100000000000001"
 *   return verifier
 * })
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (
  verification: Credentials.VerificationKeys,
  options: Options = {}
): Effect.Effect<ResponseVerifier.Service, WechatPayError.WechatPayConfigError> =>
  Effect.gen(function*() {
    const decoded = yield* ResponseVerifier.decodeKeys(verification, yield* Clock.currentTimeMillis)
    const keys = yield* Effect.forEach(decoded.keys, (entry) =>
      Effect.try({
        try: () => {
          const key = Crypto.createPublicKey({ key: Buffer.from(entry.key), format: "der", type: "spki" })
          if (key.asymmetricKeyType !== "rsa") throw new TypeError("not RSA")
          return { ...entry, key }
        },
        catch: () =>
          new WechatPayError.WechatPayConfigError({
            setting: entry.id === verification.publicKey?.id
              ? "verification.publicKey.pem"
              : "verification.platformCertificates",
            issue: `the key for ${entry.id} is not an RSA public key Node accepts`
          })
      }))
    return ResponseVerifier.make({
      keys,
      acceptSerial: decoded.acceptSerial,
      verifySignature,
      ...(options.maxSkewSeconds === undefined ? {} : { maxSkewSeconds: options.maxSkewSeconds })
    })
  })

/**
 * The `node:crypto` verifier from `Credentials`.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Credentials } from "@effect-wechatpay/core"
 * import { NodeResponseVerifier } from "@effect-wechatpay/node"
 *
 * const VerifierLive = NodeResponseVerifier.layer.pipe(Layer.provide(Credentials.layerConfig()))
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer: Layer.Layer<
  ResponseVerifier.ResponseVerifier,
  WechatPayError.WechatPayConfigError,
  Credentials.Credentials
> = Layer.effect(
  ResponseVerifier.ResponseVerifier,
  Effect.flatMap(Credentials.Credentials, (credentials) => make(credentials.verification))
)

/**
 * Like `layer`, with options (a different clock window).
 *
 * @example
 * ```ts
 * import { NodeResponseVerifier } from "@effect-wechatpay/node"
 *
 * const Strict = NodeResponseVerifier.layerWith({ maxSkewSeconds: 60 })
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerWith = (
  options: Options
): Layer.Layer<ResponseVerifier.ResponseVerifier, WechatPayError.WechatPayConfigError, Credentials.Credentials> =>
  Layer.effect(
    ResponseVerifier.ResponseVerifier,
    Effect.flatMap(Credentials.Credentials, (credentials) => make(credentials.verification, options))
  )
