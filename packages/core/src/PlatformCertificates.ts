/**
 * Platform certificates (平台证书) that download and rotate themselves, for
 * merchants in certificate mode (spec: offlineface-product.md §3,
 * wechatpay-apiv3.md §4).
 *
 * `GET /v3/certificates` is answered with every certificate WeChat Pay signs
 * with, each encrypted with the APIv3 key (`AEAD_AES_256_GCM`). The answer is
 * itself signed by one of them, so it is checked in this order: decrypt every
 * certificate (the AEAD tag already proves the bytes come from a holder of
 * the APIv3 key), then verify the same answer's signature with the decrypted
 * certificate `Wechatpay-Serial` names, or with one already held (the php and
 * axios approach). Nothing of an answer that fails either step is kept.
 *
 * The service holds the current set. A scoped fiber downloads it again every
 * `refreshInterval` (default 12 h, from 1 h to 2 days: the Go SDK's advice,
 * which catches WeChat Pay's switch window). A failed refresh keeps the held
 * set, is logged (`Effect.logWarning`, no secret) and counted (`failures` and
 * the `wechatpay_platform_certificate_refresh_failures` metric); certificates
 * past their `expire_time` are dropped. The response verifier and the
 * sensitive-field cipher built from it ({@link makeResponseVerifier},
 * {@link makeSensitiveFields}) read the set on every request, so a rotation
 * needs no restart: a new certificate verifies as soon as it is held, and is
 * used for encryption from its `effective_time`.
 *
 * A merchant WeChat Pay issues no certificate to (new merchant ids since
 * about 2024-10: public-key mode only) gets 404 `RESOURCE_NOT_EXISTS`: that is
 * a `WechatPayConfigError` naming the public-key variables.
 *
 * @example
 * ```ts
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer, Redacted } from "effect"
 * import { ApiV3Key, Credentials, FaceCollections, PlatformCertificates, Signer } from "@effect-wechatpay/core"
 *
 * const merchant = {
 *   mchid: "1900000001",
 *   serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
 *   privateKey: Redacted.make(process.env.MERCHANT_KEY_PEM ?? "")
 * }
 * const WechatPayLive = PlatformCertificates.layerClient().pipe(
 *   Layer.provide(Signer.layerWebCrypto),
 *   Layer.provide(Credentials.layer({ merchant, verification: {} }, { requireVerification: false })),
 *   Layer.provide(ApiV3Key.layerConfig()),
 *   Layer.provide(FetchHttpClient.layer)
 * )
 * const program = FaceCollections.getFaceCollection({ collectionId: "FC2353ZJIHOJKHOIIOIJ" }).pipe(
 *   Effect.provide(WechatPayLive)
 * )
 * ```
 *
 * @since 0.2.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import { Clock, Context, Duration, Effect, Either, Layer, Metric, Option, ParseResult, Schema, type Scope } from "effect"
import { ApiV3Key } from "./ApiV3Key.js"
import * as Crypto from "./Crypto.js"
import { annotate, apiError } from "./internal/client/answer.js"
import * as Pipeline from "./internal/client/pipeline.js"
import type { Received } from "./internal/exchangeAttempt.js"
import * as Pem from "./internal/pem.js"
import * as ResponseVerifier from "./ResponseVerifier.js"
import * as SensitiveFields from "./SensitiveFields.js"
import type { Signer } from "./Signer.js"
import * as WechatPayClient from "./WechatPayClient.js"
import {
  WechatPayApiError,
  WechatPayConfigError,
  WechatPayDecodeError,
  WechatPayDecryptError,
  type WechatPayRequestError
} from "./WechatPayError.js"

/**
 * One platform certificate as held: its serial, the period it is used in
 * (the download's `effective_time`/`expire_time`, narrowed to the
 * certificate's own validity), the PEM and its public key.
 *
 * @since 0.2.0
 * @category Models
 */
export interface PlatformCertificate {
  /** Upper-case hex: what `Wechatpay-Serial` names it by. */
  readonly serial: string
  /** Epoch milliseconds. */
  readonly effectiveTime: number
  /** Epoch milliseconds. */
  readonly expireTime: number
  /** `-----BEGIN CERTIFICATE-----` PEM text (public). */
  readonly pem: string
  /** DER SubjectPublicKeyInfo. */
  readonly spki: Pem.Bytes
}

