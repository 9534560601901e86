/**
 * The two ciphers of APIv3 (spec: wechatpay-apiv3.md §4–5), on WebCrypto:
 *
 * - `AEAD_AES_256_GCM` decrypts platform certificates (`GET /v3/certificates`)
 *   and notification resources with the APIv3 key (its 32 UTF-8 bytes; the
 *   nonce's 12 bytes are the IV; the last 16 bytes of the ciphertext are the tag);
 * - RSAES-OAEP with SHA-1 and MGF1-SHA-1 encrypts sensitive request fields (🔒)
 *   with the WeChat Pay public key, and decrypts sensitive response fields with
 *   the merchant private key.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Crypto } from "@effect-wechatpay/core"
 *
 * const certificatePem = Crypto.decryptAeadAes256Gcm({
 *   apiV3Key: Redacted.make("TestOnlyApiV3Key0123456789abcdef"),
 *   nonce: "f6b6e3c1a0d9",
 *   associatedData: "certificate",
 *   ciphertext: "…base64…"
 * })
 * ```
 *
 * @since 0.1.0
 */
import { Effect, Either, Encoding, Redacted } from "effect"
import * as Pem from "./internal/pem.js"
import { WechatPayConfigError, WechatPayDecryptError } from "./WechatPayError.js"

const utf8 = (text: string): Pem.Bytes => new TextEncoder().encode(text)
const base64 = (text: string): Pem.Bytes | undefined => {
  const decoded = Encoding.decodeBase64(text)
  return Either.isRight(decoded) ? new Uint8Array(decoded.right) : undefined
}

/**
 * Decrypts an `AEAD_AES_256_GCM` resource. Authentication failure is an error,
 * never partial output.
 *
 * @since 0.1.0
 * @category Decryption
 */
export const decryptAeadAes256Gcm = (input: {
  /** APIv3 密钥: 32 ASCII characters, used as their bytes. */
  readonly apiV3Key: Redacted.Redacted<string>
  readonly nonce: string
  readonly associatedData?: string | undefined
  /** Base64 of ciphertext ‖ 16-byte tag. */
  readonly ciphertext: string
}): Effect.Effect<string, WechatPayDecryptError> =>
  Effect.gen(function*() {
    const fail = (reason: string) => new WechatPayDecryptError({ algorithm: "AEAD_AES_256_GCM", reason })
    const key = utf8(Redacted.value(input.apiV3Key))
    if (key.length !== 32) return yield* fail("the APIv3 key must be 32 bytes")
    const data = base64(input.ciphertext)
    if (data === undefined || data.length < 16) return yield* fail("the ciphertext is not base64 of at least a tag")
    const plain = yield* Effect.tryPromise({
      try: async () => {
        const cryptoKey = await globalThis.crypto.subtle.importKey("raw", key, "AES-GCM", false, ["decrypt"])
        return globalThis.crypto.subtle.decrypt(
          { name: "AES-GCM", iv: utf8(input.nonce), additionalData: utf8(input.associatedData ?? ""), tagLength: 128 },
          cryptoKey,
          data
        )
      },
      catch: () => fail("authentication failed (wrong APIv3 key, nonce or associated data, or tampered ciphertext)")
    })
    return yield* Effect.try({
      try: () => new TextDecoder("utf-8", { fatal: true }).decode(plain),
      catch: () => fail("the plaintext is not UTF-8")
    })
  })

const OAEP = { name: "RSA-OAEP", hash: "SHA-1" } as const

/**
 * Encrypts a sensitive field for WeChat Pay (RSA-OAEP, SHA-1) with its public
 * key; send the key's id in `Wechatpay-Serial`. The output is randomised.
 *
 * @since 0.1.0
 * @category Encryption
 */
export const encryptSensitive = (
  publicKeyPem: string,
  plaintext: string
): Effect.Effect<string, WechatPayConfigError> =>
  Effect.gen(function*() {
    const der = Pem.publicKeyDer(publicKeyPem)
    if (Either.isLeft(der)) return yield* new WechatPayConfigError({ setting: "publicKeyPem", issue: der.left })
    const key = yield* Effect.tryPromise({
      try: () => globalThis.crypto.subtle.importKey("spki", der.right, OAEP, false, ["encrypt"]),
      catch: () => new WechatPayConfigError({ setting: "publicKeyPem", issue: "not an RSA public key" })
    })
    const sealed = yield* Effect.promise(() => globalThis.crypto.subtle.encrypt(OAEP, key, utf8(plaintext)))
    return Encoding.encodeBase64(new Uint8Array(sealed))
  })

/**
 * Decrypts a sensitive response field with the merchant private key.
 *
 * @since 0.1.0
 * @category Decryption
 */
export const decryptSensitive = (
  privateKey: Redacted.Redacted<string>,
  ciphertext: string
): Effect.Effect<string, WechatPayDecryptError> =>
  Effect.gen(function*() {
    const fail = (reason: string) => new WechatPayDecryptError({ algorithm: "RSA-OAEP", reason })
    const der = Pem.privateKeyDer(Redacted.value(privateKey))
    if (Either.isLeft(der)) return yield* fail(`unusable private key: ${der.left}`)
    const data = base64(ciphertext)
    if (data === undefined) return yield* fail("the ciphertext is not base64")
    const plain = yield* Effect.tryPromise({
      try: async () => {
        const key = await globalThis.crypto.subtle.importKey("pkcs8", der.right, OAEP, false, ["decrypt"])
        return globalThis.crypto.subtle.decrypt(OAEP, key, data)
      },
      catch: () => fail("the ciphertext does not decrypt with this key")
    })
    return new TextDecoder().decode(plain)
  })
