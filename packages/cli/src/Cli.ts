/**
 * The `effect-wechatpay` command line: the root command, its help footer, and
 * how it runs (one JSON failure line, the exit code). The commands are in
 * `commands/`, one file per group; `commands/shared.ts` holds what they share.
 *
 * - `face-collections list|get` (`commands/faceCollections.ts`)
 * - `contracts get|presign` (`commands/contracts.ts`)
 * - `transactions create|get|confirm` (`commands/transactions.ts`)
 * - `organizations get` (`commands/organizations.ts`)
 * - `users get|update|terminate-contract` (`commands/users.ts`)
 * - `authinfo`, `repayment-url`, `tokens` (`commands/credentials.ts`)
 * - `notifications serve` (`commands/notifications.ts`)
 * - `certificates download` (`commands/certificates.ts`)
 * - `sandbox`, `demo` (`commands/sandbox.ts`)
 *
 * @since 0.1.0
 */
import { CliConfig, Command, HelpDoc } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { makeRunMain, type RunMain } from "@effect/platform/Runtime"
import { Cause, Effect, Exit, Layer, Logger } from "effect"
import * as Certificates from "./commands/certificates.js"
import * as Contracts from "./commands/contracts.js"
import * as Credentials from "./commands/credentials.js"
import * as FaceCollections from "./commands/faceCollections.js"
import * as Organizations from "./commands/organizations.js"
import * as Sandbox from "./commands/sandbox.js"
import * as Notifications from "./commands/notifications.js"
import { NAME, signalEndsCleanly, VERSION } from "./commands/shared.js"
import * as Transactions from "./commands/transactions.js"
import * as Users from "./commands/users.js"
import * as Failure from "./Failure.js"
import * as Output from "./Output.js"

/** The command tree. */
const command = Command.make(NAME).pipe(
  Command.withDescription(
    "WeChat Pay APIv3's K12 offline face payment from the command line: a command for every endpoint " +
      "(face collections, contracts, charges, organizations, users, authinfo, repayment links, tokens), " +
      "answers as JSON in WeChat Pay's field names, and a sandbox to try them."
  ),
  Command.withSubcommands([
    FaceCollections.command,
    Contracts.command,
    Transactions.command,
    Organizations.command,
    Users.command,
    Credentials.authinfo,
    Credentials.repaymentUrl,
    Credentials.tokens,
    Notifications.command,
    Certificates.command,
    Sandbox.sandbox,
    Sandbox.demo
  ])
)

const footer = HelpDoc.blocks([
  HelpDoc.h1("CONFIGURATION"),
  HelpDoc.p(
    "Every command but sandbox and demo reads WECHATPAY_MCHID, WECHATPAY_MERCHANT_SERIAL, WECHATPAY_PRIVATE_KEY_FILE (or " +
      "WECHATPAY_PRIVATE_KEY), WECHATPAY_PUBLIC_KEY_ID with WECHATPAY_PUBLIC_KEY_FILE and/or " +
      "WECHATPAY_PLATFORM_CERT_FILES, WECHATPAY_BASE_URL (default https://api.mch.weixin.qq.com) and, optionally, " +
      "WECHATPAY_REQUESTS_PER_SECOND; notifications serve also reads WECHATPAY_APIV3_KEY or " +
      "WECHATPAY_APIV3_KEY_FILE. `effect-wechatpay sandbox` prints a working set."
  ),
  HelpDoc.h1("INPUT AND OUTPUT"),
  HelpDoc.p(
    "--json FILE (or - for stdin) holds a request body in WeChat Pay's field names, sensitive fields (ID numbers, " +
      "phones, names, card numbers) in plaintext: it is checked before anything is sent, the library encrypts what " +
      "must be, and no value of it is ever printed. An answer is one JSON object on stdout in WeChat Pay's field " +
      "names; a 204 answer prints nothing on stdout and one line on stderr."
  ),
  HelpDoc.p(
    "certificates download reads the same (no verification key needed) and WECHATPAY_APIV3_KEY or WECHATPAY_APIV3_KEY_FILE."
  ),
  HelpDoc.h1("EXIT CODES"),
  HelpDoc.p(
    "0 done; 2 bad input or configuration (nothing sent); 3 WeChat Pay answered with an error; " +
      "4 a response failed verification or decoding; 5 no response (connection or timeout, retries exhausted; " +
      "a TLS or HTTP protocol failure at once); " +
      "6 a charge's outcome is unknown (transactions create: it may have been processed; transactions confirm: " +
      "not final in time): never charge again, run the command in \"hint\"; " +
      "8 the output could not be written (full disk, closed descriptor); " +
      "9 an answer does not fit the request (another organization or collection than asked, a listing that does " +
      "not advance), nothing of it printed; 130 interrupted (Ctrl-C, SIGTERM, SIGHUP; notifications serve ends " +
      "with 0 instead); 141 stdout closed by its reader; 1 unexpected. A failure prints one JSON line on stderr: " +
      `{"error": tag, "code"?: WeChat Pay's code, "message": ..., "requestId"?: ..., "outTradeNo"?: ..., "hint"?: ...}.`
  )
])

