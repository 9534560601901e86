/**
 * Reading keys from files and environment configuration, with every error
 * named after the environment variable that carries the value.
 *
 * @internal
 */
import { ApiV3Key, Credentials, WechatPayClient, WechatPayConfig, WechatPayError } from "@effect-wechatpay/core"
import { Config, Effect, Option, Redacted } from "effect"
import * as Fs from "node:fs/promises"

/** @internal The one table of names: core's. */
export const variables = WechatPayConfig.variables

const V = variables

/** @internal */
export const MAX_FILE_BYTES = 1024 * 1024

const configError = (setting: string, issue: string) => new WechatPayError.WechatPayConfigError({ setting, issue })

const errnoCode = (error: unknown): string =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : "unknown error"

/** @internal */
export const readPemFile = (
  path: string,
  setting: string
): Effect.Effect<string, WechatPayError.WechatPayConfigError> =>
  Effect.gen(function*() {
    // Node's own messages are not used: only the path and the errno code go out.
    const cannotRead = (error: unknown) => configError(setting, `cannot read file ${path} (${errnoCode(error)})`)
    const stats = yield* Effect.tryPromise({ try: () => Fs.stat(path), catch: cannotRead })
    if (!stats.isFile()) return yield* configError(setting, `${path} is not a regular file`)
    if (stats.size > MAX_FILE_BYTES) {
      return yield* configError(setting, `${path} is larger than ${MAX_FILE_BYTES} bytes: not a key or certificate file`)
    }
    const text = yield* Effect.tryPromise({
      try: (signal) => Fs.readFile(path, { encoding: "utf8", signal }),
      catch: cannotRead
    })
    if (!text.includes("-----BEGIN ")) {
      return yield* configError(setting, `${path} holds no PEM block (-----BEGIN ...-----)`)
    }
    return text
  })

/** @internal */
export const normalizePem = (text: string): string => {
  const trimmed = text.trim()
  return !trimmed.includes("\n") && trimmed.includes("\\n") ? trimmed.replace(/(?:\\r)?\\n/g, "\n") : trimmed
}

type PemSource<P> = { readonly file: string } | { readonly pem: P }

/** @internal */
export interface Input {
  readonly mchid: string
  readonly serialNo: string
  readonly privateKey: PemSource<Redacted.Redacted<string>>
  readonly publicKey?: ({ readonly id: string } & PemSource<string>) | undefined
  readonly platformCertificateFiles?: ReadonlyArray<string> | undefined
  /** Platform certificates as PEM text (`WECHATPAY_PLATFORM_CERTS`), instead of files. */
  readonly platformCertificatePem?: string | undefined
}

/** @internal */
export interface Loaded {
  readonly credentials: Credentials.Service
  /** Renames core's settings (`merchant.privateKey`, …) after the variables that supplied them. */
  readonly rename: (error: WechatPayError.WechatPayConfigError) => WechatPayError.WechatPayConfigError
}

const NO_VERIFICATION_KEY =
  `no WeChat Pay verification key: set ${V.publicKeyId} with ${V.publicKeyFile} (or ${V.publicKey}) for public-key mode, ` +
  `or ${V.platformCertFiles} (or ${V.platformCerts}) for certificate mode (both for migration)`

const CERTIFICATE_SETTING = /^verification\.platformCertificates(?:\[(\d+)\])?$/

