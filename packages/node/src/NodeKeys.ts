/**
 * Keys from PEM files or PEM strings, and `Credentials` from environment
 * configuration (Effect's `Config`, so any `ConfigProvider` works).
 *
 * Variables (names are fixed, other tools rely on them):
 *
 * | variable | meaning |
 * | --- | --- |
 * | `WECHATPAY_MCHID` | 商户号 |
 * | `WECHATPAY_MERCHANT_SERIAL` | merchant API certificate serial (hex) |
 * | `WECHATPAY_PRIVATE_KEY_FILE` / `WECHATPAY_PRIVATE_KEY` | merchant private key: a PEM file path, or the PEM itself (one of them) |
 * | `WECHATPAY_PUBLIC_KEY_ID` | `PUB_KEY_ID_…` (public-key mode) |
 * | `WECHATPAY_PUBLIC_KEY_FILE` / `WECHATPAY_PUBLIC_KEY` | WeChat Pay public key: a PEM file path, or the PEM itself |
 * | `WECHATPAY_PLATFORM_CERT_FILES` | platform certificates (certificate mode): PEM file paths, comma separated |
 *
 * Public key and certificates may both be set (migration); at least one must be.
 * A blank value counts as unset. An inline PEM written on one line with literal
 * `\n` escapes (common in `.env` files) is accepted. Relative paths are resolved
 * against the working directory.
 *
 * Every failure is a `WechatPayConfigError` whose `setting` is the variable's
 * name; its message names the file and the errno code when a file cannot be
 * read, and never contains a key or a file's contents. The private key is
 * `Redacted` from the moment it is read.
 *
 * Files are read with `node:fs/promises` rather than `@effect/platform`'s
 * `FileSystem`: they are read once at start-up, the errno code we report is on
 * Node's error as is, and the layers built from them need nothing else in
 * context (no `FileSystem` to provide).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NodeKeys } from "@effect-wechatpay/node"
 *
 * const program = Effect.gen(function*() {
 *   const credentials = yield* NodeKeys.loadConfig
 *   yield* Effect.log(`merchant ${credentials.merchant.mchid}`)
 * })
 * ```
 *
 * @since 0.1.0
 */
import { Credentials, WechatPayError } from "@effect-wechatpay/core"
import { Effect, Layer, Redacted } from "effect"
import * as Internal from "./internal/config.js"

/**
 * The environment variable names read by `loadConfig` and
 * `NodeWechatPayClient.layerConfig`.
 *
 * @example
 * ```ts
 * import { ConfigProvider, Layer } from "effect"
 * import { NodeKeys } from "@effect-wechatpay/node"
 *
 * const TestConfig = Layer.setConfigProvider(ConfigProvider.fromMap(new Map([
 *   [NodeKeys.variables.mchid, "1900000001"]
 * ])))
 * ```
 *
 * @since 0.1.0
 * @category Constants
 */
export const variables = Internal.variables

/**
 * The largest key or certificate file read (1 MiB): a path to something else
 * (a log, a device) fails instead of being read into memory.
 *
 * @example
 * ```ts
 * import { NodeKeys } from "@effect-wechatpay/node"
 *
 * const limitKiB = NodeKeys.MAX_FILE_BYTES / 1024 // 1024
 * ```
 *
 * @since 0.1.0
 * @category Constants
 */
export const MAX_FILE_BYTES: number = Internal.MAX_FILE_BYTES

/**
 * Reads a PEM file (public key or certificates). A file that cannot be read
 * fails with its path and errno code (`ENOENT`, `EACCES`, …); one holding no
 * PEM block fails too. `setting` is what the error names.
 *
 * @example
 * ```ts
 * import { NodeKeys } from "@effect-wechatpay/node"
 *
 * const pem = NodeKeys.readPemFile("/etc/wechatpay/pub_key.pem", "WECHATPAY_PUBLIC_KEY_FILE")
 * // Effect<string, WechatPayConfigError>
 * ```
 *
 * @since 0.1.0
 * @category Loading
 */
export const readPemFile = (path: string, setting: string): Effect.Effect<string, WechatPayError.WechatPayConfigError> =>
  Internal.readPemFile(path, setting)

/**
 * Reads the merchant private key file straight into a `Redacted`.
 *
 * @example
 * ```ts
 * import { NodeKeys } from "@effect-wechatpay/node"
 *
 * const key = NodeKeys.readPrivateKeyFile("/etc/wechatpay/apiclient_key.pem")
 * // Effect<Redacted<string>, WechatPayConfigError>
 * ```
 *
 * @since 0.1.0
 * @category Loading
 */
