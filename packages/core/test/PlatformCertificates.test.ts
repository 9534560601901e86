/**
 * Platform certificates downloaded from the sandbox (in memory) under the
 * `TestClock`: decrypted with the APIv3 key, the answer verified with the
 * decrypted certificate; refreshed on schedule, so that a rotation is picked
 * up without a restart; a failed refresh keeps the set and is counted; an
 * expired certificate is dropped; a new one encrypts only from its
 * effective time; 404 RESOURCE_NOT_EXISTS is a typed configuration error.
 */
import {
  ApiV3Key,
  FaceCollections,
  PlatformCertificates,
  ResponseVerifier,
  SensitiveFields,
  Signer
} from "@effect-wechatpay/core"
import { Faults, Sandbox } from "@effect-wechatpay/sandbox"
import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Context, Effect, Exit, Layer, Logger, Option, Redacted, TestClock } from "effect"
import * as NodeCrypto from "node:crypto"

const keys = await Effect.runPromise(Sandbox.generateKeys)
const ORG = "1234567"
const HOUR = 3_600_000

const turn = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

/**
 * Moves the clock on by `ms`, then lets the event loop turn until `done`
 * holds (WebCrypto's decryption and key import are promises): the refresh
 * fiber has finished that download. Its next sleep starts only then, so move
 * by one interval at a time.
 */
const advance = (ms: number, done: Effect.Effect<boolean>) =>
  Effect.gen(function*() {
    yield* TestClock.adjust(ms)
    for (let i = 0; i < 5000; i++) {
      if (yield* done) return
      yield* turn
    }
    throw new Error("the refresh did not finish")
  })

const setup = (mode: Sandbox.KeyMode = "certificate", apiV3Key?: string) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.parse("2026-11-26T08:00:00+08:00"))
    const sandbox = yield* Sandbox.make({ ...keys, organizations: { [ORG]: 5 }, mode })
    const c = sandbox.config
    const key = NodeCrypto.createPrivateKey(c.merchantPrivateKeyPem)
    const signer = Signer.make({
      mchid: c.mchid,
      serialNo: c.merchantSerial,
      sign: (message) => Effect.sync(() => NodeCrypto.sign("sha256", Buffer.from(message), key).toString("base64"))
    })
    const deps = Layer.mergeAll(
      Layer.succeed(Signer.Signer, signer),
      ApiV3Key.layer(Redacted.make(apiV3Key ?? c.apiV3Key)),
      Layer.succeed(HttpClient.HttpClient, Sandbox.makeHttpClient(sandbox))
    )
    return { sandbox, deps }
  })

const serials = (list: ReadonlyArray<PlatformCertificates.PlatformCertificate>) => list.map((cert) => cert.serial)

const failureOf = <A, E>(exit: Exit.Exit<A, E>): E => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const failure = Cause.failureOption(exit.cause)
  if (Option.isNone(failure)) throw new Error(`expected a typed failure: ${Cause.pretty(exit.cause)}`)
  return failure.value
}

