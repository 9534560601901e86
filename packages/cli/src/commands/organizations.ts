/**
 * `organizations get`: an organization (机构, a school) by its id or its name,
 * `Organizations` of `@effect-wechatpay/core`, with the client from
 * `WECHATPAY_*` configuration.
 *
 * @internal
 */
import { Organizations } from "@effect-wechatpay/core"
import { Command, Options } from "@effect/cli"
import { Effect, Either } from "effect"
import * as Shared from "./shared.js"

const get = Command.make("get", {
  // Exactly one of the two: @effect/cli refuses both (a collision) and neither (missing).
  by: Shared.organizationId("The organization id issued by WeChat Pay (starts with O), e.g. O1234567.").pipe(
    Options.orElseEither(
      Options.text("organization-name").pipe(
        Options.withPseudoName("NAME"),
        Options.withDescription("The organization's name as registered, e.g. 某某实验小学 (sent percent-encoded).")
      )
    )
  ),
  maxAttempts: Shared.maxAttempts
}, (args) =>
  Organizations.getOrganization(
    Either.match(args.by, {
      onLeft: (organizationId) => ({ organizationId }),
      onRight: (organizationName) => ({ organizationName })
    })
  ).pipe(
    Effect.flatMap((organization) => Shared.printAnswer(Organizations.Organization, organization)),
    Shared.withClient(args.maxAttempts)
  )).pipe(
    Command.withDescription(
      "Look an organization up by id or by name and print {\"organization_id\", \"organization_name\"}. " +
        "Reads WECHATPAY_* variables."
    )
  )

/** `organizations get`. */
export const command = Command.make("organizations").pipe(
  Command.withDescription("Organizations (机构): the schools of the K12 product."),
  Command.withSubcommands([get])
)
