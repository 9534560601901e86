/**
 * The `effect-wechatpay` command line:
 *
 * - `face-collections list --organization-id ID [--limit N] [--format ndjson|csv|table] [--concurrency N] [--no-distinct]
 *   [--max-attempts N]`
 * - `face-collections get COLLECTION_ID [--organization-id ID] [--max-attempts N]`
 * - `sandbox [--port N] [--items N] [--organization-id ID] [--mode publicKey|certificate|migration] [--faults SPEC]`
 * - `demo [--items N] [--format …] [--faults SPEC]`
 *
 * `list` and `get` read their configuration with `NodeWechatPayClient.layerConfig`
 * (`WECHATPAY_*` environment variables). Failures: see `Failure`.
 *
 * @since 0.1.0
 */
import { FaceCollection, FaceCollections, RetryPolicy, type WechatPayClient } from "@effect-wechatpay/core"
import type { WechatPayError } from "@effect-wechatpay/core"
import { NodeWechatPayClient } from "@effect-wechatpay/node"
import { Faults, type Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { Args, CliConfig, Command, HelpDoc, Options } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import {
  Cause,
  ConfigProvider,
  Data,
  Duration,
  Effect,
  Exit,
  Layer,
  Logger,
  Option,
  Stream
} from "effect"
import * as Path from "node:path"
import * as Failure from "./Failure.js"
import * as Output from "./Output.js"
import * as Progress from "./Progress.js"
import * as SandboxEnv from "./SandboxEnv.js"

/**
 * @since 0.1.0
 * @category Constants
 */
export const NAME = "effect-wechatpay"

/**
 * @since 0.1.0
 * @category Constants
 */
export const VERSION = "0.1.0"

// --- errors -------------------------------------------------------------------------

/**
 * `get --organization-id X` answered with a collection of another organization.
 *
 * @since 0.1.0
 * @category Errors
 */
export class OrganizationMismatchError extends Data.TaggedError("OrganizationMismatchError")<{
  readonly collectionId: string
  readonly expected: string
  readonly actual: string
}> {
  override get message(): string {
    return `collection ${this.collectionId} belongs to organization ${this.actual}, not ${this.expected} ` +
      `(WeChat Pay looks a collection up by its id alone; --organization-id only checks the answer)`
  }
}

/**
 * The sandbox could not listen on the port asked for.
 *
 * @since 0.1.0
 * @category Errors
 */
export class ListenError extends Data.TaggedError("ListenError")<{ readonly port: number; readonly reason: string }> {
  override get message(): string {
    return `cannot listen on 127.0.0.1:${this.port} (${this.reason}); --port 0 picks a free port`
  }
}

const causeCode = (error: { readonly cause: unknown }): string => {
  const cause = error.cause
  return typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : "unknown error"
}

// --- face-collections list -------------------------------------------------------------

/**
 * @since 0.1.0
 * @category Models
 */
export interface ListArgs {
  readonly organizationId: string
  readonly limit: Option.Option<number>
  readonly format: Output.Format
  readonly concurrency: Option.Option<number>
  readonly noDistinct: boolean
  readonly maxAttempts: Option.Option<number>
}

/**
 * What a listing did.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Summary {
  readonly items: number
  readonly pages: number
  readonly retries: number
  readonly elapsed: Duration.Duration
}

const stdout = (progress?: Progress.Progress) => Output.toWritable(process.stdout, progress ?? {})

/**
 * The listing itself: every collection of the organization, streamed to stdout
 * in `format` as pages arrive (with back-pressure), a progress line on a
 * terminal's stderr. Needs a `WechatPayClient`.
 *
 * @since 0.1.0
 * @category Commands
 */
export const listing = (
  args: ListArgs
): Effect.Effect<Summary, WechatPayError.WechatPayError | Output.OutputError, WechatPayClient.WechatPayClient> =>
  Effect.scoped(Effect.gen(function*() {
    const progress = yield* Progress.make(`listing organization ${args.organizationId}`, Progress.stderrTerminal())
    const { counters } = progress
    yield* FaceCollections.allCollections(args.organizationId, {
      limit: Option.getOrUndefined(args.limit),
      concurrency: Option.getOrUndefined(args.concurrency),
      // Offset paging over a list that changes can repeat an item: an export never holds one twice.
      distinct: !args.noDistinct
    }).pipe(
      Stream.mapChunks((page) => {
        counters.pages += 1
        counters.items += page.length
        return page
      }),
      Output.encode(args.format),
      Stream.run(stdout(progress))
    )
    return { items: counters.items, pages: counters.pages, retries: yield* progress.retries, elapsed: yield* progress.elapsed }
  }))

const maxAttemptsOption = Options.integer("max-attempts").pipe(
  Options.withPseudoName("N"),
  Options.withDescription(
    "Attempts per request, the first included (default 10). Transient failures (429, 5xx, connection, timeout) " +
      "are retried with exponential backoff; 1 fails at the first one."
  ),
  Options.optional
)

/**
 * Runs `effect` under the default retry policy, or one with `maxAttempts`.
 *
 * @since 0.1.0
 * @category Commands
 */
export const withMaxAttempts = (maxAttempts: Option.Option<number>) =>
<A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | Failure.UsageError, R> => {
  if (Option.isNone(maxAttempts)) return effect
  const n = maxAttempts.value
  if (!Number.isSafeInteger(n) || n < 1 || n > 100) {
    return Effect.fail(new Failure.UsageError({ message: `--max-attempts must be between 1 and 100, got ${n}` }))
  }
  return Effect.provideService(effect, RetryPolicy.RetryPolicy, RetryPolicy.make({ maxAttempts: n }))
}

/**
 * `face-collections list`: {@link listing} with the client from `WECHATPAY_*` configuration.
 *
 * @since 0.1.0
 * @category Commands
 */
export const runList = (args: ListArgs) =>
  listing(args).pipe(withMaxAttempts(args.maxAttempts), Effect.provide(NodeWechatPayClient.layerConfig()))

const organizationId = Options.text("organization-id").pipe(
  Options.withPseudoName("ID"),
  Options.withDescription("The organization (school) whose collections to list, e.g. 1234567.")
)

const list = Command.make("list", {
  organizationId,
  limit: Options.integer("limit").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("Items asked for per request (default 20)."),
    Options.optional
  ),
  format: Options.choice("format", Output.formats).pipe(
    Options.withDescription(
      "ndjson: one JSON object per line, WeChat Pay's field names (default); csv: RFC 4180 with a header row; " +
        "table: aligned columns for people."
    ),
    Options.withDefault("ndjson" as const)
  ),
  concurrency: Options.integer("concurrency").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("Pages fetched ahead, 1 to 64 (default 1). Output order is kept."),
    Options.optional
  ),
  noDistinct: Options.boolean("no-distinct").pipe(
    Options.withDescription(
      "Keep an item met twice. By default an item whose collection_id was already printed is dropped " +
        "(offset paging over a list that changes meanwhile can repeat one)."
    )
  ),
  maxAttempts: maxAttemptsOption
}, (args) => Effect.asVoid(runList(args))).pipe(
  Command.withDescription(
    "List every collection of an organization to stdout, page by page as they arrive. Reads WECHATPAY_* variables."
  )
)