describe("PlatformCertificates.download", () => {
  it.effect("decrypts every certificate and verifies the answer with the decrypted one it names", () =>
    Effect.gen(function*() {
      const { deps, sandbox } = yield* setup()
      const rotated = yield* sandbox.rotateCertificate()
      const downloaded = yield* PlatformCertificates.download({}, ResponseVerifier.webCrypto).pipe(Effect.provide(deps))
      // Newest first; the PEMs are the sandbox's certificates, byte for byte.
      expect(serials(downloaded)).toEqual([rotated.serial, sandbox.config.platformCertificateSerial])
      expect(downloaded[0]?.pem).toBe(rotated.pem)
      expect(downloaded[1]?.pem).toBe(sandbox.config.platformCertificatePem)
      expect(downloaded[0]?.effectiveTime).toBe(rotated.effectiveTime)
      expect(downloaded[0]?.expireTime).toBe(rotated.expireTime)
      // No certificate was held: the request named none.
      const [request] = yield* sandbox.requests
      expect(request?.url).toBe("/v3/certificates")
      expect(request?.wechatpaySerial).toBeUndefined()
    }))

  it.effect("a tampered answer is refused (BadSignature), whatever byte changed", () =>
    Effect.gen(function*() {
      const { deps, sandbox } = yield* setup()
      yield* sandbox.setFaults({ faults: [{ kind: "tamper", select: Faults.every }] })
      const error = failureOf(
        yield* Effect.exit(PlatformCertificates.download({}, ResponseVerifier.webCrypto).pipe(Effect.provide(deps)))
      )
      expect(error._tag).toBe("WechatPayVerificationError")
      expect(error._tag === "WechatPayVerificationError" && error.check).toBe("BadSignature")
    }))

  it.effect("signed with a key neither decrypted nor held: refused (UnknownSerial)", () =>
    Effect.gen(function*() {
      const { deps, sandbox } = yield* setup()
      yield* sandbox.setFaults({ faults: [{ kind: "wrong-serial", select: Faults.every }] })
      const error = failureOf(
        yield* Effect.exit(PlatformCertificates.download({}, ResponseVerifier.webCrypto).pipe(Effect.provide(deps)))
      )
      expect(error._tag === "WechatPayVerificationError" && error.check).toBe("UnknownSerial")
    }))

  it.effect("another APIv3 key: a decryption error that holds no key", () =>
    Effect.gen(function*() {
      const wrong = "WrongApiV3Key0123456789abcdefghi"
      const { deps } = yield* setup("certificate", wrong)
      const error = failureOf(
        yield* Effect.exit(PlatformCertificates.download({}, ResponseVerifier.webCrypto).pipe(Effect.provide(deps)))
      )
      expect(error._tag).toBe("WechatPayDecryptError")
      expect(error.message).toContain("authentication failed")
      expect(JSON.stringify(error) + error.message).not.toContain(wrong)
    }))

  it.effect("404 RESOURCE_NOT_EXISTS (public-key mode): a config error naming the public-key variables", () =>
    Effect.gen(function*() {
      const { deps, sandbox } = yield* setup("publicKey")
      const error = failureOf(
        yield* Effect.exit(PlatformCertificates.download({}, ResponseVerifier.webCrypto).pipe(Effect.provide(deps)))
      )
      expect(error._tag).toBe("WechatPayConfigError")
      expect(error.message).toContain("RESOURCE_NOT_EXISTS")
      expect(error.message).toContain("WECHATPAY_PUBLIC_KEY_ID")
      expect(error.message).toContain("WECHATPAY_PUBLIC_KEY_FILE")
      expect(error.message).toContain("WECHATPAY_PUBLIC_KEY)")
      expect(error.message).not.toContain(sandbox.config.apiV3Key)
      // The layer fails the same way, at start.
      const layerExit = yield* Effect.exit(Effect.scoped(Layer.build(PlatformCertificates.layerClient().pipe(Layer.provide(deps)))))
      expect(failureOf(layerExit)._tag).toBe("WechatPayConfigError")
    }))
})

