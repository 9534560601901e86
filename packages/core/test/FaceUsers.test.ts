/**
 * `FaceUsers`: the query's answer decoded (both user id names, both staff
 * spellings, unknown values kept, everything optional); the exact requests
 * (method, percent-encoded path, body in wire names, `Wechatpay-Serial`, no
 * body for the termination, the retry class); `user_name` and `phone`
 * encrypted so that the WeChat Pay key's private half recovers the caller's
 * plaintext; bad input a typed error naming the field, nothing sent, and no
 * plaintext in any error.
 */
import { Crypto, FaceUsers, SensitiveFields, WechatPayClient, WechatPayError } from "@effect-wechatpay/core"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema } from "effect"
import { readFileSync } from "node:fs"

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8")
const PUB_KEY_ID = "PUB_KEY_ID_0119000000012025010100000000000001"
const privateKey = Redacted.make(fixture("wechatpay_private_key.pem"))

interface Recorded {
  readonly kind: "execute" | "executeNoContent"
  readonly request: WechatPayClient.Request
}

const recording = (answer: unknown = undefined) => {
  const requests: Array<Recorded> = []
  const client = WechatPayClient.WechatPayClient.of({
    execute: (request, schema) =>
      Effect.suspend(() => {
        requests.push({ kind: "execute", request })
        return Effect.orDie(Schema.decodeUnknown(schema)(answer))
      }),
    executeNoContent: (request) => Effect.sync(() => void requests.push({ kind: "executeNoContent", request }))
  })
  const layer = Layer.merge(
    Layer.succeed(WechatPayClient.WechatPayClient, client),
    Layer.effect(
      SensitiveFields.SensitiveFields,
      SensitiveFields.makeWebCrypto({ publicKey: { id: PUB_KEY_ID, pem: fixture("wechatpay_public_key.pem") } })
    )
  )
  return { requests, layer }
}

const wireOf = (request: WechatPayClient.Request | undefined): Record<string, unknown> =>
  JSON.parse(request?.body ?? "null") as Record<string, unknown>
const decrypt = (ciphertext: unknown) => Crypto.decryptSensitive(privateKey, String(ciphertext))

const ORG = "O1234567"
const USER_PATH = `/v3/offlinefacemch/organizations/${ORG}/users/out-user-id/student-0001`

// The reference page's answer, with the id under either name.
const sample = {
  out_user_id: "student-0001",
  organization_id: ORG,
  user_name: "张三",
  user_type: "STUDENT",
  student_info: { class_name: "三年级二班" },
  status: "NORMAL",
  contract_state: "CONTRACTED",
  face_image_ok: true,
  contract_id: "CI8CD208Z7e9906f89"
}

describe("getFaceUser", () => {
  it.effect("decodes the sample answer; the id as use_id or as user_id", () =>
    Effect.gen(function*() {
      for (const key of ["use_id", "user_id"] as const) {
        const { layer, requests } = recording({ ...sample, [key]: "2088000000000001" })
        const user = yield* FaceUsers.getFaceUser({ organizationId: ORG, outUserId: "student-0001" }).pipe(
          Effect.provide(layer)
        )
        expect(user).toBeInstanceOf(FaceUsers.FaceUser)
        expect({ ...user }).toEqual({
          userId: "2088000000000001",
          outUserId: "student-0001",
          organizationId: ORG,
          userName: "张三",
          userType: "STUDENT",
          studentInfo: { className: "三年级二班" },
          status: "NORMAL",
          contractState: "CONTRACTED",
          faceImageOk: true,
          contractId: "CI8CD208Z7e9906f89"
        })
        expect(requests).toEqual([{ kind: "execute", request: { method: "GET", path: USER_PATH } }])
        expect(requests[0]!.request.retry ?? "idempotent").toBe("idempotent")
      }
      // Both present: use_id, the reference pages' name, wins.
      const both = yield* FaceUsers.getFaceUser({ organizationId: ORG, outUserId: "student-0001" }).pipe(
        Effect.provide(recording({ use_id: "A", user_id: "B" }).layer)
      )
      expect(both.userId).toBe("A")
    }))

  it.effect("STUFF and STAFF both decode; unknown user_type, status and contract_state are kept as sent", () =>
    Effect.gen(function*() {
      for (const userType of ["STUFF", "STAFF"] as const) {
        const user = yield* FaceUsers.getFaceUser({ organizationId: ORG, outUserId: "staff-1" }).pipe(
          Effect.provide(recording({ user_type: userType, staff_info: { occupation: "厨师" } }).layer)
        )
        expect(user.userType).toBe(userType)
        expect(user.staffInfo).toEqual({ occupation: "厨师" })
      }
      const odd = yield* FaceUsers.getFaceUser({ organizationId: ORG, outUserId: "x" }).pipe(
        Effect.provide(recording({ user_type: "PARENT", status: "FROZEN", contract_state: "SUSPENDED" }).layer)
      )
      expect(odd).toMatchObject({ userType: "PARENT", status: "FROZEN", contractState: "SUSPENDED" })
    }))

  it.effect("nothing is required: an empty answer decodes to a user with every field absent", () =>
    Effect.gen(function*() {
      const user = yield* FaceUsers.getFaceUser({ organizationId: ORG, outUserId: "x" }).pipe(
        Effect.provide(recording({}).layer)
      )
      expect({ ...user }).toEqual({})
      expect(user.userId).toBeUndefined()
      expect(user.faceImageOk).toBeUndefined()
    }))

  it.effect("path values are percent-encoded once", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({})
      yield* FaceUsers.getFaceUser({ organizationId: ORG, outUserId: "学生-1+a@b" }).pipe(Effect.provide(layer))
      expect(requests[0]!.request.path).toBe(
        `/v3/offlinefacemch/organizations/${ORG}/users/out-user-id/%E5%AD%A6%E7%94%9F-1%2Ba%40b`
      )
    }))
})

