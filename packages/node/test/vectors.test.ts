/**
 * The known-answer vectors (core's fixtures) reproduced bit for bit by the
 * `node:crypto` signer and verifier.
 */
import { Credentials, ResponseVerifier, Signer } from "@effect-wechatpay/core"
import { NodeResponseVerifier, NodeSigner } from "@effect-wechatpay/node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Layer, Redacted, TestClock } from "effect"
import { createPrivateKey, createPublicKey, generateKeyPairSync } from "node:crypto"
import { readFileSync } from "node:fs"

const fixture = (name: string) =>
  readFileSync(new URL(`../../core/test/fixtures/${name}`, import.meta.url), "utf8")

interface RequestVector {
  readonly name: string
  readonly method: string
  readonly url: string
  readonly timestamp: number
  readonly nonce: string
  readonly body: string
  readonly message: string
  readonly signature: string
}
interface ResponseVector {
  readonly name: string
  readonly now: number
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string
  readonly expect: "accept" | "reject"
}
const vectors = JSON.parse(fixture("signing-vectors.json")) as {
  readonly keys: { readonly mchid: string; readonly merchant_serial_no: string; readonly wechatpay_public_key_id: string }
  readonly requests: ReadonlyArray<RequestVector>
  readonly responses: ReadonlyArray<ResponseVector>
}

const merchantPem = fixture("merchant_private_key.pem")
const merchant = {
  mchid: vectors.keys.mchid,
  serialNo: vectors.keys.merchant_serial_no,
  privateKey: Redacted.make(merchantPem)
}
const verification = {
  publicKey: { id: vectors.keys.wechatpay_public_key_id, pem: fixture("wechatpay_public_key.pem") }
}

const expectedCheck: Record<string, string> = {
  "tampered body": "BadSignature",
  "unknown serial": "UnknownSerial",
  "stale timestamp (valid signature)": "StaleTimestamp",
  "timestamp exactly 300 s old": "StaleTimestamp",
  "SIGNTEST probe signature": "ProbeSignature",
  "missing Wechatpay-Signature header": "MissingHeader"
}

describe("NodeSigner: request vectors", () => {
  it("covers every request case", () => {
    expect(vectors.requests.length).toBe(5)
  })

  for (const vector of vectors.requests) {
    it.effect(vector.name, () =>
      Effect.gen(function*() {
        const signer = yield* NodeSigner.make(merchant)
        expect(signer.mchid).toBe(vectors.keys.mchid)
        expect(signer.serialNo).toBe(vectors.keys.merchant_serial_no)
        expect(yield* signer.sign(vector.message)).toBe(vector.signature)
        // The synchronous path (what a signature made ahead uses) gives the same bytes.
        expect(signer.signSync?.(vector.message)).toBe(vector.signature)
      }))
  }

  it.effect("PKCS#1 (RSA PRIVATE KEY) signs identically to PKCS#8", () =>
    Effect.gen(function*() {
      const pkcs1 = createPrivateKey(merchantPem).export({ type: "pkcs1", format: "pem" }).toString()
      expect(pkcs1).toContain("BEGIN RSA PRIVATE KEY")
      const signer = yield* NodeSigner.make({ ...merchant, privateKey: Redacted.make(pkcs1) })
      for (const vector of vectors.requests) expect(yield* signer.sign(vector.message)).toBe(vector.signature)
    }))

  it.effect("the layer reads Credentials and matches core's WebCrypto signer", () =>
    Effect.gen(function*() {
      const credentials = Credentials.layer({ merchant, verification })
      const node = yield* Effect.provide(Signer.Signer, NodeSigner.layer.pipe(Layer.provide(credentials)))
      const web = yield* Effect.provide(Signer.Signer, Signer.layerWebCrypto.pipe(Layer.provide(credentials)))
      for (const vector of vectors.requests) {
        expect(yield* node.sign(vector.message)).toBe(yield* web.sign(vector.message))
      }
    }))

  it.effect("unusable keys are typed errors on merchant.privateKey that never quote the key", () =>
    Effect.gen(function*() {
      const body = merchantPem.split("\n")[1]!
      const encrypted = createPrivateKey(merchantPem).export({
        type: "pkcs8",
        format: "pem",
        cipher: "aes-256-cbc",
        passphrase: "secret"
      }).toString()
      const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" })
        .toString()
      const cases = [
        ["garbage inside the PEM", merchantPem.replace(/[A-Za-z]{20}/, "AAAAAAAAAAAAAAAAAAAA")],
        ["no PEM block", "not a key at all"],
        ["a public key", fixture("merchant_public_key.pem")],
        ["an encrypted key", encrypted],
        ["an EC key", ec]
      ] as const
      for (const [label, pem] of cases) {
        const error = yield* Effect.flip(NodeSigner.make({ ...merchant, privateKey: Redacted.make(pem) }))
        expect(error._tag, label).toBe("WechatPayConfigError")
        expect(error.setting, label).toBe("merchant.privateKey")
        expect(String(error), label).not.toContain(body)
        expect(JSON.stringify(error), label).not.toContain(body)
      }
    }))
})

