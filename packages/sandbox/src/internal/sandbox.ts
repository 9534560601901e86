/**
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Clock, Duration, Effect, Exit, Stream } from "effect"
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPair,
  type KeyObject,
  randomBytes,
  sign,
  verify
} from "node:crypto"
import * as Certificate from "../Certificate.js"
import * as FaceCollections from "../FaceCollections.js"
import * as Faults from "../Faults.js"
import type * as Notifications from "../Notifications.js"
import type * as Sandbox from "../Sandbox.js"
import * as K12 from "./k12.js"
import { beijingTime, randomText } from "./text.js"
import * as NotificationSender from "./notifications.js"

const schema = "WECHATPAY2-SHA256-RSA2048"
const listPath = "/v3/offlineface/face-collections"
const certificatesPath = "/v3/certificates"
const FIVE_YEARS_MS = 5 * 365 * 86_400_000

/** @internal */
export const defaults = {
  mchid: "1900000001",
  merchantSerial: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
  wechatpayPublicKeyId: "PUB_KEY_ID_0119000000012025010100000000000001",
  mode: "publicKey",
  defaultLimit: 20,
  maxLimit: 200,
  maxClockSkewSeconds: 300,
  nonceWindowSeconds: 600,
  historySize: 10_000
} as const

// ---------------------------------------------------------------------------------------------------------------
// keys
// ---------------------------------------------------------------------------------------------------------------

const generateOne: Effect.Effect<string> = Effect.async<string>((resume) => {
  generateKeyPair(
    "rsa",
    {
      modulusLength: 2048,
      publicKeyEncoding: { type: "spki", format: "pem" },
      privateKeyEncoding: { type: "pkcs8", format: "pem" }
    },
    (err, _publicKey, privateKey) => {
      if (err) resume(Effect.die(err))
      else resume(Effect.succeed(privateKey))
    }
  )
})

/** @internal */
export const generateKeys: Effect.Effect<Sandbox.Keys> = Effect.all({
  merchantPrivateKeyPem: generateOne,
  wechatpayPrivateKeyPem: generateOne,
  platformPrivateKeyPem: generateOne
}, { concurrency: "unbounded" })

const privateKeyFrom = (what: string, pem: string): KeyObject => {
  try {
    const key = createPrivateKey(pem)
    if (key.asymmetricKeyType !== "rsa") throw new Error(`not an RSA key (${key.asymmetricKeyType})`)
    return key
  } catch (cause) {
    throw new Error(`sandbox option ${what} is not a usable RSA private key PEM`, { cause })
  }
}

const pkcs8 = (key: KeyObject): string => key.export({ type: "pkcs8", format: "pem" }).toString()
const spki = (key: KeyObject): string => createPublicKey(key).export({ type: "spki", format: "pem" }).toString()

// ---------------------------------------------------------------------------------------------------------------
// small helpers
// ---------------------------------------------------------------------------------------------------------------

const randomNonce = (): string => randomText(32)

const normaliseHeaders = (
  headers: Sandbox.SandboxRequest["headers"]
): Map<string, string> => {
  const out = new Map<string, string>()
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue
    out.set(k.toLowerCase(), typeof v === "string" ? v : v.join(", "))
  }
  return out
}

interface Problem {
  readonly status: number
  readonly code: string
  readonly message: string
  readonly detail?: {
    readonly field: string
    readonly value: string | null
    readonly issue: string
    readonly location: "query" | "path" | "header" | "body"
  }
}

const problemBody = (p: Problem): Record<string, unknown> =>
  p.detail === undefined ? { code: p.code, message: p.message } : { code: p.code, message: p.message, detail: p.detail }

// ---------------------------------------------------------------------------------------------------------------
// Authorization
// ---------------------------------------------------------------------------------------------------------------

const authFields = ["mchid", "nonce_str", "signature", "timestamp", "serial_no"] as const
type AuthField = (typeof authFields)[number]

type ParsedAuth =
  | { readonly _tag: "Ok"; readonly fields: Readonly<Record<AuthField, string>> }
  | { readonly _tag: "Error"; readonly reason: string; readonly partial: ReadonlyMap<string, string> }

