import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { readFileSync } from "node:fs"
import { Sandbox } from "@effect-wechatpay/sandbox"
import { asResponse, verifies } from "./helpers.js"

// Copies of the project spec's known-answer vectors (signing-vectors.json, *.pem) (TEST-ONLY keys): request signatures computed by an
// independent generator and cross-checked against wechatpay-axios-plugin.
interface Vectors {
  readonly keys: {
    readonly merchant_private_key: string
    readonly wechatpay_private_key: string
    readonly wechatpay_public_key: string
    readonly mchid: string
    readonly merchant_serial_no: string
    readonly wechatpay_public_key_id: string
  }
  readonly requests: ReadonlyArray<{
    readonly name: string
    readonly method: string
    readonly url: string
    readonly timestamp: number
    readonly body: string
    readonly authorization: string
  }>
}

const vectors = JSON.parse(
  readFileSync(new URL("./fixtures/signing-vectors.json", import.meta.url), "utf8")
) as Vectors

// `keys.*_key` name the PEM files next to the JSON
const pem = (file: string) => readFileSync(new URL(`./fixtures/${file}`, import.meta.url), "utf8")
const wechatpayPublicKeyPem = pem(vectors.keys.wechatpay_public_key)

const options: Sandbox.Options = {
  mchid: vectors.keys.mchid,
  merchantSerial: vectors.keys.merchant_serial_no,
  merchantPrivateKeyPem: pem(vectors.keys.merchant_private_key),
  wechatpayPrivateKeyPem: pem(vectors.keys.wechatpay_private_key),
  wechatpayPublicKeyId: vectors.keys.wechatpay_public_key_id
}

describe("known-answer request vectors", () => {
  for (const v of vectors.requests) {
    it.effect(`authenticates: ${v.name}`, () =>
      Effect.gen(function*() {
        yield* TestClock.setTime(v.timestamp * 1000 + 5_000)
        const sandbox = yield* Sandbox.make(options)
        const res = asResponse(
          yield* sandbox.handle({
            method: v.method,
            url: v.url,
            headers: { Authorization: v.authorization },
            body: v.body
          })
        )
        // authenticated: the list and authinfo answer 200; the rest name nothing the sandbox holds (404)
        expect(res.status).toBe(
          v.url.startsWith("/v3/offlineface/face-collections?") || v.url === "/v3/offlineface/authinfo" ? 200 : 404
        )
        expect(verifies(wechatpayPublicKeyPem, res.headers, res.body)).toBe(true)
        // a one-character change of the body or URL breaks it
        const tampered = asResponse(
          yield* sandbox.handle({
            method: v.method,
            url: v.url + "x",
            headers: { Authorization: v.authorization },
            body: v.body
          })
        )
        expect(tampered.status).toBe(401)
      }))
  }
})
