/**
 * What `organizations get` runs, loaded only when it runs (see `Shared.lazy`).
 *
 * @internal
 */
import { Organizations } from "@effect-wechatpay/core"
import { Effect, Either, type Option } from "effect"
import * as Client from "./client.js"
import * as Shared from "./shared.js"

/** `organizations get`: by id (left) or by name (right). */
export const get = (args: {
  readonly by: Either.Either<string, string>
  readonly maxAttempts: Option.Option<number>
}) =>
  Organizations.getOrganization(
    Either.match(args.by, {
      onLeft: (organizationId) => ({ organizationId }),
      onRight: (organizationName) => ({ organizationName })
    })
  ).pipe(
    Effect.flatMap((organization) => Shared.printAnswer(Organizations.Organization, organization)),
    Client.withClient(args.maxAttempts)
  )
