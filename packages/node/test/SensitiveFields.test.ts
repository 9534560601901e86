/**
 * Sensitive fields, by both implementations (core's WebCrypto, node's
 * `node:crypto`): checked against the RSA-OAEP vectors by decrypting with the
 * vectors' private key, and the key choice per mode.
 */
import { Credentials, SensitiveFields, WechatPayError } from "@effect-wechatpay/core"
import { NodeSensitiveFields } from "@effect-wechatpay/node"
import { Certificate } from "@effect-wechatpay/sandbox"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted, Schema, TestClock } from "effect"
import { constants, createPrivateKey, generateKeyPairSync, privateDecrypt } from "node:crypto"
import { readFileSync } from "node:fs"

const fixture = (name: string) => readFileSync(new URL(`../../core/test/fixtures/${name}`, import.meta.url), "utf8")
const vectors = JSON.parse(fixture("signing-vectors.json")) as {
  readonly rsa_oaep: {
    readonly wechatpay_serial_header: string
    readonly plaintext: string
    readonly ciphertext_base64: string
  }
}
const oaep = vectors.rsa_oaep
const wechatpayPrivate = createPrivateKey(fixture("wechatpay_private_key.pem"))
const publicKey = { id: oaep.wechatpay_serial_header, pem: fixture("wechatpay_public_key.pem") }

const decrypt = (key: typeof wechatpayPrivate, b64: string) =>
  privateDecrypt({ key, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, Buffer.from(b64, "base64"))
    .toString("utf8")

const implementations = [
  ["WebCrypto (core)", SensitiveFields.makeWebCrypto],
  ["node:crypto (node)", NodeSensitiveFields.make]
] as const

const DAY = 86_400_000
const platform = (notBeforeDays: number, notAfterDays: number) => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
  const certificate = Certificate.makeSelfSigned({
    privateKey,
    notBefore: new Date(notBeforeDays * DAY),
    notAfter: new Date(notAfterDays * DAY)
  })
  return { privateKey, certificate }
}
// Two certificates that overlap: the older valid from day 0 to 400, the newer from day 300 to 2000.
const older = platform(0, 400)
const newer = platform(300, 2000)

const Body = Schema.Struct({
  name: Schema.propertySignature(SensitiveFields.Encrypted).pipe(Schema.fromKey("user_name")),
  phone: Schema.optional(SensitiveFields.Encrypted),
  className: Schema.optional(Schema.String).pipe(Schema.fromKey("class_name"))
})

describe("the OAEP vector", () => {
  it("decrypts with the vectors' private key to the vectors' plaintext (the fixture is sound)", () => {
    expect(decrypt(wechatpayPrivate, oaep.ciphertext_base64)).toBe(oaep.plaintext)
  })
})

