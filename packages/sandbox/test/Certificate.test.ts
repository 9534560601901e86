import { expect, layer } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { createPrivateKey, createPublicKey, generateKeyPairSync, X509Certificate } from "node:crypto"
import { Certificate, Sandbox } from "@effect-wechatpay/sandbox"

layer(Sandbox.layerKeys)("Certificate", (it) => {
  it.effect("a self-signed v3 certificate round-trips through X509Certificate", () =>
    Effect.gen(function*() {
      const keys = yield* Sandbox.SandboxKeys
      yield* TestClock.setTime(Date.UTC(2025, 0, 15, 12, 0, 0))
      const cert = yield* Certificate.make({ privateKey: keys.platformPrivateKeyPem })
      const x = new X509Certificate(cert.pem)
      expect(x.serialNumber.toUpperCase()).toBe(cert.serialNumber)
      expect(cert.serialNumber).toMatch(/^[1-7][0-9A-F]{31}$/)
      const publicKey = createPublicKey(createPrivateKey(keys.platformPrivateKeyPem))
      expect(x.publicKey.equals(publicKey)).toBe(true)
      expect(x.verify(publicKey)).toBe(true)
      expect(x.issuer).toBe(x.subject)
      expect(x.ca).toBe(false)
      expect(x.subject).toContain("CN=Tenpay.com Sandbox Platform Certificate")
      expect(new Date(x.validFrom).toISOString()).toBe("2025-01-14T12:00:00.000Z")
      expect(new Date(x.validTo).toISOString()).toBe("2030-01-15T12:00:00.000Z")
      expect(Buffer.from(x.raw).equals(Buffer.from(cert.der))).toBe(true)
    }))

  it.effect("uses GeneralizedTime from 2050 and accepts a given serial", () =>
    Effect.gen(function*() {
    const keys = yield* Sandbox.SandboxKeys
    const cert = Certificate.makeSelfSigned({
      privateKey: keys.platformPrivateKeyPem,
      notBefore: new Date("1949-12-31T23:59:59Z"),
      notAfter: new Date("2051-06-01T00:00:00Z"),
      serialNumber: "00ab"
    })
    const x = new X509Certificate(cert.pem)
    expect(new Date(x.validFrom).toISOString()).toBe("1949-12-31T23:59:59.000Z")
    expect(new Date(x.validTo).toISOString()).toBe("2051-06-01T00:00:00.000Z")
    expect(x.serialNumber.toUpperCase()).toBe("AB")
    expect(() => Certificate.makeSelfSigned({ ...{ privateKey: keys.platformPrivateKeyPem }, notBefore: new Date(), notAfter: new Date(), serialNumber: "80" })).toThrow(/below 0x80/)
  }))

  it.effect("a certificate for another key does not verify with this key", () =>
    Effect.gen(function*() {
    const keys = yield* Sandbox.SandboxKeys
    const other = generateKeyPairSync("rsa", { modulusLength: 2048 })
    const cert = Certificate.makeSelfSigned({ privateKey: other.privateKey, notBefore: new Date(0), notAfter: new Date() })
    const x = new X509Certificate(cert.pem)
    expect(x.verify(other.publicKey)).toBe(true)
    expect(x.verify(createPublicKey(keys.platformPrivateKeyPem))).toBe(false)
  }))

  it.effect("the sandbox's platform certificate matches its serial and key", () =>
    Effect.gen(function*() {
      const keys = yield* Sandbox.SandboxKeys
      const sandbox = yield* Sandbox.make(keys)
      const x = new X509Certificate(sandbox.config.platformCertificatePem)
      expect(x.serialNumber.toUpperCase()).toBe(sandbox.config.platformCertificateSerial)
      expect(x.verify(x.publicKey)).toBe(true)
      expect(x.publicKey.equals(createPublicKey(keys.platformPrivateKeyPem))).toBe(true)
    }))
})