/**
 * The WeChat Pay public key, when one is configured too (the migration case):
 * trusted for the download's signature, preferred for encryption, and
 * verified under its `PUB_KEY_ID_…` by the verifier built from the set.
 *
 * @since 0.2.0
 * @category Models
 */
export interface PublicKey {
  readonly id: string
  readonly pem: string
}

/**
 * Any way a download fails: the request's errors, a certificate that does not
 * decrypt, and the configuration error of a merchant without certificates.
 *
 * @since 0.2.0
 * @category Errors
 */
export type DownloadError = WechatPayRequestError | WechatPayDecryptError | WechatPayConfigError

/**
 * @since 0.2.0
 * @category Models
 */
export interface Service {
  /** The certificates held now that have not expired, newest `effectiveTime` first. */
  readonly current: Effect.Effect<ReadonlyArray<PlatformCertificate>>
  /**
   * The held set as stored, without a clock: for per-request readers (the
   * verifier, the cipher). The same array until the set changes.
   */
  readonly unsafeCurrent: () => ReadonlyArray<PlatformCertificate>
  /** Downloads now and replaces the set; on failure the held set stays as it was. */
  readonly refresh: Effect.Effect<ReadonlyArray<PlatformCertificate>, DownloadError>
  /** Scheduled refreshes that failed so far. */
  readonly failures: Effect.Effect<number>
  /** The WeChat Pay public key configured alongside, if any. */
  readonly publicKey: PublicKey | undefined
}

/**
 * @since 0.2.0
 * @category Context
 */
export class PlatformCertificates
  extends Context.Tag("@effect-wechatpay/core/PlatformCertificates")<PlatformCertificates, Service>()
{}

/**
 * Options of a download: the client's (base URL, user agent, transport), the
 * certificates already held (PEM; they verify the answer too) and a public
 * key configured alongside.
 *
 * @since 0.2.0
 * @category Models
 */
export interface DownloadOptions extends WechatPayClient.Options {
  /** PEM certificates already held (e.g. from `WECHATPAY_PLATFORM_CERT_FILES`). */
  readonly certificates?: ReadonlyArray<string> | undefined
  readonly publicKey?: PublicKey | undefined
  /** Allowed clock difference of the answer. Default 300 s. */
  readonly maxSkewSeconds?: number | undefined
}

/**
 * @since 0.2.0
 * @category Models
 */
export interface Options extends DownloadOptions {
  /** Time between downloads. Default 12 hours; from 1 hour to 2 days. */
  readonly refreshInterval?: Duration.DurationInput | undefined
}

/**
 * The refresh interval: default and bounds.
 *
 * @since 0.2.0
 * @category Constants
 */
export const REFRESH_INTERVAL = {
  default: Duration.hours(12),
  min: Duration.hours(1),
  max: Duration.days(2)
} as const

/**
 * Counters a dashboard can read (process-wide; `Service.failures` counts one service's).
 *
 * @since 0.2.0
 * @category Metrics
 */
export const metrics = {
  refreshes: Metric.counter("wechatpay_platform_certificate_refreshes", {
    description: "platform certificate downloads that replaced the held set"
  }),
  refreshFailures: Metric.counter("wechatpay_platform_certificate_refresh_failures", {
    description: "scheduled platform certificate downloads that failed (the held set was kept)"
  })
}

// --- wire ------------------------------------------------------------------------------

const PATH = "/v3/certificates"

const Wire = Schema.Struct({
  data: Schema.Array(Schema.Struct({
    serial_no: Schema.String,
    effective_time: Schema.String,
    expire_time: Schema.String,
    encrypt_certificate: Schema.Struct({
      algorithm: Schema.String,
      nonce: Schema.String,
      associated_data: Schema.optional(Schema.String),
      ciphertext: Schema.String
    })
  }))
})
const decodeWire = Schema.decodeUnknownEither(Wire)

const normalizeSerial = (serial: string): string => serial.toUpperCase().replace(/^(?:00)+(?=..)/, "")

