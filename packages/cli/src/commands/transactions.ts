/**
 * `transactions create` (申请扣款, the charge), `transactions get` (查询扣款) and
 * `transactions confirm` (query until final): `Transactions` of
 * `@effect-wechatpay/core`, with the client from `WECHATPAY_*` configuration.
 *
 * The charge moves money. It is sent once: the library retries it only when
 * WeChat Pay cannot have seen it, and this command adds no retry of its own.
 * When its outcome is unknown it exits 6 with the `transactions confirm`
 * command to run in the failure line's `hint`.
 *
 * @internal
 */
import { Transactions, type WechatPayError, WechatPaySchema } from "@effect-wechatpay/core"
import { Args, Command, Options } from "@effect/cli"
import { Duration, Effect, Schedule, Schema } from "effect"
import * as Failure from "../Failure.js"
import { shellQuote } from "../SandboxEnv.js"
import * as Shared from "./shared.js"

// --- the charge's input -------------------------------------------------------------------

/**
 * The charge body as `--json` holds it: `Transactions.ChargeRequest`, except
 * that `out_trade_no` may be left out (the library generates one) and so may
 * `amount.currency` (`CNY`), while `sp_mchid`, `sub_mchid` and `business` are
 * required: the charge's query needs all three, and a charge whose outcome is
 * unknown must be queried.
 */
export const ChargeInput = Schema.Struct({
  ...Transactions.ChargeRequest.fields,
  spMchid: Schema.propertySignature(WechatPaySchema.Id).pipe(Schema.fromKey("sp_mchid")),
  subMchid: Schema.propertySignature(WechatPaySchema.Id).pipe(Schema.fromKey("sub_mchid")),
  amount: Schema.propertySignature(Schema.Struct({
    total: WechatPaySchema.Fen,
    currency: Schema.optional(WechatPaySchema.ClosedEnum(["CNY"]))
  })).pipe(Schema.fromKey("amount")),
  outTradeNo: Schema.optional(Transactions.OutTradeNo).pipe(Schema.fromKey("out_trade_no")),
  business: Schema.propertySignature(Schema.Struct({
    businessProductId: Schema.propertySignature(Transactions.BusinessProductId).pipe(
      Schema.fromKey("business_product_id")
    ),
    businessSceneId: Schema.propertySignature(Transactions.BusinessSceneId).pipe(Schema.fromKey("business_scene_id"))
  })).pipe(Schema.fromKey("business"))
})

// --- the query's options ------------------------------------------------------------------

type BusinessProductId = "2" | "11"

const businessProductIds: ReadonlyArray<BusinessProductId> = ["2", "11"]

interface QueryArgs {
  readonly outTradeNo: string
  readonly spMchid: string
  readonly subMchid: string
  readonly businessProductId: BusinessProductId
}

const queryArgs = {
  outTradeNo: Args.text({ name: "OUT_TRADE_NO" }).pipe(
    Args.withDescription("The merchant order number the charge was sent with (out_trade_no).")
  ),
  spMchid: Options.text("sp-mchid").pipe(
    Options.withPseudoName("ID"),
    Options.withDescription("The service provider's merchant id (sp_mchid) the charge was sent with.")
  ),
  subMchid: Options.text("sub-mchid").pipe(
    Options.withPseudoName("ID"),
    Options.withDescription("The sub-merchant id (sub_mchid) the charge was sent with.")
  ),
  businessProductId: Options.choice("business-product-id", businessProductIds).pipe(
    Options.withDescription("The charge's business.business_product_id: 2 (K12) or 11 (enterprise group meals).")
  )
}

/** The `transactions confirm` command line for a charge, for a person or a script to run as is. */
export const confirmCommand = (args: QueryArgs, timing: ReadonlyArray<string> = []): string =>
  [
    Shared.invocation(),
    "transactions",
    "confirm",
    shellQuote(args.outTradeNo),
    "--sp-mchid",
    shellQuote(args.spMchid),
    "--sub-mchid",
    shellQuote(args.subMchid),
    "--business-product-id",
    args.businessProductId,
    ...timing
  ].join(" ")

/** The transaction in WeChat Pay's field names, `out_trade_no` included (the one sent, when the answer lacks it). */
const printTransaction = (transaction: Transactions.Transaction, outTradeNo?: string) =>
  Shared.printAnswer(
    Transactions.Transaction,
    transaction.outTradeNo !== undefined || outTradeNo === undefined
      ? transaction
      : new Transactions.Transaction({ ...transaction, outTradeNo })
  )

// --- create -------------------------------------------------------------------------------

