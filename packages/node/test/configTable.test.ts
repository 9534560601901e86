/**
 * One owner for configuration: core and node read the same `WECHATPAY_*`
 * names with the same rule (blank counts as unset, text trimmed), and node
 * takes each key as text or as a file.
 */
import { Credentials, WechatPayConfig } from "@effect-wechatpay/core"
import { NodeKeys } from "@effect-wechatpay/node"
import { Sandbox } from "@effect-wechatpay/sandbox"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import { tempDir, writeFile } from "./helpers.js"

const V = WechatPayConfig.variables

const withEnv = (env: ReadonlyArray<readonly [string, string]>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(env)))

describe("the WECHATPAY_* table", () => {
  it.scoped("core and node read the same names: blank is unset in both; certificates as PEM text or files", () =>
    Effect.gen(function*() {
      const sandbox = yield* Sandbox.make({ mode: "certificate" })
      const c = sandbox.config
      const dir = yield* tempDir
      const base = [
        [V.mchid, ` ${c.mchid} `],
        [V.merchantSerial, c.merchantSerial],
        [V.publicKeyId, "   "],
        [V.publicKey, ""]
      ] as const
      // Core: PEM text; the blank public key settings count as unset, so this is certificate mode.
      const core = yield* Effect.flatMap(
        Effect.mapError(Credentials.config, Credentials.fromConfigError),
        Credentials.make
      ).pipe(withEnv([...base, [V.privateKey, c.merchantPrivateKeyPem], [V.platformCerts, c.platformCertificatePem]]))
      expect(core.merchant.mchid).toBe(c.mchid)
      expect(core.verification.publicKey).toBe(undefined)
      expect(core.verification.platformCertificates?.map((pem) => pem.trim())).toEqual([c.platformCertificatePem.trim()])
      // Node: the same names, and the same certificate as text or as a file.
      for (
        const certificates of [
          [V.platformCerts, c.platformCertificatePem],
          [V.platformCertFiles, writeFile(dir, "cert.pem", c.platformCertificatePem)]
        ] as const
      ) {
        const node = yield* NodeKeys.loadConfig.pipe(
          withEnv([...base, [V.privateKeyFile, writeFile(dir, "key.pem", c.merchantPrivateKeyPem)], certificates])
        )
        expect(node.merchant.mchid).toBe(c.mchid)
        expect(Redacted.value(node.merchant.privateKey)).toContain("PRIVATE KEY")
        expect(node.verification.publicKey).toBe(undefined)
        expect(node.verification.platformCertificates?.[0]?.trim()).toBe(c.platformCertificatePem.trim())
      }
      // Both forms of one setting: refused, naming them.
      const both = yield* Effect.either(NodeKeys.loadConfig.pipe(withEnv([
        ...base,
        [V.privateKey, c.merchantPrivateKeyPem],
        [V.platformCerts, c.platformCertificatePem],
        [V.platformCertFiles, "/x.pem"]
      ])))
      expect(both._tag === "Left" && both.left.issue).toContain("not both")
      // A blank required setting is "is empty" in core, as in node.
      const blank = yield* Effect.either(Effect.mapError(Credentials.config, Credentials.fromConfigError).pipe(
        withEnv([[V.mchid, "  "], [V.merchantSerial, "S"], [V.privateKey, "k"]])
      ))
      expect(blank._tag === "Left" && [blank.left.setting, blank.left.issue]).toEqual([V.mchid, "is empty"])
    }))
})