const byNewest = (a: PlatformCertificate, b: PlatformCertificate) => b.effectiveTime - a.effectiveTime

/**
 * Certificates from PEM texts (each may hold several), valid over their own
 * `notBefore`/`notAfter`, newest first. `setting` names the input in errors.
 *
 * @example
 * ```ts
 * import { PlatformCertificates } from "@effect-wechatpay/core"
 *
 * declare const pem: string
 * const held = PlatformCertificates.fromPem([pem])
 * ```
 *
 * @since 0.2.0
 * @category Constructors
 */
export const fromPem = (
  pems: ReadonlyArray<string>,
  setting: string = "certificates"
): Either.Either<ReadonlyArray<PlatformCertificate>, WechatPayConfigError> => {
  const out: Array<PlatformCertificate> = []
  for (const [index, pem] of pems.entries()) {
    const blocks = Pem.parsePem(pem)
    const certs = Pem.certificates(pem)
    if (Either.isLeft(blocks) || Either.isLeft(certs)) {
      const issue = Either.isLeft(certs) ? certs.left : "no certificate"
      return Either.left(new WechatPayConfigError({ setting: `${setting}[${index}]`, issue }))
    }
    const pemBlocks = blocks.right.filter((block) => block.label === "CERTIFICATE")
    certs.right.forEach((cert, i) => {
      const block = pemBlocks[i]
      out.push({
        serial: cert.serial,
        effectiveTime: cert.notBefore,
        expireTime: cert.notAfter,
        pem: block === undefined ? pem : toPem(block.der),
        spki: cert.spki
      })
    })
  }
  return Either.right(out.sort(byNewest))
}

const toPem = (der: Uint8Array): string => {
  let binary = ""
  for (const byte of der) binary += String.fromCharCode(byte)
  const lines = btoa(binary).match(/.{1,64}/g) ?? []
  return `-----BEGIN CERTIFICATE-----\n${lines.join("\n")}\n-----END CERTIFICATE-----\n`
}

/**
 * The serial to send in `Wechatpay-Serial` at `now`: the public key's id when
 * one is configured, else the newest certificate valid at `now`.
 *
 * @example
 * ```ts
 * import { PlatformCertificates } from "@effect-wechatpay/core"
 *
 * const serial = PlatformCertificates.acceptSerialAt([], undefined, Date.now()) // undefined: send none
 * ```
 *
 * @since 0.2.0
 * @category Selection
 */
export const acceptSerialAt = (
  certificates: ReadonlyArray<PlatformCertificate>,
  publicKey: PublicKey | undefined,
  now: number
): string | undefined => publicKey?.id ?? newestValid(certificates, now)?.serial

const newestValid = (certificates: ReadonlyArray<PlatformCertificate>, now: number): PlatformCertificate | undefined => {
  let best: PlatformCertificate | undefined
  for (const cert of certificates) {
    if (cert.effectiveTime <= now && now <= cert.expireTime && (best === undefined || cert.effectiveTime > best.effectiveTime)) {
      best = cert
    }
  }
  return best
}

// --- the download ------------------------------------------------------------------------

interface Trusted {
  readonly certificates: ReadonlyArray<PlatformCertificate>
  readonly publicKey: { readonly id: string; readonly spki: Pem.Bytes } | undefined
}

const decodeError = (response: Received, issue: string) =>
  new WechatPayDecodeError({
    method: response.method,
    path: response.path,
    status: response.status,
    where: "Schema",
    issue,
    requestId: response.headers["request-id"]
  })

const NO_CERTIFICATES_ISSUE = (requestId: string | undefined) =>
  `WeChat Pay issues no platform certificate to this merchant (GET ${PATH} answered 404 RESOURCE_NOT_EXISTS${
    requestId === undefined ? "" : `, Request-ID ${requestId}`
  }): new merchants, and merchants whose certificates expired, get the WeChat Pay public key instead. ` +
  `Use public-key mode: set WECHATPAY_PUBLIC_KEY_ID (PUB_KEY_ID_…) with WECHATPAY_PUBLIC_KEY_FILE ` +
  `(or WECHATPAY_PUBLIC_KEY), both from the merchant platform (API安全 → 微信支付公钥)`

