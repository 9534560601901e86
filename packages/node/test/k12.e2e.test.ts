/**
 * The K12 product end to end over real loopback HTTP: the Node layer against
 * the sandbox server, which keeps state, decrypts encrypted fields with the
 * key their Wechatpay-Serial names, and injects faults per route. Above all:
 * the charge is made exactly once at the sandbox under every fault, and only
 * a 429 or a refused connection is ever resent.
 */
import {
  Contracts,
  FaceUsers,
  Organizations,
  RetryPolicy,
  SensitiveFields,
  Transactions,
  WechatPayError
} from "@effect-wechatpay/core"
import { NodeSensitiveFields } from "@effect-wechatpay/node"
import { Faults, Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { expect, layer } from "@effect/vitest"
import { Effect, Redacted, Schedule } from "effect"
import { clientFor } from "./helpers.js"



// Fast retries: the schedule is what is under test, not its delays.
const quickRetries = RetryPolicy.fromSchedule(Schedule.recurs(3), { timeout: "5 seconds" })

const charge = (outTradeNo: string, authCode = "face-credential") =>
  Transactions.charge({
    authCode,
    outTradeNo,
    spMchid: "1900000100",
    subMchid: "1900000109",
    amount: { total: 350 },
    sceneInfo: { deviceIp: "10.0.0.8" },
    business: { businessProductId: 2, businessSceneId: 3 }
  })
const query = (outTradeNo: string) => ({
  outTradeNo,
  spMchid: "1900000100",
  subMchid: "1900000109",
  businessProductId: "2" as const
})

const chargeRequests = (sandbox: Sandbox.Service) =>
  Effect.map(sandbox.requests, (all) => all.filter((r) => r.route === "createTransaction"))

layer(Sandbox.layerKeys, { excludeTestServices: true })("the charge, over loopback HTTP", (it) => {
  it.scoped("sends the exact body once, and the sandbox charged once", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
      const result = yield* charge("K12-e2e-0001").pipe(
        Effect.provide(clientFor(server)),
        Effect.provideService(RetryPolicy.RetryPolicy, quickRetries)
      )
      expect(result.transaction.tradeState).toBe("SUCCESS")
      expect(result.transaction.outTradeNo).toBe("K12-e2e-0001")
      const [sent] = yield* chargeRequests(server.sandbox)
      expect(sent).toMatchObject({ method: "POST", url: "/v3/offlineface/transactions", status: 200 })
      expect(JSON.parse(sent!.body)).toEqual({
        auth_code: "face-credential",
        sp_mchid: "1900000100",
        sub_mchid: "1900000109",
        amount: { total: 350, currency: "CNY" },
        scene_info: { device_ip: "10.0.0.8" },
        out_trade_no: "K12-e2e-0001",
        business: { business_product_id: 2, business_scene_id: 3 }
      })
      expect((yield* server.sandbox.product).charges).toBe(1)
    }))

  const unknownOutcome: ReadonlyArray<readonly [string, string, number]> = [
    // fault spec, what happens, charges processed at the sandbox
    ["charge-drop:every", "processed, then the connection dropped", 1],
    ["charge-500:every", "processed, then 500 SYSTEM_ERROR", 1],
    ["500:every:route=createTransaction", "500 before processing", 0],
    ["reset:every:route=createTransaction", "the connection dropped before processing", 0],
    ["tamper:every:route=createTransaction", "processed, the answer tampered", 1]
  ]
  for (const [spec, what, charges] of unknownOutcome) {
    it.scoped(`${what}: outcome unknown, one request, ${charges} charge(s), and confirm tells the truth`, () =>
      Effect.gen(function*() {
        const faults = yield* Faults.parseFaults(spec)
        const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey", faults })
        const layer = clientFor(server)
        const error = yield* Effect.flip(
          charge("K12-e2e-0002").pipe(Effect.provide(layer), Effect.provideService(RetryPolicy.RetryPolicy, quickRetries))
        )
        expect(error).toBeInstanceOf(WechatPayError.WechatPayOutcomeUnknownError)
        expect(error).toMatchObject({ outTradeNo: "K12-e2e-0002" })
        expect(yield* chargeRequests(server.sandbox)).toHaveLength(1)
        expect((yield* server.sandbox.product).charges).toBe(charges)
        const confirmed = yield* Effect.either(
          Transactions.confirmTransaction(query("K12-e2e-0002"), {
            within: "300 millis",
            schedule: Schedule.spaced("20 millis")
          }).pipe(Effect.provide(layer))
        )
        if (charges === 1) {
          expect(confirmed._tag === "Right" && confirmed.right.tradeState).toBe("SUCCESS")
        } else {
          expect(confirmed._tag === "Left" && confirmed.left).toMatchObject({ _tag: "WechatPayConfirmTimeoutError", found: false })
        }
      }))
  }

  it.scoped("a 429 is resent (WeChat Pay rejected it unprocessed): two requests, one charge", () =>
    Effect.gen(function*() {
      const faults = yield* Faults.parseFaults("429:first=1:route=createTransaction")
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey", faults })
      const result = yield* charge("K12-e2e-0003").pipe(
        Effect.provide(clientFor(server)),
        Effect.provideService(RetryPolicy.RetryPolicy, quickRetries)
      )
      expect(result.transaction.tradeState).toBe("SUCCESS")
      expect((yield* chargeRequests(server.sandbox)).map((r) => r.status)).toEqual([429, 200])
      expect((yield* server.sandbox.product).charges).toBe(1)
    }))

  it.scoped("a refused connection is resent, then reported as itself: nothing was charged", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
      const error = yield* Effect.flip(
        charge("K12-e2e-0004").pipe(
          Effect.provide(clientFor(server, "publicKey", "http://127.0.0.1:1")),
          Effect.provideService(RetryPolicy.RetryPolicy, quickRetries)
        )
      )
      expect(error).toMatchObject({ _tag: "WechatPayTransportError", reason: "Refused", attempts: 4 })
    }))

  it.scoped("a duplicate out_trade_no is refused by the sandbox and not charged again", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
      const layer = clientFor(server)
      yield* charge("K12-e2e-0005").pipe(Effect.provide(layer))
      const again = yield* Effect.flip(charge("K12-e2e-0005").pipe(Effect.provide(layer)))
      expect(again).toMatchObject({ _tag: "WechatPayApiError", status: 400, code: "OUT_TRADE_NO_USED" })
      expect((yield* server.sandbox.product).charges).toBe(1)
    }))

  it.scoped("USERPAYING becomes SUCCESS: confirm polls until final", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
      const layer = clientFor(server)
      const first = yield* charge("K12-e2e-0006", "USERPAYING_2").pipe(Effect.provide(layer))
      expect(first.transaction.tradeState).toBe("USERPAYING")
      const final = yield* Transactions.confirmTransaction(query("K12-e2e-0006"), {
        within: "5 seconds",
        schedule: Schedule.spaced("20 millis")
      }).pipe(Effect.provide(layer))
      expect(final.tradeState).toBe("SUCCESS")
      const queries = (yield* server.sandbox.requests).filter((r) => r.route === "getTransaction")
      expect(queries).toHaveLength(3)
      expect(queries[0]?.url).toBe(
        "/v3/offlineface/transactions/out-trade-no/K12-e2e-0006?sp_mchid=1900000100&sub_mchid=1900000109&business_product_id=2"
      )
    }))
})