const create = Command.make("create", {
  json: Shared.json.pipe(
    Options.withDescription(
      "The charge body (a file, or - for stdin) in WeChat Pay's field names: auth_code, sp_mchid, sub_mchid, " +
        "amount {total (fen), currency?}, business {business_product_id, business_scene_id}, out_trade_no? " +
        "(generated when absent), sp_appid?, sub_appid?, scene_info?, description?, attach?, goods_tag?, settle_info?."
    )
  ),
  maxAttempts: Shared.maxAttempts
}, (args) =>
  Effect.flatMap(Shared.readJsonWith(ChargeInput, args.json), (params) => {
    const query = (outTradeNo: string): QueryArgs => ({
      outTradeNo,
      spMchid: params.spMchid,
      subMchid: params.subMchid,
      businessProductId: params.business.businessProductId === 2 ? "2" : "11"
    })
    return Transactions.charge(params).pipe(
      Effect.catchTag("WechatPayOutcomeUnknownError", (error) =>
        Effect.fail(new Failure.Hinted({ error, hint: confirmCommand(query(error.outTradeNo)) }))),
      Effect.tap((result) => printTransaction(result.transaction, result.outTradeNo)),
      Effect.flatMap((result) =>
        result.transaction.isFinal
          ? Effect.void
          : Shared.say(
            `charge ${result.outTradeNo} is ${result.transaction.tradeState ?? "without a state"}, not final yet: ` +
              `wait for it with ${confirmCommand(query(result.outTradeNo))}`
          )
      ),
      Shared.withClient(args.maxAttempts)
    )
  })).pipe(
    Command.withDescription(
      "Charge a face user (申请扣款) and print the transaction as JSON. Sent once, never retried once it may have " +
        "reached WeChat Pay: when the outcome is unknown (timeout, lost connection, 5xx), exit 6 with the " +
        "out_trade_no and, in \"hint\", the transactions confirm command to run. Never charge again before it " +
        "answers. Reads WECHATPAY_* variables."
    )
  )

// --- get ----------------------------------------------------------------------------------

const get = Command.make("get", { ...queryArgs, maxAttempts: Shared.maxAttempts }, (args) =>
  Transactions.getTransaction(args).pipe(
    Effect.flatMap((transaction) => printTransaction(transaction)),
    Shared.withClient(args.maxAttempts)
  )).pipe(
    Command.withDescription(
      "Print a charge as JSON (WeChat Pay's field names), once; trade_state may not be final yet. " +
        "Reads WECHATPAY_* variables."
    )
  )

// --- confirm ------------------------------------------------------------------------------

const DEFAULT_WITHIN = Duration.seconds(30)
const DEFAULT_EVERY = Duration.seconds(2)

/** `--within` and `--every` for the hint, those that are not the default. */
const timing = (args: { readonly within: Duration.Duration; readonly every: Duration.Duration }): Array<string> => [
  ...(Duration.equals(args.within, DEFAULT_WITHIN) ? [] : ["--within", Shared.formatDuration(args.within)]),
  ...(Duration.equals(args.every, DEFAULT_EVERY) ? [] : ["--every", Shared.formatDuration(args.every)])
]

const confirm = Command.make("confirm", {
  ...queryArgs,
  within: Shared.duration(
    "within",
    "How long to keep querying before giving up (exit 6), e.g. 30s, 2m (default 30s, at most 24h).",
    DEFAULT_WITHIN
  ),
  every: Shared.duration("every", "Time between two queries (default 2s).", DEFAULT_EVERY),
  maxAttempts: Shared.maxAttempts
}, (args) =>
  Transactions.confirmTransaction(args, { within: args.within, schedule: Schedule.spaced(args.every) }).pipe(
    Effect.catchTag("WechatPayConfirmTimeoutError", (error: WechatPayError.WechatPayConfirmTimeoutError) =>
      Effect.fail(new Failure.Hinted({ error, hint: confirmCommand(args, timing(args)) }))),
    Effect.flatMap((transaction) => printTransaction(transaction)),
    Shared.withClient(args.maxAttempts)
  )).pipe(
    Command.withDescription(
      "Query a charge until its trade_state is final (SUCCESS, PAYERROR, CLOSED, REVOKED, REFUND), then print it " +
        "as JSON; exit 0 whatever the final state. A charge not yet found (404) is queried again. Not final within " +
        "--within: exit 6, the charge's outcome still unknown, with this command in \"hint\". Reads WECHATPAY_* " +
        "variables."
    )
  )

/** `transactions create|get|confirm`. */
export const command = Command.make("transactions").pipe(
  Command.withDescription("Charges (扣款) of face users: charge, query once, query until final."),
  Command.withSubcommands([create, get, confirm])
)

