/**
 * Contracts: the pre-sign request as sent (wire names, six fields encrypted
 * under the configured key and named by `Wechatpay-Serial`, the rest plain),
 * the contract query (path, query, the two user-id spellings, open enums),
 * and bad input refused before anything is sent, never echoing a plaintext.
 */
import { Contracts, Crypto, WechatPayError } from "@effect-wechatpay/core"
import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Redacted, Schema } from "effect"
import { fixture, PUB_KEY_ID as KEY_ID, recording } from "./recording.js"

const wechatpayPrivateKey = Redacted.make(fixture("wechatpay_private_key.pem"))

const decrypt = (ciphertext: unknown) =>
  typeof ciphertext === "string"
    ? Crypto.decryptSensitive(wechatpayPrivateKey, ciphertext)
    : Effect.die(`not a ciphertext: ${typeof ciphertext}`)

// The plaintexts of the six encrypted fields, each different, to tell them apart.
const plain = {
  userIdNumber: "110101201001011234",
  userPhone: "13800138000",
  cardNumber: "6222020000000000000",
  holderName: "李四",
  holderIdNumber: "110101198001011234",
  cardPhone: "13900139000"
} as const

const params: Contracts.PresignParams = {
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

// The same body as an input file: wire names, plaintext.
const inputFile = {
  business_name: "K12",
  facepay_user: {
    out_user_id: "student-0001",
    identification_name: "张三",
    organization_id: "O1234567",
    identification: { identification_type: "IDCARD", identification_number: plain.userIdNumber },
    phone: plain.userPhone
  },
  limit_bank_card: {
    bank_card_number: plain.cardNumber,
    identification_name: plain.holderName,
    identification: { identification_type: "IDCARD", identification_number: plain.holderIdNumber },
    valid_thru: "12/29",
    bank_type: "ICBC_DEBIT",
    phone: plain.cardPhone
  },
  contract_mode: "LIMIT_BANK_CARD"
}

interface Wire {
  readonly [key: string]: unknown
}
const at = (value: unknown, ...keys: ReadonlyArray<string>): unknown =>
  keys.reduce<unknown>(
    (node, key) => (typeof node === "object" && node !== null ? (node as Wire)[key] : undefined),
    value
  )

/** Checks the body presign sent: every encrypted field decrypts to the caller's plaintext. */
const checkPresignBody = (body: string) =>
  Effect.gen(function*() {
    const wire: unknown = JSON.parse(body)
    const encrypted: ReadonlyArray<readonly [ReadonlyArray<string>, string]> = [
      [["facepay_user", "identification", "identification_number"], plain.userIdNumber],
      [["facepay_user", "phone"], plain.userPhone],
      [["limit_bank_card", "bank_card_number"], plain.cardNumber],
      [["limit_bank_card", "identification_name"], plain.holderName],
      [["limit_bank_card", "identification", "identification_number"], plain.holderIdNumber],
      [["limit_bank_card", "phone"], plain.cardPhone]
    ]
    for (const [path, expected] of encrypted) {
      const ciphertext = at(wire, ...path)
      expect(ciphertext, path.join(".")).not.toBe(expected)
      expect(ciphertext, path.join(".")).toMatch(/^[A-Za-z0-9+/]+=*$/)
      expect(yield* decrypt(ciphertext), path.join(".")).toBe(expected)
    }
    for (const text of Object.values(plain)) expect(body).not.toContain(text)
    // Everything else as the caller gave it, under wire names.
    expect(wire).toEqual({
      business_name: "K12",
      facepay_user: {
        out_user_id: "student-0001",
        identification_name: "张三",
        organization_id: "O1234567",
        identification: { identification_type: "IDCARD", identification_number: expect.any(String) },
        phone: expect.any(String)
      },
      limit_bank_card: {
        bank_card_number: expect.any(String),
        identification_name: expect.any(String),
        identification: { identification_type: "IDCARD", identification_number: expect.any(String) },
        valid_thru: "12/29",
        bank_type: "ICBC_DEBIT",
        phone: expect.any(String)
      },
      contract_mode: "LIMIT_BANK_CARD"
    })
  })

describe("presignContract", () => {
  it.effect("sends the body in wire names with the six sensitive fields encrypted, the serial, retry idempotent", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ presign_token: "PT_abc123" })
      const result = yield* Contracts.presignContract(params).pipe(Effect.provide(layer))
      expect(result).toBeInstanceOf(Contracts.PresignResult)
      expect(result.presignToken).toBe("PT_abc123")
      expect(requests).toHaveLength(1)
      const request = requests[0]!
      expect(request.method).toBe("POST")
      expect(request.path).toBe("/v3/offlineface/contracts/presign")
      expect(request.query).toBeUndefined()
      expect(request.headers).toEqual({ "Wechatpay-Serial": KEY_ID })
      expect(request.retry).toBe("idempotent")
      yield* checkPresignBody(request.body ?? "")
    }))

  it.effect("facepay_user.identification_name stays plain; only the given optional fields are sent", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ presign_token: "PT_1" })
      yield* Contracts.presignContract({
        businessName: "K12",
        facepayUser: { outUserId: "student-0002", organizationId: "O1234567", identificationName: "王五" }
      }).pipe(Effect.provide(layer))
      expect(JSON.parse(requests[0]!.body ?? "")).toEqual({
        business_name: "K12",
        facepay_user: { out_user_id: "student-0002", organization_id: "O1234567", identification_name: "王五" }
      })
      // No field to encrypt: the header still names the key the body would be encrypted with.
      expect(requests[0]!.headers).toEqual({ "Wechatpay-Serial": KEY_ID })
    }))

  it.effect("PresignInput decodes an input file (wire names, plaintext) to the params presignContract takes", () =>
    Effect.gen(function*() {
      const decoded = yield* Schema.decodeUnknown(Contracts.PresignInput)(inputFile)
      expect(Redacted.isRedacted(decoded.facepayUser.phone)).toBe(true)
      expect(String(decoded.facepayUser.phone)).not.toContain(plain.userPhone)
      expect(decoded.limitBankCard?.validThru).toBe("12/29")
      const { layer, requests } = recording({ presign_token: "PT_2" })
      yield* Contracts.presignContract(decoded).pipe(Effect.provide(layer))
      yield* checkPresignBody(requests[0]!.body ?? "")
      // And back: the input file, as written.
      expect(yield* Schema.encode(Contracts.PresignInput)(decoded)).toEqual(inputFile)
    }))

  it.effect("PresignInput refuses a file with an empty sensitive field or a missing required one, naming it", () =>
    Effect.gen(function*() {
      const empty = yield* Effect.flip(Schema.decodeUnknown(Contracts.PresignInput)({
        ...inputFile,
        facepay_user: { ...inputFile.facepay_user, phone: "" }
      }))
      expect(empty.message).toContain("phone")
      const missing = yield* Effect.flip(Schema.decodeUnknown(Contracts.PresignInput)({ business_name: "K12" }))
      expect(missing.message).toContain("facepay_user")
    }))

  const bad: ReadonlyArray<readonly [string, Contracts.PresignParams, string]> = [
    ["an empty business name", { ...params, businessName: "" }, "businessName"],
    [
      "an out_user_id with a space",
      { ...params, facepayUser: { ...params.facepayUser, outUserId: "student 1" } },
      "facepayUser.outUserId"
    ],
    [
      "an empty ID number",
      {
        ...params,
        facepayUser: {
          ...params.facepayUser,
          identification: { identificationType: "IDCARD", identificationNumber: Redacted.make("") }
        }
      },
      "facepayUser.identification.identificationNumber"
    ],
    [
      "a phone too long to encrypt",
      { ...params, facepayUser: { ...params.facepayUser, phone: Redacted.make(`1380013800${"9".repeat(300)}`) } },
      "facepayUser.phone"
    ],
    [
      "valid_thru not mm/yy",
      { ...params, limitBankCard: { ...params.limitBankCard, validThru: "13/29" } },
      "limitBankCard.validThru"
    ],
    [
      "valid_thru as yyyy-mm",
      { ...params, limitBankCard: { ...params.limitBankCard, validThru: "2029-12" } },
      "limitBankCard.validThru"
    ]
  ]
  for (const [name, input, field] of bad) {
    it.effect(`${name}: an input error naming ${field}, nothing sent, no plaintext in the error`, () =>
      Effect.gen(function*() {
        const { layer, requests } = recording({ presign_token: "PT" })
        const error = yield* Effect.flip(Contracts.presignContract(input).pipe(Effect.provide(layer)))
        expect(error).toBeInstanceOf(WechatPayError.WechatPayInvalidInputError)
        expect(error).toMatchObject({ operation: "presignContract", field })
        expect(requests).toHaveLength(0)
        for (const text of [String(error), JSON.stringify(error), error.message]) {
          for (const secret of [...Object.values(plain), "1380013800999"]) expect(text).not.toContain(secret)
        }
      }))
  }

  it.effect("values outside the closed enums, and fields a JavaScript caller got wrong, are refused by name", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording({ presign_token: "PT" })
      // Built at run time as untyped callers would: wrong values the types rule out.
      const wrongMode: Contracts.PresignParams = { ...params }
      Reflect.set(wrongMode, "contractMode", "ANY_CARD")
      const wrongType: Contracts.PresignParams = { ...params, facepayUser: { ...params.facepayUser } }
      Reflect.set(wrongType.facepayUser, "identification", { identificationType: "PASSPORT", identificationNumber: Redacted.make(plain.userIdNumber) })
      const missing: Contracts.PresignParams = { ...params, facepayUser: { ...params.facepayUser } }
      Reflect.deleteProperty(missing.facepayUser, "organizationId")
      const unredacted: Contracts.PresignParams = { ...params, facepayUser: { ...params.facepayUser } }
      Reflect.set(unredacted.facepayUser, "phone", plain.userPhone)
      const cases: ReadonlyArray<readonly [Contracts.PresignParams, string]> = [
        [wrongMode, "contractMode"],
        [wrongType, "facepayUser.identification.identificationType"],
        [missing, "facepayUser.organizationId"],
        [unredacted, "facepayUser.phone"]
      ]
      for (const [input, field] of cases) {
        const error = yield* Effect.flip(Contracts.presignContract(input).pipe(Effect.provide(layer)))
        expect(error).toMatchObject({ _tag: "WechatPayInvalidInputError", operation: "presignContract", field })
        for (const text of [String(error), JSON.stringify(error)]) {
          for (const secret of Object.values(plain)) expect(text).not.toContain(secret)
        }
      }
      expect(requests).toHaveLength(0)
    }))
})

