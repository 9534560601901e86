/**
 * Sensitive request fields (ID numbers, names of card holders, phones, bank
 * card numbers): the caller passes plaintext as `Redacted`, and the library
 * encrypts each field with RSA-OAEP (SHA-1, MGF1-SHA-1) under the WeChat Pay
 * public key, or, in certificate mode, the newest valid platform
 * certificate, and names that key in the request's `Wechatpay-Serial`.
 *
 * A request schema marks a field `SensitiveFields.Encrypted`; encoding it
 * needs a `SensitiveCipher`, which `encodeBody` provides from the
 * `SensitiveFields` service. The caller never calls a cipher by hand, and a
 * plaintext never appears in an error: a field that cannot be encrypted is an
 * input error naming the field only.
 *
 * @example
 * ```ts
 * import { Effect, Redacted, Schema } from "effect"
 * import { SensitiveFields } from "@effect-wechatpay/core"
 *
 * const Body = Schema.Struct({
 *   phone: Schema.optional(SensitiveFields.Encrypted)
 * })
 *
 * const program = SensitiveFields.encodeBody("updateUser", Body, { phone: Redacted.make("13800138000") }).pipe(
 *   Effect.map(({ body, serial }) => ({ body, headers: { "Wechatpay-Serial": serial } }))
 * )
 * ```
 *
 * @since 0.2.0
 */
import { Clock, Context, Effect, Encoding, Layer, ParseResult, Redacted, Schema } from "effect"
import { Credentials, type VerificationKeys } from "./Credentials.js"
import { invalid } from "./internal/input.js"
import * as Sensitive from "./internal/sensitive.js"
import { WechatPayConfigError, type WechatPayInvalidInputError } from "./WechatPayError.js"

/**
 * Encrypts one field under one key.
 *
 * @since 0.2.0
 * @category Models
 */
export interface Cipher {
  /** The WeChat Pay public key id (`PUB_KEY_ID_…`) or the platform certificate serial. */
  readonly serial: string
  /** Base64 RSA-OAEP ciphertext of the UTF-8 plaintext. Fails with a reason, never echoing the plaintext. */
  readonly encrypt: (plaintext: string) => Effect.Effect<string, string>
}

/**
 * The cipher a request's fields are encrypted with: one per request, so that
 * every field and the `Wechatpay-Serial` header name the same key.
 *
 * @since 0.2.0
 * @category Context
 */
export class SensitiveCipher extends Context.Tag("@effect-wechatpay/core/SensitiveCipher")<SensitiveCipher, Cipher>() {}

/**
 * @since 0.2.0
 * @category Models
 */
export interface Service {
  /** The cipher to use now: the public key when configured, else the newest valid certificate. */
  readonly cipher: Effect.Effect<Cipher, WechatPayConfigError>
}

/**
 * @since 0.2.0
 * @category Context
 */
export class SensitiveFields extends Context.Tag("@effect-wechatpay/core/SensitiveFields")<SensitiveFields, Service>() {}

// RSA-OAEP with SHA-1 under WeChat Pay's 2048-bit keys: 256 - 2·20 - 2 bytes.
const MAX_PLAINTEXT_BYTES = 214
const utf8Length = (text: string): number => new TextEncoder().encode(text).length

/**
 * A sensitive field: `Redacted<string>` plaintext in the domain, base64
 * RSA-OAEP ciphertext on the wire. Encoding needs a `SensitiveCipher`;
 * decoding is refused (WeChat Pay answers carry no field this library could
 * decrypt with the merchant key it does not hold here).
 *
 * @since 0.2.0
 * @category Schemas
 */
