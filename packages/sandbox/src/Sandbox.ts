/**
 * A fake WeChat Pay APIv3 server for the offline-face collection endpoints. It authenticates requests exactly as
 * WeChat Pay does (`WECHATPAY2-SHA256-RSA2048`), signs every response (errors included), serves deterministic
 * data and injects faults on demand. It is an independent oracle of the protocol: it does not use the client.
 *
 * The pure core is {@link Service.handle}; {@link layerHttpClient} routes an `HttpClient` to it in memory
 * (all time through `Clock`, all sleeps through `Effect.sleep`, so `TestClock` drives it) and
 * `SandboxServer` serves it over loopback HTTP.
 *
 * Endpoints:
 * - `GET /v3/offlineface/face-collections?organization_id=…&offset=…&limit=…` (`offset` default 0,
 *   `limit` default 20, at most `maxLimit` = 200) → `{"face_collections":[…]}`;
 * - `GET /v3/offlineface/face-collections/{collection_id}` → one item, 404 `RESOURCE_NOT_EXISTS` if unknown;
 * - `GET /v3/certificates` → the platform certificates not expired, each encrypted with the APIv3 key
 *   (`AEAD_AES_256_GCM`, associated data `certificate`); in `publicKey` mode 404 `RESOURCE_NOT_EXISTS`, as
 *   WeChat Pay answers merchants it issues no certificate to. {@link Service.rotateCertificate} adds one;
 * - anything else → 404 `NOT_FOUND`.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { HttpClient } from "@effect/platform"
 * import { Sandbox } from "@effect-wechatpay/sandbox"
 *
 * const TestLive = Sandbox.layerHttpClient.pipe(Layer.provideMerge(Sandbox.layer({ mode: "publicKey" })))
 * const program = Effect.gen(function* () {
 *   const sandbox = yield* Sandbox.Sandbox
 *   const http = yield* HttpClient.HttpClient
 *   // sign with sandbox.config.merchantPrivateKeyPem, verify with sandbox.config.wechatpayPublicKeyPem
 * })
 * ```
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { Context, Effect, Layer } from "effect"
import type * as FaceCollections from "./FaceCollections.js"
import type * as Notifications from "./Notifications.js"
import type * as Faults from "./Faults.js"
import * as internal from "./internal/sandbox.js"

/**
 * Which key signs responses.
 * - `publicKey`: the WeChat Pay public-key-mode key (微信支付公钥), `Wechatpay-Serial` = `PUB_KEY_ID_…`.
 * - `certificate`: the platform certificate's key (平台证书), `Wechatpay-Serial` = the certificate serial.
 * - `migration`: both configured; a request whose `Wechatpay-Serial` header equals the `PUB_KEY_ID_…` gets
 *   public-key signatures, any other request (including one without the header) platform-certificate ones.
 *
 * @since 0.1.0
 * @category Models
 */
export type KeyMode = "publicKey" | "certificate" | "migration"

/**
 * Sandbox options; every field is optional.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Options extends FaceCollections.DataOptions {
  /** Default `"1900000001"`. */
  readonly mchid?: string | undefined
  /** The merchant API certificate serial expected in `serial_no`. Default `"5157F09EFDC096DE15EBE81A47057A7232F1B8E1"`. */
  readonly merchantSerial?: string | undefined
  /** Merchant API private key (PKCS#8 or PKCS#1 PEM). Default: a fresh RSA-2048 key. */
  readonly merchantPrivateKeyPem?: string | undefined
  /** Default `"PUB_KEY_ID_0119000000012025010100000000000001"`. */
  readonly wechatpayPublicKeyId?: string | undefined
  /** Private half of the WeChat Pay public-key-mode key. Default: a fresh RSA-2048 key. */
  readonly wechatpayPrivateKeyPem?: string | undefined
  /** Private key of the platform certificate. Default: a fresh RSA-2048 key. */
  readonly platformPrivateKeyPem?: string | undefined
  /** Platform certificate serial (hex). Default: 16 random bytes. */
  readonly platformCertificateSerial?: string | undefined
  /** Default `"publicKey"`. */
  readonly mode?: KeyMode | undefined
  /** Default `Faults.none`. */
  readonly faults?: Faults.Faults | undefined
  /** Page size when `limit` is absent. Default 20. */
  readonly defaultLimit?: number | undefined
  /** Largest accepted `limit`. Default 200. */
  readonly maxLimit?: number | undefined
  /** Requests whose timestamp is this far (or farther) from the Clock are rejected. Default 300 s. */
  readonly maxClockSkewSeconds?: number | undefined
  /** A nonce may not be reused within this window. Default 600 s. */
  readonly nonceWindowSeconds?: number | undefined
  /** Request records kept in memory (the total count is always exact). Default 10 000. */
  readonly historySize?: number | undefined
  /**
   * Sign answers on libuv's thread pool (node:crypto's callback form) instead of the sandbox's one thread, as
   * WeChat Pay answers concurrent requests in parallel: a sandbox serving a client's prefetch then does not
   * serialise the signatures (the bench's sandbox does). Default false: the signature is made in the request's
   * fiber, so that a test moving the `TestClock` sees every answer signed at the time it was asked.
   */
  readonly signInParallel?: boolean | undefined
  /** The APIv3 key (32 ASCII characters) notifications are encrypted with. Default: 32 random characters. */
  readonly apiV3Key?: string | undefined
  /** Where and how contract changes are notified (see `Notifications`). Default: not sent. */
  readonly notifications?: Notifications.Options | undefined
}

