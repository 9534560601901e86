/**
 * The charge (申请扣款, `POST /v3/offlineface/transactions`), its query
 * (`GET /v3/offlineface/transactions/out-trade-no/{out_trade_no}`) and a
 * confirm helper that polls the query until the charge's state is final.
 *
 * The charge moves money, so the library never sends it twice blindly: it is
 * always sent with an `out_trade_no` (the caller's, or one generated here),
 * retried only when WeChat Pay cannot have processed it (a 429, or a
 * connection refused before a byte left), and every failure that leaves the
 * outcome unknown is a `WechatPayOutcomeUnknownError` carrying the
 * `out_trade_no` to query.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Transactions } from "@effect-wechatpay/core"
 *
 * const program = Transactions.charge({
 *   authCode: "face-sdk-credential",
 *   subMchid: "1900000109",
 *   amount: { total: 350 },
 *   sceneInfo: { deviceIp: "10.0.0.8" },
 *   business: { businessProductId: 2, businessSceneId: 3 }
 * }).pipe(
 *   Effect.catchTag("WechatPayOutcomeUnknownError", (unknown) =>
 *     Transactions.confirmTransaction({
 *       outTradeNo: unknown.outTradeNo,
 *       spMchid: "1900000100",
 *       subMchid: "1900000109",
 *       businessProductId: "2"
 *     }).pipe(Effect.map((transaction) => ({ outTradeNo: unknown.outTradeNo, transaction })))
 *   )
 * )
 * ```
 *
 * @since 0.2.0
 */
import { Clock, Duration, Effect, Either, Schedule, Schema } from "effect"
import * as WechatPayRequest from "../WechatPayRequest.js"
import { WechatPayClient } from "../WechatPayClient.js"
import {
  type WechatPayApiError,
  WechatPayConfirmTimeoutError,
  type WechatPayInvalidInputError,
  WechatPayOutcomeUnknownError,
  type WechatPayRequestError,
  type WechatPayTransportError
} from "../WechatPayError.js"
import * as WechatPaySchema from "../WechatPaySchema.js"
import { field, optionalField } from "../internal/fields.js"
import { invalid } from "../internal/input.js"


// ---------------------------------------------------------------------------------------------------------------
// out_trade_no
// ---------------------------------------------------------------------------------------------------------------

/**
 * A merchant order number as WeChat Pay accepts it: 6 to 32 characters,
 * digits, letters, `_`, `-` and `*`, unique per merchant.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const OutTradeNo = Schema.String.pipe(
  Schema.pattern(/^[0-9A-Za-z_\-*]{6,32}$/, {
    message: () => "must be 6 to 32 characters: digits, letters, '_', '-' or '*'"
  })
)

const ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ" // Crockford base 32: no I, L, O, U

/**
 * A new `out_trade_no`: `K12`, the UTC time to the second (`yyyyMMddHHmmss`),
 * then 15 random base-32 characters (75 bits from `crypto.getRandomValues`):
 * 32 characters, sortable by time, unique without coordination.
 *
 * @since 0.2.0
 * @category Constructors
 */
export const generateOutTradeNo: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, (now) => {
  const stamp = new Date(now).toISOString().replace(/[-:T]/g, "").slice(0, 14)
  const random = globalThis.crypto.getRandomValues(new Uint8Array(15))
  let tail = ""
  for (const byte of random) tail += ALPHABET[byte & 31]
  return `K12${stamp}${tail}`
})

// ---------------------------------------------------------------------------------------------------------------
// the charge request
// ---------------------------------------------------------------------------------------------------------------

