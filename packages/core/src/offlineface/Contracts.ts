/**
 * Contracts (签约): pre-signing a face user (`POST
 * /v3/offlineface/contracts/presign`, six fields encrypted) and querying a
 * contract (`GET /v3/offlineface/contracts/{contract_id}`).
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Contracts } from "@effect-wechatpay/core"
 *
 * const program = Effect.gen(function*() {
 *   const { presignToken } = yield* Contracts.presignContract({
 *     businessName: "K12",
 *     facepayUser: {
 *       outUserId: "student-0001",
 *       organizationId: "O1234567",
 *       identificationName: "张三",
 *       identification: { identificationType: "IDCARD", identificationNumber: Redacted.make("110101201001011234") },
 *       phone: Redacted.make("13800138000")
 *     },
 *     contractMode: "LIMIT_NONE"
 *   })
 *   const contract = yield* Contracts.getContract({ contractId: "CI8CD208Z7e9906f89" })
 *   yield* Effect.log(presignToken, contract.contractState)
 * })
 * ```
 *
 * @since 0.2.0
 */
import { Effect, Either, Schema } from "effect"
import { field, optionalField } from "../internal/fields.js"
import { invalid } from "../internal/input.js"
import * as SensitiveFields from "../SensitiveFields.js"
import { WechatPayClient } from "../WechatPayClient.js"
import type { WechatPayConfigError, WechatPayInvalidInputError, WechatPayRequestError } from "../WechatPayError.js"
import * as WechatPayRequest from "../WechatPayRequest.js"
import * as WechatPaySchema from "../WechatPaySchema.js"

// ---------------------------------------------------------------------------------------------------------------
// enums
// ---------------------------------------------------------------------------------------------------------------

/**
 * `contract_mode` as WeChat Pay reports it: `LIMIT_BANK_CARD` (a designated
 * card), `PRIORITY_BANK_CARD` (a preferred card), `LIMIT_NONE` (any card);
 * a value added later is kept.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const ContractMode = WechatPaySchema.OpenEnum("ContractMode", [
  "LIMIT_BANK_CARD",
  "PRIORITY_BANK_CARD",
  "LIMIT_NONE"
])

/**
 * @since 0.2.0
 * @category Models
 */
export type ContractMode = typeof ContractMode.Type

/**
 * `contract_mode` as this library sends it (pre-sign): only the three
 * documented values.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const PresignContractMode = WechatPaySchema.ClosedEnum(["LIMIT_BANK_CARD", "PRIORITY_BANK_CARD", "LIMIT_NONE"])

/**
 * @since 0.2.0
 * @category Models
 */
export type PresignContractMode = typeof PresignContractMode.Type

/**
 * `contract_state`: `NOT_CONTRACTED`, `TERMINATED`, `CONTRACTED`; a value
 * added later is kept.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const ContractState = WechatPaySchema.OpenEnum("ContractState", ["NOT_CONTRACTED", "TERMINATED", "CONTRACTED"])

/**
 * @since 0.2.0
 * @category Models
 */
export type ContractState = typeof ContractState.Type

/**
 * `contract_bank_card_from`: `MERCHANT_LIMITED_BANK_CARD` (the card was
 * chosen by the merchant) or `USER_SELECT_FREE` (by the user); a value added
 * later is kept.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const ContractBankCardFrom = WechatPaySchema.OpenEnum("ContractBankCardFrom", [
  "MERCHANT_LIMITED_BANK_CARD",
  "USER_SELECT_FREE"
])

/**
 * @since 0.2.0
 * @category Models
 */
export type ContractBankCardFrom = typeof ContractBankCardFrom.Type

/**
 * `identification_type`, as sent: only `IDCARD` is documented.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const IdentificationType = WechatPaySchema.ClosedEnum(["IDCARD"])

/**
 * A card's `valid_thru`, `mm/yy` (oa `format: mm/yy`), e.g. `12/29`.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const ValidThru = Schema.String.pipe(
  Schema.pattern(/^(0[1-9]|1[0-2])\/\d{2}$/, { message: () => "must be mm/yy (month 01 to 12, two-digit year)" })
)

// ---------------------------------------------------------------------------------------------------------------
// pre-sign
// ---------------------------------------------------------------------------------------------------------------

type Sensitive = typeof SensitiveFields.Encrypted | typeof SensitiveFields.Plaintext

const identification = <S extends Sensitive>(sensitive: S) =>
  Schema.Struct({
    /** 证件类型 (`identification_type`): `IDCARD`. */
    identificationType: field(IdentificationType, "identification_type"),
    /** 🔒 证件号 (`identification_number`). */
    identificationNumber: field(sensitive, "identification_number")
  })