/** A 404 RESOURCE_NOT_EXISTS is the merchant's configuration, not a failure of the call. */
const noCertificates = (error: WechatPayApiError) =>
  error.status === 404 && error.code === "RESOURCE_NOT_EXISTS"
    ? new WechatPayConfigError({ setting: "WECHATPAY_PUBLIC_KEY_ID", issue: NO_CERTIFICATES_ISSUE(error.requestId) })
    : error

const makeDownloader = <K>(
  options: DownloadOptions,
  crypto: ResponseVerifier.VerifierCrypto<K>,
  acceptSerial: (now: number) => string | undefined
): Effect.Effect<
  (trusted: Trusted) => Effect.Effect<ReadonlyArray<PlatformCertificate>, DownloadError>,
  WechatPayConfigError,
  HttpClient.HttpClient | Signer | ApiV3Key
> =>
  Effect.gen(function*() {
    const apiV3Key = yield* ApiV3Key
    const { run } = yield* Pipeline.make(options, acceptSerial)
    const maxSkew = options.maxSkewSeconds === undefined ? {} : { maxSkewSeconds: options.maxSkewSeconds }
    const importAll = (entries: ReadonlyArray<{ readonly id: string; readonly spki: Pem.Bytes; readonly notBefore?: number; readonly notAfter?: number }>) =>
      Effect.forEach(entries, (entry) =>
        Effect.map(Effect.option(crypto.importKey(entry.spki, entry.id)), (key) =>
          Option.map(key, (key): ResponseVerifier.KeyEntry<K> => ({
            id: entry.id,
            key,
            notBefore: entry.notBefore,
            notAfter: entry.notAfter
          })))).pipe(Effect.map((keys) => keys.flatMap(Option.toArray)))
    const entriesOf = (trusted: Trusted) => [
      ...(trusted.publicKey === undefined ? [] : [{ id: trusted.publicKey.id, spki: trusted.publicKey.spki }]),
      ...trusted.certificates.map((cert) => ({
        id: cert.serial,
        spki: cert.spki,
        notBefore: cert.effectiveTime,
        notAfter: cert.expireTime
      }))
    ]

    return (trusted: Trusted) =>
      Effect.gen(function*() {
        // Keys held before this answer: they verify an error answer, if it names one.
        const held = ResponseVerifier.make({
          keys: yield* importAll(entriesOf(trusted)),
          acceptSerial: "",
          verifySignature: crypto.verifySignature,
          ...maxSkew
        })
        const heldSerials = new Set(entriesOf(trusted).map((entry) => entry.id))
        // Step 3 of each attempt: a 2xx is kept for decryption then verification
        // (below, not retried, as a verification failure never is); an error answer
        // is verified when it names a held key, else reported unverified.
        const check: Pipeline.Check<Received> = (response, attemptNo, traced) => {
          let checked: Effect.Effect<Received, WechatPayRequestError>
          if (response.status >= 200 && response.status < 300) {
            checked = Effect.succeed(response)
          } else {
            const serial = response.headers["wechatpay-serial"]
            const known = serial !== undefined && heldSerials.has(serial) &&
              response.headers["wechatpay-signature"] !== undefined
            const failed = apiError(response, attemptNo, known)
            checked = known ? Effect.zipRight(held.verify(response), failed) : failed
          }
          return traced ? Effect.zipRight(annotate(response), checked) : checked
        }
        const response = yield* run({ method: "GET", path: PATH }, check).pipe(
          Effect.catchTag("WechatPayApiError", (error) => Effect.fail(noCertificates(error)))
        )

        // 1. The shape.
        let json: unknown
        try {
          json = JSON.parse(response.body)
        } catch {
          return yield* new WechatPayDecodeError({
            method: response.method,
            path: response.path,
            status: response.status,
            where: "Json",
            issue: "the body is not valid JSON",
            requestId: response.headers["request-id"]
          })
        }
        const wire = decodeWire(json)
        if (Either.isLeft(wire)) {
          return yield* decodeError(response, ParseResult.TreeFormatter.formatErrorSync(wire.left))
        }
        if (wire.right.data.length === 0) return yield* decodeError(response, "data holds no certificate")

        // 2. Decrypt every certificate with the APIv3 key.
        const decrypted: Array<{ readonly entry: (typeof wire.right.data)[number]; readonly cert: PlatformCertificate }> = []
        for (const entry of wire.right.data) {
          const serialNo = normalizeSerial(entry.serial_no).slice(0, 64)
          const sealed = entry.encrypt_certificate
          if (sealed.algorithm !== "AEAD_AES_256_GCM") {
            return yield* new WechatPayDecryptError({
              algorithm: "AEAD_AES_256_GCM",
              reason: `certificate ${serialNo} is encrypted with ${sealed.algorithm.slice(0, 40)}, not AEAD_AES_256_GCM`
            })
          }
          const pem = yield* Crypto.decryptAeadAes256Gcm({
            apiV3Key,
            nonce: sealed.nonce,
            associatedData: sealed.associated_data,
            ciphertext: sealed.ciphertext
          }).pipe(
            Effect.mapError((error) =>
              new WechatPayDecryptError({ algorithm: error.algorithm, reason: `certificate ${serialNo}: ${error.reason}` })
            )
          )
          const parsed = fromPem([pem])
          const cert = Either.isRight(parsed) && parsed.right.length === 1 ? parsed.right[0] : undefined
          if (cert === undefined) {
            return yield* decodeError(response, `certificate ${serialNo} does not decrypt to one X.509 certificate`)
          }
          decrypted.push({ entry, cert })
        }

        // 3. Verify the same answer with the decrypted certificates (by their own serials) and those held.
        const fresh = new Set(decrypted.map(({ cert }) => cert.serial))
        const keys = yield* importAll(entriesOf({
          publicKey: trusted.publicKey,
          certificates: [
            ...decrypted.map(({ cert }) => cert),
            ...trusted.certificates.filter((cert) => !fresh.has(cert.serial))
          ]
        }))
        yield* ResponseVerifier.make({ keys, acceptSerial: "", verifySignature: crypto.verifySignature, ...maxSkew })
          .verify(response)

        // 4. The verified listing, checked against the certificates it lists.
        const downloaded: Array<PlatformCertificate> = []
        for (const { cert, entry } of decrypted) {
          const serialNo = normalizeSerial(entry.serial_no)
          if (cert.serial !== serialNo) {
            return yield* decodeError(response, `serial_no ${serialNo.slice(0, 64)} names a certificate whose serial is ${cert.serial}`)
          }
          const effective = Date.parse(entry.effective_time)
          const expire = Date.parse(entry.expire_time)
          if (Number.isNaN(effective) || Number.isNaN(expire)) {
            return yield* decodeError(response, `certificate ${serialNo}: effective_time or expire_time is not an RFC 3339 time`)
          }
          downloaded.push({
            ...cert,
            effectiveTime: Math.max(effective, cert.effectiveTime),
            expireTime: Math.min(expire, cert.expireTime)
          })
        }
        return downloaded.sort(byNewest)
      })
  })