const contractWire = {
  contract_id: "CI8CD208Z7e9906f89",
  mchid: "1900000109",
  organization_id: "O1234567",
  use_id: "U1234567890",
  openid: "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
  contract_state: "TERMINATED",
  contract_signed_time: "2024-09-01T08:00:00+08:00",
  contract_terminated_time: "2024-12-01T18:30:00+08:00",
  contract_mode: "LIMIT_BANK_CARD",
  contract_bank_card_from: "MERCHANT_LIMITED_BANK_CARD"
}

describe("Contract", () => {
  it("decodes the sample answer with use_id", () => {
    const contract = Schema.decodeUnknownSync(Contracts.ContractAnswer)(contractWire)
    expect(contract).toBeInstanceOf(Contracts.Contract)
    expect(contract.contractId).toBe("CI8CD208Z7e9906f89")
    expect(contract.mchid).toBe("1900000109")
    expect(contract.organizationId).toBe("O1234567")
    expect(contract.userId).toBe("U1234567890")
    expect(contract.openid).toBe("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
    expect(contract.contractState).toBe("TERMINATED")
    expect(DateTime.formatIsoOffset(contract.contractSignedTime)).toBe("2024-09-01T08:00:00.000+08:00")
    expect(contract.contractTerminatedTime && DateTime.toEpochMillis(contract.contractTerminatedTime)).toBe(
      Date.parse("2024-12-01T10:30:00Z")
    )
    expect(contract.contractMode).toBe("LIMIT_BANK_CARD")
    expect(contract.contractBankCardFrom).toBe("MERCHANT_LIMITED_BANK_CARD")
    // Encodes back to the wire, under the reference pages' name.
    expect(Schema.encodeSync(Contracts.ContractAnswer)(contract)).toEqual(contractWire)
  })

  it("decodes the user id from user_id into the same field", () => {
    const { use_id: _, ...rest } = contractWire
    const contract = Schema.decodeUnknownSync(Contracts.ContractAnswer)({ ...rest, user_id: "U1234567890" })
    expect(contract.userId).toBe("U1234567890")
    // Both present: use_id wins.
    const both = Schema.decodeUnknownSync(Contracts.ContractAnswer)({ ...contractWire, user_id: "other" })
    expect(both.userId).toBe("U1234567890")
  })

  it("keeps enum values WeChat Pay adds later; optional fields may be absent", () => {
    const contract = Schema.decodeUnknownSync(Contracts.ContractAnswer)({
      contract_id: "CI1",
      mchid: "1900000109",
      organization_id: "O1234567",
      contract_state: "SUSPENDED",
      contract_signed_time: "2024-09-01T08:00:00+08:00",
      contract_mode: "LIMIT_SOMETHING_NEW",
      contract_bank_card_from: "BANK_CHOSEN",
      a_field_added_later: true
    })
    expect(contract.contractState).toBe("SUSPENDED")
    expect(contract.contractMode).toBe("LIMIT_SOMETHING_NEW")
    expect(contract.contractBankCardFrom).toBe("BANK_CHOSEN")
    expect(contract.userId).toBeUndefined()
    expect(contract.openid).toBeUndefined()
    expect(contract.contractTerminatedTime).toBeUndefined()
    const describeState = (state: Contracts.ContractState): string => {
      switch (state) {
        case "CONTRACTED":
          return "signed"
        case "NOT_CONTRACTED":
          return "not signed"
        case "TERMINATED":
          return "terminated"
        default:
          return `unknown: ${state}`
      }
    }
    expect(describeState(contract.contractState)).toBe("unknown: SUSPENDED")
  })

  it("refuses an answer missing a required field or with a bad time", () => {
    const { contract_state: _, ...noState } = contractWire
    expect(() => Schema.decodeUnknownSync(Contracts.ContractAnswer)(noState)).toThrow(/contract_state/)
    expect(() =>
      Schema.decodeUnknownSync(Contracts.ContractAnswer)({ ...contractWire, contract_signed_time: "yesterday" })
    ).toThrow(/contract_signed_time/)
  })
})

describe("getContract", () => {
  it.effect("GET /v3/offlineface/contracts/{contract_id}, no query, default retry class", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(contractWire)
      const contract = yield* Contracts.getContract({ contractId: "CI8CD208Z7e9906f89" }).pipe(Effect.provide(layer))
      expect(contract.userId).toBe("U1234567890")
      expect(requests).toEqual([{ method: "GET", path: "/v3/offlineface/contracts/CI8CD208Z7e9906f89" }])
      expect(requests[0]!.retry ?? "idempotent").toBe("idempotent")
    }))

  it.effect("sends appid as the query, and percent-encodes the id", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(contractWire)
      yield* Contracts.getContract({ contractId: "CI8CD208Z7e9906f89", appid: "wxd678efh567hg6787" }).pipe(
        Effect.provide(layer)
      )
      yield* Contracts.getContract({ contractId: "CI:合同", appid: undefined }).pipe(Effect.provide(layer))
      expect(requests[0]).toEqual({
        method: "GET",
        path: "/v3/offlineface/contracts/CI8CD208Z7e9906f89",
        query: [["appid", "wxd678efh567hg6787"]]
      })
      expect(requests[1]).toEqual({ method: "GET", path: `/v3/offlineface/contracts/${encodeURIComponent("CI:合同")}` })
    }))

  const bad: ReadonlyArray<readonly [Contracts.GetContractParams, string]> = [
    [{ contractId: "" }, "contractId"],
    [{ contractId: "CI 1" }, "contractId"],
    [{ contractId: "C".repeat(129) }, "contractId"],
    [{ contractId: "CI/../1" }, "contractId"],
    [{ contractId: ".." }, "contractId"],
    [{ contractId: "CI?x=1" }, "contractId"],
    [{ contractId: "CI1", appid: "" }, "appid"],
    [{ contractId: "CI1", appid: "wx 1" }, "appid"]
  ]
  it.effect("a bad id or appid is an input error naming it, and nothing is sent", () =>
    Effect.gen(function*() {
      const { layer, requests } = recording(contractWire)
      for (const [input, field] of bad) {
        const error = yield* Effect.flip(Contracts.getContract(input).pipe(Effect.provide(layer)))
        expect(error).toBeInstanceOf(WechatPayError.WechatPayInvalidInputError)
        expect(error, JSON.stringify(input)).toMatchObject({ operation: "getContract", field })
      }
      expect(requests).toHaveLength(0)
    }))
})
