/**
 * `transactions create` (申请扣款, the charge), `transactions get` (查询扣款) and
 * `transactions confirm` (query until final): `Transactions` of
 * `@effect-wechatpay/core`, with the client from `WECHATPAY_*` configuration.
 * Here: the commands and their options; what they run is in
 * `transactions.run.ts`.
 *
 * The charge moves money. It is sent once: the library retries it only when
 * WeChat Pay cannot have seen it, and this command adds no retry of its own.
 * When its outcome is unknown it exits 6 with the `transactions confirm`
 * command to run in the failure line's `hint`.
 *
 * @internal
 */
import { Args, Command, Options } from "@effect/cli"
import { Duration } from "effect"
import * as Shared from "./shared.js"

// What the commands run, loaded when one runs: `--help` loads no client.
const run = () => import("./transactions.run.js")

// --- the query's options ------------------------------------------------------------------

export type BusinessProductId = "2" | "11"

const businessProductIds: ReadonlyArray<BusinessProductId> = ["2", "11"]

/** What identifies a charge to its query. */
export interface QueryArgs {
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
}, (args) => Shared.lazy(run, (m) => m.create(args))).pipe(
  Command.withDescription(
    "Charge a face user (申请扣款) and print the transaction as JSON. Sent once, never retried once it may have " +
      "reached WeChat Pay: when the outcome is unknown (timeout, lost connection, 5xx), exit 6 with the " +
      "out_trade_no and, in \"hint\", the transactions confirm command to run. Never charge again before it " +
      "answers. Reads WECHATPAY_* variables."
  )
)

// --- get ----------------------------------------------------------------------------------

const get = Command.make("get", { ...queryArgs, maxAttempts: Shared.maxAttempts }, (args) =>
  Shared.lazy(run, (m) => m.get(args))).pipe(
    Command.withDescription(
      "Print a charge as JSON (WeChat Pay's field names), once; trade_state may not be final yet. " +
        "Reads WECHATPAY_* variables."
    )
  )

// --- confirm ------------------------------------------------------------------------------

export const DEFAULT_WITHIN = Duration.seconds(30)
export const DEFAULT_EVERY = Duration.seconds(2)

const confirm = Command.make("confirm", {
  ...queryArgs,
  within: Shared.duration(
    "within",
    "How long to keep querying before giving up (exit 6), e.g. 30s, 2m (default 30s, at most 24h).",
    DEFAULT_WITHIN
  ),
  every: Shared.duration("every", "Time between two queries (default 2s).", DEFAULT_EVERY),
  maxAttempts: Shared.maxAttempts
}, (args) => Shared.lazy(run, (m) => m.confirm(args))).pipe(
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
