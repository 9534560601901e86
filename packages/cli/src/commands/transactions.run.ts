/**
 * What `transactions create`, `get` and `confirm` run, loaded only when one of
 * them runs (see `Shared.lazy`): the charge's input schema, the query, the
 * hint naming `transactions confirm`.
 *
 * @internal
 */
import { Transactions, type WechatPayError, WechatPaySchema } from "@effect-wechatpay/core"
import { Duration, Effect, type Option, Schedule, Schema } from "effect"
import * as Failure from "../Failure.js"
import { shellQuote } from "../SandboxEnv.js"
import * as Client from "./client.js"
import * as Shared from "./shared.js"
import { DEFAULT_EVERY, DEFAULT_WITHIN, type QueryArgs } from "./transactions.js"

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

/** `transactions create`: the charge, sent once; an unknown outcome is exit 6 with the confirm command as hint. */
export const create = (args: { readonly json: string; readonly maxAttempts: Option.Option<number> }) =>
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
      Client.withClient(args.maxAttempts)
    )
  })

// --- get ----------------------------------------------------------------------------------

/** `transactions get`: one query. */
export const get = (args: QueryArgs & { readonly maxAttempts: Option.Option<number> }) =>
  Transactions.getTransaction(args).pipe(
    Effect.flatMap((transaction) => printTransaction(transaction)),
    Client.withClient(args.maxAttempts)
  )

// --- confirm ------------------------------------------------------------------------------

/** `--within` and `--every` for the hint, those that are not the default. */
const timing = (args: { readonly within: Duration.Duration; readonly every: Duration.Duration }): Array<string> => [
  ...(Duration.equals(args.within, DEFAULT_WITHIN) ? [] : ["--within", Shared.formatDuration(args.within)]),
  ...(Duration.equals(args.every, DEFAULT_EVERY) ? [] : ["--every", Shared.formatDuration(args.every)])
]

/** `transactions confirm`: queries until final, or exit 6 with this command as hint. */
export const confirm = (
  args: QueryArgs & {
    readonly within: Duration.Duration
    readonly every: Duration.Duration
    readonly maxAttempts: Option.Option<number>
  }
) =>
  Transactions.confirmTransaction(args, { within: args.within, schedule: Schedule.spaced(args.every) }).pipe(
    Effect.catchTag("WechatPayConfirmTimeoutError", (error: WechatPayError.WechatPayConfirmTimeoutError) =>
      Effect.fail(new Failure.Hinted({ error, hint: confirmCommand(args, timing(args)) }))),
    Effect.flatMap((transaction) => printTransaction(transaction)),
    Client.withClient(args.maxAttempts)
  )