/**
 * `business.business_product_id`: `2` K12, `11` enterprise group meals.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const BusinessProductId = Schema.Literal(2, 11).annotations({ message: () => "must be 2 (K12) or 11 (group meals)" })

/**
 * `business.business_scene_id`: `3` canteen, `4` supermarket, `5` school
 * clinic, `6` K12 test, `124` group-meal test, `125` enterprise canteen,
 * `126` Tencent canteen.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const BusinessSceneId = Schema.Literal(3, 4, 5, 6, 124, 125, 126).annotations({
  message: () => "must be one of 3, 4, 5, 6, 124, 125, 126"
})

const Amount = Schema.Struct({
  /** 总金额, in fen (WeChat Pay's general convention). */
  total: WechatPaySchema.Fen,
  /** Default `CNY`. */
  currency: WechatPaySchema.ClosedEnum(["CNY"])
})

/**
 * The charge body: domain names outside, wire names inside.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const ChargeRequest = Schema.Struct({
  /** 支付凭证 from the face SDK (`auth_code`). */
  authCode: field(WechatPaySchema.Text, "auth_code"),
  spAppid: optionalField(WechatPaySchema.Id, "sp_appid"),
  spMchid: optionalField(WechatPaySchema.Id, "sp_mchid"),
  subAppid: optionalField(WechatPaySchema.Id, "sub_appid"),
  subMchid: optionalField(WechatPaySchema.Id, "sub_mchid"),
  amount: field(Amount, "amount"),
  sceneInfo: optionalField(Schema.Struct({ deviceIp: field(WechatPaySchema.Text, "device_ip") }), "scene_info"),
  goodsTag: optionalField(WechatPaySchema.Text, "goods_tag"),
  description: optionalField(WechatPaySchema.Text, "description"),
  attach: optionalField(WechatPaySchema.Text, "attach"),
  settleInfo: optionalField(
    Schema.Struct({ profitSharing: optionalField(Schema.Boolean, "profit_sharing") }),
    "settle_info"
  ),
  outTradeNo: field(OutTradeNo, "out_trade_no"),
  business: optionalField(
    Schema.Struct({
      businessProductId: field(BusinessProductId, "business_product_id"),
      businessSceneId: field(BusinessSceneId, "business_scene_id")
    }),
    "business"
  )
})

/**
 * What the caller gives `charge`: the body, with `out_trade_no` and the
 * currency optional (generated, and `CNY`).
 *
 * @since 0.2.0
 * @category Models
 */
export interface ChargeParams extends Omit<typeof ChargeRequest.Type, "outTradeNo" | "amount"> {
  readonly outTradeNo?: string | undefined
  readonly amount: { readonly total: number; readonly currency?: "CNY" | undefined }
}

// ---------------------------------------------------------------------------------------------------------------
// the transaction
// ---------------------------------------------------------------------------------------------------------------

/**
 * `trade_state`. No source gives the values for this product: these are
 * WeChat Pay's general trade states; a value outside them is kept.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const TradeState = WechatPaySchema.OpenEnum("TradeState", [
  "SUCCESS",
  "REFUND",
  "NOTPAY",
  "CLOSED",
  "REVOKED",
  "USERPAYING",
  "PAYERROR",
  "ACCEPT"
])

/**
 * @since 0.2.0
 * @category Models
 */
export type TradeState = typeof TradeState.Type

/**
 * The states after which a charge no longer changes (WeChat Pay's general
 * trade states, as no source documents this product's): paid, refunded,
 * closed, revoked, failed. `USERPAYING`, `NOTPAY`, `ACCEPT` and any state
 * this library does not know are not final.
 *
 * @since 0.2.0
 * @category Predicates
 */
export const isFinal = (state: TradeState | undefined): boolean =>
  state === "SUCCESS" || state === "REFUND" || state === "CLOSED" || state === "REVOKED" || state === "PAYERROR"

/**
 * `debt_state`: `NOT_DEBT`, `DEBT` (advanced by WeChat Pay), `REPAYMENT`
 * (repaid), from a third-party SDK (the official sources list none).
 *
 * @since 0.2.0
 * @category Schemas
 */
export const DebtState = WechatPaySchema.OpenEnum("DebtState", ["NOT_DEBT", "DEBT", "REPAYMENT"])

/**
 * @since 0.2.0
 * @category Schemas
 */