const cli = Command.run(command, { name: NAME, version: VERSION, footer })

// @effect/cli prints its own (coloured, multi-line) error text through Console.error:
// the CLI reports every failure as one JSON line instead. Help still goes to stdout,
// without colour codes unless stdout is a terminal.
const quietConsole = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.consoleWith((console) =>
    Effect.withConsole(effect, {
      ...console,
      error: () => Effect.void,
      log: (...args: ReadonlyArray<unknown>) =>
        console.log(
          ...(process.stdout.isTTY === true
            ? args
            : args.map((arg) => typeof arg === "string" ? Failure.stripAnsi(arg) : arg))
        )
    })
  )

const reportOn = (outcome: Failure.Outcome) =>
  Effect.gen(function*() {
    yield* Output.flush(process.stdout)
    if (outcome.report !== undefined) process.stderr.write(Failure.formatReport(outcome.report))
    return outcome.exitCode
  })

/**
 * Runs the command line (`process.argv`), reports any failure, and returns the exit code.
 *
 * @since 0.1.0
 * @category Running
 */
export const main = (argv: ReadonlyArray<string>): Effect.Effect<number> =>
  Effect.gen(function*() {
    const exit = yield* cli(argv).pipe(
      Effect.provide(Layer.merge(NodeContext.layer, CliConfig.layer({ showBuiltIns: false }))),
      quietConsole,
      Effect.provide(Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true }))),
      Effect.exit
    )
    return yield* reportOn(Exit.isSuccess(exit) ? { exitCode: 0, report: undefined } : Failure.fromCause(exit.cause))
  })

/**
 * For {@link runMain}: exits with the code `main` returned once stdout
 * and stderr are flushed; 130 when interrupted (Ctrl-C, SIGTERM, SIGHUP).
 *
 * @since 0.1.0
 * @category Running
 */
export const teardown = <E, A>(exit: Exit.Exit<A, E>, onExit: (code: number) => void): void => {
  const code = Exit.isSuccess(exit)
    ? (typeof exit.value === "number" ? exit.value : 0)
    : Cause.isInterruptedOnly(exit.cause)
    ? (signalEndsCleanly() ? 0 : Failure.ExitCode.Interrupted)
    : Failure.ExitCode.Unexpected
  process.exitCode = code
  let pending = 2
  const done = () => {
    pending -= 1
    if (pending === 0) onExit(code)
  }
  for (const stream of [process.stdout, process.stderr]) {
    if (stream.destroyed || stream.writableLength === 0) done()
    else stream.write("", () => done())
  }
}

const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const

/**
 * `NodeRuntime.runMain`, ending on SIGHUP (the terminal closed) as on SIGINT
 * and SIGTERM: the main fiber is interrupted, so every finalizer runs (the
 * sandbox removes its key directory), then the process exits with the
 * teardown's code (130).
 *
 * @since 0.2.0
 * @category Running
 */
export const runMain: RunMain = makeRunMain(({ fiber, teardown }) => {
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
  let receivedSignal = false
  const stopListening = () => {
    for (const signal of SIGNALS) process.removeListener(signal, onSignal)
  }
  function onSignal() {
    receivedSignal = true
    stopListening()
    fiber.unsafeInterruptAsFork(fiber.id())
  }
  fiber.addObserver((exit) => {
    if (!receivedSignal) stopListening()
    clearInterval(keepAlive)
    teardown(exit, (code) => {
      if (receivedSignal || code !== 0) process.exit(code)
    })
  })
  for (const signal of SIGNALS) process.on(signal, onSignal)
})