describe("updateFaceUser", () => {
  it.effect("PATCH, no content; body in wire names; user_name and phone decrypt to the caller's plaintext under the serial sent", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording()
      yield* FaceUsers.updateFaceUser({
        organizationId: ORG,
        outUserId: "student-0001",
        userName: Redacted.make("张三"),
        userType: "STUDENT",
        studentInfo: { className: "三年级二班" },
        status: "NORMAL",
        phone: Redacted.make("13800138000")
      }).pipe(Effect.provide(layer))
      expect(requests).toHaveLength(1)
      const { kind, request } = requests[0]!
      expect(kind).toBe("executeNoContent")
      expect(request).toMatchObject({
        method: "PATCH",
        path: USER_PATH,
        headers: { "Wechatpay-Serial": PUB_KEY_ID }
      })
      expect(request.query).toBeUndefined()
      expect(request.retry ?? "idempotent").toBe("idempotent")
      const wire = wireOf(request)
      expect(Object.keys(wire).sort()).toEqual(["phone", "status", "student_info", "user_name", "user_type"])
      expect(wire).toMatchObject({ user_type: "STUDENT", student_info: { class_name: "三年级二班" }, status: "NORMAL" })
      expect(wire["user_name"]).not.toBe("张三")
      expect(wire["phone"]).not.toBe("13800138000")
      expect(yield* decrypt(wire["user_name"])).toBe("张三")
      expect(yield* decrypt(wire["phone"])).toBe("13800138000")
      expect(request.body).not.toContain("13800138000")
    }))

  it.effect("the staff spelling is the caller's: STUFF and STAFF are sent as given; staff_info", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording()
      for (const userType of ["STUFF", "STAFF"] as const) {
        yield* FaceUsers.updateFaceUser({
          organizationId: ORG,
          outUserId: "staff-1",
          userType,
          staffInfo: { occupation: "厨师" }
        }).pipe(Effect.provide(layer))
      }
      expect(requests.map((r) => wireOf(r.request))).toEqual([
        { user_type: "STUFF", staff_info: { occupation: "厨师" } },
        { user_type: "STAFF", staff_info: { occupation: "厨师" } }
      ])
    }))

  it.effect("an update without sensitive fields still names the key (Wechatpay-Serial is required)", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording()
      yield* FaceUsers.updateFaceUser({ organizationId: ORG, outUserId: "student-0001", status: "DISABLED" }).pipe(
        Effect.provide(layer)
      )
      expect(requests[0]!.request.body).toBe(`{"status":"DISABLED"}`)
      expect(requests[0]!.request.headers).toEqual({ "Wechatpay-Serial": PUB_KEY_ID })
    }))

  it.effect("UpdateFaceUserInput decodes a plaintext file in wire names to the changes updateFaceUser sends encrypted", () =>
    Effect.gen(function*() {
      const file = { user_name: "王五", phone: "13900139000", student_info: { class_name: "一年级一班" } }
      const changes = yield* Schema.decodeUnknown(FaceUsers.UpdateFaceUserInput)(file)
      expect(Redacted.isRedacted(changes.phone)).toBe(true)
      expect(String(changes.phone)).not.toContain("13900139000")
      const { layer, requests } = recording()
      yield* FaceUsers.updateFaceUser({ organizationId: ORG, outUserId: "student-0001", ...changes }).pipe(
        Effect.provide(layer)
      )
      const wire = wireOf(requests[0]!.request)
      expect(wire["student_info"]).toEqual({ class_name: "一年级一班" })
      expect(yield* decrypt(wire["user_name"])).toBe("王五")
      expect(yield* decrypt(wire["phone"])).toBe("13900139000")
      // The plaintext twin encodes back to the file (wire names, plaintext).
      expect(yield* Schema.encode(FaceUsers.UpdateFaceUserInput)(changes)).toEqual(file)
    }))
})

