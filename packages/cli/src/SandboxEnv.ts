/**
 * What a client needs to talk to a running sandbox: its throwaway keys written
 * to a private temporary directory, and the `WECHATPAY_*` settings that
 * `NodeWechatPayClient.layerConfig` reads, as shell lines or as a map.
 *
 * @since 0.1.0
 */
import type { Sandbox } from "@effect-wechatpay/sandbox"
import { Effect, type Scope } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

/**
 * The key files of a sandbox.
 *
 * @since 0.1.0
 * @category Models
 */
export interface KeyFiles {
  readonly directory: string
  /** The merchant API private key (`apiclient_key.pem`). */
  readonly privateKey: string
  /** The WeChat Pay public key (`pub_key.pem`). */
  readonly publicKey: string
  /** The platform certificate (`platform_cert.pem`). */
  readonly platformCertificate: string
  /** The APIv3 key notifications are encrypted with (`apiv3.key`). */
  readonly apiV3Key: string
}

/**
 * Writes the keys to a fresh directory under the system temp dir (mode 0700,
 * files 0600) and removes it when the scope closes (Ctrl-C included).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const writeKeyFiles = (config: Sandbox.SandboxConfig): Effect.Effect<KeyFiles, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const directory = Fs.mkdtempSync(Path.join(Os.tmpdir(), "effect-wechatpay-sandbox-"))
      Fs.chmodSync(directory, 0o700)
      const write = (name: string, text: string) => {
        const path = Path.join(directory, name)
        Fs.writeFileSync(path, text, { mode: 0o600 })
        return path
      }
      return {
        directory,
        privateKey: write("apiclient_key.pem", config.merchantPrivateKeyPem),
        publicKey: write("pub_key.pem", config.wechatpayPublicKeyPem),
        platformCertificate: write("platform_cert.pem", config.platformCertificatePem),
        apiV3Key: write("apiv3.key", config.apiV3Key)
      }
    }),
    (files) => Effect.sync(() => Fs.rmSync(files.directory, { recursive: true, force: true }))
  )

/**
 * The settings, in print order (`WECHATPAY_BASE_URL` last: once it is there, all are).
 * Public-key mode: `WECHATPAY_PUBLIC_KEY_ID` + `WECHATPAY_PUBLIC_KEY_FILE`; certificate mode:
 * `WECHATPAY_PLATFORM_CERT_FILES`; migration: both.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const settings = (
  url: string,
  config: Sandbox.SandboxConfig,
  files: KeyFiles
): ReadonlyArray<readonly [string, string]> => [
  ["WECHATPAY_MCHID", config.mchid],
  ["WECHATPAY_MERCHANT_SERIAL", config.merchantSerial],
  ["WECHATPAY_PRIVATE_KEY_FILE", files.privateKey],
  ...(config.mode === "certificate" ? [] : [
    ["WECHATPAY_PUBLIC_KEY_ID", config.wechatpayPublicKeyId] as const,
    ["WECHATPAY_PUBLIC_KEY_FILE", files.publicKey] as const
  ]),
  ...(config.mode === "publicKey" ? [] : [["WECHATPAY_PLATFORM_CERT_FILES", files.platformCertificate] as const]),
  ["WECHATPAY_APIV3_KEY_FILE", files.apiV3Key],
  ["WECHATPAY_BASE_URL", url]
]

/**
 * The settings for a client in the same process (`demo`): keys as PEM text,
 * public-key mode, no file written.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const inlineSettings = (url: string, config: Sandbox.SandboxConfig): ReadonlyArray<readonly [string, string]> => [
  ["WECHATPAY_MCHID", config.mchid],
  ["WECHATPAY_MERCHANT_SERIAL", config.merchantSerial],
  ["WECHATPAY_PRIVATE_KEY", config.merchantPrivateKeyPem],
  ["WECHATPAY_PUBLIC_KEY_ID", config.wechatpayPublicKeyId],
  ["WECHATPAY_PUBLIC_KEY", config.wechatpayPublicKeyPem],
  ["WECHATPAY_APIV3_KEY", config.apiV3Key],
  ["WECHATPAY_BASE_URL", url]
]

/** Every variable `layerConfig` reads for keys: the ones not set are unset, so no stale value mixes in. */
const keyVariables = [
  "WECHATPAY_PRIVATE_KEY",
  "WECHATPAY_PUBLIC_KEY_ID",
  "WECHATPAY_PUBLIC_KEY_FILE",
  "WECHATPAY_PUBLIC_KEY",
  "WECHATPAY_PLATFORM_CERT_FILES",
  "WECHATPAY_APIV3_KEY"
]

/**
 * A word for a POSIX shell: as is when safe, else single-quoted.
 *
 * @since 0.1.0
 * @category Utils
 */
export const shellQuote = (value: string): string =>
  /^[A-Za-z0-9_\/.:@%+=,-]+$/.test(value) ? value : `'${value.replace(/'/g, "'\\''")}'`

/**
 * `unset …` for the key variables not in `settings`, then one `export NAME=value` per setting.
 *
 * @since 0.1.0
 * @category Formatting
 */
export const shellLines = (entries: ReadonlyArray<readonly [string, string]>): string => {
  const names = new Set(entries.map(([name]) => name))
  const unset = keyVariables.filter((name) => !names.has(name))
  return (unset.length === 0 ? "" : `unset ${unset.join(" ")}\n`) +
    entries.map(([name, value]) => `export ${name}=${shellQuote(value)}\n`).join("")
}