/** @internal */
export const parseAuthorization = (header: string | undefined): ParsedAuth => {
  const empty = new Map<string, string>()
  if (header === undefined || header.trim() === "") {
    return { _tag: "Error", reason: "missing Authorization header", partial: empty }
  }
  const space = header.indexOf(" ")
  const scheme = space < 0 ? header : header.slice(0, space)
  if (scheme !== schema) {
    return {
      _tag: "Error",
      reason: `unsupported Authorization scheme (expected ${schema} followed by one space)`,
      partial: empty
    }
  }
  const rest = header.slice(space + 1)
  const pairs = new Map<string, string>()
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)="([^"]*)"\s*(?:,|$)/y
  let pos = 0
  while (pos < rest.length) {
    re.lastIndex = pos
    const m = re.exec(rest)
    if (m === null) {
      return {
        _tag: "Error",
        reason: `malformed Authorization parameters at character ${space + 2 + pos}: ` +
          `expected key="value" pairs separated by commas`,
        partial: pairs
      }
    }
    const key = m[1] ?? ""
    if (pairs.has(key)) {
      return { _tag: "Error", reason: `Authorization parameter ${key} appears more than once`, partial: pairs }
    }
    pairs.set(key, m[2] ?? "")
    pos = re.lastIndex
  }
  const missing = authFields.filter((f) => !pairs.has(f) || pairs.get(f) === "")
  if (missing.length > 0) {
    return { _tag: "Error", reason: `Authorization lacks ${missing.join(", ")}`, partial: pairs }
  }
  return {
    _tag: "Ok",
    fields: {
      mchid: pairs.get("mchid") ?? "",
      nonce_str: pairs.get("nonce_str") ?? "",
      signature: pairs.get("signature") ?? "",
      timestamp: pairs.get("timestamp") ?? "",
      serial_no: pairs.get("serial_no") ?? ""
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// the sandbox
// ---------------------------------------------------------------------------------------------------------------

interface RouteResult {
  readonly status: number
  /** `undefined`: no content (an empty body). */
  readonly json?: unknown
}

interface Signer {
  readonly serial: string
  readonly key: KeyObject
}

const positiveInt = (what: string, n: number | undefined, fallback: number, min: number): number => {
  const v = n ?? fallback
  if (!Number.isSafeInteger(v) || v < min) throw new Error(`sandbox option ${what} must be an integer ≥ ${min}`)
  return v
}

/** @internal */
export const make = (options: Sandbox.Options = {}): Effect.Effect<Sandbox.Service> =>
  Effect.gen(function*() {
    const need = (pem: string | undefined) => (pem === undefined ? generateOne : Effect.succeed(pem))
    const pems = yield* Effect.all({
      merchant: need(options.merchantPrivateKeyPem),
      wechatpay: need(options.wechatpayPrivateKeyPem),
      platform: need(options.platformPrivateKeyPem)
    }, { concurrency: "unbounded" })
    const keys = yield* Effect.try(() => ({
      merchant: privateKeyFrom("merchantPrivateKeyPem", pems.merchant),
      wechatpay: privateKeyFrom("wechatpayPrivateKeyPem", pems.wechatpay),
      platform: privateKeyFrom("platformPrivateKeyPem", pems.platform)
    })).pipe(Effect.orDie)
    const certificate = yield* Certificate.make({
      privateKey: keys.platform,
      serialNumber: options.platformCertificateSerial
    })
    const mode = options.mode ?? defaults.mode
    const config: Sandbox.SandboxConfig = {
      mode,
      mchid: options.mchid ?? defaults.mchid,
      merchantSerial: options.merchantSerial ?? defaults.merchantSerial,
      merchantPrivateKeyPem: pkcs8(keys.merchant),
      merchantPublicKeyPem: spki(keys.merchant),
      wechatpayPublicKeyId: options.wechatpayPublicKeyId ?? defaults.wechatpayPublicKeyId,
      wechatpayPublicKeyPem: spki(keys.wechatpay),
      platformCertificatePem: certificate.pem,
      platformCertificateSerial: certificate.serialNumber,
      apiV3Key: options.apiV3Key ?? randomText(32)
    }
    if (Buffer.byteLength(config.apiV3Key, "utf8") !== 32) {
      return yield* Effect.dieMessage("Sandbox option apiV3Key must be 32 bytes")
    }
    const settings = yield* Effect.try(() => ({
      defaultLimit: positiveInt("defaultLimit", options.defaultLimit, defaults.defaultLimit, 1),
      maxLimit: positiveInt("maxLimit", options.maxLimit, defaults.maxLimit, 1),
      maxSkew: positiveInt("maxClockSkewSeconds", options.maxClockSkewSeconds, defaults.maxClockSkewSeconds, 1),
      nonceWindowMs: positiveInt("nonceWindowSeconds", options.nonceWindowSeconds, defaults.nonceWindowSeconds, 0) * 1000,
      historySize: positiveInt("historySize", options.historySize, defaults.historySize, 0),
      signInParallel: options.signInParallel === true
    })).pipe(Effect.orDie)
    const data: FaceCollections.DataOptions = {
      organizations: options.organizations ?? FaceCollections.defaultOrganizations,
      seed: options.seed ?? FaceCollections.defaultSeed
    }
    return makeService({
      config,
      data,
      settings,
      merchantPublicKey: createPublicKey(keys.merchant),
      publicKeySigner: { serial: config.wechatpayPublicKeyId, key: keys.wechatpay },
      certificateSigner: { serial: config.platformCertificateSerial, key: keys.platform },
      certificate,
      faults: options.faults ?? Faults.none,
      notifications: options.notifications ?? {}
    })
  })


interface Internals {
  readonly config: Sandbox.SandboxConfig
  readonly data: FaceCollections.DataOptions
  readonly settings: {
    readonly defaultLimit: number
    readonly maxLimit: number
    readonly maxSkew: number
    readonly nonceWindowMs: number
    readonly historySize: number
    readonly signInParallel: boolean
  }
  readonly merchantPublicKey: KeyObject
  readonly publicKeySigner: Signer
  readonly certificateSigner: Signer
  readonly certificate: Certificate.Certificate
  readonly faults: Faults.Faults
  readonly notifications: Notifications.Options
}

const makeService = (self: Internals): Sandbox.Service => {
  const { config, data, settings } = self
  // mutable state, touched only inside Effect.sync blocks (never across a yield)
  let faults = self.faults
  let faultBase = 0
  let seq = 0
  const history: Array<Sandbox.RequestRecord> = []
  let historyStart = 0 // ring buffer head once full
  const nonces = new Map<string, number>() // nonce → Clock ms when accepted (insertion-ordered)
  let quotaWindow: Array<number> = []
  let routeSeqs: Array<number> = [] // per fault bound to a route: requests of that route seen
  // The product's state; encrypted fields are decrypted with the key their request's Wechatpay-Serial names.
  const decryptors = new Map([
    [config.wechatpayPublicKeyId, self.publicKeySigner.key],
    [config.platformCertificateSerial, self.certificateSigner.key]
  ])
  const product = K12.makeState(config.mchid, decryptors)

  // The platform certificates: the configured one, then those `rotateCertificate` added. Each signs
  // answers from its `signFrom` on (the latest such wins); the download lists those not expired.
  interface HeldCertificate {
    readonly certificate: Certificate.Certificate
    readonly key: KeyObject
    signFrom: number | undefined
  }
  const platformCertificates: Array<HeldCertificate> = [
    { certificate: self.certificate, key: self.certificateSigner.key, signFrom: Number.NEGATIVE_INFINITY }
  ]
  const certificateSignerAt = (now: number): Signer => {
    let best: HeldCertificate | undefined
    for (const held of platformCertificates) {
      if (held.signFrom !== undefined && held.signFrom <= now && (best === undefined || held.signFrom >= (best.signFrom ?? 0))) {
        best = held
      }
    }
    return best === undefined ? self.certificateSigner : { serial: best.certificate.serialNumber, key: best.key }
  }
  const infoOf = (held: HeldCertificate): Sandbox.PlatformCertificateInfo => ({
    serial: held.certificate.serialNumber,
    pem: held.certificate.pem,
    effectiveTime: held.certificate.notBefore.getTime(),
    expireTime: held.certificate.notAfter.getTime(),
    signFrom: held.signFrom === undefined || !Number.isFinite(held.signFrom) ? undefined : held.signFrom
  })
  const listed = (now: number) => platformCertificates.filter((held) => held.certificate.notAfter.getTime() > now)

  const certificatesRoute = (rawQuery: string, now: number): RouteResult => {
    if (config.mode === "publicKey") {
      // What WeChat Pay answers a merchant it issues no certificate to (public-key mode only).
      return notFound(
        "RESOURCE_NOT_EXISTS",
        "无可用的平台证书，请在商户平台-API安全申请使用微信支付公钥 (no platform certificate available: " +
          "apply for the WeChat Pay public key under API security)"
      )
    }
    const algorithm = new URLSearchParams(rawQuery).get("algorithm_type") ?? "RSA"
    if (algorithm !== "RSA" && algorithm !== "SM2" && algorithm !== "ALL") {
      return {
        status: 400,
        json: problemBody({
          status: 400,
          code: "PARAM_ERROR",
          message: "algorithm_type must be RSA, SM2 or ALL",
          detail: { field: "algorithm_type", value: algorithm, issue: "unknown", location: "query" }
        })
      }
    }
    const data = algorithm === "SM2" ? [] : listed(now).map((held) => {
      const nonce = randomNonce().slice(0, 12)
      return {
        serial_no: held.certificate.serialNumber,
        effective_time: beijingTime(held.certificate.notBefore.getTime()),
        expire_time: beijingTime(held.certificate.notAfter.getTime()),
        encrypt_certificate: {
          algorithm: "AEAD_AES_256_GCM",
          nonce,
          associated_data: "certificate",
          ciphertext: NotificationSender.encrypt(config.apiV3Key, nonce, "certificate", held.certificate.pem)
        }
      }
    })
    return { status: 200, json: { data } }
  }

  const wrongSerials = {
    publicKey: config.wechatpayPublicKeyId.replace(/[0-9]{4}$/, (d) => (d === "9999" ? "9998" : "9999")),
    certificate: Certificate.randomSerialNumber()
  }

  // Notifications are signed as WeChat Pay signs them in each mode; in migration mode with the public key
  // (a callback may carry a PUB_KEY_ID_… while the merchant's requests still use certificates).
  const notificationSigner = config.mode === "certificate" ? self.certificateSigner : self.publicKeySigner
  const sender = NotificationSender.makeSender({
    signer: notificationSigner,
    wrongSerial: notificationSigner === self.publicKeySigner ? wrongSerials.publicKey : wrongSerials.certificate,
    apiV3Key: config.apiV3Key,
    options: self.notifications
  })
  /** Sends a notification for every contract change the routes (or `signContract`) made. */
  const notifyChanges = Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    const changes = product.changes.splice(0, product.changes.length)
    for (const change of changes) {
      yield* sender.send("FACEPAY.USER_STATE_CHANGE", K12.userStateChange(product, change, now))
    }
  })

  const record = (r: Sandbox.RequestRecord) => {
    if (settings.historySize === 0) return
    if (history.length < settings.historySize) history.push(r)
    else {
      history[historyStart] = r
      historyStart = (historyStart + 1) % settings.historySize
    }
  }

  const rememberNonce = (nonce: string, nowMs: number): boolean => {
    // prune from the oldest (Map iteration is insertion order)
    for (const [n, at] of nonces) {
      if (nowMs - at >= settings.nonceWindowMs || at > nowMs + settings.nonceWindowMs) nonces.delete(n)
      else break
    }
    const seen = nonces.get(nonce)
    if (seen !== undefined && nowMs - seen < settings.nonceWindowMs) return false
    nonces.delete(nonce)
    nonces.set(nonce, nowMs)
    return true
  }

  const authenticate = (
    req: Sandbox.SandboxRequest,
    auth: ParsedAuth,
    nowMs: number
  ): string | undefined => {
    if (auth._tag === "Error") return auth.reason
    const f = auth.fields
    if (f.mchid !== config.mchid) return `mchid ${f.mchid} does not match the merchant this key belongs to`
    if (f.serial_no !== config.merchantSerial) {
      return `serial_no ${f.serial_no} is not the merchant API certificate serial of mchid ${config.mchid}`
    }
    if (!/^[0-9]{1,15}$/.test(f.timestamp)) return "timestamp is not a decimal integer of Unix seconds"
    const nowS = Math.floor(nowMs / 1000)
    const skew = Math.abs(nowS - Number(f.timestamp))
    if (skew >= settings.maxSkew) {
      return `timestamp is ${skew} s away from the server clock (allowed: less than ${settings.maxSkew} s)` +
        (f.timestamp.length >= 13 ? "; milliseconds instead of seconds?" : "")
    }
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(f.signature) || f.signature.length % 4 !== 0) {
      return "signature is not standard base64"
    }
    const message = `${req.method}\n${req.url}\n${f.timestamp}\n${f.nonce_str}\n${req.body ?? ""}\n`
    const ok = verify("sha256", Buffer.from(message, "utf8"), self.merchantPublicKey, Buffer.from(f.signature, "base64"))
    if (!ok) {
      return `signature does not verify with the merchant public key over ` +
        `"${req.method}\\n${req.url}\\n${f.timestamp}\\n${f.nonce_str}\\n<body of ${
          Buffer.byteLength(req.body ?? "", "utf8")
        } bytes>\\n"`
    }
    if (!rememberNonce(f.nonce_str, nowMs)) {
      return `nonce_str was already used within the last ${settings.nonceWindowMs / 1000} s (replay)`
    }
    return undefined
  }

  const paramError = (field: string, value: string | null, issue: string, message: string): RouteResult => ({
    status: 400,
    json: problemBody({
      status: 400,
      code: "PARAM_ERROR",
      message,
      detail: { field, value, issue, location: "query" }
    })
  })

  const notFound = (code: string, message: string): RouteResult => ({
    status: 404,
    json: problemBody({ status: 404, code, message })
  })

  const list = (rawQuery: string, cap: number | undefined): RouteResult => {
    const params = new URLSearchParams(rawQuery)
    const single = (name: string): { readonly _tag: "Absent" } | { readonly _tag: "Dup" } | {
      readonly _tag: "Value"
      readonly value: string
    } => {
      const all = params.getAll(name)
      if (all.length === 0) return { _tag: "Absent" }
      if (all.length > 1) return { _tag: "Dup" }
      return { _tag: "Value", value: all[0] ?? "" }
    }
    const org = single("organization_id")
    if (org._tag === "Dup") {
      return paramError("organization_id", null, "given more than once", "organization_id must be given once")
    }
    if (org._tag === "Absent" || org.value === "") {
      return paramError(
        "organization_id",
        org._tag === "Value" ? org.value : null,
        "missing",
        "organization_id is required"
      )
    }
    const integerParam = (name: string, fallback: number): number | RouteResult => {
      const p = single(name)
      if (p._tag === "Absent") return fallback
      if (p._tag === "Dup") return paramError(name, null, "given more than once", `${name} must be given once`)
      if (!/^[0-9]{1,15}$/.test(p.value)) {
        return paramError(name, p.value, "not a non-negative integer", `${name} must be a non-negative decimal integer`)
      }
      return Number(p.value)
    }
    const offset = integerParam("offset", 0)
    if (typeof offset !== "number") return offset
    const limit = integerParam("limit", settings.defaultLimit)
    if (typeof limit !== "number") return limit
    if (limit < 1) return paramError("limit", String(limit), "too small", "limit must be at least 1")
    if (limit > settings.maxLimit) {
      return paramError("limit", String(limit), "too large", `limit must be at most ${settings.maxLimit}`)
    }
    if (FaceCollections.countOf(data, org.value) === undefined) {
      return notFound("RESOURCE_NOT_EXISTS", `organization ${org.value} does not exist`)
    }
    const size = cap === undefined ? limit : Math.min(limit, cap)
    return { status: 200, json: { face_collections: FaceCollections.slice(data, org.value, offset, size) } }
  }

  const getOne = (rawId: string): RouteResult => {
    let id: string
    try {
      id = decodeURIComponent(rawId)
    } catch {
      return notFound("RESOURCE_NOT_EXISTS", "collection_id is not valid percent-encoding")
    }
    const parsed = FaceCollections.parseCollectionId(id)
    const item = parsed === undefined ? undefined : FaceCollections.itemAt(data, parsed.organizationId, parsed.index)
    if (item === undefined) return notFound("RESOURCE_NOT_EXISTS", `face collection ${id} does not exist`)
    return { status: 200, json: item }
  }

  const splitUrl = (url: string) => {
    const q = url.indexOf("?")
    return { path: q < 0 ? url : url.slice(0, q), rawQuery: q < 0 ? "" : url.slice(q + 1) }
  }

  /** The route's name, for faults and the request log: face collections, else the product's table. */
  const routeOf = (req: Sandbox.SandboxRequest): string | undefined => {
    const { path } = splitUrl(req.url)
    if (req.method === "GET" && path === listPath) return "listFaceCollections"
    if (req.method === "GET" && path.startsWith(listPath + "/")) return "getFaceCollection"
    if (req.method === "GET" && path === certificatesPath) return "downloadCertificates"
    const found = K12.match(req.method, path)
    return found._tag === "Route" ? found.route.name : undefined
  }

  const route = (req: Sandbox.SandboxRequest, cap: number | undefined, serial: string | undefined, now: number): RouteResult => {
    const { path, rawQuery } = splitUrl(req.url)
    if (req.method === "GET" && path === listPath) return list(rawQuery, cap)
    if (req.method === "GET" && path === certificatesPath) return certificatesRoute(rawQuery, now)
    if (req.method === "GET" && path.startsWith(listPath + "/")) {
      const rest = path.slice(listPath.length + 1)
      if (rest !== "" && !rest.includes("/")) return getOne(rest)
    }
    const found = K12.match(req.method, path)
    if (found._tag === "Route") {
      return found.route.handle(product, {
        params: found.params,
        query: new URLSearchParams(rawQuery),
        body: req.body ?? "",
        serial,
        now
      })
    }
    return found._tag === "WrongMethod"
      ? { status: 405, json: problemBody({ status: 405, code: "METHOD_NOT_ALLOWED", message: `${req.method} is not allowed on ${path}` }) }
      : notFound("NOT_FOUND", `no such endpoint: ${req.method} ${path}`)
  }

  const withUnknownState = (json: unknown, state: string): unknown => {
    if (typeof json !== "object" || json === null) return json
    if ("face_collections" in json && Array.isArray(json.face_collections)) {
      const items: ReadonlyArray<unknown> = json.face_collections
      const head = items[0]
      if (typeof head !== "object" || head === null) return json
      return { ...json, face_collections: [{ ...head, collection_state: state }, ...items.slice(1)] }
    }
    if ("collection_state" in json) return { ...json, collection_state: state }
    return json
  }

  // Options.signInParallel: on libuv's thread pool (node:crypto's callback form).
  const signInParallel = (data: Buffer, key: KeyObject): Effect.Effect<string> =>
    Effect.async<string>((resume) => {
      sign("sha256", data, key, (error, signature) =>
        resume(error === null ? Effect.succeed(signature.toString("base64")) : Effect.die(error)))
    })

  const tamper = (body: string): string => {
    const i = body.search(/[0-9]/)
    if (i >= 0) {
      const d = Number(body.charAt(i))
      return body.slice(0, i) + String((d + 1) % 10) + body.slice(i + 1)
    }
    // no digit: insert insignificant whitespace (still the same JSON, but not the signed bytes)
    return body.length === 0 ? " " : body.slice(0, body.length - 1) + " " + body.slice(body.length - 1)
  }

  const handle = (req: Sandbox.SandboxRequest): Effect.Effect<Sandbox.HandleResult> =>
    Effect.gen(function*() {
      const receivedAt = yield* Clock.currentTimeMillis
      const headers = normaliseHeaders(req.headers)
      const auth = parseAuthorization(headers.get("authorization"))
      const partial = auth._tag === "Ok" ? new Map(Object.entries(auth.fields)) : auth.partial
      const { mySeq, faultSeq, plan } = yield* Effect.sync(() => {
        seq += 1
        return { mySeq: seq, faultSeq: seq - faultBase, plan: faults }
      })
      const requestSerial = headers.get("wechatpay-serial")
      const routeName = routeOf(req)
      const routeCounts = yield* Effect.sync(() => {
        const counts: Array<number> = []
        ;(plan.faults ?? []).forEach((f, i) => {
          if (f.route !== undefined && f.route === routeName) routeSeqs[i] = (routeSeqs[i] ?? 0) + 1
          counts[i] = routeSeqs[i] ?? 0
        })
        return counts
      })
      const routeSeq = (i: number) => routeCounts[i] ?? 0
      const base = {
        seq: mySeq,
        receivedAt,
        method: req.method,
        url: req.url,
        nonce: partial.get("nonce_str"),
        timestamp: partial.get("timestamp"),
        wechatpaySerial: requestSerial
      }
      const applied: Array<Faults.FaultKind | "quota"> = []
      let requestId: string | undefined
      const run = Effect.gen(function*() {
        if (plan.latency !== undefined && plan.latency > 0) yield* Effect.sleep(Duration.millis(plan.latency))
        const now = yield* Clock.currentTimeMillis
        const seed = plan.seed ?? data.seed ?? FaceCollections.defaultSeed
        // A fault bound to a route counts that route's requests alone.
        const selected = (plan.faults ?? []).filter((f, i) =>
          f.route === undefined
            ? Faults.isSelected(f.select, faultSeq, seed, i)
            : f.route === routeName && Faults.isSelected(f.select, routeSeq(i), seed, i)
        )
        const pick = (kind: Faults.FaultKind) => selected.find((f) => f.kind === kind)

        if (pick("reset") !== undefined) {
          applied.push("reset")
          return "reset" as const
        }

        const result: RouteResult & { readonly retryAfter?: number | undefined } = yield* Effect.sync(() => {
          if (plan.quota !== undefined) {
            quotaWindow = quotaWindow.filter((t) => t > now - 1000 && t <= now)
            if (quotaWindow.length >= plan.quota) {
              applied.push("quota")
              return {
                status: 429,
                json: problemBody({ status: 429, code: "FREQUENCY_LIMITED", message: "request rate over quota" }),
                retryAfter: plan.retryAfter
              }
            }
            quotaWindow.push(now)
          }
          const gate = selected.find((f) => f.kind === "429" || f.kind === "500")
          if (gate !== undefined) {
            applied.push(gate.kind)
            return gate.kind === "429"
              ? {
                status: 429,
                json: problemBody({ status: 429, code: "FREQUENCY_LIMITED", message: "frequency limited" }),
                retryAfter: gate.retryAfter ?? plan.retryAfter
              }
              : {
                status: 500,
                json: problemBody({ status: 500, code: "SYSTEM_ERROR", message: "system error, retry later" })
              }
          }
          const failure = authenticate(req, auth, now)
          if (failure !== undefined) {
            return { status: 401, json: problemBody({ status: 401, code: "SIGN_ERROR", message: failure }) }
          }
          const routed = route(req, plan.cap, requestSerial, now)
          // The charge faults strike after the charge was processed: WeChat Pay charged, the caller cannot know.
          if (routeName === "createTransaction" && routed.status === 200) {
            const after = selected.find((f) => f.kind === "charge-500" || f.kind === "charge-drop")
            if (after !== undefined) {
              applied.push(after.kind)
              return after.kind === "charge-drop"
                ? { status: -1 }
                : { status: 500, json: problemBody({ status: 500, code: "SYSTEM_ERROR", message: "system error" }) }
            }
          }
          return routed
        })
        yield* notifyChanges
        if (result.status === -1) return "reset" as const

        let json = result.json
        const unknown = pick("unknown-state")
        if (unknown !== undefined && result.status === 200) {
          const changed = withUnknownState(json, unknown.state ?? "PHOTO_REVIEWING")
          if (changed !== json) applied.push("unknown-state")
          json = changed
        }
        let body = json === undefined ? "" : JSON.stringify(json)
        if (pick("malformed-json") !== undefined) {
          applied.push("malformed-json")
          body = body.slice(0, Math.max(1, Math.floor(body.length / 2)))
        }

        const signer = config.mode === "publicKey" || requestSerial === config.wechatpayPublicKeyId && config.mode === "migration"
          ? self.publicKeySigner
          : certificateSignerAt(now)
        let timestamp = Math.floor(now / 1000)
        if (pick("stale") !== undefined) {
          applied.push("stale")
          timestamp -= 600
        }
        const nonce = randomNonce()
        const message = Buffer.from(`${timestamp}\n${nonce}\n${body}\n`, "utf8")
        let signature = settings.signInParallel
          ? yield* signInParallel(message, signer.key)
          : sign("sha256", message, signer.key).toString("base64")
        if (pick("probe") !== undefined) {
          applied.push("probe")
          signature = "WECHATPAY/SIGNTEST/" + randomBytes(192).toString("base64")
        }
        let serial = signer.serial
        if (pick("wrong-serial") !== undefined) {
          applied.push("wrong-serial")
          serial = signer === self.publicKeySigner ? wrongSerials.publicKey : wrongSerials.certificate
        }
        requestId = `${randomBytes(12).toString("hex").toUpperCase()}-${mySeq}`
        const out: Record<string, string> = {
          "Content-Type": "application/json",
          "Request-ID": requestId,
          "Wechatpay-Nonce": nonce,
          "Wechatpay-Signature": signature,
          "Wechatpay-Timestamp": String(timestamp),
          "Wechatpay-Serial": serial,
          "Wechatpay-Signature-Type": schema
        }
        if (result.retryAfter !== undefined) out["Retry-After"] = String(result.retryAfter)
        const missing = pick("missing-header")
        if (missing !== undefined) {
          applied.push("missing-header")
          const name = (missing.header ?? "Wechatpay-Signature").toLowerCase()
          for (const k of Object.keys(out)) if (k.toLowerCase() === name) delete out[k]
        }
        if (pick("tamper") !== undefined) {
          applied.push("tamper")
          body = tamper(body)
        }
        const response: Sandbox.SandboxResponse = { status: result.status, headers: out, body }
        return response
      })
      return yield* run.pipe(
        Effect.onExit((exit) =>
          Effect.sync(() =>
            record({
              ...base,
              status: Exit.isSuccess(exit) ? (exit.value === "reset" ? "reset" : exit.value.status) : "interrupted",
              requestId,
              faults: applied,
              body: req.body ?? "",
              route: routeName
            })
          )
        )
      )
    })

  return {
    product: Effect.sync(() => ({
      charges: product.charges,
      transactions: [...product.transactions.values()].map((t) => ({ outTradeNo: t.outTradeNo, tradeState: t.tradeState })),
      presigns: product.presigns.map((p) => ({ serial: p.serial, decrypted: { ...p.decrypted } })),
      updates: product.updates.map((p) => ({ serial: p.serial, decrypted: { ...p.decrypted } })),
      users: [...product.users.values()].map((u) => ({
        organizationId: u.organizationId,
        outUserId: u.outUserId,
        useId: u.useId,
        userName: u.userName,
        userType: u.userType,
        className: u.className,
        status: u.status,
        phone: u.phone,
        contractId: u.contractId
      })),
      contracts: [...product.contracts.values()].map((c) => ({
        contractId: c.contractId,
        contractState: c.contractState,
        useId: c.useId
      }))
    })),
    config,
    data,
    handle,
    requests: Effect.sync(() =>
      history.length < settings.historySize
        ? history.slice()
        : [...history.slice(historyStart), ...history.slice(0, historyStart)]
    ),
    requestCount: Effect.sync(() => seq),
    setFaults: (next) =>
      Effect.sync(() => {
        faults = next
        faultBase = seq
        routeSeqs = []
        quotaWindow = []
      }),
    itemAt: (organizationId, index) => FaceCollections.itemAt(data, organizationId, index),
    expectedItems: (organizationId) => FaceCollections.expectedItems(data, organizationId),
    signContract: (user) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const contract = K12.signContract(product, user.organizationId, user.outUserId, now)
        if (contract === undefined) {
          return yield* Effect.dieMessage(`no user ${user.outUserId} in organization ${user.organizationId}`)
        }
        yield* notifyChanges
        return contract.contractId
      }),
    buildNotification: (options) =>
      sender.build(options.eventType ?? "FACEPAY.USER_STATE_CHANGE", options.resource, options.faults ?? [], options.id),
    userStateChange: (user) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const found = product.users.get(`${user.organizationId}/${user.outUserId}`)
        const contract = found?.contractId === undefined ? undefined : product.contracts.get(found.contractId)
        if (found === undefined || contract === undefined) {
          return yield* Effect.dieMessage(`no contract for ${user.outUserId} in organization ${user.organizationId}`)
        }
        return K12.userStateChange(product, { user: found, contract }, now)
      }),
    platformCertificates: Effect.map(Clock.currentTimeMillis, (now) => listed(now).map(infoOf)),
    rotateCertificate: (options = {}) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const pem = options.privateKeyPem ?? (yield* generateOne)
        const key = yield* Effect.try(() => privateKeyFrom("rotateCertificate privateKeyPem", pem)).pipe(Effect.orDie)
        const notBefore = options.effectiveAt ?? now
        const certificate = Certificate.makeSelfSigned({
          privateKey: key,
          notBefore: new Date(notBefore),
          notAfter: new Date(options.expireAt ?? notBefore + FIVE_YEARS_MS),
          serialNumber: options.serial
        })
        const held: HeldCertificate = { certificate, key, signFrom: options.signFrom }
        platformCertificates.push(held)
        decryptors.set(certificate.serialNumber, key)
        return infoOf(held)
      }),
    signWithCertificate: (serial) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.sync(() => {
          const held = platformCertificates.find((candidate) => candidate.certificate.serialNumber === serial)
          if (held === undefined) throw new Error(`no platform certificate ${serial} in the sandbox`)
          held.signFrom = now
        })),
    deliveries: sender.deliveries,
    setNotificationFaults: sender.setFaults,
    notificationsSettled: sender.settled
  }
}