// --- face-collections get --------------------------------------------------------------

/**
 * @since 0.1.0
 * @category Models
 */
export interface GetArgs {
  readonly collectionId: string
  readonly organizationId: Option.Option<string>
  readonly maxAttempts: Option.Option<number>
}

/**
 * One collection, printed as its wire JSON. Needs a `WechatPayClient`.
 *
 * @since 0.1.0
 * @category Commands
 */
export const getting = (
  args: GetArgs
): Effect.Effect<
  void,
  WechatPayError.WechatPayError | Output.OutputError | OrganizationMismatchError,
  WechatPayClient.WechatPayClient
> =>
  Effect.gen(function*() {
    const item = yield* FaceCollections.getFaceCollection({ collectionId: args.collectionId })
    if (Option.isSome(args.organizationId) && item.organizationId !== args.organizationId.value) {
      return yield* new OrganizationMismatchError({
        collectionId: args.collectionId,
        expected: args.organizationId.value,
        actual: item.organizationId
      })
    }
    yield* Stream.run(Stream.make(JSON.stringify(FaceCollection.toWire(item)) + "\n"), stdout())
  })

const get = Command.make("get", {
  collectionId: Args.text({ name: "COLLECTION_ID" }).pipe(Args.withDescription("The collection id (重采ID).")),
  organizationId: organizationId.pipe(
    Options.withDescription(
      "Check that the collection belongs to this organization (the API looks it up by its id alone)."
    ),
    Options.optional
  ),
  maxAttempts: maxAttemptsOption
}, (args) =>
  getting(args).pipe(withMaxAttempts(args.maxAttempts), Effect.provide(NodeWechatPayClient.layerConfig()))).pipe(
  Command.withDescription("Print one collection as JSON (WeChat Pay's field names). Reads WECHATPAY_* variables.")
)