export const Encrypted: Schema.Schema<Redacted.Redacted<string>, string, SensitiveCipher> = Schema.transformOrFail(
  Schema.String,
  // Checked on the domain side, so that an error names the caller's field.
  Schema.RedactedFromSelf(Schema.String).pipe(
    Schema.filter((redacted) => {
      const bytes = utf8Length(Redacted.value(redacted))
      return bytes === 0
        ? "must not be empty"
        : bytes > MAX_PLAINTEXT_BYTES
        ? `is too long to encrypt (at most ${MAX_PLAINTEXT_BYTES} UTF-8 bytes)`
        : true
    })
  ),
  {
    strict: true,
    decode: (_, __, ast) =>
      ParseResult.fail(new ParseResult.Forbidden(ast, "<ciphertext>", "an encrypted field is not decoded")),
    encode: (redacted, _, ast) =>
      Effect.flatMap(SensitiveCipher, (cipher) =>
        Effect.mapError(
          cipher.encrypt(Redacted.value(redacted)),
          (reason) => new ParseResult.Type(ast, redacted, `could not be encrypted: ${reason}`)
        ))
  }
).annotations({ identifier: "Encrypted" })

/**
 * The same field as plaintext: `Redacted<string>` in the domain, the plain
 * string on the wire side. For input files written in WeChat Pay's field
 * names with sensitive fields in clear (the CLI's `--json`).
 *
 * @since 0.2.0
 * @category Schemas
 */
export const Plaintext: Schema.Schema<Redacted.Redacted<string>, string> = Schema.Redacted(
  Schema.String.pipe(Schema.minLength(1, { message: () => "must not be empty" }))
)

/**
 * Encodes a request body whose schema has `Encrypted` fields: one cipher for
 * the whole body, its serial returned for the `Wechatpay-Serial` header. A
 * field that fails (empty, too long for the key) is an input error naming the
 * field.
 *
 * @since 0.2.0
 * @category Encoding
 */
export const encodeBody = <A, I>(
  operation: string,
  schema: Schema.Schema<A, I, SensitiveCipher>,
  value: A
): Effect.Effect<
  { readonly body: string; readonly serial: string },
  WechatPayInvalidInputError | WechatPayConfigError,
  SensitiveFields
> =>
  Effect.flatMap(SensitiveFields, (service) =>
    Effect.flatMap(service.cipher, (cipher) =>
      Schema.encode(schema)(value).pipe(
        Effect.provideService(SensitiveCipher, cipher),
        Effect.mapError((error) => invalid(operation, error)),
        Effect.map((wire) => ({ body: JSON.stringify(wire), serial: cipher.serial }))
      )))

/**
 * A key imported for encryption, by the platform's crypto.
 *
 * @since 0.2.0
 * @category Models
 */
export interface ImportedKey<K> {
  readonly key: K
  /** Modulus size in bytes (256 for RSA-2048): bounds the plaintext. */
  readonly modulusBytes: number
}

/**
 * A platform's RSA-OAEP (SHA-1) encryption with its key import.
 *
 * @example
 * ```ts
 * import { SensitiveFields } from "@effect-wechatpay/core"
 *
 * const crypto: SensitiveFields.EncryptCrypto<CryptoKey> = SensitiveFields.webCrypto
 * ```
 *
 * @since 0.2.0
 * @category Models
 */
export interface EncryptCrypto<K> {
  readonly importKey: (spki: Uint8Array<ArrayBuffer>, serial: string) => Effect.Effect<ImportedKey<K>, WechatPayConfigError>
  readonly encrypt: (key: K, plaintext: Uint8Array<ArrayBuffer>) => Effect.Effect<Uint8Array, unknown>
}

/**
 * The cipher of one imported key under its serial: the plaintext bounded by
 * the key's size, the output base64.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { SensitiveFields } from "@effect-wechatpay/core"
 *
 * declare const spki: Uint8Array<ArrayBuffer>
 * const cipher = Effect.map(
 *   SensitiveFields.webCrypto.importKey(spki, "PUB_KEY_ID_0119000000012025010100000000000001"),
 *   (key) => SensitiveFields.cipherOf("PUB_KEY_ID_0119000000012025010100000000000001", key, SensitiveFields.webCrypto)
 * )
 * ```
 *
 * @since 0.2.0
 * @category Constructors
 */
