/**
 * Checks WeChat Pay's signature on a response before its body is used
 * (spec: wechatpay-apiv3.md §2).
 *
 * In order: the four `Wechatpay-Timestamp/Nonce/Signature/Serial` headers are
 * present; the signature is not a `WECHATPAY/SIGNTEST/` probe; the timestamp is
 * a number less than 300 s from the local `Clock` (the Go/Java rule: exactly
 * 300 s is rejected); a key is configured under `Wechatpay-Serial` (never
 * "try every key"); SHA256withRSA over `TIMESTAMP\nNONCE\nBODY\n` verifies.
 *
 * The checks are shared; only the signature primitive differs between the
 * WebCrypto verifier here and the `node:crypto` one in `@effect-wechatpay/node`.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { Credentials, ResponseVerifier } from "@effect-wechatpay/core"
 *
 * const VerifierLive = ResponseVerifier.layerWebCrypto.pipe(Layer.provide(Credentials.layerConfig()))
 * ```
 *
 * @since 0.1.0
 */
import { Clock, Context, Effect, Either, Encoding, Layer } from "effect"
import { Credentials, type VerificationKeys } from "./Credentials.js"
import * as Pem from "./internal/pem.js"
import { PROBE_PREFIX, responseMessage } from "./internal/protocol.js"
import { printable, type VerificationCheck, WechatPayConfigError, WechatPayVerificationError } from "./WechatPayError.js"

/**
 * A response as received: lower-case header names, the body text untouched.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Response {
  readonly method: string
  readonly path: string
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service {
  /**
   * The key id sent in every request's `Wechatpay-Serial`: the `PUB_KEY_ID_…`
   * in public-key mode, the newest platform certificate's serial otherwise.
   * WeChat Pay signs its answer with the key named here.
   */
  readonly acceptSerial: string
  /**
   * A verifier over a rotating set (`PlatformCertificates`): the serial to
   * send at a given clock time, read at every attempt. `acceptSerial` is then
   * the serial at build time. Absent for a fixed set.
   */
  readonly acceptSerialAt?: ((nowMillis: number) => string | undefined) | undefined
  readonly verify: (response: Response) => Effect.Effect<void, WechatPayVerificationError>
}

/**
 * @since 0.1.0
 * @category Context
 */
export class ResponseVerifier
  extends Context.Tag("@effect-wechatpay/core/ResponseVerifier")<ResponseVerifier, Service>()
{}

/**
 * Bytes backed by a plain `ArrayBuffer` (what WebCrypto and `node:crypto` accept).
 *
 * @since 0.1.0
 * @category Models
 */
export type Bytes = Pem.Bytes

/**
 * One verification key in a platform's own form.
 *
 * @since 0.1.0
 * @category Models
 */
export interface KeyEntry<K> {
  readonly id: string
  readonly key: K
  /** Certificates: the validity period, epoch milliseconds. A key outside it verifies nothing. */
  readonly notBefore?: number | undefined
  readonly notAfter?: number | undefined
}

/**
 * @since 0.1.0
 * @category Constructors
 */
export interface MakeOptions<K> {
  /** Keys by `Wechatpay-Serial`. */
  readonly keys: ReadonlyArray<KeyEntry<K>>
  readonly acceptSerial: string
  /** The signature primitive: SHA256withRSA (PKCS#1 v1.5) over `message` with `key`. */
  readonly verifySignature: (key: K, message: Bytes, signature: Bytes) => Effect.Effect<boolean>
  /** Allowed clock difference. Default 300 s; a difference of exactly this much is rejected. */
  readonly maxSkewSeconds?: number
}

const REQUIRED = ["wechatpay-timestamp", "wechatpay-nonce", "wechatpay-signature", "wechatpay-serial"] as const