// One definition, two wire forms: encrypted (sent) and plaintext (input files).
const presignFields = <S extends Sensitive>(sensitive: S) => ({
  /** 业务类型 (`business_name`); no values are published. */
  businessName: field(WechatPaySchema.Text, "business_name"),
  /** The face user (`facepay_user`). */
  facepayUser: field(
    Schema.Struct({
      /** The merchant's id of the user (`out_user_id`). */
      outUserId: field(WechatPaySchema.Id, "out_user_id"),
      /** The user's name (`identification_name`): plain, unlike the card holder's name below (both sources). */
      identificationName: optionalField(WechatPaySchema.Text, "identification_name"),
      /** 机构 id (`organization_id`), issued by WeChat Pay (starts with `O`). */
      organizationId: field(WechatPaySchema.Id, "organization_id"),
      /** The user's ID document (`identification`). */
      identification: optionalField(identification(sensitive), "identification"),
      /** 🔒 The user's phone (`phone`). */
      phone: optionalField(sensitive, "phone")
    }),
    "facepay_user"
  ),
  /** The designated card (`limit_bank_card`). */
  limitBankCard: optionalField(
    Schema.Struct({
      /** 🔒 The card number (`bank_card_number`). */
      bankCardNumber: optionalField(sensitive, "bank_card_number"),
      /** 🔒 The card holder's name (`identification_name`). */
      identificationName: optionalField(sensitive, "identification_name"),
      /** The card holder's ID document (`identification`). */
      identification: optionalField(identification(sensitive), "identification"),
      /** `mm/yy` (`valid_thru`). */
      validThru: optionalField(ValidThru, "valid_thru"),
      /** The bank (`bank_type`). */
      bankType: optionalField(WechatPaySchema.Text, "bank_type"),
      /** 🔒 The phone the card was opened with (`phone`). */
      phone: optionalField(sensitive, "phone")
    }),
    "limit_bank_card"
  ),
  /** 签约模式 (`contract_mode`). */
  contractMode: optionalField(PresignContractMode, "contract_mode")
})

/**
 * The pre-sign body as sent: domain names outside, wire names inside, the
 * six sensitive fields (`facepay_user.identification.identification_number`,
 * `facepay_user.phone`, `limit_bank_card.bank_card_number`,
 * `limit_bank_card.identification_name`,
 * `limit_bank_card.identification.identification_number`,
 * `limit_bank_card.phone`) `Redacted` in the domain and RSA-OAEP ciphertext
 * on the wire.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const PresignRequest = Schema.Struct(presignFields(SensitiveFields.Encrypted))

/**
 * The same body with the sensitive fields in plaintext on the wire side: it
 * decodes an input file written in WeChat Pay's field names (the CLI's
 * `--json`) to the `PresignParams` that `presignContract` takes.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const PresignInput = Schema.Struct(presignFields(SensitiveFields.Plaintext))

/**
 * What `presignContract` takes: the body's domain type.
 *
 * @since 0.2.0
 * @category Models
 */
export type PresignParams = typeof PresignRequest.Type

/**
 * The pre-sign answer.
 *
 * @since 0.2.0
 * @category Models
 */
export class PresignResult extends Schema.Class<PresignResult>("PresignResult")({
  /** The token the K12 mini program's signing flow carries (`presign_token`). */
  presignToken: field(Schema.String, "presign_token")
}) {}

/**
 * 预签约: `POST /v3/offlineface/contracts/presign`. Every field is checked
 * before anything is sent; the six sensitive fields are encrypted under the
 * WeChat Pay public key or the newest valid platform certificate, and
 * `Wechatpay-Serial` names that key. An error never holds a plaintext.
 *
 * Retry class: `idempotent`. Offline-face §1.5 classifies #4 as moving no
 * money: a retry after a transient failure yields a fresh token (each call
 * issues a new one), and a token from a lost answer is never used. The body
 * is encrypted once and the same ciphertext resent.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Contracts } from "@effect-wechatpay/core"
 *
 * const token = Contracts.presignContract({
 *   businessName: "K12",
 *   facepayUser: {
 *     outUserId: "student-0001",
 *     organizationId: "O1234567",
 *     identification: { identificationType: "IDCARD", identificationNumber: Redacted.make("110101201001011234") }
 *   },
 *   limitBankCard: { bankCardNumber: Redacted.make("6222020000000000000"), validThru: "12/29" },
 *   contractMode: "LIMIT_BANK_CARD"
 * }).pipe(Effect.map((result) => result.presignToken))
 * ```
 *
 * @since 0.2.0
 * @category Endpoints
 */
export const presignContract = (
  params: PresignParams
): Effect.Effect<
  PresignResult,
  WechatPayInvalidInputError | WechatPayConfigError | WechatPayRequestError,
  WechatPayClient | SensitiveFields.SensitiveFields
