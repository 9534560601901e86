/**
 * `authinfo`, `repayment-url` and `tokens`: the three calls that hand out a
 * credential, link or token for someone else to use (a face device, the
 * repaying WeChat account, the K12 mini program). `Authinfo`, `Repayment`
 * and `Tokens` of `@effect-wechatpay/core`, with the client from
 * `WECHATPAY_*` configuration. Here: the commands and their options; what
 * they run is in `credentials.run.ts`.
 *
 * @internal
 */
import { Command, Options } from "@effect/cli"
import * as Shared from "./shared.js"

// What the commands run, loaded when one runs: `--help` loads no client.
const run = () => import("./credentials.run.js")

type Body = "authinfo" | "repaymentUrl" | "tokens"

// A command whose one input is a JSON request (`--json`), in WeChat Pay's field names.
const jsonCommand = <Name extends string>(name: Name, body: Body, fields: string, description: string) =>
  Command.make(name, {
    json: Shared.json.pipe(
      Options.withDescription(`The request (a file, or - for stdin) in WeChat Pay's field names: ${fields}`)
    ),
    maxAttempts: Shared.maxAttempts
  }, (args) => Shared.lazy(run, (m) => m[body](args))).pipe(Command.withDescription(description))

export const authinfo = jsonCommand(
  "authinfo",
  "authinfo",
  "sp_appid, sub_mchid, device_id, raw_data (from the device SDK), organization_id, sub_appid?.",
  "Get the authinfo a face device's SDK needs (获取 authinfo) and print {\"authinfo\", \"expires_in\"?}. " +
    "Fetch a new one at least hourly. Reads WECHATPAY_* variables."
)

export const repaymentUrl = jsonCommand(
  "repayment-url",
  "repaymentUrl",
  "out_user_id, organization_id.",
  "Get the link with which a user repays an advance (获取还款链接) and print {\"repayment_url\", \"expire_at\"}. " +
    "Reads WECHATPAY_* variables."
)

export const tokens = jsonCommand(
  "tokens",
  "tokens",
  "scene (e.g. WEBSESSION), web_init_data {out_user_id, organization_id}.",
  "Get a token for the K12 mini program or H5 page (获取授权凭证) and print {\"token\"}. It is valid 5 minutes: " +
    "fetch it right before the user jumps to the mini program. Reads WECHATPAY_* variables."
)