const trustedOf = (
  options: DownloadOptions
): Either.Either<Trusted, WechatPayConfigError> =>
  Either.gen(function*() {
    const certificates = yield* fromPem(options.certificates ?? [], "certificates")
    if (options.publicKey === undefined) return { certificates, publicKey: undefined }
    const spki = Pem.publicKeyDer(options.publicKey.pem)
    if (Either.isLeft(spki)) return yield* Either.left(new WechatPayConfigError({ setting: "publicKey.pem", issue: spki.left }))
    return { certificates, publicKey: { id: options.publicKey.id, spki: spki.right } }
  })

/**
 * Downloads the certificates once: decrypted, the answer verified with them
 * (or with those given as held), newest first. What `certificates download`
 * of the CLI runs; {@link make} keeps the set fresh instead.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PlatformCertificates, ResponseVerifier } from "@effect-wechatpay/core"
 *
 * const serials = PlatformCertificates.download({}, ResponseVerifier.webCrypto).pipe(
 *   Effect.map((certificates) => certificates.map((cert) => cert.serial))
 * )
 * ```
 *
 * @since 0.2.0
 * @category Download
 */
export const download = <K>(
  options: DownloadOptions,
  crypto: ResponseVerifier.VerifierCrypto<K>
): Effect.Effect<ReadonlyArray<PlatformCertificate>, DownloadError, HttpClient.HttpClient | Signer | ApiV3Key> =>
  Effect.gen(function*() {
    const trusted = yield* trustedOf(options)
    const downloader = yield* makeDownloader(
      options,
      crypto,
      (now) => acceptSerialAt(trusted.certificates, options.publicKey, now)
    )
    return yield* downloader(trusted)
  })