export const TradeType = WechatPaySchema.OpenEnum("TradeType", ["NATIVE", "JSAPI", "APP", "MWEB", "AUTH"])

/**
 * A charge as WeChat Pay reports it (answer of the charge and of its query).
 * Every field is optional except where both sources require it; the charge's
 * own answer may lack `trade_state` (the query's has it).
 *
 * @since 0.2.0
 * @category Models
 */
export class Transaction extends Schema.Class<Transaction>("Transaction")({
  spAppid: optionalField(Schema.String, "sp_appid"),
  spMchid: optionalField(Schema.String, "sp_mchid"),
  subAppid: optionalField(Schema.String, "sub_appid"),
  subMchid: optionalField(Schema.String, "sub_mchid"),
  payer: Schema.optional(Schema.Struct({
    spOpenid: optionalField(Schema.String, "sp_openid"),
    subOpenid: optionalField(Schema.String, "sub_openid")
  })),
  amount: Schema.optional(Schema.Struct({
    total: Schema.Number,
    currency: Schema.String,
    payTotal: optionalField(Schema.Number, "pay_total"),
    payCurrency: optionalField(Schema.String, "pay_currency")
  })),
  promotionDetail: optionalField(Schema.Array(Schema.Unknown), "promotion_detail"),
  sceneInfo: optionalField(Schema.Struct({ deviceIp: optionalField(Schema.String, "device_ip") }), "scene_info"),
  bankType: optionalField(Schema.String, "bank_type"),
  tradeType: optionalField(TradeType, "trade_type"),
  tradeState: optionalField(TradeState, "trade_state"),
  tradeStateDescription: optionalField(Schema.String, "trade_state_description"),
  debtState: optionalField(DebtState, "debt_state"),
  description: Schema.optional(Schema.String),
  attach: Schema.optional(Schema.String),
  successTime: optionalField(WechatPaySchema.Time, "success_time"),
  transactionId: optionalField(Schema.String, "transaction_id"),
  repaymentTransactionId: optionalField(Schema.String, "repayment_transaction_id"),
  outTradeNo: optionalField(Schema.String, "out_trade_no"),
  /** With `PAYERROR`: e.g. `NOT_ENOUGH` (balance insufficient), as a third-party SDK reports. */
  errorType: optionalField(Schema.String, "error_type")
}) {
  /** Whether `tradeState` is final (see `isFinal`). */
  get isFinal(): boolean {
    return isFinal(this.tradeState)
  }
}

/**
 * The result of a charge: the transaction, and the `out_trade_no` it was sent
 * with (generated when the caller gave none).
 *
 * @since 0.2.0
 * @category Models
 */
export interface ChargeResult {
  readonly outTradeNo: string
  readonly transaction: Transaction
}

// ---------------------------------------------------------------------------------------------------------------
// endpoints
// ---------------------------------------------------------------------------------------------------------------

const CHARGE_PATH = "/v3/offlineface/transactions"

const describe = (error: WechatPayRequestError): string => {
  switch (error._tag) {
    case "WechatPayTransportError":
      return error.reason === "Timeout" ? "no answer in time" : `the connection failed: ${error.description}`
    case "WechatPayApiError":
      return `WeChat Pay answered ${error.status}${error.code === undefined ? "" : ` ${error.code}`}`
    case "WechatPayVerificationError":
      return `the answer failed verification (${error.check})`
    case "WechatPayDecodeError":
      return `the answer could not be decoded (${error.where})`
  }
}

const requestIdOf = (error: WechatPayRequestError): string | undefined =>
  error._tag === "WechatPayTransportError" ? undefined : error.requestId

/**
 * A failed charge as the caller must see it. Known not processed: a 429, a
 * connection refused before a byte left, a 4xx WeChat Pay answered with (the
 * request was rejected). Anything else may have been processed: outcome
 * unknown.
 */
