/**
 * `contracts get` (查询签约) and `contracts presign` (预签约): `Contracts` of
 * `@effect-wechatpay/core`, with the client from `WECHATPAY_*` configuration.
 * Here: the commands and their options; what they run is in
 * `contracts.run.ts`.
 *
 * @internal
 */
import { Args, Command, Options } from "@effect/cli"
import * as Shared from "./shared.js"

// What the commands run, loaded when one runs: `--help` loads no client.
const run = () => import("./contracts.run.js")

const get = Command.make("get", {
  contractId: Args.text({ name: "CONTRACT_ID" }).pipe(
    Args.withDescription("The contract id (签约 id, contract_id), e.g. CI000000000000001.")
  ),
  appid: Options.text("appid").pipe(
    Options.withPseudoName("ID"),
    Options.withDescription("The mini program that signed (appid), when WeChat Pay needs it."),
    Options.optional
  ),
  maxAttempts: Shared.maxAttempts
}, (args) => Shared.lazy(run, (m) => m.get(args))).pipe(
  Command.withDescription(
    "Print one contract as JSON (WeChat Pay's field names): its state, mode, signing time. Reads WECHATPAY_* variables."
  )
)

const presign = Command.make("presign", {
  json: Shared.json.pipe(
    Options.withDescription(
      "The pre-sign body (a file, or - for stdin) in WeChat Pay's field names: business_name, facepay_user " +
        "{out_user_id, organization_id, identification_name?, identification? {identification_type, " +
        "identification_number}, phone?}, limit_bank_card?, contract_mode?. ID numbers, phones, card numbers and " +
        "the card holder's name in plaintext: they are encrypted before sending, and never printed."
    )
  ),
  maxAttempts: Shared.maxAttempts
}, (args) => Shared.lazy(run, (m) => m.presign(args))).pipe(
  Command.withDescription(
    "Pre-sign a face user (预签约) and print {\"presign_token\": …} for the K12 mini program's signing flow. " +
      "Reads WECHATPAY_* variables."
  )
)

/** `contracts get|presign`. */
export const command = Command.make("contracts").pipe(
  Command.withDescription("Contracts (签约) of face users: query one, or pre-sign a user."),
  Command.withSubcommands([get, presign])
)
