/**
 * The known-answer vectors (fixtures/, copied from shared/spec/vectors/)
 * reproduced bit for bit by core's WebCrypto signer and verifier.
 */
import { Credentials, Crypto, ResponseVerifier, Signer } from "@effect-wechatpay/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Redacted, TestClock } from "effect"
import { readFileSync } from "node:fs"
import * as Protocol from "../src/internal/protocol.js"

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")

interface RequestVector {
  readonly name: string
  readonly method: string
  readonly url: string
  readonly timestamp: number
  readonly nonce: string
  readonly body: string
  readonly mchid: string
  readonly serial_no: string
  readonly message: string
  readonly signature: string
  readonly authorization: string
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

const merchant = {
  mchid: vectors.keys.mchid,
  serialNo: vectors.keys.merchant_serial_no,
  privateKey: Redacted.make(fixture("merchant_private_key.pem"))
}
const verification = {
  publicKey: { id: vectors.keys.wechatpay_public_key_id, pem: fixture("wechatpay_public_key.pem") }
}

/** Parses `WECHATPAY2-SHA256-RSA2048 k="v",…` into its fields (order is not significant). */
const parseAuthorization = (header: string) => {
  const [schema, rest = ""] = header.split(" ", 2)
  const fields = Object.fromEntries([...rest.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]))
  return { schema, fields }
}

describe("request vectors", () => {
  for (const vector of vectors.requests) {
    it.effect(vector.name, () =>
      Effect.gen(function*() {
        const message = Protocol.requestMessage(vector.method, vector.url, vector.timestamp, vector.nonce, vector.body)
        expect(message).toBe(vector.message)
        const signer = yield* Signer.makeWebCrypto(merchant)
        const signature = yield* signer.sign(message)
        expect(signature).toBe(vector.signature)
        const authorization = Protocol.authorization({
          mchid: signer.mchid,
          serialNo: signer.serialNo,
          nonce: vector.nonce,
          signature,
          timestamp: vector.timestamp
        })
        expect(parseAuthorization(authorization)).toEqual(parseAuthorization(vector.authorization))
      }))
  }
})

const expectedCheck: Record<string, string> = {
  "tampered body": "BadSignature",
  "unknown serial": "UnknownSerial",
  "stale timestamp (valid signature)": "StaleTimestamp",
  "timestamp exactly 300 s old": "StaleTimestamp",
  "SIGNTEST probe signature": "ProbeSignature",
  "missing Wechatpay-Signature header": "MissingHeader"
}

describe("response vectors", () => {
  for (const vector of vectors.responses) {
    it.effect(`${vector.name}: ${vector.expect}`, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(vector.now * 1000)
        const verifier = yield* ResponseVerifier.makeWebCrypto(verification)
        const headers = Object.fromEntries(Object.entries(vector.headers).map(([k, v]) => [k.toLowerCase(), v]))
        const exit = yield* Effect.exit(
          verifier.verify({ method: "GET", path: "/v3/x", status: vector.status, headers, body: vector.body })
        )
        if (vector.expect === "accept") {
          expect(exit).toStrictEqual(Exit.void)
        } else {
          expect(Exit.isFailure(exit)).toBe(true)
          if (Exit.isFailure(exit)) {
            const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
            expect(error?._tag).toBe("WechatPayVerificationError")
            expect(error?.check).toBe(expectedCheck[vector.name])
            // The error names the check, never the signature.
            const signature = vector.headers["Wechatpay-Signature"]
            if (signature !== undefined) {
              expect(String(error)).not.toContain(signature)
              expect(JSON.stringify(error)).not.toContain(signature)
            }
          }
        }
      }))
  }
})

describe("credentials", () => {
  it.effect("accepts PKCS#1 keys as well as PKCS#8", () =>
    Effect.gen(function*() {
      const { createPrivateKey } = yield* Effect.promise(() => import("node:crypto"))
      const pkcs1 = createPrivateKey(fixture("merchant_private_key.pem")).export({ type: "pkcs1", format: "pem" })
      const signer = yield* Signer.makeWebCrypto({ ...merchant, privateKey: Redacted.make(String(pkcs1)) })
      const vector = vectors.requests[0]!
      expect(yield* signer.sign(vector.message)).toBe(vector.signature)
    }))

  it.effect("a malformed key is a typed configuration error that does not print the key", () =>
    Effect.gen(function*() {
      const pem = fixture("merchant_private_key.pem").replace(/[A-Za-z]{20}/, "!!!!")
      const error = yield* Effect.flip(Credentials.make({ merchant: { ...merchant, privateKey: Redacted.make(pem) }, verification }))
      expect(error._tag).toBe("WechatPayConfigError")
      expect(error.setting).toBe("merchant.privateKey")
      expect(String(error)).not.toContain("MII")
    }))

  it.effect("no verification key at all is refused", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Credentials.make({ merchant, verification: {} }))
      expect(error.setting).toBe("verification")
    }))
})