/**
 * The shared checks over any signature primitive.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = <K>(options: MakeOptions<K>): Service => {
  const keys = new Map(options.keys.map((entry) => [entry.id, entry]))
  const maxSkew = options.maxSkewSeconds ?? 300
  const encoder = new TextEncoder()
  return ResponseVerifier.of({
    acceptSerial: options.acceptSerial,
    verify: (response) => {
      const requestId = response.headers["request-id"]
      const fail = (check: VerificationCheck, reason: string) =>
        Effect.fail(
          new WechatPayVerificationError({
            method: response.method,
            path: response.path,
            status: response.status,
            check,
            reason,
            requestId: requestId === undefined ? undefined : printable(requestId, 64)
          })
        )
      const headers = response.headers
      for (const name of REQUIRED) {
        if ((headers[name] ?? "").trim() === "") return fail("MissingHeader", `header ${name} is missing or empty`)
      }
      const timestamp = headers["wechatpay-timestamp"]!
      const nonce = headers["wechatpay-nonce"]!
      const signature = headers["wechatpay-signature"]!
      const serial = headers["wechatpay-serial"]!
      if (signature.startsWith(PROBE_PREFIX)) {
        return fail("ProbeSignature", "WeChat Pay sent a WECHATPAY/SIGNTEST/ probe signature")
      }
      if (!/^\d{1,15}$/.test(timestamp)) {
        return fail("InvalidTimestamp", "Wechatpay-Timestamp is not a number of seconds")
      }
      const entry = keys.get(serial)
      if (entry === undefined) {
        return fail("UnknownSerial", `no verification key is configured for Wechatpay-Serial ${printable(serial, 64)}`)
      }
      const bytes = Encoding.decodeBase64(signature)
      if (Either.isLeft(bytes) || bytes.right.length === 0) {
        return fail("MalformedSignature", "Wechatpay-Signature is not base64")
      }
      return Effect.flatMap(Clock.currentTimeMillis, (now) => {
        if (entry.notBefore !== undefined && now < entry.notBefore) {
          return fail("KeyNotValid", `the platform certificate ${serial} is not valid yet`)
        }
        if (entry.notAfter !== undefined && now > entry.notAfter) {
          return fail("KeyNotValid", `the platform certificate ${serial} has expired`)
        }
        const skew = Math.abs(Math.floor(now / 1000) - Number(timestamp))
        if (skew >= maxSkew) {
          return fail("StaleTimestamp", `Wechatpay-Timestamp is ${skew} s from the local clock (limit ${maxSkew} s)`)
        }
        const message = encoder.encode(responseMessage(timestamp, nonce, response.body))
        return Effect.flatMap(
          options.verifySignature(entry.key, message, new Uint8Array(bytes.right)),
          (valid) => valid ? Effect.void : fail("BadSignature", "the signature does not match the response body")
        )
      })
    }
  })
}

/**
 * A verification key decoded from its PEM: DER SubjectPublicKeyInfo.
 *
 * @since 0.1.0
 * @category Models
 */
export interface DecodedKeys {
  readonly keys: ReadonlyArray<KeyEntry<Bytes>>
  readonly acceptSerial: string
}

/**
 * Decodes configured keys once: public key by its id, each certificate by its
 * own serial. The serial to accept is the public key id when there is one
 * (the migration case too), otherwise the newest certificate's.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const decodeKeys = (
  verification: VerificationKeys,
  nowMillis: number = Date.now()
): Either.Either<DecodedKeys, WechatPayConfigError> => {
  const keys: Array<KeyEntry<Pem.Bytes>> = []
  let newest: Pem.CertificateInfo | undefined
  let certificates = 0
  for (const [index, pem] of (verification.platformCertificates ?? []).entries()) {
    const certs = Pem.certificates(pem)
    if (Either.isLeft(certs)) {
      return Either.left(
        new WechatPayConfigError({ setting: `verification.platformCertificates[${index}]`, issue: certs.left })
      )
    }
    for (const cert of certs.right) {
      certificates += 1
      keys.push({ id: cert.serial, key: cert.spki, notBefore: cert.notBefore, notAfter: cert.notAfter })
      // Only a certificate valid now is advertised in Wechatpay-Serial.
      const valid = cert.notBefore <= nowMillis && nowMillis <= cert.notAfter
      if (valid && (newest === undefined || cert.notBefore > newest.notBefore)) newest = cert
    }
  }
  if (verification.publicKey !== undefined) {
    const der = Pem.publicKeyDer(verification.publicKey.pem)
    if (Either.isLeft(der)) {
      return Either.left(new WechatPayConfigError({ setting: "verification.publicKey.pem", issue: der.left }))
    }
    keys.push({ id: verification.publicKey.id, key: der.right })
  }
  const acceptSerial = verification.publicKey?.id ?? newest?.serial
  if (acceptSerial === undefined && certificates > 0) {
    return Either.left(
      new WechatPayConfigError({
        setting: "verification.platformCertificates",
        issue: "no configured platform certificate is valid now (all expired or not yet valid)"
      })
    )
  }
  if (acceptSerial === undefined) {
    return Either.left(new WechatPayConfigError({ setting: "verification", issue: "no WeChat Pay verification key" }))
  }
  return Either.right({ keys, acceptSerial })
}

const ALGORITHM = { name: "RSASSA-PKCS1-v1_5", hash: "SHA-256" } as const

/**
 * A platform's signature primitive with its key import: what a verifier over
 * keys that arrive at run time (downloaded platform certificates) needs.
 *
 * @example
 * ```ts
 * import { ResponseVerifier } from "@effect-wechatpay/core"
 *
 * const crypto: ResponseVerifier.VerifierCrypto<CryptoKey> = ResponseVerifier.webCrypto
 * ```
 *
 * @since 0.2.0
 * @category Models
 */
