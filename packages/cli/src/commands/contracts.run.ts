/**
 * What `contracts get` and `contracts presign` run, loaded only when one of
 * them runs (see `Shared.lazy`).
 *
 * @internal
 */
import { Contracts } from "@effect-wechatpay/core"
import { Effect, Option } from "effect"
import * as Client from "./client.js"
import * as Shared from "./shared.js"

/** `contracts get`. */
export const get = (args: {
  readonly contractId: string
  readonly appid: Option.Option<string>
  readonly maxAttempts: Option.Option<number>
}) =>
  Contracts.getContract({ contractId: args.contractId, appid: Option.getOrUndefined(args.appid) }).pipe(
    Effect.flatMap((contract) => Shared.printAnswer(Contracts.ContractAnswer, contract)),
    Client.withClient(args.maxAttempts)
  )

/** `contracts presign`. */
export const presign = (args: { readonly json: string; readonly maxAttempts: Option.Option<number> }) =>
  Effect.flatMap(Shared.readJsonWith(Contracts.PresignInput, args.json), (params) =>
    Contracts.presignContract(params).pipe(
      Effect.flatMap((result) => Shared.printAnswer(Contracts.PresignResult, result)),
      Client.withClient(args.maxAttempts)
    ))
