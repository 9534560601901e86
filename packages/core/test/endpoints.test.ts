/**
 * Every endpoint's request, exactly (method, path, query, body in wire names,
 * headers, retry class), and its decoded answer, over a recording client;
 * bad input is a typed error naming the field, with zero requests; encrypted
 * fields decrypt with the WeChat Pay key's private half to the caller's
 * plaintext, under the serial sent.
 */
import { Authinfo, Contracts, Crypto, FaceUsers, Organizations, Repayment, Tokens, WechatPayClient, WechatPayError } from "@effect-wechatpay/core"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Redacted, Schema } from "effect"
import { readFileSync } from "node:fs"
import { recording } from "./recording.js"

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")
const PUB_KEY_ID = "PUB_KEY_ID_0119000000012025010100000000000001"
const privateKey = Redacted.make(fixture("wechatpay_private_key.pem"))


const bodyOf = (request: WechatPayClient.Request | undefined): unknown => JSON.parse(request?.body ?? "null")
// A value inside the wire JSON by its dotted path.
const at = (value: unknown, path: string): unknown =>
  path.split(".").reduce<unknown>(
    (v, key) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[key] : undefined),
    value
  )
const text = (value: unknown, path: string): string => String(at(value, path))
const decrypt = (ciphertext: string) => Crypto.decryptSensitive(privateKey, ciphertext)

describe("Authinfo.getAuthinfo", () => {
  it.effect("POSTs the body in wire names and decodes the answer (expires_in optional)", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ authinfo: "AUTHINFO-1" })
      const result = yield* Authinfo.getAuthinfo({
        spAppid: "wx8888888888888888",
        subMchid: "1900000109",
        deviceId: "DEVICE-001",
        rawData: "raw",
        organizationId: "O1234567"
      }).pipe(Effect.provide(layer))
      expect(result.authinfo).toBe("AUTHINFO-1")
      expect(result.expiresIn).toBeUndefined()
      expect(requests[0]).toMatchObject({ method: "POST", path: "/v3/offlineface/authinfo" })
      expect(requests[0]?.retry ?? "idempotent").toBe("idempotent")
      expect(bodyOf(requests[0])).toEqual({
        sp_appid: "wx8888888888888888",
        sub_mchid: "1900000109",
        device_id: "DEVICE-001",
        raw_data: "raw",
        organization_id: "O1234567"
      })
    }))

  it.effect("a missing or blank field is an input error naming it; nothing sent", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ authinfo: "x" })
      const error = yield* Effect.flip(
        Authinfo.getAuthinfo({ spAppid: "wx1", subMchid: "has space", deviceId: "d", rawData: "r", organizationId: "O1" })
          .pipe(Effect.provide(layer))
      )
      expect(error).toMatchObject({ _tag: "WechatPayInvalidInputError", operation: "getAuthinfo", field: "subMchid" })
      expect(error.message).not.toContain("has space")
      expect(requests).toHaveLength(0)
    }))
})

