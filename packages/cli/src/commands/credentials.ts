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

export const authinfo = Command.make("authinfo", {
  json: Shared.json.pipe(
    Options.withDescription(
      "The request (a file, or - for stdin) in WeChat Pay's field names: sp_appid, sub_mchid, device_id, raw_data " +
        "(from the device SDK), organization_id, sub_appid?."
    )
  ),
  maxAttempts: Shared.maxAttempts
}, (args) => Shared.lazy(run, (m) => m.authinfo(args))).pipe(
  Command.withDescription(
    "Get the authinfo a face device's SDK needs (获取 authinfo) and print {\"authinfo\", \"expires_in\"?}. " +
      "Fetch a new one at least hourly. Reads WECHATPAY_* variables."
  )
)

export const repaymentUrl = Command.make("repayment-url", {
  json: Shared.json.pipe(
    Options.withDescription(
      "The request (a file, or - for stdin) in WeChat Pay's field names: out_user_id, organization_id."
    )
  ),
  maxAttempts: Shared.maxAttempts
}, (args) => Shared.lazy(run, (m) => m.repaymentUrl(args))).pipe(
  Command.withDescription(
    "Get the link with which a user repays an advance (获取还款链接) and print {\"repayment_url\", \"expire_at\"}. " +
      "Reads WECHATPAY_* variables."
  )
)

export const tokens = Command.make("tokens", {
  json: Shared.json.pipe(
    Options.withDescription(
      "The request (a file, or - for stdin) in WeChat Pay's field names: scene (e.g. WEBSESSION), " +
        "web_init_data {out_user_id, organization_id}."
    )
  ),
  maxAttempts: Shared.maxAttempts
}, (args) => Shared.lazy(run, (m) => m.tokens(args))).pipe(
  Command.withDescription(
    "Get a token for the K12 mini program or H5 page (获取授权凭证) and print {\"token\"}. It is valid 5 minutes: " +
      "fetch it right before the user jumps to the mini program. Reads WECHATPAY_* variables."
  )
)