describe("NodeResponseVerifier: response vectors", () => {
  it("covers every response case", () => {
    expect(vectors.responses.length).toBe(8)
    expect(vectors.responses.filter((v) => v.expect === "reject").map((v) => v.name).sort())
      .toEqual(Object.keys(expectedCheck).sort())
  })

  for (const vector of vectors.responses) {
    it.effect(`${vector.name}: ${vector.expect}`, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(vector.now * 1000)
        const verifier = yield* NodeResponseVerifier.make(verification)
        expect(verifier.acceptSerial).toBe(vectors.keys.wechatpay_public_key_id)
        const headers = Object.fromEntries(Object.entries(vector.headers).map(([k, v]) => [k.toLowerCase(), v]))
        const exit = yield* Effect.exit(
          verifier.verify({ method: "GET", path: "/v3/x", status: vector.status, headers, body: vector.body })
        )
        if (vector.expect === "accept") {
          expect(exit).toStrictEqual(Exit.void)
        } else {
          const error = yield* Effect.flip(exit)
          expect(error._tag).toBe("WechatPayVerificationError")
          expect(error.check).toBe(expectedCheck[vector.name])
          const signature = vector.headers["Wechatpay-Signature"]
          if (signature !== undefined) {
            expect(String(error)).not.toContain(signature)
            expect(JSON.stringify(error)).not.toContain(signature)
          }
        }
      }))
  }

  it.effect("agrees with core's WebCrypto verifier on every case (layer from Credentials)", () =>
    Effect.gen(function*() {
      const credentials = Credentials.layer({ merchant, verification })
      const node = yield* Effect.provide(
        ResponseVerifier.ResponseVerifier,
        NodeResponseVerifier.layer.pipe(Layer.provide(credentials))
      )
      const web = yield* Effect.provide(
        ResponseVerifier.ResponseVerifier,
        ResponseVerifier.layerWebCrypto.pipe(Layer.provide(credentials))
      )
      for (const vector of vectors.responses) {
        yield* TestClock.setTime(vector.now * 1000)
        const headers = Object.fromEntries(Object.entries(vector.headers).map(([k, v]) => [k.toLowerCase(), v]))
        const response = { method: "GET", path: "/v3/x", status: vector.status, headers, body: vector.body }
        const [a, b] = yield* Effect.all([Effect.exit(node.verify(response)), Effect.exit(web.verify(response))])
        expect(a, vector.name).toStrictEqual(b)
      }
    }))

  it.effect("a PKCS#1 RSA PUBLIC KEY verifies too; a truncated signature is BadSignature", () =>
    Effect.gen(function*() {
      const pkcs1 = createPublicKey(verification.publicKey.pem).export({ type: "pkcs1", format: "pem" }).toString()
      const verifier = yield* NodeResponseVerifier.make({ publicKey: { id: verification.publicKey.id, pem: pkcs1 } })
      const valid = vectors.responses.find((v) => v.name === "valid")!
      yield* TestClock.setTime(valid.now * 1000)
      const headers = Object.fromEntries(Object.entries(valid.headers).map(([k, v]) => [k.toLowerCase(), v]))
      const response = { method: "GET", path: "/v3/x", status: 200, headers, body: valid.body }
      yield* verifier.verify(response)
      const truncated = { ...headers, "wechatpay-signature": headers["wechatpay-signature"]!.slice(0, 40) }
      const error = yield* Effect.flip(verifier.verify({ ...response, headers: truncated }))
      expect(error.check).toBe("BadSignature")
    }))

  it.effect("maxSkewSeconds narrows the clock window", () =>
    Effect.gen(function*() {
      const valid = vectors.responses.find((v) => v.name === "valid")!
      yield* TestClock.setTime(valid.now * 1000) // the response is 10 s old
      const verifier = yield* NodeResponseVerifier.make(verification, { maxSkewSeconds: 10 })
      const headers = Object.fromEntries(Object.entries(valid.headers).map(([k, v]) => [k.toLowerCase(), v]))
      const error = yield* Effect.flip(verifier.verify({ method: "GET", path: "/v3/x", status: 200, headers, body: valid.body }))
      expect(error.check).toBe("StaleTimestamp")
    }))

  it.effect("a public key that is not RSA is a typed error on verification.publicKey.pem", () =>
    Effect.gen(function*() {
      const ec = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ type: "spki", format: "pem" })
        .toString()
      const error = yield* Effect.flip(NodeResponseVerifier.make({ publicKey: { id: verification.publicKey.id, pem: ec } }))
      expect(error._tag).toBe("WechatPayConfigError")
      expect(error.setting).toBe("verification.publicKey.pem")
    }))
})