describe("Contracts", () => {
  const params: Contracts.PresignParams = {
    businessName: "K12",
    facepayUser: {
      outUserId: "student-0001",
      identificationName: "张三",
      organizationId: "O1234567",
      identification: { identificationType: "IDCARD", identificationNumber: Redacted.make("110101201001011234") },
      phone: Redacted.make("13800138000")
    },
    limitBankCard: {
      bankCardNumber: Redacted.make("6222020000000000000"),
      identificationName: Redacted.make("张大山"),
      identification: { identificationType: "IDCARD", identificationNumber: Redacted.make("110101198001011234") },
      validThru: "12/29",
      bankType: "ICBC_DEBIT",
      phone: Redacted.make("13900139000")
    },
    contractMode: "LIMIT_BANK_CARD"
  }

  it.effect("presign encrypts the six sensitive fields under the key it names in Wechatpay-Serial", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ presign_token: "TOKEN-1" })
      const result = yield* Contracts.presignContract(params).pipe(Effect.provide(layer))
      expect(result.presignToken).toBe("TOKEN-1")
      const request = requests[0]!
      expect(request).toMatchObject({
        method: "POST",
        path: "/v3/offlineface/contracts/presign",
        headers: { "Wechatpay-Serial": PUB_KEY_ID }
      })
      const body = bodyOf(request)
      expect(at(body, "business_name")).toBe("K12")
      expect(at(body, "contract_mode")).toBe("LIMIT_BANK_CARD")
      expect(at(body, "facepay_user.identification_name")).toBe("张三") // plain, as both sources say
      expect(at(body, "limit_bank_card.valid_thru")).toBe("12/29")
      const encrypted = {
        "facepay_user.identification.identification_number": at(body, "facepay_user.identification.identification_number"),
        "facepay_user.phone": at(body, "facepay_user.phone"),
        "limit_bank_card.bank_card_number": at(body, "limit_bank_card.bank_card_number"),
        "limit_bank_card.identification_name": at(body, "limit_bank_card.identification_name"),
        "limit_bank_card.identification.identification_number":
          at(body, "limit_bank_card.identification.identification_number"),
        "limit_bank_card.phone": at(body, "limit_bank_card.phone")
      }
      const plain = yield* Effect.forEach(Object.values(encrypted), (c) => decrypt(String(c)))
      expect(plain).toEqual([
        "110101201001011234",
        "13800138000",
        "6222020000000000000",
        "张大山",
        "110101198001011234",
        "13900139000"
      ])
      for (const secret of plain) expect(request.body).not.toContain(secret)
    }))

  it.effect("the plaintext input schema decodes a wire-named file into presign's params", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ presign_token: "TOKEN-2" })
      const input = yield* Schema.decodeUnknown(Contracts.PresignInput)({
        business_name: "K12",
        facepay_user: { out_user_id: "s1", organization_id: "O1234567", phone: "13800138000" }
      })
      expect(String(input.facepayUser.phone)).toBe("<redacted>")
      yield* Contracts.presignContract(input).pipe(Effect.provide(layer))
      expect(yield* decrypt(text(bodyOf(requests[0]), "facepay_user.phone"))).toBe("13800138000")
    }))

  it.effect("bad input names the field, never echoes a sensitive value, and sends nothing", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ presign_token: "x" })
      const cases: ReadonlyArray<readonly [Contracts.PresignParams, string]> = [
        [{ ...params, limitBankCard: { ...params.limitBankCard, validThru: "13/29" } }, "limitBankCard.validThru"],
        [{ ...params, facepayUser: { ...params.facepayUser, phone: Redacted.make("") } }, "facepayUser.phone"],
        [{ ...params, contractMode: "ANY" as "LIMIT_NONE" }, "contractMode"],
        [{ ...params, facepayUser: { ...params.facepayUser, organizationId: "" } }, "facepayUser.organizationId"]
      ]
      for (const [input, field] of cases) {
        const error = yield* Effect.flip(Contracts.presignContract(input).pipe(Effect.provide(layer)))
        expect(error).toMatchObject({ _tag: "WechatPayInvalidInputError", field })
        const text = `${String(error)} ${JSON.stringify(error)}`
        for (const secret of ["110101201001011234", "13800138000", "6222020000000000000", "张大山"]) {
          expect(text).not.toContain(secret)
        }
      }
      expect(requests).toHaveLength(0)
    }))

  const contract = {
    contract_id: "CI8CD208Z7e9906f89",
    mchid: "1900000100",
    organization_id: "O1234567",
    openid: "o-openid",
    contract_state: "CONTRACTED",
    contract_signed_time: "2024-09-01T08:00:00+08:00",
    contract_mode: "LIMIT_NONE",
    contract_bank_card_from: "USER_SELECT_FREE"
  }

  it.effect("getContract: path, optional appid, both user id names, open enums", () =>
    Effect.gen(function*() {
      for (const [key, extra] of [["use_id", {}], ["user_id", {}]] as const) {
        const { layer, requests } = recording({ ...contract, [key]: "U-1", ...extra })
        const got = yield* Contracts.getContract({ contractId: "CI8CD208Z7e9906f89", appid: "wx1234" })
          .pipe(Effect.provide(layer))
        expect(got.userId).toBe("U-1")
        expect(got.contractState).toBe("CONTRACTED")
        expect(DateTime.formatIso(got.contractSignedTime!)).toBe("2024-09-01T00:00:00.000Z")
        expect(requests[0]).toEqual({
          method: "GET",
          path: "/v3/offlineface/contracts/CI8CD208Z7e9906f89",
          query: [["appid", "wx1234"]]
        })
      }
      const { layer } = recording({ ...contract, contract_state: "SUSPENDED" })
      const unknown = yield* Contracts.getContract({ contractId: "C1" }).pipe(Effect.provide(layer))
      expect(unknown.contractState).toBe("SUSPENDED")
    }))

  it.effect("getContract refuses a path id that would change the path", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(contract)
      for (const bad of ["a/b", "..", ".", "", "a?b", "a b", "a%2F"]) {
        const error = yield* Effect.flip(Contracts.getContract({ contractId: bad }).pipe(Effect.provide(layer)))
        expect(error).toMatchObject({ _tag: "WechatPayInvalidInputError", field: "contractId" })
      }
      expect(requests).toHaveLength(0)
    }))
})

