/**
 * `users get`, `users update` and `users terminate-contract`: the face users
 * (刷脸用户) of an organization, `FaceUsers` of `@effect-wechatpay/core`, with
 * the client from `WECHATPAY_*` configuration. Here: the commands and their
 * options; what they run is in `users.run.ts`.
 *
 * @internal
 */
import { Command, Options } from "@effect/cli"
import * as Shared from "./shared.js"

// What the commands run, loaded when one runs: `--help` loads no client.
const run = () => import("./users.run.js")

/**
 * What `users get` prints instead of `user_name`: the name itself, or its
 * ciphertext (WeChat Pay may answer it encrypted), and neither is printed.
 */
export const HIDDEN = "<hidden>"

const organizationId = Shared.organizationId("The user's organization (organization_id), e.g. O1234567.")

const get = Command.make(
  "get",
  { organizationId, outUserId: Shared.outUserId, maxAttempts: Shared.maxAttempts },
  (args) => Shared.lazy(run, (m) => m.get(args))
).pipe(
  Command.withDescription(
    "Print a face user as JSON (WeChat Pay's field names): use_id (the id terminate-contract takes), " +
      `contract_state, status, class… user_name is printed as ${HIDDEN} (a name, or its ciphertext). ` +
      "Reads WECHATPAY_* variables."
  )
)

const update = Command.make("update", {
  organizationId,
  outUserId: Shared.outUserId,
  json: Shared.json.pipe(
    Options.withDescription(
      "The changes (a file, or - for stdin) in WeChat Pay's field names, at least one of: user_name, phone " +
        "(both in plaintext: they are encrypted before sending, and never printed), user_type " +
        "(STUDENT, STUFF or STAFF), student_info {class_name}, staff_info {occupation}, status (NORMAL, DISABLED)."
    )
  ),
  maxAttempts: Shared.maxAttempts
}, (args) => Shared.lazy(run, (m) => m.update(args))).pipe(
  Command.withDescription(
    "Update a face user (name, phone, class, type, status). WeChat Pay answers 204: nothing on stdout, " +
      "one line on stderr. Reads WECHATPAY_* variables."
  )
)

const terminateContract = Command.make("terminate-contract", {
  organizationId,
  userId: Options.text("user-id").pipe(
    Options.withPseudoName("ID"),
    Options.withDescription(
      "The WeChat face user id: use_id as users get prints it (or user_id of a notification), not out_user_id."
    )
  ),
  maxAttempts: Shared.maxAttempts
}, (args) => Shared.lazy(run, (m) => m.terminateContract(args))).pipe(
  Command.withDescription(
    "Terminate a face user's contract (解约). WeChat Pay answers 204: nothing on stdout, one line on stderr; " +
      "users get then shows contract_state TERMINATED. Reads WECHATPAY_* variables."
  )
)

/** `users get|update|terminate-contract`. */
export const command = Command.make("users").pipe(
  Command.withDescription("Face users (刷脸用户) of an organization: query, update, terminate the contract."),
  Command.withSubcommands([get, update, terminateContract])
)