// --- the rotating set ------------------------------------------------------------------

/**
 * The service: a first download (its failure fails the construction: a
 * wrong APIv3 key shows at start), then a scoped fiber that downloads again
 * every `refreshInterval`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PlatformCertificates, ResponseVerifier } from "@effect-wechatpay/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const certificates = yield* PlatformCertificates.make({ refreshInterval: "24 hours" }, ResponseVerifier.webCrypto)
 *   return (yield* certificates.current).map((cert) => cert.serial)
 * }))
 * ```
 *
 * @since 0.2.0
 * @category Constructors
 */
export const make = <K>(
  options: Options,
  crypto: ResponseVerifier.VerifierCrypto<K>
): Effect.Effect<Service, DownloadError, HttpClient.HttpClient | Signer | ApiV3Key | Scope.Scope> =>
  Effect.gen(function*() {
    const interval = Duration.decode(options.refreshInterval ?? REFRESH_INTERVAL.default)
    if (
      Duration.lessThan(interval, REFRESH_INTERVAL.min) || Duration.greaterThan(interval, REFRESH_INTERVAL.max)
    ) {
      return yield* new WechatPayConfigError({
        setting: "refreshInterval",
        issue: "must be from 1 hour to 2 days (WeChat Pay switches certificates gradually over days)"
      })
    }
    const trusted = yield* trustedOf(options)
    let held: ReadonlyArray<PlatformCertificate> = trusted.certificates
    let failures = 0
    const downloader = yield* makeDownloader(options, crypto, (now) => acceptSerialAt(held, options.publicKey, now))

    const install = (certificates: ReadonlyArray<PlatformCertificate>, now: number) =>
      Effect.sync(() => {
        held = certificates.filter((cert) => cert.expireTime >= now)
        return held
      })
    const refresh: Effect.Effect<ReadonlyArray<PlatformCertificate>, DownloadError> = Effect.gen(function*() {
      const downloaded = yield* Effect.suspend(() => downloader({ publicKey: trusted.publicKey, certificates: held }))
      const now = yield* Clock.currentTimeMillis
      if (!downloaded.some((cert) => cert.expireTime >= now)) {
        return yield* new WechatPayDecodeError({
          method: "GET",
          path: PATH,
          status: 200,
          where: "Schema",
          issue: "every downloaded certificate has expired"
        })
      }
      yield* Metric.increment(metrics.refreshes)
      return yield* install(downloaded, now)
    })
    // Expired certificates go at every tick, refreshed or not; a set without one stays the same array.
    const prune = Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.sync(() => {
        if (held.some((cert) => cert.expireTime < now)) held = held.filter((cert) => cert.expireTime >= now)
      }))
    const tick = refresh.pipe(
      Effect.asVoid,
      Effect.catchAll((error) =>
        Effect.zipRight(
          Effect.sync(() => {
            failures += 1
          }),
          Effect.zipRight(
            Metric.increment(metrics.refreshFailures),
            Effect.logWarning("platform certificate refresh failed: the held certificates are kept").pipe(
              Effect.annotateLogs({
                error: error._tag,
                reason: error.message,
                held: held.map((cert) => cert.serial).join(",")
              })
            )
          )
        )
      ),
      Effect.zipRight(prune)
    )

    yield* refresh
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(interval), tick)))

    return PlatformCertificates.of({
      current: Effect.flatMap(
        Clock.currentTimeMillis,
        (now) => Effect.sync(() => held.filter((cert) => cert.expireTime >= now))
      ),
      unsafeCurrent: () => held,
      refresh,
      failures: Effect.sync(() => failures),
      publicKey: options.publicKey
    })
  })