describe("Repayment.getRepaymentUrl", () => {
  it.effect("POSTs out_user_id and organization_id; expire_at is a DateTime", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ repayment_url: "https://pay.weixin.qq.com/r/1", expire_at: "2024-12-01T10:00:00+08:00" })
      const link = yield* Repayment.getRepaymentUrl({ outUserId: "s1", organizationId: "O1234567" }).pipe(Effect.provide(layer))
      expect(link.repaymentUrl).toBe("https://pay.weixin.qq.com/r/1")
      expect(DateTime.zonedOffset(link.expireAt)).toBe(8 * 3600_000)
      expect(bodyOf(requests[0])).toEqual({ out_user_id: "s1", organization_id: "O1234567" })
    }))
})

describe("Organizations.getOrganization", () => {
  it.effect("by id or by a Chinese name, as query pairs; exactly one is required", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ organization_id: "O1234567", organization_name: "某某实验小学" })
      const byName = yield* Organizations.getOrganization({ organizationName: "某某实验小学" }).pipe(Effect.provide(layer))
      expect(byName.organizationId).toBe("O1234567")
      yield* Organizations.getOrganization({ organizationId: "O1234567" }).pipe(Effect.provide(layer))
      expect(requests.map((r) => r.query)).toEqual([[["organization_name", "某某实验小学"]], [["organization_id", "O1234567"]]])
      expect(requests[0]?.path).toBe("/v3/offlinefacemch/organizations")
      const neither = yield* Effect.flip(
        Organizations.getOrganization({} as Organizations.GetOrganizationParams).pipe(Effect.provide(layer))
      )
      expect(neither).toMatchObject({ _tag: "WechatPayInvalidInputError", operation: "getOrganization" })
      const both = yield* Effect.flip(
        Organizations.getOrganization(
          { organizationId: "O1", organizationName: "x" } as unknown as Organizations.GetOrganizationParams
        ).pipe(Effect.provide(layer))
      )
      expect(both).toBeInstanceOf(WechatPayError.WechatPayInvalidInputError)
      expect(requests).toHaveLength(2)
    }))
})

