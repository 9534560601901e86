/**
 * What `authinfo`, `repayment-url` and `tokens` run, loaded only when one of
 * them runs (see `Shared.lazy`).
 *
 * @internal
 */
import { Authinfo, Repayment, Tokens, type WechatPayClient } from "@effect-wechatpay/core"
import { Effect, type Option, type Schema } from "effect"
import * as Client from "./client.js"
import * as Shared from "./shared.js"

interface JsonArgs {
  readonly json: string
  readonly maxAttempts: Option.Option<number>
}

// One call: the request read and checked against its schema, sent, the answer printed in WeChat Pay's names.
const call = <P, PI, A, AI extends object, E>(
  request: Schema.Schema<P, PI>,
  send: (params: P) => Effect.Effect<A, E, WechatPayClient.WechatPayClient>,
  answer: Schema.Schema<A, AI>
) =>
(args: JsonArgs) =>
  Effect.flatMap(Shared.readJsonWith(request, args.json), (params) =>
    send(params).pipe(
      Effect.flatMap((result) => Shared.printAnswer(answer, result)),
      Client.withClient(args.maxAttempts)
    ))

/** `authinfo`. */
export const authinfo = call(Authinfo.AuthinfoRequest, Authinfo.getAuthinfo, Authinfo.AuthinfoResult)

/** `repayment-url`. */
export const repaymentUrl = call(Repayment.RepaymentUrlRequest, Repayment.getRepaymentUrl, Repayment.RepaymentUrl)

/** `tokens`. */
export const tokens = call(Tokens.TokenRequest, Tokens.createToken, Tokens.Token)
