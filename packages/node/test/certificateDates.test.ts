/**
 * Configured platform certificates are used only within their dates: one
 * expired or not yet valid is neither advertised in `Wechatpay-Serial` nor
 * trusted to verify, by core's WebCrypto verifier and by node's.
 */
import { ResponseVerifier, WechatPayError } from "@effect-wechatpay/core"
import { NodeResponseVerifier } from "@effect-wechatpay/node"
import { Certificate } from "@effect-wechatpay/sandbox"
import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto"

const DAY = 86_400_000
const certificate = (fromDay: number, toDay: number) => {
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 })
  return {
    privateKey,
    certificate: Certificate.makeSelfSigned({ privateKey, notBefore: new Date(fromDay * DAY), notAfter: new Date(toDay * DAY) })
  }
}
const old = certificate(0, 400)
const current = certificate(300, 2000)
const future = certificate(40_000, 50_000) // from about 2079

const signed = (key: KeyObject, serial: string, nowMs: number) => {
  const timestamp = String(Math.floor(nowMs / 1000))
  const body = "{}"
  const signature = sign("sha256", Buffer.from(`${timestamp}\nnonce\n${body}\n`), key).toString("base64")
  return {
    method: "GET",
    path: "/v3/x",
    status: 200,
    headers: {
      "wechatpay-timestamp": timestamp,
      "wechatpay-nonce": "nonce",
      "wechatpay-signature": signature,
      "wechatpay-serial": serial
    },
    body
  }
}

const verifiers = [["WebCrypto (core)", ResponseVerifier.makeWebCrypto], ["node:crypto", NodeResponseVerifier.make]] as const

describe.each(verifiers)("certificate dates, %s", (_, make) => {
  it.effect("the certificate advertised is the newest valid now, not the newest configured", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(350 * DAY)
      const verifier = yield* make({ platformCertificates: [old.certificate.pem, current.certificate.pem, future.certificate.pem] })
      expect(verifier.acceptSerial).toBe(current.certificate.serialNumber)
    }))

  it.effect("only certificates not valid now: a configuration error before anything is sent", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(3000 * DAY)
      const error = yield* Effect.flip(make({ platformCertificates: [old.certificate.pem, future.certificate.pem] }))
      expect(error).toBeInstanceOf(WechatPayError.WechatPayConfigError)
      expect(error.issue).toContain("valid now")
    }))

  it.effect("an answer signed with an expired certificate fails verification (KeyNotValid)", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(350 * DAY)
      const verifier = yield* make({ platformCertificates: [old.certificate.pem, current.certificate.pem] })
      // Valid at 350 days: verifies.
      yield* verifier.verify(signed(old.privateKey, old.certificate.serialNumber, 350 * DAY))
      yield* TestClock.setTime(500 * DAY)
      const error = yield* Effect.flip(verifier.verify(signed(old.privateKey, old.certificate.serialNumber, 500 * DAY)))
      expect(error).toMatchObject({ _tag: "WechatPayVerificationError", check: "KeyNotValid" })
      yield* verifier.verify(signed(current.privateKey, current.certificate.serialNumber, 500 * DAY))
    }))
})