const chargeFailure = (
  outTradeNo: string,
  error: WechatPayRequestError
): WechatPayOutcomeUnknownError | WechatPayApiError | WechatPayTransportError => {
  if (error._tag === "WechatPayTransportError" && error.reason === "Refused") return error
  if (error._tag === "WechatPayApiError" && error.status < 500 && error.code !== "SYSTEM_ERROR") return error
  return new WechatPayOutcomeUnknownError({
    method: "POST",
    path: CHARGE_PATH,
    outTradeNo,
    failure: error._tag,
    description: describe(error),
    requestId: requestIdOf(error)
  })
}

/**
 * 申请扣款: charges a face user. `POST /v3/offlineface/transactions`.
 *
 * Retry class: `unsafe`. The library sends the charge again only after a 429
 * or a connection refused before a byte left (WeChat Pay cannot have
 * processed it). A timeout, a lost connection, a 5xx, `SYSTEM_ERROR`, or an
 * answer that fails verification or decoding is a
 * `WechatPayOutcomeUnknownError` with the `outTradeNo`: query it
 * (`getTransaction`, `confirmTransaction`); never charge again blindly.
 * A 4xx (e.g. `PARAM_ERROR`) is a `WechatPayApiError`: nothing was charged.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Transactions } from "@effect-wechatpay/core"
 *
 * const program = Effect.gen(function*() {
 *   const { outTradeNo, transaction } = yield* Transactions.charge({
 *     authCode: "face-sdk-credential",
 *     subMchid: "1900000109",
 *     amount: { total: 350 },
 *     business: { businessProductId: 2, businessSceneId: 3 }
 *   })
 *   yield* Effect.log(`${outTradeNo}: ${transaction.tradeState}`)
 * })
 * ```
 *
 * @since 0.2.0
 * @category Endpoints
 */
export const charge = (
  params: ChargeParams
): Effect.Effect<
  ChargeResult,
  WechatPayInvalidInputError | WechatPayOutcomeUnknownError | WechatPayApiError | WechatPayTransportError,
  WechatPayClient
> =>
  Effect.gen(function*() {
    const outTradeNo = params.outTradeNo ?? (yield* generateOutTradeNo)
    const body = yield* WechatPayRequest.jsonBody("charge", ChargeRequest, {
      ...params,
      amount: { total: params.amount.total, currency: params.amount.currency ?? "CNY" },
      outTradeNo
    })
    const client = yield* WechatPayClient
    const transaction = yield* client.execute({ method: "POST", path: CHARGE_PATH, body, retry: "unsafe" }, Transaction)
      .pipe(Effect.mapError((error) => chargeFailure(outTradeNo, error)))
    return { outTradeNo, transaction }
  })

/**
 * The query of a charge: `out_trade_no` in the path; `sp_mchid`, `sub_mchid`
 * and `business_product_id` (a string here: `"2"` or `"11"`) in the query.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const GetTransactionQuery = Schema.Struct({
  spMchid: field(WechatPaySchema.Id, "sp_mchid"),
  subMchid: field(WechatPaySchema.Id, "sub_mchid"),
  businessProductId: field(
    Schema.Literal("2", "11").annotations({ message: () => "must be \"2\" (K12) or \"11\" (group meals)" }),
    "business_product_id"
  )
})

/**
 * @since 0.2.0
 * @category Models
 */
export interface GetTransactionParams extends Schema.Schema.Type<typeof GetTransactionQuery> {
  readonly outTradeNo: string
}

const transactionRequest = (
  operation: string,
  params: GetTransactionParams
): Either.Either<WechatPayRequest.WechatPayRequest, WechatPayInvalidInputError> =>
  Either.gen(function*() {
    const outTradeNo = yield* Either.mapLeft(
      Schema.decodeUnknownEither(OutTradeNo)(params.outTradeNo),
      (error) => invalid(operation, error, "outTradeNo")
    )
    const path = yield* WechatPayRequest.path(operation, [
      "v3",
      "offlineface",
      "transactions",
      "out-trade-no",
      WechatPayRequest.segment("outTradeNo", outTradeNo)
    ])
    const query = yield* WechatPayRequest.query(operation, GetTransactionQuery, params, [
      "sp_mchid",
      "sub_mchid",
      "business_product_id"
    ])
    return { method: "GET" as const, path, query }
  })