/** @internal */
export const loadInput = (
  input: Input,
  options: Credentials.MakeOptions = {}
): Effect.Effect<Loaded, WechatPayError.WechatPayConfigError> =>
  Effect.gen(function*() {
    const certificateFiles = input.platformCertificateFiles ?? []
    const certificatePem = input.platformCertificatePem
    if (
      options.requireVerification !== false && input.publicKey === undefined && certificateFiles.length === 0 &&
      certificatePem === undefined
    ) {
      return yield* configError(V.publicKeyId, NO_VERIFICATION_KEY)
    }
    const privateKeyFile = "file" in input.privateKey ? input.privateKey.file : undefined
    const privateKey = "file" in input.privateKey
      ? yield* Effect.map(readPemFile(input.privateKey.file, V.privateKeyFile), Redacted.make)
      : Redacted.make(normalizePem(Redacted.value(input.privateKey.pem)))
    const publicKeyFile = input.publicKey !== undefined && "file" in input.publicKey ? input.publicKey.file : undefined
    let publicKey: { readonly id: string; readonly pem: string } | undefined
    if (input.publicKey !== undefined) {
      const pem = "file" in input.publicKey
        ? yield* readPemFile(input.publicKey.file, V.publicKeyFile)
        : normalizePem(input.publicKey.pem)
      publicKey = { id: input.publicKey.id, pem }
    }
    const certificates = certificatePem !== undefined
      ? [normalizePem(certificatePem)]
      : yield* Effect.forEach(certificateFiles, (path) => readPemFile(path, V.platformCertFiles))

    const inFile = (path: string | undefined, issue: string) => path === undefined ? issue : `${path}: ${issue}`
    const rename = (error: WechatPayError.WechatPayConfigError): WechatPayError.WechatPayConfigError => {
      const { issue, setting } = error
      switch (setting) {
        case "merchant.mchid":
          return configError(V.mchid, issue)
        case "merchant.serialNo":
          return configError(V.merchantSerial, issue)
        case "merchant.privateKey":
          return privateKeyFile === undefined
            ? configError(V.privateKey, issue)
            : configError(V.privateKeyFile, inFile(privateKeyFile, issue))
        case "verification.publicKey.id":
          return configError(V.publicKeyId, issue)
        case "verification.publicKey.pem":
          return publicKeyFile === undefined
            ? configError(V.publicKey, issue)
            : configError(V.publicKeyFile, inFile(publicKeyFile, issue))
        case "verification":
          return configError(V.publicKeyId, NO_VERIFICATION_KEY)
        case "baseUrl":
          return configError(V.baseUrl, issue)
      }
      const certificate = CERTIFICATE_SETTING.exec(setting)
      if (certificate !== null && certificatePem !== undefined) return configError(V.platformCerts, issue)
      if (certificate !== null) {
        const index = certificate[1]
        return configError(
          V.platformCertFiles,
          index === undefined ? issue : inFile(certificateFiles[Number(index)], issue)
        )
      }
      return error
    }

    const credentials = yield* Credentials.make({
      merchant: { mchid: input.mchid, serialNo: input.serialNo, privateKey },
      verification: {
        publicKey,
        platformCertificates: certificates.length === 0 ? undefined : certificates
      }
    }, options).pipe(Effect.mapError(rename))
    return { credentials, rename }
  })

// --- environment -------------------------------------------------------------------

const isSet = (value: string) => value.trim() !== ""

// One rule per setting, core's: blank counts as unset, text is trimmed, secrets are taken as written.
const { optional, optionalRedacted, required } = WechatPayConfig

const settings = Config.all({
  mchid: required(V.mchid),
  serialNo: required(V.merchantSerial),
  privateKeyFile: optional(V.privateKeyFile),
  privateKey: optionalRedacted(V.privateKey),
  publicKeyId: optional(V.publicKeyId),
  publicKeyFile: optional(V.publicKeyFile),
  publicKey: optional(V.publicKey),
  platformCertFiles: optional(V.platformCertFiles),
  platformCerts: optional(V.platformCerts)
})

/**
 * `Credentials` from the environment; with `requireVerification: false`
 * (certificate mode with downloaded certificates) no verification key is needed.
 *
 * @internal
 */
export const loadCredentialsConfigWith = (
  options: Credentials.MakeOptions
): Effect.Effect<Loaded, WechatPayError.WechatPayConfigError> => Effect.gen(
  function*() {
    const raw = yield* Effect.mapError(settings, Credentials.fromConfigError)
    const fail = (setting: string, issue: string) => Effect.fail(configError(setting, issue))

    let privateKey: PemSource<Redacted.Redacted<string>>
    if (Option.isSome(raw.privateKeyFile) && Option.isSome(raw.privateKey)) {
      return yield* fail(V.privateKey, `set ${V.privateKeyFile} or ${V.privateKey}, not both`)
    } else if (Option.isSome(raw.privateKeyFile)) {
      privateKey = { file: raw.privateKeyFile.value }
    } else if (Option.isSome(raw.privateKey)) {
      privateKey = { pem: raw.privateKey.value }
    } else {
      return yield* fail(
        V.privateKeyFile,
        `is not set: give the path of the merchant private key PEM (or the PEM itself in ${V.privateKey})`
      )
    }

    let publicKey: Input["publicKey"]
    if (Option.isSome(raw.publicKeyFile) && Option.isSome(raw.publicKey)) {
      return yield* fail(V.publicKey, `set ${V.publicKeyFile} or ${V.publicKey}, not both`)
    }
    const publicKeySource: Option.Option<PemSource<string>> = Option.isSome(raw.publicKeyFile)
      ? Option.some({ file: raw.publicKeyFile.value })
      : Option.map(raw.publicKey, (pem) => ({ pem }))
    if (Option.isSome(raw.publicKeyId) && Option.isNone(publicKeySource)) {
      return yield* fail(
        V.publicKeyFile,
        `is not set, but ${V.publicKeyId} is: give the WeChat Pay public key PEM file (or the PEM itself in ${V.publicKey})`
      )
    }
    if (Option.isNone(raw.publicKeyId) && Option.isSome(publicKeySource)) {
      const given = Option.isSome(raw.publicKeyFile) ? V.publicKeyFile : V.publicKey
      return yield* fail(V.publicKeyId, `is not set, but ${given} is: give the key's id (PUB_KEY_ID_...)`)
    }
    if (Option.isSome(raw.publicKeyId) && Option.isSome(publicKeySource)) {
      publicKey = { id: raw.publicKeyId.value, ...publicKeySource.value }
    }

    if (Option.isSome(raw.platformCertFiles) && Option.isSome(raw.platformCerts)) {
      return yield* fail(V.platformCerts, `set ${V.platformCertFiles} or ${V.platformCerts}, not both`)
    }
    let platformCertificateFiles: ReadonlyArray<string> | undefined
    if (Option.isSome(raw.platformCertFiles)) {
      platformCertificateFiles = raw.platformCertFiles.value.split(",").map((path) => path.trim()).filter(isSet)
      if (platformCertificateFiles.length === 0) {
        return yield* fail(V.platformCertFiles, "holds no file path (comma separated paths expected)")
      }
    }

    return yield* loadInput({
      mchid: raw.mchid,
      serialNo: raw.serialNo,
      privateKey,
      publicKey,
      platformCertificateFiles,
      platformCertificatePem: Option.getOrUndefined(raw.platformCerts)
    }, options)
  }
)

