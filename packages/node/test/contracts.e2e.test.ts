/**
 * Endpoints #3-#6 end to end over real loopback HTTP: the Node client (signer,
 * verifier, node:crypto encryption, node:http) against the sandbox server. The
 * sandbox's request log shows what left the process (method, url, body) and
 * its state shows the pre-sign's fields as it decrypted them, under the key
 * the request's `Wechatpay-Serial` named.
 */
import { Authinfo, Contracts, Repayment } from "@effect-wechatpay/core"
import { Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { expect, layer } from "@effect/vitest"
import { DateTime, Effect, Redacted, Schema } from "effect"
import { clientFor } from "./helpers.js"



const lastRequest = (server: SandboxServer.Running) =>
  Effect.map(server.sandbox.requests, (requests) => requests[requests.length - 1])

const plain = {
  userIdNumber: "110101201001011234",
  userPhone: "13800138000",
  cardNumber: "6222020000000000000",
  holderName: "李四",
  holderIdNumber: "110101198001011234",
  cardPhone: "13900139000"
} as const

const presign: Contracts.PresignParams = {
  businessName: "K12",
  facepayUser: {
    outUserId: "student-0001",
    identificationName: "张三",
    organizationId: "O1234567",
    identification: { identificationType: "IDCARD", identificationNumber: Redacted.make(plain.userIdNumber) },
    phone: Redacted.make(plain.userPhone)
  },
  limitBankCard: {
    bankCardNumber: Redacted.make(plain.cardNumber),
    identificationName: Redacted.make(plain.holderName),
    identification: { identificationType: "IDCARD", identificationNumber: Redacted.make(plain.holderIdNumber) },
    validThru: "12/29",
    bankType: "ICBC_DEBIT",
    phone: Redacted.make(plain.cardPhone)
  },
  contractMode: "LIMIT_BANK_CARD"
}

const decryptedAtSandbox = {
  "facepay_user.identification.identification_number": plain.userIdNumber,
  "facepay_user.phone": plain.userPhone,
  "limit_bank_card.bank_card_number": plain.cardNumber,
  "limit_bank_card.identification_name": plain.holderName,
  "limit_bank_card.identification.identification_number": plain.holderIdNumber,
  "limit_bank_card.phone": plain.cardPhone
}

layer(Sandbox.layerKeys, { excludeTestServices: true })("K12 endpoints #3-#6 over loopback HTTP", (it) => {
  it.scoped("getAuthinfo: the body in wire names, a fresh authinfo on every call", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
      const params: Authinfo.AuthinfoParams = {
        spAppid: "wx8888888888888888",
        subMchid: "1900000109",
        deviceId: "DEVICE-001",
        rawData: "raw data from the device SDK",
        organizationId: "O1234567"
      }
      const first = yield* Authinfo.getAuthinfo(params).pipe(Effect.provide(clientFor(server, "publicKey")))
      const second = yield* Authinfo.getAuthinfo(params).pipe(Effect.provide(clientFor(server, "publicKey")))
      expect(first.authinfo).toMatch(/^AUTHINFO-/)
      expect(second.authinfo).not.toBe(first.authinfo)
      const request = yield* lastRequest(server)
      expect(request).toMatchObject({ method: "POST", url: "/v3/offlineface/authinfo", status: 200, route: "getAuthinfo" })
      expect(JSON.parse(request!.body)).toEqual({
        sp_appid: "wx8888888888888888",
        sub_mchid: "1900000109",
        device_id: "DEVICE-001",
        raw_data: "raw data from the device SDK",
        organization_id: "O1234567"
      })
    }))

  for (const mode of ["publicKey", "certificate"] as const) {
    it.scoped(`presignContract (${mode} mode): six fields decrypt at the sandbox to the caller's plaintext`, () =>
      Effect.gen(function*() {
        const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode })
        const config = server.sandbox.config
        const serial = mode === "publicKey" ? config.wechatpayPublicKeyId : config.platformCertificateSerial
        const result = yield* Contracts.presignContract(presign).pipe(Effect.provide(clientFor(server, mode)))
        expect(result.presignToken).toMatch(/^PT-/)

        const request = yield* lastRequest(server)
        expect(request).toMatchObject({
          method: "POST",
          url: "/v3/offlineface/contracts/presign",
          status: 200,
          route: "presignContract",
          wechatpaySerial: serial
        })
        // On the wire: no plaintext of a sensitive field; the plain fields as given, in wire names.
        for (const text of Object.values(plain)) expect(request!.body).not.toContain(text)
        const wire: unknown = JSON.parse(request!.body)
        expect(wire).toMatchObject({
          business_name: "K12",
          facepay_user: { out_user_id: "student-0001", identification_name: "张三", organization_id: "O1234567" },
          limit_bank_card: { valid_thru: "12/29", bank_type: "ICBC_DEBIT" },
          contract_mode: "LIMIT_BANK_CARD"
        })

        const product = yield* server.sandbox.product
        expect(product.presigns).toHaveLength(1)
        expect(product.presigns[0]!.serial).toBe(serial)
        expect(product.presigns[0]!.decrypted).toEqual(decryptedAtSandbox)
      }))
  }

  it.scoped("presignContract from an input file (PresignInput): the same fields reach the sandbox", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
      const params = yield* Schema.decodeUnknown(Contracts.PresignInput)({
        business_name: "K12",
        facepay_user: {
          out_user_id: "student-0002",
          organization_id: "O1234567",
          identification: { identification_type: "IDCARD", identification_number: plain.userIdNumber },
          phone: plain.userPhone
        },
        contract_mode: "LIMIT_NONE"
      })
      yield* Contracts.presignContract(params).pipe(Effect.provide(clientFor(server, "publicKey")))
      const product = yield* server.sandbox.product
      expect(product.presigns[0]!.decrypted).toEqual({
        "facepay_user.identification.identification_number": plain.userIdNumber,
        "facepay_user.phone": plain.userPhone
      })
    }))

  it.scoped("a bad pre-sign is refused before anything is sent: the sandbox sees no request", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
      const error = yield* Effect.flip(
        Contracts.presignContract({ ...presign, limitBankCard: { ...presign.limitBankCard, validThru: "2029/12" } }).pipe(
          Effect.provide(clientFor(server, "publicKey"))
        )
      )
      expect(error).toMatchObject({ _tag: "WechatPayInvalidInputError", field: "limitBankCard.validThru" })
      expect(yield* server.sandbox.requestCount).toBe(0)
    }))

  it.scoped("getContract: the seeded contract, with and without appid; an unknown id is a typed 404", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
      const client = clientFor(server, "publicKey")
      const product = yield* server.sandbox.product
      const seeded = product.contracts[0]!
      const contract = yield* Contracts.getContract({ contractId: seeded.contractId }).pipe(Effect.provide(client))
      expect(contract).toBeInstanceOf(Contracts.Contract)
      expect(contract.contractId).toBe(seeded.contractId)
      expect(contract.userId).toBe(seeded.useId)
      expect(contract.contractState).toBe(seeded.contractState)
      expect(contract.mchid).toBe(server.sandbox.config.mchid)
      expect(DateTime.isZoned(contract.contractSignedTime)).toBe(true)
      expect(yield* lastRequest(server)).toMatchObject({
        method: "GET",
        url: `/v3/offlineface/contracts/${seeded.contractId}`,
        body: "",
        status: 200,
        route: "getContract"
      })

      yield* Contracts.getContract({ contractId: seeded.contractId, appid: "wxd678efh567hg6787" }).pipe(
        Effect.provide(client)
      )
      expect((yield* lastRequest(server))?.url).toBe(`/v3/offlineface/contracts/${seeded.contractId}?appid=wxd678efh567hg6787`)

      const missing = yield* Effect.flip(Contracts.getContract({ contractId: "CI-no-such" }).pipe(Effect.provide(client)))
      expect(missing).toMatchObject({ _tag: "WechatPayApiError", status: 404, code: "RESOURCE_NOT_EXISTS", verified: true })
    }))

  it.scoped("getRepaymentUrl: the body in wire names; the link and its expiry decoded", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
      const link = yield* Repayment.getRepaymentUrl({ outUserId: "student-0001", organizationId: "O1234567" }).pipe(
        Effect.provide(clientFor(server, "publicKey"))
      )
      expect(link.repaymentUrl).toMatch(/^https:\/\//)
      expect(DateTime.zonedOffset(link.expireAt)).toBe(8 * 3_600_000)
      expect(DateTime.toEpochMillis(link.expireAt)).toBeGreaterThan(Date.now())
      const request = yield* lastRequest(server)
      expect(request).toMatchObject({ method: "POST", url: "/v3/offlineface/repayment-url", status: 200 })
      expect(JSON.parse(request!.body)).toEqual({ out_user_id: "student-0001", organization_id: "O1234567" })
    }))
})
