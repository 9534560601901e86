/**
 * Signs request messages with the merchant API private key (SHA256withRSA,
 * base64). Core's default uses WebCrypto (`globalThis.crypto.subtle`) and
 * imports the key once per layer; `@effect-wechatpay/node` provides a
 * `node:crypto` signer that is faster on Node.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Credentials, Signer } from "@effect-wechatpay/core"
 *
 * // A signer for tests that never touches a key:
 * const FakeSigner = Layer.succeed(Signer.Signer, Signer.make({
 *   mchid: "1900000001",
 *   serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
 *   sign: () => Effect.succeed("c2lnbmF0dXJl")
 * }))
 *
 * // The real one, from credentials:
 * const SignerLive = Signer.layerWebCrypto.pipe(Layer.provide(Credentials.layerConfig()))
 * ```
 *
 * @since 0.1.0
 */
import { Context, Effect, Either, Encoding, Layer, Redacted } from "effect"
import { Credentials, type MerchantCredentials } from "./Credentials.js"
import * as Pem from "./internal/pem.js"
import { WechatPayConfigError } from "./WechatPayError.js"

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service {
  /** 商户号 sent in `Authorization`. */
  readonly mchid: string
  /** Merchant API certificate serial sent in `Authorization` as `serial_no`. */
  readonly serialNo: string
  /** Base64 SHA256withRSA signature of a UTF-8 message. */
  readonly sign: (message: string) => Effect.Effect<string>
  /**
   * Optional: the same signature, made synchronously (a key held in
   * process). A client signing a request ahead (`WechatPayClient`'s
   * `signAhead`) calls it directly, outside any fiber; without it, it runs
   * `sign` in a fiber of its own for each such request. Throwing is a failure
   * to sign ahead: the request is then signed with `sign` when sent.
   */
  readonly signSync?: ((message: string) => string) | undefined
}

/**
 * @since 0.1.0
 * @category Context
 */
export class Signer extends Context.Tag("@effect-wechatpay/core/Signer")<Signer, Service>() {}

/**
 * @since 0.1.0
 * @category Constructors
 */
export const make = (service: Service): Service => Signer.of(service)

const ALGORITHM = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const

/**
 * A WebCrypto signer. The key is imported here, once; a malformed key fails
 * with a `WechatPayConfigError` that names the setting, not the key.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeWebCrypto = (
  merchant: MerchantCredentials
): Effect.Effect<Service, WechatPayConfigError> =>
  Effect.gen(function*() {
    const der = Pem.privateKeyDer(Redacted.value(merchant.privateKey))
    if (Either.isLeft(der)) {
      return yield* new WechatPayConfigError({ setting: "merchant.privateKey", issue: der.left })
    }
    const key = yield* Effect.tryPromise({
      try: () => globalThis.crypto.subtle.importKey("pkcs8", der.right, ALGORITHM, false, ["sign"]),
      catch: () =>
        new WechatPayConfigError({ setting: "merchant.privateKey", issue: "not an RSA private key WebCrypto accepts" })
    })
    const encoder = new TextEncoder()
    return make({
      mchid: merchant.mchid,
      serialNo: merchant.serialNo,
      sign: (message) =>
        Effect.promise(() => globalThis.crypto.subtle.sign(ALGORITHM, key, encoder.encode(message))).pipe(
          Effect.map((signature) => Encoding.encodeBase64(new Uint8Array(signature)))
        )
    })
  })

/**
 * @since 0.1.0
 * @category Layers
 */
export const layerWebCrypto: Layer.Layer<Signer, WechatPayConfigError, Credentials> = Layer.effect(
  Signer,
  Effect.flatMap(Credentials, (credentials) => makeWebCrypto(credentials.merchant))
)