export const cipherOf = <K>(serial: string, imported: ImportedKey<K>, crypto: EncryptCrypto<K>): Cipher => {
  const limit = Sensitive.maxPlaintextBytes(imported.modulusBytes)
  return {
    serial,
    encrypt: (plaintext) => {
      const bytes = new TextEncoder().encode(plaintext)
      if (bytes.length > limit) return Effect.fail(`too long (at most ${limit} UTF-8 bytes)`)
      return crypto.encrypt(imported.key, bytes).pipe(
        Effect.map((sealed) => Encoding.encodeBase64(sealed)),
        Effect.mapError(() => "the encryption failed")
      )
    }
  }
}

/**
 * Builds the service over keys imported once (`importKey`) and an `encrypt`
 * primitive: the platform-specific part. The key is chosen per request by
 * the clock, so a certificate that becomes valid is used from that moment.
 *
 * @since 0.2.0
 * @category Constructors
 */
export const make = <K>(
  verification: VerificationKeys,
  crypto: EncryptCrypto<K>
): Effect.Effect<Service, WechatPayConfigError> =>
  Effect.gen(function*() {
    const list = yield* Sensitive.candidates(verification)
    const imported = yield* Effect.forEach(list, (candidate) =>
      Effect.map(crypto.importKey(candidate.key, candidate.serial), (key) => ({ ...candidate, key })))
    const ciphers = new Map<string, Cipher>()
    for (const candidate of imported) ciphers.set(candidate.serial, cipherOf(candidate.serial, candidate.key, crypto))
    return {
      cipher: Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const chosen = Sensitive.choose(imported, now)
        const cipher = chosen === undefined ? undefined : ciphers.get(chosen.serial)
        return cipher === undefined
          ? Effect.fail(
            new WechatPayConfigError({
              setting: "verification.platformCertificates",
              issue: "no platform certificate is valid now, and no WeChat Pay public key is configured"
            })
          )
          : Effect.succeed(cipher)
      })
    }
  })

const OAEP = { name: "RSA-OAEP", hash: "SHA-1" } as const

/**
 * The WebCrypto primitive (any runtime with `crypto.subtle`).
 *
 * @example
 * ```ts
 * import { SensitiveFields } from "@effect-wechatpay/core"
 *
 * const service = SensitiveFields.make({ platformCertificates: [] }, SensitiveFields.webCrypto)
 * ```
 *
 * @since 0.2.0
 * @category Constructors
 */
export const webCrypto: EncryptCrypto<CryptoKey> = {
  importKey: (spki, serial) =>
    Effect.tryPromise({
      try: () => globalThis.crypto.subtle.importKey("spki", spki, OAEP, false, ["encrypt"]),
      catch: () =>
        new WechatPayConfigError({ setting: `encryption key ${serial}`, issue: "not an RSA public key WebCrypto accepts" })
    }).pipe(Effect.map((key) => ({
      key,
      modulusBytes: ((key.algorithm as RsaHashedKeyAlgorithm).modulusLength ?? 2048) / 8
    }))),
  encrypt: (key, plaintext) =>
    Effect.tryPromise(() => globalThis.crypto.subtle.encrypt(OAEP, key, plaintext)).pipe(
      Effect.map((sealed) => new Uint8Array(sealed))
    )
}

/**
 * The WebCrypto implementation (any runtime with `crypto.subtle`).
 *
 * @since 0.2.0
 * @category Constructors
 */
export const makeWebCrypto = (verification: VerificationKeys): Effect.Effect<Service, WechatPayConfigError> =>
  make<CryptoKey>(verification, webCrypto)

/**
 * @since 0.2.0
 * @category Layers
 */
export const layerWebCrypto: Layer.Layer<SensitiveFields, WechatPayConfigError, Credentials> = Layer.effect(
  SensitiveFields,
  Effect.flatMap(Credentials, (credentials) => makeWebCrypto(credentials.verification))
)