// ---------------------------------------------------------------------------------------------------------------
// in-memory HttpClient
// ---------------------------------------------------------------------------------------------------------------

const decoder = new TextDecoder()

const bodyText = (request: HttpClientRequest.HttpClientRequest): Effect.Effect<string, HttpClientError.RequestError> => {
  const body = request.body
  const encodeError = (description: string, cause?: unknown) =>
    new HttpClientError.RequestError({ request, reason: "Encode", description, cause })
  switch (body._tag) {
    case "Empty":
      return Effect.succeed("")
    case "Uint8Array":
      return Effect.succeed(decoder.decode(body.body))
    case "Raw":
      if (typeof body.body === "string") return Effect.succeed(body.body)
      if (body.body instanceof Uint8Array) return Effect.succeed(decoder.decode(body.body))
      return Effect.fail(encodeError("the sandbox accepts string or byte bodies only"))
    case "Stream":
      return body.stream.pipe(
        Stream.decodeText(),
        Stream.mkString,
        Effect.mapError((cause) => encodeError("reading the request body stream failed", cause))
      )
    case "FormData":
      return Effect.fail(encodeError("the sandbox does not accept multipart bodies"))
  }
}

/** @internal */
export const makeHttpClient = (sandbox: Sandbox.Service): HttpClient.HttpClient =>
  HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const body = yield* bodyText(request)
      const result = yield* sandbox.handle({
        method: request.method,
        url: url.pathname + url.search,
        headers: request.headers,
        body
      })
      if (result === "reset") {
        return yield* new HttpClientError.RequestError({
          request,
          reason: "Transport",
          description: "connection reset by peer (sandbox fault: reset)"
        })
      }
      return HttpClientResponse.fromWeb(
        request,
        new Response(result.body, { status: result.status, headers: result.headers })
      )
    })
  )