export interface VerifierCrypto<K> {
  /** Imports a DER SubjectPublicKeyInfo; `id` names the key in the error. */
  readonly importKey: (spki: Bytes, id: string) => Effect.Effect<K, WechatPayConfigError>
  /** SHA256withRSA (PKCS#1 v1.5) over `message` with `key`. */
  readonly verifySignature: (key: K, message: Bytes, signature: Bytes) => Effect.Effect<boolean>
}

/**
 * The WebCrypto primitive (any runtime with `crypto.subtle`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { ResponseVerifier } from "@effect-wechatpay/core"
 *
 * declare const spki: Uint8Array<ArrayBuffer>
 * const key = ResponseVerifier.webCrypto.importKey(spki, "5157F09EFDC096DE15EBE81A47057A7232F1B8E1")
 * ```
 *
 * @since 0.2.0
 * @category Constructors
 */
export const webCrypto: VerifierCrypto<CryptoKey> = {
  importKey: (spki, id) =>
    Effect.tryPromise({
      try: () => globalThis.crypto.subtle.importKey("spki", spki, ALGORITHM, false, ["verify"]),
      catch: () => new WechatPayConfigError({ setting: `verification key ${id}`, issue: "not an RSA public key WebCrypto accepts" })
    }),
  verifySignature: (key, message, signature) =>
    Effect.promise(() => globalThis.crypto.subtle.verify(ALGORITHM, key, signature, message))
}

/**
 * A WebCrypto verifier; keys are imported once, here.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeWebCrypto = (
  verification: VerificationKeys,
  options: { readonly maxSkewSeconds?: number } = {}
): Effect.Effect<Service, WechatPayConfigError> =>
  Effect.gen(function*() {
    const decoded = yield* decodeKeys(verification, yield* Clock.currentTimeMillis)
    const keys = yield* Effect.forEach(decoded.keys, (entry) =>
      Effect.tryPromise({
        try: () => globalThis.crypto.subtle.importKey("spki", entry.key, ALGORITHM, false, ["verify"]),
        catch: () =>
          new WechatPayConfigError({
            setting: `verification key ${entry.id}`,
            issue: "not an RSA public key WebCrypto accepts"
          })
      }).pipe(Effect.map((key) => ({ ...entry, key }))))
    return make({
      keys,
      acceptSerial: decoded.acceptSerial,
      verifySignature: (key, message, signature) =>
        Effect.promise(() => globalThis.crypto.subtle.verify(ALGORITHM, key, signature, message)),
      ...options
    })
  })

/**
 * @since 0.1.0
 * @category Layers
 */
export const layerWebCrypto: Layer.Layer<ResponseVerifier, WechatPayConfigError, Credentials> = Layer.effect(
  ResponseVerifier,
  Effect.flatMap(Credentials, (credentials) => makeWebCrypto(credentials.verification))
)
