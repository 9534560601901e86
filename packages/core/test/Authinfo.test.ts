/**
 * Authinfo: the request as sent (wire names, retry idempotent), the answer
 * with and without `expires_in` (decoded leniently), and bad input refused by
 * name before anything is sent.
 */
import { Authinfo, WechatPayError } from "@effect-wechatpay/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { recording } from "./recording.js"


const params: Authinfo.AuthinfoParams = {
  spAppid: "wx8888888888888888",
  subAppid: "wx9999999999999999",
  subMchid: "1900000109",
  deviceId: "DEVICE-001",
  rawData: "raw data from the device SDK, with spaces and = signs",
  organizationId: "O1234567"
}

describe("getAuthinfo", () => {
  it.effect("POSTs the body in wire names, no extra headers, retry idempotent", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ authinfo: "AUTHINFO-abc" })
      const result = yield* Authinfo.getAuthinfo(params).pipe(Effect.provide(layer))
      expect(result).toBeInstanceOf(Authinfo.AuthinfoResult)
      expect(result.authinfo).toBe("AUTHINFO-abc")
      expect(result.expiresIn).toBeUndefined()
      expect(requests).toHaveLength(1)
      const request = requests[0]!
      expect(request.method).toBe("POST")
      expect(request.path).toBe("/v3/offlineface/authinfo")
      expect(request.query).toBeUndefined()
      expect(request.headers).toBeUndefined()
      expect(request.retry).toBe("idempotent")
      expect(JSON.parse(request.body ?? "")).toEqual({
        sp_appid: "wx8888888888888888",
        sub_appid: "wx9999999999999999",
        sub_mchid: "1900000109",
        device_id: "DEVICE-001",
        raw_data: "raw data from the device SDK, with spaces and = signs",
        organization_id: "O1234567"
      })
    }))

  it.effect("sub_appid is optional: left out of the body when not given", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ authinfo: "A" })
      const { subAppid: _, ...withoutSubAppid } = params
      yield* Authinfo.getAuthinfo(withoutSubAppid).pipe(Effect.provide(layer))
      yield* Authinfo.getAuthinfo({ ...withoutSubAppid, subAppid: undefined }).pipe(Effect.provide(layer))
      for (const request of requests) {
        expect(Object.keys(JSON.parse(request.body ?? "{}") as object)).toEqual([
          "sp_appid",
          "sub_mchid",
          "device_id",
          "raw_data",
          "organization_id"
        ])
      }
    }))

  it("decodes expires_in when sent, leniently: seconds or their string kept, anything else dropped", () => {
    const decode = Schema.decodeUnknownSync(Authinfo.AuthinfoResult)
    expect(decode({ authinfo: "A", expires_in: 3600 }).expiresIn).toBe(3600)
    expect(decode({ authinfo: "A", expires_in: "3600" }).expiresIn).toBe(3600)
    for (const odd of [null, "an hour", -1, "Infinity", "NaN", {}, true]) {
      const result = decode({ authinfo: "A", expires_in: odd })
      expect(result.authinfo).toBe("A")
      expect(result.expiresIn).toBeUndefined()
    }
    // Fields added later are ignored; the authinfo itself is required.
    expect(decode({ authinfo: "A", something_new: 1 }).authinfo).toBe("A")
    expect(() => decode({ expires_in: 3600 })).toThrow(/authinfo/)
  })

  it.effect("bad or missing input is an input error naming the field, and nothing is sent", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ authinfo: "A" })
      const missingDevice: Authinfo.AuthinfoParams = { ...params }
      Reflect.deleteProperty(missingDevice, "deviceId")
      const cases: ReadonlyArray<readonly [Authinfo.AuthinfoParams, string]> = [
        [missingDevice, "deviceId"],
        [{ ...params, spAppid: "" }, "spAppid"],
        [{ ...params, subAppid: "wx 1" }, "subAppid"],
        [{ ...params, subMchid: "1900000109\n" }, "subMchid"],
        [{ ...params, deviceId: "D".repeat(129) }, "deviceId"],
        [{ ...params, rawData: "" }, "rawData"],
        [{ ...params, organizationId: "O 1" }, "organizationId"]
      ]
      for (const [input, field] of cases) {
        const error = yield* Effect.flip(Authinfo.getAuthinfo(input).pipe(Effect.provide(layer)))
        expect(error).toBeInstanceOf(WechatPayError.WechatPayInvalidInputError)
        expect(error).toMatchObject({ operation: "getAuthinfo", field })
      }
      expect(requests).toHaveLength(0)
    }))
})