describe("FaceUsers", () => {
  const user = {
    out_user_id: "student-0001",
    organization_id: "O1234567",
    user_name: "张三",
    student_info: { class_name: "三年级二班" },
    status: "NORMAL",
    contract_state: "CONTRACTED",
    face_image_ok: true,
    contract_id: "CI1"
  }

  it.effect("getFaceUser: encoded path; use_id or user_id; STUFF, STAFF and unknown types kept", () =>
    Effect.gen(function*() {
      for (const [key, type] of [["use_id", "STUFF"], ["user_id", "STAFF"], ["use_id", "PARENT"]] as const) {
        const { layer, requests } = recording({ ...user, [key]: "U-1", user_type: type })
        const got = yield* FaceUsers.getFaceUser({ organizationId: "O1234567", outUserId: "学生-1" }).pipe(Effect.provide(layer))
        expect(got).toMatchObject({ userId: "U-1", userType: type, faceImageOk: true, contractId: "CI1" })
        expect(got.studentInfo?.className).toBe("三年级二班")
        expect(requests[0]).toEqual({
          method: "GET",
          path: `/v3/offlinefacemch/organizations/O1234567/users/out-user-id/${encodeURIComponent("学生-1")}`
        })
      }
    }))

  it.effect("updateFaceUser: PATCH, 204, user_name and phone encrypted under the serial sent", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(undefined)
      yield* FaceUsers.updateFaceUser({
        organizationId: "O1234567",
        outUserId: "student-0001",
        userName: Redacted.make("张三"),
        phone: Redacted.make("13800138000"),
        userType: "STUDENT",
        studentInfo: { className: "三年级二班" }
      }).pipe(Effect.provide(layer))
      const request = requests[0]!
      expect(request).toMatchObject({
        method: "PATCH",
        path: "/v3/offlinefacemch/organizations/O1234567/users/out-user-id/student-0001",
        headers: { "Wechatpay-Serial": PUB_KEY_ID }
      })
      const body = bodyOf(request)
      expect(Object.keys(body as object).sort()).toEqual(["phone", "student_info", "user_name", "user_type"])
      expect(at(body, "student_info")).toEqual({ class_name: "三年级二班" })
      expect(yield* decrypt(text(body, "user_name"))).toBe("张三")
      expect(yield* decrypt(text(body, "phone"))).toBe("13800138000")
    }))

  it.effect("updateFaceUser: nothing to update, or a bad key, is an input error; nothing sent", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(undefined)
      const empty = yield* Effect.flip(
        FaceUsers.updateFaceUser({ organizationId: "O1", outUserId: "s1" }).pipe(Effect.provide(layer))
      )
      expect(empty).toMatchObject({ _tag: "WechatPayInvalidInputError", operation: "updateFaceUser" })
      const badPath = yield* Effect.flip(
        FaceUsers.updateFaceUser({ organizationId: "O1", outUserId: "../x", phone: Redacted.make("13800138000") })
          .pipe(Effect.provide(layer))
      )
      expect(badPath).toMatchObject({ field: "outUserId" })
      expect(JSON.stringify(badPath) + String(badPath)).not.toContain("13800138000")
      expect(requests).toHaveLength(0)
    }))

  it.effect("terminateContract: POST with no body to the user-id path, 204", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(undefined)
      yield* FaceUsers.terminateContract({ organizationId: "O1234567", userId: "U-1" }).pipe(Effect.provide(layer))
      expect(requests[0]).toEqual({
        method: "POST",
        path: "/v3/offlinefacemch/organizations/O1234567/users/user-id/U-1/terminate-contract"
      })
    }))
})

describe("Tokens.createToken", () => {
  it.effect("POSTs scene and web_init_data", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ token: "T-1" })
      const token = yield* Tokens.createToken({
        scene: "WEBSESSION",
        webInitData: { outUserId: "s1", organizationId: "O1234567" }
      }).pipe(Effect.provide(layer))
      expect(token.token).toBe("T-1")
      expect(bodyOf(requests[0])).toEqual({
        scene: "WEBSESSION",
        web_init_data: { out_user_id: "s1", organization_id: "O1234567" }
      })
    }))
})