describe("PlatformCertificates.layerClient", () => {
  it.scoped("the client verifies with the downloaded certificate and names it in Wechatpay-Serial", () =>
    Effect.gen(function*() {
      const { deps, sandbox } = yield* setup()
      const context = yield* Layer.build(PlatformCertificates.layerClient().pipe(Layer.provide(deps)))
      const page = yield* FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(Effect.provide(context))
      expect(page.length).toBeGreaterThan(0)
      const requests = yield* sandbox.requests
      expect(requests.at(-1)?.wechatpaySerial).toBe(sandbox.config.platformCertificateSerial)
    }))

  it.scoped("a rotation is picked up at the next refresh, without a restart", () =>
    Effect.gen(function*() {
      const { deps, sandbox } = yield* setup()
      const context = yield* Layer.build(PlatformCertificates.layerClient({ refreshInterval: "12 hours" }).pipe(Layer.provide(deps)))
      const service = Context.get(context, PlatformCertificates.PlatformCertificates)
      const list = FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(Effect.provide(context))

      // WeChat Pay signs with a certificate the client does not hold yet: refused.
      const rotated = yield* sandbox.rotateCertificate()
      yield* sandbox.signWithCertificate(rotated.serial)
      const refused = failureOf(yield* Effect.exit(list))
      expect(refused._tag === "WechatPayVerificationError" && refused.check).toBe("UnknownSerial")

      // Twelve hours on, the scheduled download brought it: the same client verifies.
      yield* advance(12 * HOUR, Effect.map(service.current, (held) => held.length === 2))
      expect(serials(yield* service.current)).toEqual([rotated.serial, sandbox.config.platformCertificateSerial])
      const page = yield* list
      expect(page.length).toBeGreaterThan(0)
      // The newest valid certificate is named from now on.
      expect((yield* sandbox.requests).at(-1)?.wechatpaySerial).toBe(rotated.serial)
      expect(yield* service.failures).toBe(0)
    }))

  it.scoped("a failed refresh keeps the held set, is logged without a secret and counted; expired ones go", () =>
    Effect.gen(function*() {
      const { deps, sandbox } = yield* setup()
      const logs: Array<string> = []
      const logger = Logger.make(({ annotations, message }) => {
        logs.push(`${String(message)} ${JSON.stringify(Object.fromEntries(annotations))}`)
      })
      const shortLived = yield* sandbox.rotateCertificate({ expireAt: Date.parse("2026-11-29T07:00:00+08:00") })
      const context = yield* Layer.build(
        PlatformCertificates.layer({ refreshInterval: "12 hours" }).pipe(
          Layer.provide(deps),
          Layer.provide(Logger.replace(Logger.defaultLogger, logger))
        )
      )
      const service = Context.get(context, PlatformCertificates.PlatformCertificates)
      const original = sandbox.config.platformCertificateSerial
      expect(serials(yield* service.current)).toEqual([shortLived.serial, original])

      // Every download from now on is tampered with: refused, the set kept.
      yield* sandbox.setFaults({ faults: [{ kind: "tamper", select: Faults.every, route: "downloadCertificates" }] })
      const failed = (n: number) => Effect.map(service.failures, (count) => count === n)
      yield* advance(12 * HOUR, failed(1))
      yield* advance(12 * HOUR, failed(2))
      expect(yield* service.failures).toBe(2)
      expect(serials(yield* service.current)).toEqual([shortLived.serial, original])
      expect(logs.filter((line) => line.includes("refresh failed"))).toHaveLength(2)
      expect(logs.join("\n")).toContain("BadSignature")
      expect(logs.join("\n")).not.toContain(sandbox.config.apiV3Key)

      // Past its expire_time the short-lived certificate is dropped, though no refresh succeeds.
      for (let n = 3; n <= 6; n++) yield* advance(12 * HOUR, failed(n))
      expect(yield* service.failures).toBe(6)
      expect(serials(yield* service.current)).toEqual([original])
      expect(serials(service.unsafeCurrent())).toEqual([original])

      // Downloads work again: the set is replaced by what the sandbox lists (no expired one).
      yield* sandbox.setFaults(Faults.none)
      const downloads = (yield* sandbox.requests).length
      yield* advance(12 * HOUR, Effect.map(sandbox.requests, (all) => all.length > downloads && all.at(-1)?.status === 200))
      yield* Effect.forEach(Array.from({ length: 50 }), () => turn, { discard: true })
      expect(yield* service.failures).toBe(6)
      expect(serials(yield* service.current)).toEqual([original])
    }))

  it.scoped("a new certificate encrypts sensitive fields only from its effective_time", () =>
    Effect.gen(function*() {
      const { deps, sandbox } = yield* setup()
      const effectiveAt = Date.parse("2026-11-27T20:00:00+08:00") // 36 h on
      // The new certificate's key: one the test holds, to open what is encrypted with it.
      const next = yield* sandbox.rotateCertificate({ effectiveAt, privateKeyPem: keys.wechatpayPrivateKeyPem })
      const context = yield* Layer.build(PlatformCertificates.layerClient().pipe(Layer.provide(deps)))
      const service = Context.get(context, PlatformCertificates.PlatformCertificates)
      const fields = Context.get(context, SensitiveFields.SensitiveFields)
      const original = sandbox.config.platformCertificateSerial
      // Held at once (it verifies as soon as WeChat Pay signs with it), not yet used to encrypt.
      expect(serials(yield* service.current)).toEqual([next.serial, original])
      expect((yield* fields.cipher).serial).toBe(original)
      yield* TestClock.adjust(36 * HOUR - 1000)
      expect((yield* fields.cipher).serial).toBe(original)
      yield* TestClock.adjust(1000)
      const cipher = yield* fields.cipher
      expect(cipher.serial).toBe(next.serial)
      // The ciphertext opens with the new certificate's private key.
      const sealed = yield* cipher.encrypt("13800138000")
      const opened = NodeCrypto.privateDecrypt(
        { key: keys.wechatpayPrivateKeyPem, padding: NodeCrypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
        Buffer.from(sealed, "base64")
      )
      expect(opened.toString("utf8")).toBe("13800138000")
      // And requests name it in Wechatpay-Serial.
      yield* FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(Effect.provide(context))
      expect((yield* sandbox.requests).at(-1)?.wechatpaySerial).toBe(next.serial)
    }))

  it.effect("the refresh interval is bounded to [1 h, 2 days]", () =>
    Effect.gen(function*() {
      const { deps } = yield* setup()
      for (const refreshInterval of ["59 minutes", "49 hours"] as const) {
        const exit = yield* Effect.exit(Effect.scoped(Layer.build(PlatformCertificates.layer({ refreshInterval }).pipe(Layer.provide(deps)))))
        const error = failureOf(exit)
        expect(error._tag).toBe("WechatPayConfigError")
        expect(error.message).toContain("refreshInterval")
      }
    }))
})