describe("terminateContract", () => {
  it.effect("POST with no body (an empty body signed) to the user-id path; no content", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording()
      yield* FaceUsers.terminateContract({ organizationId: ORG, userId: "2088000000000001" }).pipe(Effect.provide(layer))
      expect(requests).toEqual([{
        kind: "executeNoContent",
        request: {
          method: "POST",
          path: `/v3/offlinefacemch/organizations/${ORG}/users/user-id/2088000000000001/terminate-contract`
        }
      }])
      expect(requests[0]!.request.body).toBeUndefined()
      expect(requests[0]!.request.retry ?? "idempotent").toBe("idempotent")
      yield* FaceUsers.terminateContract({ organizationId: ORG, userId: "用户 1".replace(" ", "") }).pipe(
        Effect.provide(layer)
      )
      expect(requests[1]!.request.path).toBe(
        `/v3/offlinefacemch/organizations/${ORG}/users/user-id/%E7%94%A8%E6%88%B71/terminate-contract`
      )
    }))
})

describe("bad input: a typed error naming the field, nothing sent, no plaintext in the error", () => {
  const PHONE = "13800138000"
  const NAME = "张三丰"
  const expectClean = (error: WechatPayError.WechatPayInvalidInputError) => {
    for (const text of [String(error), JSON.stringify(error), error.message]) {
      expect(text).not.toContain(PHONE)
      expect(text).not.toContain(NAME)
    }
  }

  it.effect("invalid path ids", () => {
    const { layer, requests } = recording({})
    return Effect.gen(function*() {
      for (const bad of ["a/b", "..", "", ".", "a?b", "a b", "a%2Fb"]) {
        const errors = [
          yield* Effect.flip(FaceUsers.getFaceUser({ organizationId: bad, outUserId: "s1" })),
          yield* Effect.flip(FaceUsers.getFaceUser({ organizationId: ORG, outUserId: bad })),
          yield* Effect.flip(
            FaceUsers.updateFaceUser({ organizationId: bad, outUserId: "s1", phone: Redacted.make(PHONE) })
          ),
          yield* Effect.flip(
            FaceUsers.updateFaceUser({ organizationId: ORG, outUserId: bad, userName: Redacted.make(NAME) })
          ),
          yield* Effect.flip(FaceUsers.terminateContract({ organizationId: bad, userId: "u1" })),
          yield* Effect.flip(FaceUsers.terminateContract({ organizationId: ORG, userId: bad }))
        ]
        const fields = ["organizationId", "outUserId", "organizationId", "outUserId", "organizationId", "userId"]
        const operations = [
          "getFaceUser",
          "getFaceUser",
          "updateFaceUser",
          "updateFaceUser",
          "terminateContract",
          "terminateContract"
        ]
        errors.forEach((error, i) => {
          expect(error).toBeInstanceOf(WechatPayError.WechatPayInvalidInputError)
          expect(error).toMatchObject({ operation: operations[i], field: fields[i] })
          if (error instanceof WechatPayError.WechatPayInvalidInputError) expectClean(error)
        })
      }
      expect(requests).toHaveLength(0)
    }).pipe(Effect.provide(layer))
  })

  it.effect("an empty update, and bad fields of an update", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording()
      const key = { organizationId: ORG, outUserId: "s1" }
      const run = (params: FaceUsers.UpdateFaceUserParams) =>
        Effect.flip(FaceUsers.updateFaceUser(params).pipe(Effect.provide(layer)))
      const empty = yield* run(key)
      expect(empty).toMatchObject({ _tag: "WechatPayInvalidInputError", operation: "updateFaceUser", field: "input" })
      expect(empty.message).toContain("nothing to update")
      const explicitUndefined = yield* run({ ...key, userName: undefined, phone: undefined } as FaceUsers.UpdateFaceUserParams)
      expect(explicitUndefined).toMatchObject({ field: "input" })
      const cases: ReadonlyArray<readonly [FaceUsers.UpdateFaceUserParams, string]> = [
        [{ ...key, userName: Redacted.make(""), phone: Redacted.make(PHONE) }, "userName"],
        [{ ...key, userName: Redacted.make(NAME), phone: Redacted.make(PHONE.repeat(20)) }, "phone"],
        [{ ...key, userName: Redacted.make(NAME.repeat(30)) }, "userName"],
        [{ ...key, studentInfo: { className: "" }, phone: Redacted.make(PHONE) }, "studentInfo.className"],
        [{ ...key, staffInfo: { occupation: "" } }, "staffInfo.occupation"],
        [{ ...key, userType: "TEACHER" as "STUDENT", userName: Redacted.make(NAME) }, "userType"],
        [{ ...key, status: "FROZEN" as "NORMAL", phone: Redacted.make(PHONE) }, "status"]
      ]
      for (const [params, field] of cases) {
        const error = yield* run(params)
        expect(error).toBeInstanceOf(WechatPayError.WechatPayInvalidInputError)
        expect(error).toMatchObject({ operation: "updateFaceUser", field })
        if (error instanceof WechatPayError.WechatPayInvalidInputError) expectClean(error)
      }
      expect(requests).toHaveLength(0)
    }))
})
