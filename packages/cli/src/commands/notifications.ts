/**
 * `notifications serve`: a receiver for WeChat Pay's notifications on a
 * local port, printing each accepted one as an NDJSON line. Built on
 * `NotificationHandler.handle` over `node:http`: the same entry a user of
 * another server framework calls. Here: the command and its options; what it
 * runs is in `notifications.run.ts`.
 *
 * @internal
 */
import { Command, Options } from "@effect/cli"
import * as Shared from "./shared.js"

// What the command runs, loaded when it runs: `--help` loads no notification handler.
const run = () => import("./notifications.run.js")

const portOption = Options.integer("port").pipe(
  Options.withPseudoName("N"),
  Options.withDescription("Port to listen on (default 8080; 0 picks a free port, printed on stderr)."),
  Options.withDefault(8080)
)

const hostOption = Options.text("host").pipe(
  Options.withPseudoName("H"),
  Options.withDescription("Address to listen on (default 127.0.0.1; 0.0.0.0 for every interface)."),
  Options.withDefault("127.0.0.1")
)

/** `notifications serve`: runs until SIGINT, SIGTERM or SIGHUP, then ends after the deliveries in flight (exit 0). */
export const serve = Command.make("serve", { port: portOption, host: hostOption }, (args) =>
  Shared.lazy(run, (m) => m.serve(args))).pipe(
    Command.withDescription(
      "Receive WeChat Pay notifications: POSTs on any path are verified (the WECHATPAY_* keys), decrypted " +
        "(WECHATPAY_APIV3_KEY or WECHATPAY_APIV3_KEY_FILE) and printed as one NDJSON line each on stdout; " +
        "duplicates are answered 2xx and not printed again; refused ones are answered 4xx with one JSON line on stderr."
    )
  )

/** `notifications`: the group. */
export const command = Command.make("notifications").pipe(
  Command.withDescription("WeChat Pay's notifications (回调通知): receive and print them."),
  Command.withSubcommands([serve])
)
