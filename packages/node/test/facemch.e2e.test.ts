/**
 * The `offlinefacemch` endpoints (organizations, face users, contract
 * termination, tokens) end to end over real loopback HTTP: the Node layer
 * against the sandbox server, which verifies each request's signature,
 * decrypts encrypted fields with the key the request's `Wechatpay-Serial`
 * names, and keeps the product's state. Checked: what the sandbox received
 * (method, raw URL, body), the decoded answers, the 204s' effect on the
 * stored state, and the retry class under faults.
 */
import { FaceUsers, Organizations, RetryPolicy, Tokens, WechatPayError } from "@effect-wechatpay/core"
import { Faults, Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { expect, layer } from "@effect/vitest"
import { Effect, Redacted, Schedule, Schema } from "effect"
import { clientFor } from "./helpers.js"


const ORG = "O1234567"
const SCHOOL = "某某实验小学"


// Fast retries: the retry class is under test, not the delays.
const quickRetries = RetryPolicy.fromSchedule(Schedule.recurs(3), { timeout: "5 seconds" })

const setup = (faults: Faults.Faults = Faults.none) =>
  Effect.gen(function*() {
    const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey", faults })
    const run = <A, E, R>(self: Effect.Effect<A, E, R>) =>
      self.pipe(Effect.provide(clientFor(server)), Effect.provideService(RetryPolicy.RetryPolicy, quickRetries))
    const requestsOf = (route: string) =>
      Effect.map(server.sandbox.requests, (all) => all.filter((r) => r.route === route))
    const userAt = (outUserId: string) =>
      Effect.map(server.sandbox.product, (p) => p.users.find((u) => u.organizationId === ORG && u.outUserId === outUserId))
    return { server, run, requestsOf, userAt }
  })

layer(Sandbox.layerKeys, { excludeTestServices: true })("getOrganization over loopback HTTP", (it) => {
  it.scoped("by the Chinese name: sent percent-encoded, the signature verified over that URL, the answer decoded", () =>
    Effect.gen(function*() {
      const { requestsOf, run } = yield* setup()
      const school = yield* run(Organizations.getOrganization({ organizationName: SCHOOL }))
      expect(school).toBeInstanceOf(Organizations.Organization)
      expect({ ...school }).toEqual({ organizationId: ORG, organizationName: SCHOOL })
      const [request, ...more] = yield* requestsOf("getOrganization")
      expect(more).toHaveLength(0)
      expect(request).toMatchObject({
        method: "GET",
        url: "/v3/offlinefacemch/organizations?organization_name=%E6%9F%90%E6%9F%90%E5%AE%9E%E9%AA%8C%E5%B0%8F%E5%AD%A6",
        body: "",
        status: 200
      })
    }))

  it.scoped("by id; an unknown name is the server's typed 404", () =>
    Effect.gen(function*() {
      const { requestsOf, run } = yield* setup()
      const school = yield* run(Organizations.getOrganization({ organizationId: ORG }))
      expect(school.organizationName).toBe(SCHOOL)
      const missing = yield* Effect.flip(run(Organizations.getOrganization({ organizationName: "不存在的学校" })))
      expect(missing).toBeInstanceOf(WechatPayError.WechatPayApiError)
      expect(missing).toMatchObject({ status: 404, code: "RESOURCE_NOT_EXISTS", verified: true })
      expect((yield* requestsOf("getOrganization")).map((r) => r.url)).toEqual([
        `/v3/offlinefacemch/organizations?organization_id=${ORG}`,
        `/v3/offlinefacemch/organizations?organization_name=${encodeURIComponent("不存在的学校")}`
      ])
    }))
})

layer(Sandbox.layerKeys, { excludeTestServices: true })("face users over loopback HTTP", (it) => {
  it.scoped("getFaceUser decodes the stored user (use_id into userId, STUFF kept, staff_info)", () =>
    Effect.gen(function*() {
      const { requestsOf, run, userAt } = yield* setup()
      const student = yield* run(FaceUsers.getFaceUser({ organizationId: ORG, outUserId: "student-0001" }))
      const stored = yield* userAt("student-0001")
      expect({ ...student }).toEqual({
        userId: stored?.useId,
        outUserId: "student-0001",
        organizationId: ORG,
        userName: stored?.userName,
        userType: "STUDENT",
        studentInfo: { className: stored?.className },
        status: "NORMAL",
        contractState: "CONTRACTED",
        faceImageOk: true,
        contractId: stored?.contractId
      })
      const staff = yield* run(FaceUsers.getFaceUser({ organizationId: ORG, outUserId: "staff-0001" }))
      expect(staff).toMatchObject({ userType: "STUFF", staffInfo: { occupation: "teacher" }, contractState: "NOT_CONTRACTED" })
      expect(staff.contractId).toBeUndefined()
      const [first] = yield* requestsOf("getFaceUser")
      expect(first).toMatchObject({
        method: "GET",
        url: `/v3/offlinefacemch/organizations/${ORG}/users/out-user-id/student-0001`,
        body: "",
        status: 200
      })
      const missing = yield* Effect.flip(run(FaceUsers.getFaceUser({ organizationId: ORG, outUserId: "学生-9" })))
      expect(missing).toMatchObject({ _tag: "WechatPayApiError", status: 404 })
      expect((yield* requestsOf("getFaceUser")).at(-1)?.url).toBe(
        `/v3/offlinefacemch/organizations/${ORG}/users/out-user-id/${encodeURIComponent("学生-9")}`
      )
    }))

  it.scoped("updateFaceUser: PATCH, 204; name and phone decrypt at the sandbox to the caller's plaintext; the user changed", () =>
    Effect.gen(function*() {
      const { requestsOf, run, server, userAt } = yield* setup()
      yield* run(FaceUsers.updateFaceUser({
        organizationId: ORG,
        outUserId: "student-0001",
        userName: Redacted.make("张小三"),
        studentInfo: { className: "五年级一班" },
        phone: Redacted.make("13800138000")
      }))
      const [patch, ...more] = yield* requestsOf("updateFaceUser")
      expect(more).toHaveLength(0)
      expect(patch).toMatchObject({
        method: "PATCH",
        url: `/v3/offlinefacemch/organizations/${ORG}/users/out-user-id/student-0001`,
        status: 204,
        wechatpaySerial: server.sandbox.config.wechatpayPublicKeyId
      })
      const wire = JSON.parse(patch!.body) as Record<string, unknown>
      expect(Object.keys(wire).sort()).toEqual(["phone", "student_info", "user_name"])
      expect(wire["student_info"]).toEqual({ class_name: "五年级一班" })
      expect(patch!.body).not.toContain("13800138000")
      expect(patch!.body).not.toContain("张小三")
      const product = yield* server.sandbox.product
      expect(product.updates).toEqual([{
        serial: server.sandbox.config.wechatpayPublicKeyId,
        decrypted: { user_name: "张小三", phone: "13800138000" }
      }])
      expect(yield* userAt("student-0001")).toMatchObject({
        userName: "张小三",
        phone: "13800138000",
        className: "五年级一班"
      })
      const after = yield* run(FaceUsers.getFaceUser({ organizationId: ORG, outUserId: "student-0001" }))
      expect(after).toMatchObject({ userName: "张小三", studentInfo: { className: "五年级一班" } })
    }))

  it.scoped("updateFaceUser: the staff spelling sent as the caller chose; an input file (plaintext, wire names) works the same", () =>
    Effect.gen(function*() {
      const { requestsOf, run, server, userAt } = yield* setup()
      yield* run(FaceUsers.updateFaceUser({
        organizationId: ORG,
        outUserId: "staff-0001",
        userType: "STAFF",
        staffInfo: { occupation: "厨师" },
        status: "DISABLED"
      }))
      expect(yield* userAt("staff-0001")).toMatchObject({ userType: "STAFF", status: "DISABLED" })
      const changes = yield* Schema.decodeUnknown(FaceUsers.UpdateFaceUserInput)(
        JSON.parse(`{"user_name":"李小四","phone":"13900139000"}`)
      )
      yield* run(FaceUsers.updateFaceUser({ organizationId: ORG, outUserId: "student-0002", ...changes }))
      expect((yield* server.sandbox.product).updates.map((u) => u.decrypted)).toEqual([
        {},
        { user_name: "李小四", phone: "13900139000" }
      ])
      expect(yield* userAt("student-0002")).toMatchObject({ userName: "李小四", phone: "13900139000" })
      expect((yield* requestsOf("updateFaceUser")).map((r) => JSON.parse(r.body) as unknown)[0]).toEqual({
        user_type: "STAFF",
        staff_info: { occupation: "厨师" },
        status: "DISABLED"
      })
    }))

  it.scoped("updateFaceUser is idempotent: a 500 before processing is resent, re-signed, and the update applies once", () =>
    Effect.gen(function*() {
      const { requestsOf, run, server } = yield* setup({
        faults: [{ kind: "500", select: Faults.nth(1), route: "updateFaceUser" }]
      })
      yield* run(FaceUsers.updateFaceUser({ organizationId: ORG, outUserId: "student-0001", phone: Redacted.make("13800138000") }))
      const patches = yield* requestsOf("updateFaceUser")
      expect(patches.map((r) => r.status)).toEqual([500, 204])
      expect(new Set(patches.map((r) => r.nonce)).size).toBe(2)
      expect((yield* server.sandbox.product).updates).toHaveLength(1)
    }))
})

layer(Sandbox.layerKeys, { excludeTestServices: true })("terminateContract over loopback HTTP", (it) => {
  it.scoped("POST with an empty body, 204; the contract is TERMINATED; a repeat fails, and getFaceUser confirms", () =>
    Effect.gen(function*() {
      const { requestsOf, run, server } = yield* setup()
      const user = yield* run(FaceUsers.getFaceUser({ organizationId: ORG, outUserId: "student-0002" }))
      expect(user.contractState).toBe("CONTRACTED")
      const userId = user.userId ?? ""
      yield* run(FaceUsers.terminateContract({ organizationId: ORG, userId }))
      const [terminate] = yield* requestsOf("terminateContract")
      expect(terminate).toMatchObject({
        method: "POST",
        url: `/v3/offlinefacemch/organizations/${ORG}/users/user-id/${userId}/terminate-contract`,
        body: "",
        status: 204
      })
      const contract = (yield* server.sandbox.product).contracts.find((c) => c.contractId === user.contractId)
      expect(contract).toMatchObject({ contractState: "TERMINATED", useId: userId })
      // A repeat (as after a lost answer) meets an error: the state says it took effect.
      const again = yield* Effect.flip(run(FaceUsers.terminateContract({ organizationId: ORG, userId })))
      expect(again).toMatchObject({ _tag: "WechatPayApiError", status: 400 })
      const confirmed = yield* run(FaceUsers.getFaceUser({ organizationId: ORG, outUserId: "student-0002" }))
      expect(confirmed.contractState).toBe("TERMINATED")
    }))

  it.scoped("a dropped connection before processing is resent: one termination", () =>
    Effect.gen(function*() {
      const { requestsOf, run, server } = yield* setup({
        faults: [{ kind: "reset", select: Faults.nth(1), route: "terminateContract" }]
      })
      yield* run(FaceUsers.terminateContract({ organizationId: ORG, userId: "2088000000000001" }))
      expect((yield* requestsOf("terminateContract")).map((r) => r.status)).toEqual(["reset", 204])
      const terminated = (yield* server.sandbox.product).contracts.filter((c) => c.contractState === "TERMINATED")
      expect(terminated.map((c) => c.useId)).toEqual(["2088000000000001"])
    }))
})

layer(Sandbox.layerKeys, { excludeTestServices: true })("createToken over loopback HTTP", (it) => {
  it.scoped("POSTs scene and web_init_data in wire names; the token decoded", () =>
    Effect.gen(function*() {
      const { requestsOf, run } = yield* setup()
      const { token } = yield* run(Tokens.createToken({
        scene: "WEBSESSION",
        webInitData: { outUserId: "student-0001", organizationId: ORG }
      }))
      expect(token).toMatch(/^TK-/)
      const [request] = yield* requestsOf("createToken")
      expect(request).toMatchObject({ method: "POST", url: "/v3/offlinefacemch/tokens", status: 200 })
      expect(JSON.parse(request!.body)).toEqual({
        scene: "WEBSESSION",
        web_init_data: { out_user_id: "student-0001", organization_id: ORG }
      })
    }))
})