/** @internal */
export const loadCredentialsConfig: Effect.Effect<Loaded, WechatPayError.WechatPayConfigError> =
  loadCredentialsConfigWith({})

/** @internal */
export const loadBaseUrl: Effect.Effect<string, WechatPayError.WechatPayConfigError> = Effect.gen(function*() {
  const configured = yield* Effect.mapError(optional(V.baseUrl), Credentials.fromConfigError)
  const baseUrl = Option.getOrElse(configured, () => WechatPayClient.PRODUCTION_URL)
  // The value is not echoed: a URL may carry user:password.
  const issue = WechatPayClient.baseUrlIssue(baseUrl.replace(/\/+$/, ""))
  if (issue !== undefined) return yield* configError(V.baseUrl, issue)
  return baseUrl
})

/** @internal */
export const loadRequestsPerSecond: Effect.Effect<number | undefined, WechatPayError.WechatPayConfigError> = Effect.gen(
  function*() {
    const configured = yield* Effect.mapError(optional(V.requestsPerSecond), Credentials.fromConfigError)
    if (Option.isNone(configured)) return undefined
    // A plain decimal: Number() would read "0x10" as 16 and "1e-9" as a rate that never sends.
    const text = configured.value.trim()
    const value = /^\d{1,6}(\.\d{1,6})?$/.test(text) ? Number(text) : Number.NaN
    const issue = WechatPayClient.requestsPerSecondIssue(value)
    if (issue !== undefined) {
      return yield* configError(V.requestsPerSecond, `${issue}, written as a plain decimal (e.g. 150 or 2.5)`)
    }
    return value
  }
)

/**
 * The APIv3 key from `WECHATPAY_APIV3_KEY` or the file `WECHATPAY_APIV3_KEY_FILE` names (one of them; a
 * file's trailing line break is not part of the key), checked for 32 bytes. Neither the value nor the
 * file's content is ever in an error.
 *
 * @internal
 */
export const loadApiV3Key: Effect.Effect<Redacted.Redacted<string>, WechatPayError.WechatPayConfigError> = Effect.gen(
  function*() {
    const raw = yield* Effect.mapError(
      Config.all({ file: optional(V.apiV3KeyFile), value: optionalRedacted(V.apiV3Key) }),
      Credentials.fromConfigError
    )
    if (Option.isSome(raw.file) && Option.isSome(raw.value)) {
      return yield* configError(V.apiV3Key, `set ${V.apiV3KeyFile} or ${V.apiV3Key}, not both`)
    }
    if (Option.isSome(raw.value)) return yield* ApiV3Key.make(raw.value.value, V.apiV3Key)
    if (Option.isNone(raw.file)) {
      return yield* configError(
        V.apiV3Key,
        `is not set: give the APIv3 key (32 characters, set in the merchant platform), or a file holding it in ${V.apiV3KeyFile}`
      )
    }
    const path = raw.file.value
    const cannotRead = (error: unknown) => configError(V.apiV3KeyFile, `cannot read file ${path} (${errnoCode(error)})`)
    const stats = yield* Effect.tryPromise({ try: () => Fs.stat(path), catch: cannotRead })
    if (!stats.isFile()) return yield* configError(V.apiV3KeyFile, `${path} is not a regular file`)
    if (stats.size > 1024) return yield* configError(V.apiV3KeyFile, `${path} is larger than 1024 bytes: not an APIv3 key`)
    const text = yield* Effect.tryPromise({ try: () => Fs.readFile(path, "utf8"), catch: cannotRead })
    return yield* ApiV3Key.make(Redacted.make(text.replace(/\r?\n$/, "")), `${V.apiV3KeyFile} (${path})`)
  }
)
