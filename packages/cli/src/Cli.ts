/**
 * The `effect-wechatpay` command line: the root command, its help footer, and
 * how it runs (one JSON failure line, the exit code). The commands are in
 * `commands/`, one file per group; `commands/shared.ts` holds what they share.
 *
 * - `face-collections list|get` (`commands/faceCollections.ts`)
 * - `certificates download` (`commands/certificates.ts`)
 * - `sandbox`, `demo` (`commands/sandbox.ts`)
 *
 * @since 0.1.0
 */
import { CliConfig, Command, HelpDoc } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import { Cause, Effect, Exit, Layer, Logger } from "effect"
import * as Certificates from "./commands/certificates.js"
import * as FaceCollections from "./commands/faceCollections.js"
import * as Sandbox from "./commands/sandbox.js"
import { NAME, VERSION } from "./commands/shared.js"
import * as Failure from "./Failure.js"
import * as Output from "./Output.js"

/** The command tree. */
const command = Command.make(NAME).pipe(
  Command.withDescription(
    "WeChat Pay APIv3 from the command line: list the users whose face photo must be re-collected, " +
      "or run a sandbox to try it."
  ),
  Command.withSubcommands([FaceCollections.command, Certificates.command, Sandbox.sandbox, Sandbox.demo])
)

const footer = HelpDoc.blocks([
  HelpDoc.h1("CONFIGURATION"),
  HelpDoc.p(
    "face-collections reads WECHATPAY_MCHID, WECHATPAY_MERCHANT_SERIAL, WECHATPAY_PRIVATE_KEY_FILE (or " +
      "WECHATPAY_PRIVATE_KEY), WECHATPAY_PUBLIC_KEY_ID with WECHATPAY_PUBLIC_KEY_FILE and/or " +
      "WECHATPAY_PLATFORM_CERT_FILES, WECHATPAY_BASE_URL (default https://api.mch.weixin.qq.com) and, optionally, " +
      "WECHATPAY_REQUESTS_PER_SECOND. `effect-wechatpay sandbox` prints a working set."
  ),
  HelpDoc.p(
    "certificates download reads the same (no verification key needed) and WECHATPAY_APIV3_KEY or WECHATPAY_APIV3_KEY_FILE."
  ),
  HelpDoc.h1("EXIT CODES"),
  HelpDoc.p(
    "0 done; 2 bad input or configuration (nothing sent); 3 WeChat Pay answered with an error; " +
      "4 a response failed verification or decoding; 5 no response (connection or timeout, retries exhausted); " +
      "1 unexpected. A failure prints one JSON line on stderr: " +
      `{"error": tag, "code"?: WeChat Pay's code, "message": ..., "requestId"?: ...}.`
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
 * For `NodeRuntime.runMain`: exits with the code `main` returned once stdout
 * and stderr are flushed; 130 when interrupted (Ctrl-C, SIGTERM).
 *
 * @since 0.1.0
 * @category Running
 */
export const teardown = <E, A>(exit: Exit.Exit<A, E>, onExit: (code: number) => void): void => {
  const code = Exit.isSuccess(exit)
    ? (typeof exit.value === "number" ? exit.value : 0)
    : Cause.isInterruptedOnly(exit.cause)
    ? Failure.ExitCode.Interrupted
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