/**
 * The rotating set with WebCrypto verification of its downloads.
 *
 * @example
 * ```ts
 * import { PlatformCertificates } from "@effect-wechatpay/core"
 *
 * const CertificatesLive = PlatformCertificates.layer({ refreshInterval: "24 hours" })
 * ```
 *
 * @since 0.2.0
 * @category Layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<PlatformCertificates, DownloadError, HttpClient.HttpClient | Signer | ApiV3Key> =>
  Layer.scoped(PlatformCertificates, make(options, ResponseVerifier.webCrypto))

// --- readers of the set ----------------------------------------------------------------

/**
 * A response verifier over the set, read on every response: the keys of a
 * set are imported once, when it is first seen, and kept until it changes.
 * The `Wechatpay-Serial` sent is the public key's id, else the newest
 * certificate valid at the attempt's time.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PlatformCertificates, ResponseVerifier } from "@effect-wechatpay/core"
 *
 * const verifier = Effect.flatMap(PlatformCertificates.PlatformCertificates, (certificates) =>
 *   PlatformCertificates.makeResponseVerifier(certificates, ResponseVerifier.webCrypto))
 * ```
 *
 * @since 0.2.0
 * @category Constructors
 */
export const makeResponseVerifier = <K>(
  service: Service,
  crypto: ResponseVerifier.VerifierCrypto<K>,
  options: { readonly maxSkewSeconds?: number | undefined } = {}
): Effect.Effect<ResponseVerifier.Service, WechatPayConfigError> =>
  Effect.gen(function*() {
    const publicKey = service.publicKey
    let publicEntry: ResponseVerifier.KeyEntry<K> | undefined
    if (publicKey !== undefined) {
      const spki = Pem.publicKeyDer(publicKey.pem)
      if (Either.isLeft(spki)) return yield* new WechatPayConfigError({ setting: "publicKey.pem", issue: spki.left })
      publicEntry = { id: publicKey.id, key: yield* crypto.importKey(spki.right, publicKey.id) }
    }
    const maxSkew = options.maxSkewSeconds === undefined ? {} : { maxSkewSeconds: options.maxSkewSeconds }
    const build = (source: ReadonlyArray<PlatformCertificate>) =>
      Effect.map(
        Effect.forEach(source, (cert) =>
          Effect.map(Effect.option(crypto.importKey(cert.spki, cert.serial)), Option.map((key): ResponseVerifier.KeyEntry<K> => ({
            id: cert.serial,
            key,
            notBefore: cert.effectiveTime,
            notAfter: cert.expireTime
          })))),
        (entries) =>
          ResponseVerifier.make({
            keys: [...(publicEntry === undefined ? [] : [publicEntry]), ...entries.flatMap(Option.toArray)],
            acceptSerial: "",
            verifySignature: crypto.verifySignature,
            ...maxSkew
          })
      )
    let cachedSource: ReadonlyArray<PlatformCertificate> | undefined
    let cached: ResponseVerifier.Service | undefined
    const now = yield* Clock.currentTimeMillis
    return ResponseVerifier.ResponseVerifier.of({
      acceptSerial: acceptSerialAt(service.unsafeCurrent(), publicKey, now) ?? "",
      acceptSerialAt: (at) => acceptSerialAt(service.unsafeCurrent(), publicKey, at),
      verify: (response) => {
        const source = service.unsafeCurrent()
        if (source === cachedSource && cached !== undefined) return cached.verify(response)
        return Effect.flatMap(build(source), (verifier) => {
          cachedSource = source
          cached = verifier
          return verifier.verify(response)
        })
      }
    })
  })

/**
 * Sensitive-field encryption over the set: the public key when configured,
 * else the newest certificate valid at the moment of the request (so a new
 * certificate is used from its `effective_time`, not before). Each key is
 * imported the first time it is used.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { PlatformCertificates, SensitiveFields } from "@effect-wechatpay/core"
 *
 * const fields = Effect.flatMap(PlatformCertificates.PlatformCertificates, (certificates) =>
 *   PlatformCertificates.makeSensitiveFields(certificates, SensitiveFields.webCrypto))
 * ```
 *
 * @since 0.2.0
 * @category Constructors
 */