/**
 * Key material to pass back in as {@link Options} (e.g. generate once per test file, build many sandboxes).
 *
 * @since 0.1.0
 * @category Models
 */
export interface Keys {
  readonly merchantPrivateKeyPem: string
  readonly wechatpayPrivateKeyPem: string
  readonly platformPrivateKeyPem: string
}

/**
 * What a client needs to talk to the sandbox, as plain data.
 *
 * @since 0.1.0
 * @category Models
 */
export interface SandboxConfig {
  readonly mode: KeyMode
  readonly mchid: string
  readonly merchantSerial: string
  /** PKCS#8 PEM. */
  readonly merchantPrivateKeyPem: string
  /** SPKI PEM. */
  readonly merchantPublicKeyPem: string
  readonly wechatpayPublicKeyId: string
  /** SPKI PEM (the key `PUB_KEY_ID_…` names). */
  readonly wechatpayPublicKeyPem: string
  /** Self-signed X.509 v3 PEM; configured in every mode, used to sign in `certificate` and `migration` mode. */
  readonly platformCertificatePem: string
  /** Upper-case hex. */
  readonly platformCertificateSerial: string
  /** The APIv3 key notifications are encrypted with (a test key: the sandbox's own). */
  readonly apiV3Key: string
}

/**
 * A request as the sandbox sees it. `url` is the raw request target (path + `?` + raw query), exactly the bytes
 * the client signed. Header names are matched case-insensitively.
 *
 * @since 0.1.0
 * @category Models
 */
export interface SandboxRequest {
  readonly method: string
  readonly url: string
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  /** The raw body text; absent = empty. */
  readonly body?: string | undefined
}

/**
 * A response: `body` is exactly the text that was signed (unless a `tamper` fault changed it afterwards).
 *
 * @since 0.1.0
 * @category Models
 */
export interface SandboxResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * `"reset"`: drop the connection without answering.
 *
 * @since 0.1.0
 * @category Models
 */
export type HandleResult = SandboxResponse | "reset"

/**
 * One received request. `seq` is the 1-based receive order (the numbering `first=`/`nth=` faults use is
 * relative to the last {@link Service.setFaults}). `status` is `"interrupted"` when the handling fiber was
 * interrupted (e.g. the client gave up during `latency`).
 *
 * @since 0.1.0
 * @category Models
 */
export interface RequestRecord {
  readonly seq: number
  /** Clock time of receipt, epoch milliseconds. */
  readonly receivedAt: number
  readonly method: string
  readonly url: string
  /** From `Authorization`, when it could be parsed that far. */
  readonly nonce: string | undefined
  readonly timestamp: string | undefined
  /** The request's `Wechatpay-Serial` header. */
  readonly wechatpaySerial: string | undefined
  readonly status: number | "reset" | "interrupted"
  /** The `Request-ID` answered (none for a reset). */
  readonly requestId: string | undefined
  /** Faults applied to this request (`"quota"` for a quota rejection). */
  readonly faults: ReadonlyArray<Faults.FaultKind | "quota">
  /** The request body as received ("" when none). */
  readonly body: string
  /** The route's name (`createTransaction`, `updateFaceUser`, …; see the README), when the path is one. */
  readonly route: string | undefined
}

