import { Credentials } from "@effect-wechatpay/core"
import { NodeWechatPayClient } from "@effect-wechatpay/node"
import type { SandboxServer } from "@effect-wechatpay/sandbox"
import { Effect, Layer, Redacted } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

/** A temporary directory, removed when the scope closes. */
export const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "wechatpay-node-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

/** Writes `text` to `dir/name` and returns the path. */
export const writeFile = (dir: string, name: string, text: string): string => {
  const path = Path.join(dir, name)
  Fs.writeFileSync(path, text)
  return path
}

/** Core's known-answer fixtures, by a path relative to this file. */
export const coreFixture = (name: string): string =>
  Fs.readFileSync(new URL(`../../core/test/fixtures/${name}`, import.meta.url), "utf8")

/** The base64 lines of a PEM: what must never appear in an error. */
export const pemBodyLines = (pem: string): ReadonlyArray<string> =>
  pem.split("\n").map((line) => line.trim()).filter((line) => line !== "" && !line.startsWith("-----"))

/**
 * The Node client over a running sandbox, with the sandbox's merchant key and
 * its verification keys for `mode` (public key, certificate, or both).
 */
export const clientFor = (
  server: SandboxServer.Running,
  mode: "publicKey" | "certificate" | "migration" = "publicKey",
  url = server.url
) => {
  const config = server.sandbox.config
  return NodeWechatPayClient.layer({ baseUrl: url }).pipe(
    Layer.provide(Credentials.layer({
      merchant: {
        mchid: config.mchid,
        serialNo: config.merchantSerial,
        privateKey: Redacted.make(config.merchantPrivateKeyPem)
      },
      verification: {
        ...(mode === "certificate" ? {} : { publicKey: { id: config.wechatpayPublicKeyId, pem: config.wechatpayPublicKeyPem } }),
        ...(mode === "publicKey" ? {} : { platformCertificates: [config.platformCertificatePem] })
      }
    }))
  )
}
