/**
 * `organizations get`: an organization (机构, a school) by its id or its name,
 * `Organizations` of `@effect-wechatpay/core`, with the client from
 * `WECHATPAY_*` configuration. Here: the command and its options; what it
 * runs is in `organizations.run.ts`.
 *
 * @internal
 */
import { Command, Options } from "@effect/cli"
import * as Shared from "./shared.js"

// What the command runs, loaded when it runs: `--help` loads no client.
const run = () => import("./organizations.run.js")

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
}, (args) => Shared.lazy(run, (m) => m.get(args))).pipe(
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