export const readPrivateKeyFile = (
  path: string,
  setting: string = Internal.variables.privateKeyFile
): Effect.Effect<Redacted.Redacted<string>, WechatPayError.WechatPayConfigError> =>
  Effect.map(Internal.readPemFile(path, setting), Redacted.make)

/**
 * A PEM given as a string: trims it and, when it is written on one line with
 * literal `\n` escapes, restores the line breaks.
 *
 * @example
 * ```ts
 * import { NodeKeys } from "@effect-wechatpay/node"
 *
 * NodeKeys.normalizePem("-----BEGIN PUBLIC KEY-----\\nMIIB...\\n-----END PUBLIC KEY-----")
 * // "-----BEGIN PUBLIC KEY-----\nMIIB...\n-----END PUBLIC KEY-----"
 * ```
 *
 * @since 0.1.0
 * @category Loading
 */
export const normalizePem: (text: string) => string = Internal.normalizePem

/**
 * Where a key comes from: a PEM file, or the PEM text itself.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import type { NodeKeys } from "@effect-wechatpay/node"
 *
 * const fromFile: NodeKeys.PemSource<string> = { file: "/etc/wechatpay/pub_key.pem" }
 * const inline: NodeKeys.PemSource<Redacted.Redacted<string>> = { pem: Redacted.make("-----BEGIN PRIVATE KEY-----...") }
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type PemSource<P> = { readonly file: string } | { readonly pem: P }

/**
 * Everything `Credentials` needs, with keys as files or strings.
 *
 * @example
 * ```ts
 * import type { NodeKeys } from "@effect-wechatpay/node"
 *
 * const input: NodeKeys.CredentialsInput = {
 *   mchid: "1900000001",
 *   serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
 *   privateKey: { file: "/etc/wechatpay/apiclient_key.pem" },
 *   publicKey: { id: "PUB_KEY_ID_0119000000012025010100000000000001", file: "/etc/wechatpay/pub_key.pem" },
 *   platformCertificateFiles: ["/etc/wechatpay/platform_cert.pem"]
 * }
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export interface CredentialsInput {
  readonly mchid: string
  readonly serialNo: string
  readonly privateKey: PemSource<Redacted.Redacted<string>>
  readonly publicKey?: ({ readonly id: string } & PemSource<string>) | undefined
  readonly platformCertificateFiles?: ReadonlyArray<string> | undefined
}

/**
 * Reads the files, then checks every value with `Credentials.make`. Errors
 * name the inputs by the environment variable that would carry them
 * (`WECHATPAY_PRIVATE_KEY_FILE`, …), file paths included, contents never.
 *
 * @example
 * ```ts
 * import { Effect, Layer } from "effect"
 * import { Credentials } from "@effect-wechatpay/core"
 * import { NodeKeys } from "@effect-wechatpay/node"
 *
 * const CredentialsLive = Layer.effect(Credentials.Credentials, NodeKeys.load({
 *   mchid: "1900000001",
 *   serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
 *   privateKey: { file: "./apiclient_key.pem" },
 *   publicKey: { id: "PUB_KEY_ID_0119000000012025010100000000000001", file: "./pub_key.pem" }
 * }))
 * ```
 *
 * @since 0.1.0
 * @category Loading
 */
export const load = (
  input: CredentialsInput
): Effect.Effect<Credentials.Service, WechatPayError.WechatPayConfigError> =>
  Effect.map(Internal.loadInput(input), (loaded) => loaded.credentials)

/**
 * `Credentials` from the environment variables above (through `Config`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NodeKeys } from "@effect-wechatpay/node"
 *
 * const mchid = Effect.map(NodeKeys.loadConfig, (credentials) => credentials.merchant.mchid)
 * ```
 *
 * @since 0.1.0
 * @category Config
 */
export const loadConfig: Effect.Effect<Credentials.Service, WechatPayError.WechatPayConfigError> = Effect.map(
  Internal.loadCredentialsConfig,
  (loaded) => loaded.credentials
)

/**
 * The `Credentials` layer from the environment variables above.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { NodeSigner, NodeKeys } from "@effect-wechatpay/node"
 *
 * const SignerLive = NodeSigner.layer.pipe(Layer.provide(NodeKeys.layerConfig))
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig: Layer.Layer<Credentials.Credentials, WechatPayError.WechatPayConfigError> = Layer.effect(
  Credentials.Credentials,
  loadConfig
)