layer(Sandbox.layerKeys, { excludeTestServices: true })("users, contracts, organizations over loopback HTTP", (it) => {
  for (const mode of ["publicKey", "certificate"] as const) {
    it.scoped(`${mode} mode: a user update arrives encrypted under the key its Wechatpay-Serial names`, () =>
      Effect.gen(function*() {
        const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode })
        const layer = clientFor(server, mode)
        yield* FaceUsers.updateFaceUser({
          organizationId: "O1234567",
          outUserId: "student-0001",
          userName: Redacted.make("张小三"),
          phone: Redacted.make("13800138000"),
          studentInfo: { className: "五年级一班" }
        }).pipe(Effect.provide(layer))
        const config = server.sandbox.config
        const product = yield* server.sandbox.product
        expect(product.updates).toEqual([{
          serial: mode === "publicKey" ? config.wechatpayPublicKeyId : config.platformCertificateSerial,
          decrypted: { user_name: "张小三", phone: "13800138000" }
        }])
        const [patch] = (yield* server.sandbox.requests).filter((r) => r.route === "updateFaceUser")
        expect(patch).toMatchObject({ method: "PATCH", status: 204 })
        expect(patch!.body).not.toContain("13800138000")
        const user = yield* FaceUsers.getFaceUser({ organizationId: "O1234567", outUserId: "student-0001" })
          .pipe(Effect.provide(layer))
        expect(user).toMatchObject({ userName: "张小三", userId: "2088000000000001", contractState: "CONTRACTED" })
        expect(user.studentInfo?.className).toBe("五年级一班")
      }))
  }

  it.scoped("fields encrypted under one key but sent naming another are refused, as WeChat Pay does", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "migration" })
      const config = server.sandbox.config
      const underPublicKey = yield* NodeSensitiveFields.make({
        publicKey: { id: config.wechatpayPublicKeyId, pem: config.wechatpayPublicKeyPem }
      })
      const mislabelled = SensitiveFields.SensitiveFields.of({
        cipher: Effect.map(underPublicKey.cipher, (cipher) => ({ ...cipher, serial: config.platformCertificateSerial }))
      })
      const error = yield* Effect.flip(
        FaceUsers.updateFaceUser({ organizationId: "O1234567", outUserId: "student-0001", phone: Redacted.make("13800138000") })
          .pipe(
            // Inside the client layer, which provides its own SensitiveFields.
            Effect.provideService(SensitiveFields.SensitiveFields, mislabelled),
            Effect.provide(clientFor(server, "migration"))
          )
      )
      expect(error).toMatchObject({ _tag: "WechatPayApiError", status: 400, code: "PARAM_ERROR" })
      expect(String(error)).not.toContain("13800138000")
      expect((yield* server.sandbox.product).updates).toHaveLength(0)
    }))

  it.scoped("presign: all six encrypted fields decrypt at the sandbox; the holder's plain name stays plain", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
      const result = yield* Contracts.presignContract({
        businessName: "K12",
        facepayUser: {
          outUserId: "student-0009",
          identificationName: "赵六",
          organizationId: "O1234567",
          identification: { identificationType: "IDCARD", identificationNumber: Redacted.make("110101201001011234") },
          phone: Redacted.make("13800138000")
        },
        limitBankCard: {
          bankCardNumber: Redacted.make("6222020000000000000"),
          identificationName: Redacted.make("赵大"),
          identification: { identificationType: "IDCARD", identificationNumber: Redacted.make("110101198001011234") },
          validThru: "12/29",
          phone: Redacted.make("13900139000")
        },
        contractMode: "LIMIT_BANK_CARD"
      }).pipe(Effect.provide(clientFor(server)))
      expect(result.presignToken).toMatch(/^PT-/)
      const [presign] = (yield* server.sandbox.product).presigns
      expect(presign?.decrypted).toEqual({
        "facepay_user.identification.identification_number": "110101201001011234",
        "facepay_user.phone": "13800138000",
        "limit_bank_card.bank_card_number": "6222020000000000000",
        "limit_bank_card.identification_name": "赵大",
        "limit_bank_card.identification.identification_number": "110101198001011234",
        "limit_bank_card.phone": "13900139000"
      })
    }))

  it.scoped("terminate a contract (204, no body), then the contract reads TERMINATED", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
      const layer = clientFor(server)
      const user = yield* FaceUsers.getFaceUser({ organizationId: "O1234567", outUserId: "student-0002" })
        .pipe(Effect.provide(layer))
      yield* FaceUsers.terminateContract({ organizationId: "O1234567", userId: user.userId! }).pipe(Effect.provide(layer))
      const [terminate] = (yield* server.sandbox.requests).filter((r) => r.route === "terminateContract")
      expect(terminate).toMatchObject({ method: "POST", status: 204, body: "" })
      const contract = yield* Contracts.getContract({ contractId: user.contractId! }).pipe(Effect.provide(layer))
      expect(contract.contractState).toBe("TERMINATED")
      expect(contract.contractTerminatedTime).toBeDefined()
    }))

  it.scoped("an organization by its Chinese name: percent-encoded, signed as sent", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
      const organization = yield* Organizations.getOrganization({ organizationName: "某某实验小学" })
        .pipe(Effect.provide(clientFor(server)))
      expect(organization.organizationId).toBe("O1234567")
      const [request] = yield* server.sandbox.requests
      expect(request?.url).toBe(`/v3/offlinefacemch/organizations?organization_name=${encodeURIComponent("某某实验小学")}`)
    }))
})
