/**
 * A `node:crypto` request signer: SHA256withRSA (RSASSA-PKCS1-v1_5 over
 * SHA-256) with the merchant API private key, base64. The PEM (PKCS#8
 * `PRIVATE KEY` or PKCS#1 `RSA PRIVATE KEY`) is parsed once per layer into a
 * `KeyObject`; signing is then synchronous and needs no key import per call.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Credentials } from "@effect-wechatpay/core"
 * import { NodeSigner } from "@effect-wechatpay/node"
 *
 * const SignerLive = NodeSigner.layer.pipe(Layer.provide(Credentials.layerConfig()))
 * ```
 *
 * @since 0.1.0
 */
import { Credentials, Signer, WechatPayError } from "@effect-wechatpay/core"
import { Effect, Layer, Redacted } from "effect"
import * as Crypto from "node:crypto"

const MERCHANT_PRIVATE_KEY = "merchant.privateKey"

/**
 * Parses the merchant private key (`Redacted` until here) into a `KeyObject`
 * and checks it once (a probe signature must verify with the key's own public
 * half). A key Node cannot read, an encrypted, non-RSA or damaged key fails
 * with a `WechatPayConfigError` on `merchant.privateKey` that never quotes the key.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { NodeSigner } from "@effect-wechatpay/node"
 *
 * const key = NodeSigner.parsePrivateKey(Redacted.make("-----BEGIN PRIVATE KEY-----\n..."))
 * // Effect<KeyObject, WechatPayConfigError>
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const parsePrivateKey = (
  pem: Redacted.Redacted<string>
): Effect.Effect<Crypto.KeyObject, WechatPayError.WechatPayConfigError> =>
  Effect.suspend(() => {
    const fail = (issue: string) =>
      Effect.fail(new WechatPayError.WechatPayConfigError({ setting: MERCHANT_PRIVATE_KEY, issue }))
    const text = Redacted.value(pem)
    if (/-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: 4,ENCRYPTED/.test(text)) {
      return fail("encrypted private keys are not supported; export the key unencrypted (PKCS#8)")
    }
    if (!/-----BEGIN (RSA )?PRIVATE KEY-----/.test(text)) {
      return fail("expected a PRIVATE KEY or RSA PRIVATE KEY PEM block")
    }
    let key: Crypto.KeyObject
    try {
      key = Crypto.createPrivateKey({ key: text, format: "pem" })
    } catch {
      // Node's message may quote parts of its input: only our own words go out.
      return fail("not a private key Node can read (PKCS#8 or PKCS#1 PEM)")
    }
    if (key.asymmetricKeyType !== "rsa") {
      return fail(`must be an RSA key, got ${key.asymmetricKeyType ?? "an unknown key type"}`)
    }
    // A key whose structure is intact but whose numbers were damaged parses fine and
    // signs garbage: WeChat Pay would answer 401 SIGN_ERROR to every request. One
    // signature checked against the key's own public half catches it here.
    const probe = Buffer.from("effect-wechatpay key check\n", "utf8")
    let consistent = false
    try {
      consistent = Crypto.verify("sha256", probe, Crypto.createPublicKey(key), Crypto.sign("sha256", probe, key))
    } catch {
      consistent = false
    }
    if (!consistent) return fail("the RSA key is damaged: a signature made with it does not verify with its public half")
    return Effect.succeed(key)
  })

/**
 * A signer over an already parsed RSA private key.
 *
 * @example
 * ```ts
 * import { generateKeyPairSync } from "node:crypto"
 * import { NodeSigner } from "@effect-wechatpay/node"
 *
 * const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
 * const signer = NodeSigner.fromKeyObject({
 *   mchid: "1900000001",
 *   serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
 *   key: privateKey
 * })
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const fromKeyObject = (options: {
  readonly mchid: string
  readonly serialNo: string
  readonly key: Crypto.KeyObject
}): Signer.Service => {
  const signSync = (message: string): string =>
    Crypto.sign("sha256", Buffer.from(message, "utf8"), options.key).toString("base64")
  return Signer.make({
    mchid: options.mchid,
    serialNo: options.serialNo,
    sign: (message) => Effect.sync(() => signSync(message)),
    signSync
  })
}

/**
 * Parses the key once and returns the signer.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { NodeSigner } from "@effect-wechatpay/node"
 *
 * const program = Effect.gen(function*() {
 *   const signer = yield* NodeSigner.make({
 *     mchid: "1900000001",
 *     serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
 *     privateKey: Redacted.make(process.env.MERCHANT_KEY_PEM ?? "")
 *   })
 *   return yield* signer.sign("GET\n/v3/certificates\n1700000000\nNONCE\n\n")
 * })
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (
  merchant: Credentials.MerchantCredentials
): Effect.Effect<Signer.Service, WechatPayError.WechatPayConfigError> =>
  Effect.map(
    parsePrivateKey(merchant.privateKey),
    (key) => fromKeyObject({ mchid: merchant.mchid, serialNo: merchant.serialNo, key })
  )

/**
 * The `node:crypto` signer from `Credentials`; the key is parsed when the layer is built.
 *
 * @example
 * ```ts
 * import { Layer, Redacted } from "effect"
 * import { Credentials } from "@effect-wechatpay/core"
 * import { NodeSigner } from "@effect-wechatpay/node"
 *
 * const SignerLive = NodeSigner.layer.pipe(
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
export const layer: Layer.Layer<Signer.Signer, WechatPayError.WechatPayConfigError, Credentials.Credentials> = Layer
  .effect(
    Signer.Signer,
    Effect.flatMap(Credentials.Credentials, (credentials) => make(credentials.merchant))
  )
