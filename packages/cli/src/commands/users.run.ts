/**
 * What `users get`, `users update` and `users terminate-contract` run, loaded
 * only when one of them runs (see `Shared.lazy`).
 *
 * @internal
 */
import { FaceUsers } from "@effect-wechatpay/core"
import { Effect, type Option } from "effect"
import * as Client from "./client.js"
import * as Shared from "./shared.js"
import { HIDDEN } from "./users.js"

interface UserArgs {
  readonly organizationId: string
  readonly outUserId: string
  readonly maxAttempts: Option.Option<number>
}

/** `users get`: `user_name` printed as {@link HIDDEN}. */
export const get = (args: UserArgs) =>
  FaceUsers.getFaceUser(args).pipe(
    Effect.flatMap((user) => Shared.encodeAnswer(FaceUsers.FaceUser, user)),
    Effect.flatMap((wire) => Shared.printJson(wire.user_name === undefined ? wire : { ...wire, user_name: HIDDEN })),
    Client.withClient(args.maxAttempts)
  )

/** `users update`: 204, one line on stderr. */
export const update = (args: UserArgs & { readonly json: string }) =>
  Effect.flatMap(Shared.readJsonWith(FaceUsers.UpdateFaceUserInput, args.json), (changes) =>
    FaceUsers.updateFaceUser({ ...changes, organizationId: args.organizationId, outUserId: args.outUserId }).pipe(
      Effect.zipRight(
        Shared.printNoContent(`user ${args.outUserId} of organization ${args.organizationId} updated`)
      ),
      Client.withClient(args.maxAttempts)
    ))

/** `users terminate-contract`: 204, one line on stderr. */
export const terminateContract = (args: {
  readonly organizationId: string
  readonly userId: string
  readonly maxAttempts: Option.Option<number>
}) =>
  FaceUsers.terminateContract(args).pipe(
    Effect.zipRight(
      Shared.printNoContent(`contract of user ${args.userId} of organization ${args.organizationId} terminated`)
    ),
    Client.withClient(args.maxAttempts)
  )
