/**
 * What `authinfo`, `repayment-url` and `tokens` run, loaded only when one of
 * them runs (see `Shared.lazy`).
 *
 * @internal
 */
import { Authinfo, Repayment, Tokens } from "@effect-wechatpay/core"
import { Effect, type Option } from "effect"
import * as Client from "./client.js"
import * as Shared from "./shared.js"

interface JsonArgs {
  readonly json: string
  readonly maxAttempts: Option.Option<number>
}

/** `authinfo`. */
export const authinfo = (args: JsonArgs) =>
  Effect.flatMap(Shared.readJsonWith(Authinfo.AuthinfoRequest, args.json), (params) =>
    Authinfo.getAuthinfo(params).pipe(
      Effect.flatMap((result) => Shared.printAnswer(Authinfo.AuthinfoResult, result)),
      Client.withClient(args.maxAttempts)
    ))

/** `repayment-url`. */
export const repaymentUrl = (args: JsonArgs) =>
  Effect.flatMap(Shared.readJsonWith(Repayment.RepaymentUrlRequest, args.json), (params) =>
    Repayment.getRepaymentUrl(params).pipe(
      Effect.flatMap((result) => Shared.printAnswer(Repayment.RepaymentUrl, result)),
      Client.withClient(args.maxAttempts)
    ))

/** `tokens`. */
export const tokens = (args: JsonArgs) =>
  Effect.flatMap(Shared.readJsonWith(Tokens.TokenRequest, args.json), (params) =>
    Tokens.createToken(params).pipe(
      Effect.flatMap((result) => Shared.printAnswer(Tokens.Token, result)),
      Client.withClient(args.maxAttempts)
    ))
