/**
 * `Organizations.getOrganization`: the request (path, one query pair, the
 * retry class), the answer decoded, exactly one of id and name required; and
 * over the sandbox, a Chinese name percent-encoded in the URL that is signed.
 */
import { Credentials, Organizations, WechatPayClient, WechatPayError } from "@effect-wechatpay/core"
import { Sandbox } from "@effect-wechatpay/sandbox"
import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted } from "effect"
import { recording } from "./recording.js"


const NAME = "某某实验小学"
const PATH = "/v3/offlinefacemch/organizations"

describe("getOrganization", () => {
  it.effect("by name: GET with one organization_name pair, idempotent; the answer decoded", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ organization_id: "O1234567", organization_name: NAME })
      const school = yield* Organizations.getOrganization({ organizationName: NAME }).pipe(Effect.provide(layer))
      expect(school).toBeInstanceOf(Organizations.Organization)
      expect(school).toMatchObject({ organizationId: "O1234567", organizationName: NAME })
      expect(requests).toHaveLength(1)
      const request = requests[0]!
      expect(request).toMatchObject({ method: "GET", path: PATH, query: [["organization_name", NAME]] })
      expect(request.body).toBeUndefined()
      expect(request.retry ?? "idempotent").toBe("idempotent")
    }))

  it.effect("by id: one organization_id pair; absent fields stay absent, extra fields are ignored", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ organization_id: "O1234567", unknown_field: 1 })
      const school = yield* Organizations.getOrganization({ organizationId: "O1234567" }).pipe(Effect.provide(layer))
      expect(school.organizationId).toBe("O1234567")
      expect(school.organizationName).toBeUndefined()
      expect(requests[0]).toMatchObject({ method: "GET", path: PATH, query: [["organization_id", "O1234567"]] })
      const empty = yield* Organizations.getOrganization({ organizationId: "O1" }).pipe(
        Effect.provide(recording({}).layer)
      )
      expect({ ...empty }).toEqual({})
    }))

  it.effect("neither, both, or a bad value: an input error naming the field, and nothing is sent", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({})
      const run = (params: Organizations.GetOrganizationParams) =>
        Effect.flip(Organizations.getOrganization(params).pipe(Effect.provide(layer)))
      // What an untyped caller (JavaScript, parsed JSON) may pass.
      const untyped = (value: object) => value as Organizations.GetOrganizationParams
      const cases: ReadonlyArray<readonly [Organizations.GetOrganizationParams, string]> = [
        [untyped({}), "organizationId"],
        [untyped({ organizationId: undefined, organizationName: undefined }), "organizationId"],
        [untyped({ organizationId: "O1", organizationName: NAME }), "organizationName"],
        [untyped({ organizationId: 1234567 }), "organizationId"],
        [{ organizationId: "" }, "organizationId"],
        [{ organizationId: "O 1" }, "organizationId"],
        [{ organizationName: "" }, "organizationName"],
        [{ organizationName: "某某\n小学" }, "organizationName"],
        [{ organizationName: "学".repeat(129) }, "organizationName"]
      ]
      for (const [params, field] of cases) {
        const error = yield* run(params)
        expect(error).toBeInstanceOf(WechatPayError.WechatPayInvalidInputError)
        expect(error).toMatchObject({ operation: "getOrganization", field })
      }
      expect(requests).toHaveLength(0)
    }))
})

describe("getOrganization over the sandbox's in-memory transport", () => {
  it.live("sends the Chinese name percent-encoded (UTF-8), and that URL is what was signed", () =>
    Effect.gen(function*() {
      const keys = yield* Sandbox.generateKeys
      const sandbox = yield* Sandbox.make({ ...keys, mode: "publicKey" })
      const c = sandbox.config
      const layer = WechatPayClient.layerWebCrypto().pipe(
        Layer.provide(Credentials.layer({
          merchant: { mchid: c.mchid, serialNo: c.merchantSerial, privateKey: Redacted.make(c.merchantPrivateKeyPem) },
          verification: { publicKey: { id: c.wechatpayPublicKeyId, pem: c.wechatpayPublicKeyPem } }
        })),
        Layer.provide(Layer.succeed(HttpClient.HttpClient, Sandbox.makeHttpClient(sandbox)))
      )
      // The sandbox may or may not serve this route yet: the URL and the signature check are what matter here.
      yield* Effect.either(Organizations.getOrganization({ organizationName: NAME }).pipe(Effect.provide(layer)))
      const [received] = yield* sandbox.requests
      expect(received?.method).toBe("GET")
      expect(received?.url).toBe(
        `${PATH}?organization_name=%E6%9F%90%E6%9F%90%E5%AE%9E%E9%AA%8C%E5%B0%8F%E5%AD%A6`
      )
      expect(received?.url).toBe(`${PATH}?organization_name=${encodeURIComponent(NAME)}`)
      // 401 would mean the signature did not cover the URL as received.
      expect(received?.status).not.toBe(401)
    }))
})