/**
 * A platform certificate the sandbox holds.
 *
 * @since 0.2.0
 * @category Models
 */
export interface PlatformCertificateInfo {
  /** Upper-case hex. */
  readonly serial: string
  readonly pem: string
  /** `notBefore`, epoch milliseconds: the download's `effective_time`. */
  readonly effectiveTime: number
  /** `notAfter`, epoch milliseconds: the download's `expire_time`. */
  readonly expireTime: number
  /** When it started (or starts) signing answers; `undefined`: not yet planned (the first one: always). */
  readonly signFrom: number | undefined
}

/**
 * Options of {@link Service.rotateCertificate}; times are epoch milliseconds.
 *
 * @since 0.2.0
 * @category Models
 */
export interface RotateOptions {
  /** The certificate's `notBefore` (`effective_time`). Default: Clock now. */
  readonly effectiveAt?: number | undefined
  /** The certificate's `notAfter` (`expire_time`). Default: five years after `effectiveAt`. */
  readonly expireAt?: number | undefined
  /**
   * From when answers are signed with it (in `certificate` and `migration` mode). Default: not until
   * {@link Service.signWithCertificate} is called, as WeChat Pay lists a new certificate days before it signs.
   */
  readonly signFrom?: number | undefined
  /** Its RSA private key (PEM). Default: a fresh RSA-2048 key. */
  readonly privateKeyPem?: string | undefined
  /** Serial (hex). Default: 16 random bytes. */
  readonly serial?: string | undefined
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface ProductView {
  /** Charges processed: a charge refused (bad input, duplicate `out_trade_no`, a 429/500/reset fault) is not one. */
  readonly charges: number
  readonly transactions: ReadonlyArray<{ readonly outTradeNo: string; readonly tradeState: string }>
  /** Pre-signs accepted: the serial they came under and the plaintext of each encrypted field, by wire path. */
  readonly presigns: ReadonlyArray<{ readonly serial: string; readonly decrypted: Readonly<Record<string, string>> }>
  /** User updates accepted, likewise. */
  readonly updates: ReadonlyArray<{ readonly serial: string; readonly decrypted: Readonly<Record<string, string>> }>
  readonly users: ReadonlyArray<{
    readonly organizationId: string
    readonly outUserId: string
    readonly useId: string
    readonly userName: string
    readonly userType: string
    readonly className: string | undefined
    readonly status: string
    readonly phone: string | undefined
    readonly contractId: string | undefined
  }>
  readonly contracts: ReadonlyArray<{ readonly contractId: string; readonly contractState: string; readonly useId: string }>
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service {
  /** The K12 product's state (organizations, users, contracts, charges), as the routes left it. */
  readonly product: Effect.Effect<ProductView>
  readonly config: SandboxConfig
  /** The data options in effect (pass them to `FaceCollections.*`). */
  readonly data: FaceCollections.DataOptions
  /** Handles one request: authentication, routing, faults, response signing. */
  readonly handle: (request: SandboxRequest) => Effect.Effect<HandleResult>
  /** The last `historySize` requests, oldest first. */
  readonly requests: Effect.Effect<ReadonlyArray<RequestRecord>>
  /** Exact number of requests received so far. */
  readonly requestCount: Effect.Effect<number>
  /** Replaces the fault plan; `first=`/`nth=`/`rate=` numbering and the quota window start afresh. */
  readonly setFaults: (faults: Faults.Faults) => Effect.Effect<void>
  /** The item at `index` of an organization (wire JSON), as the server holds it. */
  readonly itemAt: (organizationId: string, index: number) => FaceCollections.FaceCollectionWire | undefined
  /** Every item of an organization in order (materialises: use on small organizations). */
  readonly expectedItems: (organizationId: string) => ReadonlyArray<FaceCollections.FaceCollectionWire>
  /**
   * The user signs in WeChat: a contract in force (a new one unless one is in force already), and a
   * `FACEPAY.USER_STATE_CHANGE` sent when notifications are configured. Dies for an unknown user.
   */
  readonly signContract: (user: { readonly organizationId: string; readonly outUserId: string }) => Effect.Effect<string>
  /**
   * A notification signed and encrypted as the sandbox sends them, with `faults` applied, not sent: for
   * tests of a receiver. `resource` is the plaintext; `eventType` defaults to `FACEPAY.USER_STATE_CHANGE`.
   */
  readonly buildNotification: (options: {
    readonly resource: Readonly<Record<string, unknown>>
    readonly eventType?: string | undefined
    readonly faults?: ReadonlyArray<Notifications.NotificationFault> | undefined
    readonly id?: string | undefined
  }) => Effect.Effect<Notifications.BuiltNotification>
  /** The resource of a `FACEPAY.USER_STATE_CHANGE` for a seeded or signed user (its contract in force or last). */
  readonly userStateChange: (user: { readonly organizationId: string; readonly outUserId: string }) => Effect.Effect<Record<string, unknown>>
  /** The platform certificates `GET /v3/certificates` lists now (not expired), oldest first. */
  readonly platformCertificates: Effect.Effect<ReadonlyArray<PlatformCertificateInfo>>
  /**
   * A new platform certificate: listed by the download from now on (effective from `effectiveAt`), and
   * signing answers from `signFrom` (or from a {@link Service.signWithCertificate} call). Sensitive fields
   * encrypted with it are decrypted.
   */
  readonly rotateCertificate: (options?: RotateOptions) => Effect.Effect<PlatformCertificateInfo>
  /** Answers are signed with this certificate from now on. Dies for a serial the sandbox does not hold. */
  readonly signWithCertificate: (serial: string) => Effect.Effect<void>
  /** Every delivery attempt so far, oldest first. */
  readonly deliveries: Effect.Effect<ReadonlyArray<Notifications.Delivery>>
  /** Replaces the faults applied to notifications sent from now on. */
  readonly setNotificationFaults: (faults: ReadonlyArray<Notifications.NotificationFault>) => Effect.Effect<void>
  /** Waits until every delivery started so far has ended (a 2xx answer, or the resend schedule spent). */
  readonly notificationsSettled: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category Tags
 */
export class Sandbox extends Context.Tag("@effect-wechatpay/sandbox/Sandbox")<Sandbox, Service>() {}

/**
 * @since 0.1.0
 * @category Defaults
 */
export const defaults: {
  readonly mchid: string
  readonly merchantSerial: string
  readonly wechatpayPublicKeyId: string
  readonly mode: KeyMode
  readonly defaultLimit: number
  readonly maxLimit: number
  readonly maxClockSkewSeconds: number
  readonly nonceWindowSeconds: number
  readonly historySize: number
} = internal.defaults

/**
 * Three fresh RSA-2048 key pairs (async `generateKeyPair`, in parallel).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const generateKeys: Effect.Effect<Keys> = internal.generateKeys

/**
 * Builds a sandbox: generates the keys not given, the platform certificate (valid from Clock now − 1 day for
 * 5 years) and the handler. Invalid PEM options are defects.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make: (options?: Options) => Effect.Effect<Service> = internal.make

/**
 * @since 0.1.0
 * @category Layers
 */
export const layer = (options?: Options): Layer.Layer<Sandbox> => Layer.effect(Sandbox, make(options))

/**
 * Key material as a service: generate it once (it takes a few hundred
 * milliseconds) and share it, e.g. across a test file with `@effect/vitest`'s
 * `layer(Sandbox.layerKeys)`.
 *
 * @since 0.2.0
 * @category Tags
 */
export class SandboxKeys extends Context.Tag("@effect-wechatpay/sandbox/SandboxKeys")<SandboxKeys, Keys>() {}

/**
 * Fresh {@link Keys} ({@link generateKeys}) as {@link SandboxKeys}.
 *
 * @since 0.2.0
 * @category Layers
 */
export const layerKeys: Layer.Layer<SandboxKeys> = Layer.effect(SandboxKeys, generateKeys)

/**
 * An in-memory `HttpClient` that routes every request to the {@link Sandbox} in context. The request target is
 * `url.pathname + url.search` of the URL the client built (what a real transport sends); a `reset` fault
 * becomes a `RequestError` with reason `"Transport"`.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerHttpClient: Layer.Layer<HttpClient.HttpClient, never, Sandbox> = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(Sandbox, internal.makeHttpClient)
)

/**
 * `layer(options)` and `layerHttpClient` together.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerWithHttpClient = (options?: Options): Layer.Layer<Sandbox | HttpClient.HttpClient> =>
  layerHttpClient.pipe(Layer.provideMerge(layer(options)))

/**
 * An in-memory `HttpClient` for a given sandbox.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeHttpClient: (sandbox: Service) => HttpClient.HttpClient = internal.makeHttpClient