const cipherVectors = JSON.parse(fixture("signing-vectors.json")) as {
  readonly aead_aes_256_gcm: {
    readonly key: string
    readonly nonce: string
    readonly associated_data: string
    readonly plaintext: string
    readonly ciphertext_base64: string
  }
  readonly rsa_oaep: { readonly plaintext: string; readonly ciphertext_base64: string }
}

describe("cipher vectors", () => {
  const aead = cipherVectors.aead_aes_256_gcm
  const input = {
    apiV3Key: Redacted.make(aead.key),
    nonce: aead.nonce,
    associatedData: aead.associated_data,
    ciphertext: aead.ciphertext_base64
  }

  it.effect("AEAD_AES_256_GCM decrypts to the plaintext", () =>
    Effect.gen(function*() {
      expect(yield* Crypto.decryptAeadAes256Gcm(input)).toBe(aead.plaintext)
    }))

  it.effect("AEAD_AES_256_GCM refuses a tampered ciphertext, a wrong key or wrong associated data, without output", () =>
    Effect.gen(function*() {
      const bytes = Buffer.from(aead.ciphertext_base64, "base64")
      bytes[0] = bytes[0]! ^ 1
      const cases = [
        { ...input, ciphertext: bytes.toString("base64") },
        { ...input, apiV3Key: Redacted.make("X".repeat(32)) },
        { ...input, associatedData: "notification" }
      ]
      for (const bad of cases) {
        const error = yield* Effect.flip(Crypto.decryptAeadAes256Gcm(bad))
        expect(error._tag).toBe("WechatPayDecryptError")
        expect(String(error)).not.toContain(aead.key)
      }
    }))

  it.effect("RSA-OAEP (SHA-1) decrypts the vector with the WeChat Pay private key", () =>
    Effect.gen(function*() {
      const plain = yield* Crypto.decryptSensitive(
        Redacted.make(fixture("wechatpay_private_key.pem")),
        cipherVectors.rsa_oaep.ciphertext_base64
      )
      expect(plain).toBe(cipherVectors.rsa_oaep.plaintext)
    }))

  it.effect("RSA-OAEP encryption round-trips and is randomised", () =>
    Effect.gen(function*() {
      const a = yield* Crypto.encryptSensitive(fixture("wechatpay_public_key.pem"), "张三")
      const b = yield* Crypto.encryptSensitive(fixture("wechatpay_public_key.pem"), "张三")
      expect(a).not.toBe(b)
      const { constants, privateDecrypt } = yield* Effect.promise(() => import("node:crypto"))
      const plain = privateDecrypt(
        { key: fixture("wechatpay_private_key.pem"), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" },
        Buffer.from(a, "base64")
      ).toString("utf8")
      expect(plain).toBe("张三")
    }))
})

describe("nonces", () => {
  it("are 32 characters of [0-9A-Za-z], all distinct, every character about equally likely", () => {
    const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    const counts = new Map<string, number>()
    const seen = new Set<string>()
    const n = 20_000
    for (let i = 0; i < n; i++) {
      const nonce = Protocol.nonce()
      expect(nonce).toMatch(/^[0-9A-Za-z]{32}$/)
      seen.add(nonce)
      for (const c of nonce) counts.set(c, (counts.get(c) ?? 0) + 1)
    }
    expect(seen.size).toBe(n)
    expect(counts.size).toBe(62)
    // 640 000 characters over 62: about 10 323 each (σ ≈ 100). A biased draw (e.g. byte % 62
    // without rejection) would put the first 8 characters near 12 400; ±6 % is > 6σ.
    const expected = (n * 32) / alphabet.length
    for (const c of alphabet) {
      expect(Math.abs((counts.get(c) ?? 0) - expected) / expected).toBeLessThan(0.06)
    }
  })
})