describe.each(implementations)("SensitiveFields, %s", (_, make) => {
  it.effect("encrypts under the WeChat Pay public key: the vectors' private key recovers the plaintext", () =>
    Effect.gen(function*() {
      const service = yield* make({ publicKey })
      const cipher = yield* service.cipher
      expect(cipher.serial).toBe(oaep.wechatpay_serial_header)
      const sealed = yield* cipher.encrypt(oaep.plaintext)
      expect(decrypt(wechatpayPrivate, sealed)).toBe(oaep.plaintext)
      // OAEP is randomised: the same plaintext never gives the same ciphertext.
      expect(yield* cipher.encrypt(oaep.plaintext)).not.toBe(sealed)
    }))

  it.effect("encodeBody encrypts every Encrypted field, leaves the others plain, and returns the serial", () =>
    Effect.gen(function*() {
      const service = yield* make({ publicKey })
      const { body, serial } = yield* SensitiveFields.encodeBody("updateUser", Body, {
        name: Redacted.make("张三"),
        phone: Redacted.make("13800138000"),
        className: "三年级二班"
      }).pipe(Effect.provideService(SensitiveFields.SensitiveFields, service))
      expect(serial).toBe(oaep.wechatpay_serial_header)
      const wire = JSON.parse(body) as Record<string, string>
      expect(Object.keys(wire).sort()).toEqual(["class_name", "phone", "user_name"])
      expect(wire["class_name"]).toBe("三年级二班")
      expect(decrypt(wechatpayPrivate, wire["user_name"]!)).toBe("张三")
      expect(decrypt(wechatpayPrivate, wire["phone"]!)).toBe("13800138000")
      expect(body).not.toContain("13800138000")
    }))

  it.effect("a field too long for the key, or empty, is an input error naming the field, never its value", () =>
    Effect.gen(function*() {
      const service = yield* make({ publicKey })
      const long = "一".repeat(80) // 240 UTF-8 bytes > 214
      const tooLong = yield* Effect.flip(
        SensitiveFields.encodeBody("updateUser", Body, { name: Redacted.make(long) }).pipe(
          Effect.provideService(SensitiveFields.SensitiveFields, service)
        )
      )
      expect(tooLong).toBeInstanceOf(WechatPayError.WechatPayInvalidInputError)
      expect(tooLong).toMatchObject({ operation: "updateUser", field: "name" })
      expect(tooLong.message).toContain("at most 214 UTF-8 bytes")
      expect(JSON.stringify(tooLong) + tooLong.message).not.toContain(long)
      const empty = yield* Effect.flip(
        SensitiveFields.encodeBody("updateUser", Body, { name: Redacted.make(""), phone: Redacted.make("1") }).pipe(
          Effect.provideService(SensitiveFields.SensitiveFields, service)
        )
      )
      expect(empty).toMatchObject({ field: "name", issue: "must not be empty" })
    }))

  it.effect("certificate mode: the newest certificate valid now, chosen at each request", () =>
    Effect.gen(function*() {
      const service = yield* make({ platformCertificates: [older.certificate.pem, newer.certificate.pem] })
      yield* TestClock.setTime(100 * DAY)
      const before = yield* service.cipher
      expect(before.serial).toBe(older.certificate.serialNumber)
      expect(decrypt(older.privateKey, yield* before.encrypt("13800138000"))).toBe("13800138000")
      yield* TestClock.setTime(350 * DAY) // both valid: the newer one
      const overlap = yield* service.cipher
      expect(overlap.serial).toBe(newer.certificate.serialNumber)
      expect(decrypt(newer.privateKey, yield* overlap.encrypt("13800138000"))).toBe("13800138000")
      yield* TestClock.setTime(3000 * DAY) // none valid
      const none = yield* Effect.flip(service.cipher)
      expect(none).toBeInstanceOf(WechatPayError.WechatPayConfigError)
    }))

  it.effect("migration mode (public key and certificates): the public key first", () =>
    Effect.gen(function*() {
      const service = yield* make({ publicKey, platformCertificates: [newer.certificate.pem] })
      yield* TestClock.setTime(350 * DAY)
      expect((yield* service.cipher).serial).toBe(oaep.wechatpay_serial_header)
    }))

  it.effect("no key at all is a configuration error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(make({}))
      expect(error).toBeInstanceOf(WechatPayError.WechatPayConfigError)
    }))
})

describe("layers", () => {
  it.effect("both layers read the verification keys of Credentials", () =>
    Effect.gen(function*() {
      const credentials = Credentials.Credentials.of({
        merchant: { mchid: "1900000001", serialNo: "X", privateKey: Redacted.make(fixture("merchant_private_key.pem")) },
        verification: { publicKey }
      })
      for (const layer of [SensitiveFields.layerWebCrypto, NodeSensitiveFields.layer]) {
        const serial = yield* Effect.flatMap(SensitiveFields.SensitiveFields, (s) => s.cipher).pipe(
          Effect.map((c) => c.serial),
          Effect.provide(layer),
          Effect.provideService(Credentials.Credentials, credentials)
        )
        expect(serial).toBe(oaep.wechatpay_serial_header)
      }
    }))
})
