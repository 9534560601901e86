/**
 * Certificate mode end to end over loopback HTTP: `NodePlatformCertificates`
 * from environment configuration (no verification key configured, only the
 * APIv3 key) against the sandbox server: the first download at start, the
 * client verifying with the downloaded certificate, a rotation picked up by
 * a refresh; 404 RESOURCE_NOT_EXISTS in public-key mode as a config error.
 */
import { FaceCollections, PlatformCertificates } from "@effect-wechatpay/core"
import { NodePlatformCertificates } from "@effect-wechatpay/node"
import { Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer } from "effect"
import { pemBodyLines, tempDir, writeFile } from "./helpers.js"

const keys = await Effect.runPromise(Sandbox.generateKeys)
const ORG = "school-20"

const envFor = (server: SandboxServer.Running, dir: string, extra: Record<string, string> = {}) => {
  const c = server.sandbox.config
  return Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries({
    WECHATPAY_MCHID: c.mchid,
    WECHATPAY_MERCHANT_SERIAL: c.merchantSerial,
    WECHATPAY_PRIVATE_KEY_FILE: writeFile(dir, "apiclient_key.pem", c.merchantPrivateKeyPem),
    WECHATPAY_APIV3_KEY_FILE: writeFile(dir, "apiv3.key", c.apiV3Key + "\n"),
    WECHATPAY_BASE_URL: server.url,
    ...extra
  }))))
}

describe("NodePlatformCertificates over loopback HTTP", () => {
  it.scopedLive("downloads at start, verifies with the downloaded certificate, picks a rotation up on refresh", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...keys, mode: "certificate", organizations: { [ORG]: 20 } })
      const dir = yield* tempDir
      const context = yield* Layer.build(NodePlatformCertificates.layerConfig().pipe(Layer.provide(envFor(server, dir))))
      const items = yield* FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(Effect.provide(context))
      expect(items.length).toBeGreaterThan(0)
      const set = yield* Effect.provide(PlatformCertificates.PlatformCertificates, context)
      expect((yield* set.current).map((cert) => cert.serial)).toEqual([server.sandbox.config.platformCertificateSerial])

      const rotated = yield* server.sandbox.rotateCertificate()
      yield* server.sandbox.signWithCertificate(rotated.serial)
      const refused = yield* Effect.flip(FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(Effect.provide(context)))
      expect(refused._tag).toBe("WechatPayVerificationError")
      yield* set.refresh
      const again = yield* FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(Effect.provide(context))
      expect(again.length).toBeGreaterThan(0)
      expect((yield* server.sandbox.requests).at(-1)?.wechatpaySerial).toBe(rotated.serial)
    }))

  it.scopedLive("public-key mode: 404 RESOURCE_NOT_EXISTS fails the layer with a config error naming the variables", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...keys, mode: "publicKey" })
      const dir = yield* tempDir
      const error = yield* Effect.flip(
        Layer.build(NodePlatformCertificates.layerConfig().pipe(Layer.provide(envFor(server, dir))))
      )
      expect(error._tag).toBe("WechatPayConfigError")
      expect(error.message).toMatch(/WECHATPAY_PUBLIC_KEY_ID .*WECHATPAY_PUBLIC_KEY_FILE .*WECHATPAY_PUBLIC_KEY\)/)
      expect(error.message).not.toContain(server.sandbox.config.apiV3Key)
      for (const line of pemBodyLines(server.sandbox.config.merchantPrivateKeyPem)) expect(error.message).not.toContain(line)
    }))

  it.scopedLive("the APIv3 key is required, and named, never shown", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...keys, mode: "certificate" })
      const dir = yield* tempDir
      const error = yield* Effect.flip(
        Layer.build(NodePlatformCertificates.layerConfig().pipe(
          Layer.provide(envFor(server, dir, { WECHATPAY_APIV3_KEY_FILE: "", WECHATPAY_APIV3_KEY: "too short" }))
        ))
      )
      expect(error._tag).toBe("WechatPayConfigError")
      expect(error.message).toContain("WECHATPAY_APIV3_KEY")
      expect(error.message).not.toContain("too short")
    }))
})