/**
 * 查询扣款: `GET /v3/offlineface/transactions/out-trade-no/{out_trade_no}`.
 *
 * Retry class: idempotent (a query).
 *
 * @example
 * ```ts
 * import { Transactions } from "@effect-wechatpay/core"
 *
 * const transaction = Transactions.getTransaction({
 *   outTradeNo: "K1220241201083000ABCDEFGHJKMNPQR",
 *   spMchid: "1900000100",
 *   subMchid: "1900000109",
 *   businessProductId: "2"
 * })
 * ```
 *
 * @since 0.2.0
 * @category Endpoints
 */
export const getTransaction = (
  params: GetTransactionParams
): Effect.Effect<Transaction, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  Effect.flatMap(transactionRequest("getTransaction", params), (request) =>
    Effect.flatMap(WechatPayClient, (client) => client.execute(request, Transaction)))

/**
 * @since 0.2.0
 * @category Models
 */
export interface ConfirmOptions {
  /** The time budget. Default 30 seconds. */
  readonly within?: Duration.DurationInput | undefined
  /** When to query again. Default every 2 seconds. */
  readonly schedule?: Schedule.Schedule<unknown> | undefined
}

const isNotFound = (error: WechatPayInvalidInputError | WechatPayRequestError): boolean =>
  error._tag === "WechatPayApiError" && error.status === 404

/**
 * Queries a charge (`getTransaction`) on a schedule until its state is final
 * (`isFinal`) or the time budget runs out, and returns the transaction. A 404
 * (the charge not found, perhaps not visible yet) is queried again like a
 * pending state. When the budget runs out: a `WechatPayConfirmTimeoutError`
 * with the last state seen, or `found: false`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Transactions } from "@effect-wechatpay/core"
 *
 * const final = Transactions.confirmTransaction(
 *   { outTradeNo: "K1220241201083000ABCDEFGHJKMNPQR", spMchid: "1900000100", subMchid: "1900000109", businessProductId: "2" },
 *   { within: "1 minute" }
 * ).pipe(Effect.map((transaction) => transaction.tradeState))
 * ```
 *
 * @since 0.2.0
 * @category Endpoints
 */
export const confirmTransaction = (
  params: GetTransactionParams,
  options: ConfirmOptions = {}
): Effect.Effect<
  Transaction,
  WechatPayInvalidInputError | WechatPayRequestError | WechatPayConfirmTimeoutError,
  WechatPayClient
> =>
  Effect.gen(function*() {
    const request = yield* transactionRequest("confirmTransaction", params)
    const client = yield* WechatPayClient
    const within = Duration.decode(options.within ?? Duration.seconds(30))
    const schedule = options.schedule ?? Schedule.spaced(Duration.seconds(2))
    const started = yield* Clock.currentTimeMillis
    const query: Effect.Effect<Transaction | undefined, WechatPayRequestError> = client.execute(request, Transaction)
      .pipe(Effect.catchIf(isNotFound, () => Effect.succeed(undefined)))
    // The driver sleeps as the schedule says; no query is sent past the budget.
    const driver = yield* Schedule.driver(schedule)
    const budget = Duration.toMillis(within)
    let last = yield* query
    while (last === undefined || !last.isFinal) {
      const next = yield* Effect.either(driver.next(undefined))
      if (Either.isLeft(next) || (yield* Clock.currentTimeMillis) - started > budget) break
      last = yield* query
    }
    if (last !== undefined && last.isFinal) return last
    const now = yield* Clock.currentTimeMillis
    return yield* new WechatPayConfirmTimeoutError({
      outTradeNo: params.outTradeNo,
      found: last !== undefined,
      lastState: last?.tradeState,
      elapsedMillis: now - started
    })
  })