const faceCollections = Command.make("face-collections").pipe(
  Command.withDescription("Offline-face collections (离线刷脸 重采): users whose face photo must be re-collected."),
  Command.withSubcommands([list, get])
)

// --- sandbox ----------------------------------------------------------------------------

const modes = ["publicKey", "certificate", "migration"] as const

/**
 * @since 0.1.0
 * @category Constants
 */
export const defaultSandboxItems = 10_000

/**
 * @since 0.1.0
 * @category Constants
 */
export const defaultOrganizationId = "1234567"

interface SandboxArgs {
  readonly port: number
  readonly items: number
  readonly organizationId: string
  readonly mode: Sandbox.KeyMode
  readonly faults: string
}

const usage = (message: string) => new Failure.UsageError({ message })

const startSandbox = (args: SandboxArgs) =>
  Effect.gen(function*() {
    if (!Number.isSafeInteger(args.items) || args.items < 0) {
      return yield* usage(`--items must be a whole number >= 0, got ${args.items}`)
    }
    if (!Number.isSafeInteger(args.port) || args.port < 0 || args.port > 65535) {
      return yield* usage(`--port must be between 0 and 65535, got ${args.port}`)
    }
    const faults = yield* Faults.parseFaults(args.faults)
    return yield* SandboxServer.serve({
      port: args.port,
      mode: args.mode,
      faults,
      organizations: { [args.organizationId]: args.items }
    }).pipe(Effect.mapError((error) => new ListenError({ port: args.port, reason: causeCode(error) })))
  })

const say = (text: string) => Effect.sync(() => process.stderr.write(text + "\n"))

/**
 * How this program was started, for hints a user can copy: `effect-wechatpay`
 * when run from PATH, else `node <script>`.
 *
 * @since 0.1.0
 * @category Running
 */
export const invocation = (): string => {
  const script = process.argv[1]
  if (script === undefined || Path.basename(script) === NAME) return NAME
  const relative = Path.relative(process.cwd(), script)
  return `node ${relative.startsWith("..") || relative === "" ? script : relative}`
}

const sandbox = Command.make("sandbox", {
  port: Options.integer("port").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("Port on 127.0.0.1 (default 0, meaning a free port chosen by the system; the URL is printed)."),
    Options.withDefault(0)
  ),
  items: Options.integer("items").pipe(
    Options.withPseudoName("N"),
    Options.withDescription(`Items in the organization (default ${Progress.count(defaultSandboxItems)}; generated lazily, a million is fine).`),
    Options.withDefault(defaultSandboxItems)
  ),
  organizationId: Options.text("organization-id").pipe(
    Options.withPseudoName("ID"),
    Options.withDescription(`The organization's id (default ${defaultOrganizationId}).`),
    Options.withDefault(defaultOrganizationId)
  ),
  mode: Options.choice("mode", modes).pipe(
    Options.withDescription(
      "How responses are signed: publicKey (WeChat Pay public key, default), certificate (platform certificate), " +
        "migration (both configured)."
    ),
    Options.withDefault("publicKey" as const)
  ),
  faults: Options.text("faults").pipe(
    Options.withPseudoName("SPEC"),
    Options.withDescription(
      "Faults to inject, e.g. '429:first=3,500:rate=0.2,reset:nth=5,tamper:nth=9,cap=7,latency=50' " +
        "(see packages/sandbox/README.md)."
    ),
    Options.withDefault("")
  )
}, (args) =>
  Effect.scoped(Effect.gen(function*() {
    const { sandbox, url } = yield* startSandbox(args)
    const files = yield* SandboxEnv.writeKeyFiles(sandbox.config)
    const lines = SandboxEnv.shellLines(SandboxEnv.settings(url, sandbox.config, files))
    yield* Stream.run(Stream.make(lines), stdout())
    const faults = args.faults.trim() === "" ? "none" : args.faults
    yield* say(
      [
        `sandbox: a fake WeChat Pay server at ${url}`,
        `  organization ${args.organizationId}: ${Progress.count(args.items)} items; mode ${args.mode}; faults: ${faults}`,
        `  throwaway keys in ${files.directory} (removed on exit)`,
        `In another shell, set the variables printed on stdout (paste them, or start the sandbox with`,
        `\`> sandbox.env &\` and run \`. ./sandbox.env\`), then try:`,
        `  ${invocation()} face-collections list --organization-id ${args.organizationId} --format table`,
        `Serving until Ctrl-C.`
      ].join("\n")
    )
    return yield* Effect.never
  }))).pipe(
  Command.withDescription(
    "Serve a fake WeChat Pay on 127.0.0.1 with throwaway keys, print the WECHATPAY_* variables to set, run until Ctrl-C."
  )
)