export const makeSensitiveFields = <K>(
  service: Service,
  crypto: SensitiveFields.EncryptCrypto<K>
): Effect.Effect<SensitiveFields.Service, WechatPayConfigError> =>
  Effect.gen(function*() {
    const publicKey = service.publicKey
    let publicCipher: SensitiveFields.Cipher | undefined
    if (publicKey !== undefined) {
      const spki = Pem.publicKeyDer(publicKey.pem)
      if (Either.isLeft(spki)) return yield* new WechatPayConfigError({ setting: "publicKey.pem", issue: spki.left })
      publicCipher = SensitiveFields.cipherOf(publicKey.id, yield* crypto.importKey(spki.right, publicKey.id), crypto)
    }
    const ciphers = new Map<string, SensitiveFields.Cipher>()
    const none = new WechatPayConfigError({
      setting: "platformCertificates",
      issue: "no downloaded platform certificate is valid now, and no WeChat Pay public key is configured"
    })
    return SensitiveFields.SensitiveFields.of({
      cipher: publicCipher !== undefined ? Effect.succeed(publicCipher) : Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const chosen = newestValid(service.unsafeCurrent(), now)
        if (chosen === undefined) return Effect.fail(none)
        const known = ciphers.get(chosen.serial)
        if (known !== undefined) return Effect.succeed(known)
        return Effect.map(crypto.importKey(chosen.spki, chosen.serial), (key) => {
          const cipher = SensitiveFields.cipherOf(chosen.serial, key, crypto)
          ciphers.set(chosen.serial, cipher)
          return cipher
        })
      })
    })
  })

/**
 * The WebCrypto verifier over the `PlatformCertificates` in context.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { PlatformCertificates } from "@effect-wechatpay/core"
 *
 * const VerifierLive = PlatformCertificates.layerResponseVerifier.pipe(Layer.provide(PlatformCertificates.layer()))
 * ```
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerResponseVerifier: Layer.Layer<ResponseVerifier.ResponseVerifier, WechatPayConfigError, PlatformCertificates> =
  Layer.effect(
    ResponseVerifier.ResponseVerifier,
    Effect.flatMap(PlatformCertificates, (service) => makeResponseVerifier(service, ResponseVerifier.webCrypto))
  )

/**
 * WebCrypto sensitive-field encryption over the `PlatformCertificates` in context.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { PlatformCertificates } from "@effect-wechatpay/core"
 *
 * const FieldsLive = PlatformCertificates.layerSensitiveFields.pipe(Layer.provide(PlatformCertificates.layer()))
 * ```
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerSensitiveFields: Layer.Layer<SensitiveFields.SensitiveFields, WechatPayConfigError, PlatformCertificates> =
  Layer.effect(
    SensitiveFields.SensitiveFields,
    Effect.flatMap(PlatformCertificates, (service) => makeSensitiveFields(service, SensitiveFields.webCrypto))
  )

/**
 * The client in certificate mode on WebCrypto: the rotating set, the client
 * verifying with it, and sensitive-field encryption from it; the same
 * options for the downloads and the client.
 *
 * @example
 * ```ts
 * import { PlatformCertificates } from "@effect-wechatpay/core"
 *
 * const WechatPayLive = PlatformCertificates.layerClient({ refreshInterval: "24 hours" })
 * ```
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerClient = (
  options: Options = {}
): Layer.Layer<
  WechatPayClient.WechatPayClient | SensitiveFields.SensitiveFields | PlatformCertificates,
  DownloadError,
  HttpClient.HttpClient | Signer | ApiV3Key
> => {
  const { certificates: _c, maxSkewSeconds: _m, publicKey: _p, refreshInterval: _r, ...client } = options
  const verifier = Layer.effect(
    ResponseVerifier.ResponseVerifier,
    Effect.flatMap(PlatformCertificates, (service) =>
      makeResponseVerifier(service, ResponseVerifier.webCrypto, { maxSkewSeconds: options.maxSkewSeconds }))
  )
  return Layer.mergeAll(
    WechatPayClient.layer(client).pipe(Layer.provide(verifier)),
    layerSensitiveFields
  ).pipe(Layer.provideMerge(layer(options)))
}