> =>
  Effect.gen(function*() {
    const { body, serial } = yield* SensitiveFields.encodeBody("presignContract", PresignRequest, params)
    const client = yield* WechatPayClient
    return yield* client.execute({
      method: "POST",
      path: "/v3/offlineface/contracts/presign",
      body,
      headers: { "Wechatpay-Serial": serial },
      retry: "idempotent"
    }, PresignResult)
  })

// ---------------------------------------------------------------------------------------------------------------
// the contract
// ---------------------------------------------------------------------------------------------------------------

/**
 * A contract, as `GET /v3/offlineface/contracts/{contract_id}` reports it.
 * Decode an answer with `ContractAnswer`, which also accepts the user id
 * under `user_id`; this class alone reads only `use_id`.
 *
 * @since 0.2.0
 * @category Models
 */
export class Contract extends Schema.Class<Contract>("Contract")({
  /** 签约 id (`contract_id`). */
  contractId: field(Schema.String, "contract_id"),
  /** 商户号 (`mchid`). */
  mchid: Schema.String,
  /** 机构 id (`organization_id`). */
  organizationId: field(Schema.String, "organization_id"),
  /** The WeChat face user id: `use_id` in the reference pages, `user_id` elsewhere (both decode here). */
  userId: optionalField(Schema.String, "use_id"),
  /** The user's openid under the signing app (`openid`). */
  openid: Schema.optional(Schema.String),
  /** 签约状态 (`contract_state`), unknown values kept. */
  contractState: field(ContractState, "contract_state"),
  /** 签约时间 (`contract_signed_time`). */
  contractSignedTime: field(WechatPaySchema.Time, "contract_signed_time"),
  /** 解约时间 (`contract_terminated_time`). */
  contractTerminatedTime: optionalField(WechatPaySchema.Time, "contract_terminated_time"),
  /** 签约模式 (`contract_mode`), unknown values kept. */
  contractMode: field(ContractMode, "contract_mode"),
  /** Who chose the card (`contract_bank_card_from`), unknown values kept. */
  contractBankCardFrom: field(ContractBankCardFrom, "contract_bank_card_from")
}) {}

/**
 * The answer of `getContract`: a `Contract` whose user id may come as
 * `use_id` (the reference pages) or `user_id` (a third-party SDK, the
 * notification); both decode into `userId`. Encodes back with `use_id`.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const ContractAnswer: Schema.Schema<Contract, typeof Contract.Encoded> = WechatPaySchema.withAlias(Contract, {
  user_id: "use_id"
})

/**
 * The query of `getContract`: `appid`, the mini program that signed
 * (optional).
 *
 * @since 0.2.0
 * @category Schemas
 */
export const GetContractQuery = Schema.Struct({
  appid: Schema.optional(WechatPaySchema.Id)
})

/**
 * What `getContract` takes.
 *
 * @since 0.2.0
 * @category Models
 */
export interface GetContractParams {
  /** 签约 id (`contract_id`), e.g. `CI8CD208Z7e9906f89`. */
  readonly contractId: string
  /** The mini program that signed (`appid`, optional). */
  readonly appid?: string | undefined
}

/**
 * 查询签约: `GET /v3/offlineface/contracts/{contract_id}[?appid=…]`. Also the
 * way to learn what a `FACEPAY.USER_STATE_CHANGE` notification means: it
 * carries the contract id but no state. Both arguments are checked before
 * anything is sent.
 *
 * Retry class: `idempotent` (the default): a query, offline-face §1.5.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Contracts } from "@effect-wechatpay/core"
 *
 * const signed = Contracts.getContract({ contractId: "CI8CD208Z7e9906f89", appid: "wxd678efh567hg6787" }).pipe(
 *   Effect.map((contract) => contract.contractState === "CONTRACTED")
 * )
 * ```
 *
 * @since 0.2.0
 * @category Endpoints
 */
export const getContract = (
  params: GetContractParams
): Effect.Effect<Contract, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  Effect.gen(function*() {
    const operation = "getContract"
    const contractId = yield* Either.mapLeft(
      Schema.decodeUnknownEither(WechatPaySchema.Id)(params.contractId),
      (error) => invalid(operation, error, "contractId")
    )
    const path = yield* WechatPayRequest.path(operation, [
      "v3",
      "offlineface",
      "contracts",
      WechatPayRequest.segment("contractId", contractId)
    ])
    const query = yield* WechatPayRequest.query(operation, GetContractQuery, { appid: params.appid }, ["appid"])
    const client = yield* WechatPayClient
    return yield* client.execute({ method: "GET", path, ...(query.length > 0 ? { query } : {}) }, ContractAnswer)
  })