// --- demo -------------------------------------------------------------------------------

/**
 * @since 0.1.0
 * @category Constants
 */
export const defaultDemoItems = 300

/**
 * @since 0.1.0
 * @category Constants
 */
export const defaultDemoFaults = "500:nth=3,reset:nth=7"

const demo = Command.make("demo", {
  items: Options.integer("items").pipe(
    Options.withPseudoName("N"),
    Options.withDescription(`Items in the sandbox organization (default ${defaultDemoItems}).`),
    Options.withDefault(defaultDemoItems)
  ),
  format: Options.choice("format", Output.formats).pipe(
    Options.withDescription("Output format, as for face-collections list (default table)."),
    Options.withDefault("table" as const)
  ),
  faults: Options.text("faults").pipe(
    Options.withPseudoName("SPEC"),
    Options.withDescription(
      `Faults the sandbox injects (default '${defaultDemoFaults}': a 500 and a dropped connection, ` +
        "both retried); '' for none."
    ),
    Options.withDefault(defaultDemoFaults)
  )
}, (args) =>
  Effect.scoped(Effect.gen(function*() {
    const org = defaultOrganizationId
    const { sandbox, url } = yield* startSandbox({ port: 0, items: args.items, organizationId: org, mode: "publicKey", faults: args.faults })
    const config = sandbox.config
    yield* say(
      `demo: started a sandbox WeChat Pay server at ${url} (throwaway keys; organization ${org} holds ${
        Progress.count(args.items)
      } items)`
    )
    if (args.faults === defaultDemoFaults) {
      yield* say(`demo: on purpose, it answers request 3 with a 500 and drops the connection of request 7 (--faults '' for none)`)
    } else if (args.faults.trim() !== "") {
      yield* say(`demo: faults injected: ${args.faults}`)
    }
    yield* say(
      `demo: running \`${invocation()} face-collections list --organization-id ${org} --format ${args.format}\` against it: ` +
        `signed requests, verified responses, transient failures retried`
    )
    // The same code path as `face-collections list`, configured through the same settings.
    const settings = ConfigProvider.fromMap(
      new Map([
        ["WECHATPAY_MCHID", config.mchid],
        ["WECHATPAY_MERCHANT_SERIAL", config.merchantSerial],
        ["WECHATPAY_PRIVATE_KEY", config.merchantPrivateKeyPem],
        ["WECHATPAY_PUBLIC_KEY_ID", config.wechatpayPublicKeyId],
        ["WECHATPAY_PUBLIC_KEY", config.wechatpayPublicKeyPem],
        ["WECHATPAY_BASE_URL", url]
      ])
    )
    const summary = yield* runList({
      organizationId: org,
      limit: Option.none(),
      format: args.format,
      concurrency: Option.none(),
      noDistinct: false,
      maxAttempts: Option.none()
    }).pipe(Effect.withConfigProvider(settings))
    const requests = yield* sandbox.requestCount
    yield* say(
      `demo: ${Progress.summary(summary, summary.retries)} in ${Progress.seconds(summary.elapsed)} ` +
        `(${Progress.count(requests)} requests to the sandbox)`
    )
  }))).pipe(
  Command.withDescription(
    "Start a sandbox and list its organization with `face-collections list`, over real HTTP, in one process."
  )
)

// --- root -------------------------------------------------------------------------------

/**
 * The command tree.
 *
 * @since 0.1.0
 * @category Commands
 */
export const command = Command.make(NAME).pipe(
  Command.withDescription(
    "WeChat Pay APIv3 from the command line: list the users whose face photo must be re-collected, " +
      "or run a sandbox to try it."
  ),
  Command.withSubcommands([faceCollections, sandbox, demo])
)

const footer = HelpDoc.blocks([
  HelpDoc.h1("CONFIGURATION"),
  HelpDoc.p(
    "face-collections reads WECHATPAY_MCHID, WECHATPAY_MERCHANT_SERIAL, WECHATPAY_PRIVATE_KEY_FILE (or " +
      "WECHATPAY_PRIVATE_KEY), WECHATPAY_PUBLIC_KEY_ID with WECHATPAY_PUBLIC_KEY_FILE and/or " +
      "WECHATPAY_PLATFORM_CERT_FILES, WECHATPAY_BASE_URL (default https://api.mch.weixin.qq.com) and, optionally, " +
      "WECHATPAY_REQUESTS_PER_SECOND. `effect-wechatpay sandbox` prints a working set."
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
