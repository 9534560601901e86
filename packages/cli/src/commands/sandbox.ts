/**
 * `sandbox` (a fake WeChat Pay on loopback, its settings printed) and `demo`
 * (a sandbox listed by `face-collections list` in one process).
 *
 * @internal
 */
import { Faults, type Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { Command, Options } from "@effect/cli"
import { ConfigProvider, Data, Effect, Option, Stream } from "effect"
import * as Progress from "../Progress.js"
import * as SandboxEnv from "../SandboxEnv.js"
import * as FaceCollectionsCommand from "./faceCollections.js"
import * as Shared from "./shared.js"

/** The sandbox could not listen on the port asked for (exit 2). */
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

export const defaultSandboxItems = 10_000

export const defaultOrganizationId = "1234567"

export const defaultDemoItems = 300

export const defaultDemoFaults = "500:nth=3,reset:nth=7"

const modes = ["publicKey", "certificate", "migration"] as const

interface SandboxArgs {
  readonly notifyUrl?: Option.Option<string> | undefined
  readonly port: number
  readonly items: number
  readonly organizationId: string
  readonly mode: Sandbox.KeyMode
  readonly faults: string
}

const startSandbox = (args: SandboxArgs) =>
  Effect.gen(function*() {
    if (!Number.isSafeInteger(args.items) || args.items < 0) {
      return yield* Shared.usage(`--items must be a whole number >= 0, got ${args.items}`)
    }
    if (!Number.isSafeInteger(args.port) || args.port < 0 || args.port > 65535) {
      return yield* Shared.usage(`--port must be between 0 and 65535, got ${args.port}`)
    }
    const faults = yield* Faults.parseFaults(args.faults)
    return yield* SandboxServer.serve({
      port: args.port,
      mode: args.mode,
      faults,
      organizations: { [args.organizationId]: args.items },
      ...(args.notifyUrl !== undefined && Option.isSome(args.notifyUrl)
        ? { notifications: { url: args.notifyUrl.value } }
        : {})
    }).pipe(Effect.mapError((error) => new ListenError({ port: args.port, reason: causeCode(error) })))
  })

const items = (description: string, defaultItems: number) =>
  Options.integer("items").pipe(
    Options.withPseudoName("N"),
    Options.withDescription(description),
    Options.withDefault(defaultItems)
  )

const faults = (description: string, defaultFaults: string) =>
  Options.text("faults").pipe(
    Options.withPseudoName("SPEC"),
    Options.withDescription(description),
    Options.withDefault(defaultFaults)
  )

// --- sandbox ------------------------------------------------------------------------------

/** `sandbox`: serves until interrupted (Ctrl-C, SIGTERM), then removes its key files. */
export const sandbox = Command.make("sandbox", {
  port: Options.integer("port").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("Port on 127.0.0.1 (default 0, meaning a free port chosen by the system; the URL is printed)."),
    Options.withDefault(0)
  ),
  items: items(
    `Items in the organization (default ${Progress.count(defaultSandboxItems)}; generated lazily, a million is fine).`,
    defaultSandboxItems
  ),
  organizationId: Shared.organizationId(`The organization's id (default ${defaultOrganizationId}).`).pipe(
    Options.withDefault(defaultOrganizationId)
  ),
  mode: Options.choice("mode", modes).pipe(
    Options.withDescription(
      "How responses are signed: publicKey (WeChat Pay public key, default), certificate (platform certificate), " +
        "migration (both configured)."
    ),
    Options.withDefault("publicKey" as const)
  ),
  faults: faults(
    "Faults to inject, e.g. '429:first=3,500:rate=0.2,reset:nth=5,tamper:nth=9,cap=7,latency=50' " +
      "(see packages/sandbox/README.md).",
    ""
  ),
  notifyUrl: Options.text("notify-url").pipe(
    Options.withPseudoName("URL"),
    Options.withDescription(
      "Where to POST FACEPAY.USER_STATE_CHANGE notifications when a contract changes (e.g. a terminate-contract " +
        "call), resent on WeChat Pay's schedule until answered 2xx; try `notifications serve`."
    ),
    Options.optional
  )
}, (args) =>
  Effect.scoped(Effect.gen(function*() {
    const { sandbox, url } = yield* startSandbox(args)
    const files = yield* SandboxEnv.writeKeyFiles(sandbox.config)
    const lines = SandboxEnv.shellLines(SandboxEnv.settings(url, sandbox.config, files))
    yield* Stream.run(Stream.make(lines), Shared.stdout())
    const faults = args.faults.trim() === "" ? "none" : args.faults
    yield* Shared.say(
      [
        `sandbox: a fake WeChat Pay server at ${url}`,
        `  organization ${args.organizationId}: ${Progress.count(args.items)} items; mode ${args.mode}; faults: ${faults}`,
        `  throwaway keys in ${files.directory} (removed on exit)`,
        `In another shell, set the variables printed on stdout (paste them, or start the sandbox with`,
        `\`> sandbox.env &\` and run \`. ./sandbox.env\`), then try:`,
        `  ${Shared.invocation()} face-collections list --organization-id ${args.organizationId} --format table`,
        `  ${Shared.invocation()} users get --organization-id O1234567 --out-user-id student-0001`,
        `(the K12 data: organizations O1234567 and O7654321, users student-0001, student-0002, staff-0001,`,
        `contracts CI000000000000001 and CI000000000000002; see packages/sandbox/README.md)`,
        `Serving until Ctrl-C.`
      ].join("\n")
    )
    return yield* Effect.never
  }))).pipe(
  Command.withDescription(
    "Serve a fake WeChat Pay on 127.0.0.1 with throwaway keys, print the WECHATPAY_* variables to set, run until Ctrl-C."
  )
)

// --- demo ---------------------------------------------------------------------------------

/** `demo`: the code path of `face-collections list`, configured through the same settings. */
export const demo = Command.make("demo", {
  items: items(`Items in the sandbox organization (default ${defaultDemoItems}).`, defaultDemoItems),
  format: Shared.format("Output format, as for face-collections list (default table).", "table"),
  faults: faults(
    `Faults the sandbox injects (default '${defaultDemoFaults}': a 500 and a dropped connection, ` +
      "both retried); '' for none.",
    defaultDemoFaults
  )
}, (args) =>
  Effect.scoped(Effect.gen(function*() {
    const org = defaultOrganizationId
    const { sandbox, url } = yield* startSandbox({ port: 0, items: args.items, organizationId: org, mode: "publicKey", faults: args.faults })
    yield* Shared.say(
      `demo: started a sandbox WeChat Pay server at ${url} (throwaway keys; organization ${org} holds ${
        Progress.count(args.items)
      } items)`
    )
    if (args.faults === defaultDemoFaults) {
      yield* Shared.say(`demo: on purpose, it answers request 3 with a 500 and drops the connection of request 7 (--faults '' for none)`)
    } else if (args.faults.trim() !== "") {
      yield* Shared.say(`demo: faults injected: ${args.faults}`)
    }
    yield* Shared.say(
      `demo: running \`${Shared.invocation()} face-collections list --organization-id ${org} --format ${args.format}\` against it: ` +
        `signed requests, verified responses, transient failures retried`
    )
    const settings = ConfigProvider.fromMap(new Map(SandboxEnv.inlineSettings(url, sandbox.config)))
    const maxAttempts = Option.none()
    const summary = yield* FaceCollectionsCommand.listCollections({
      organizationId: org,
      limit: Option.none(),
      format: args.format,
      concurrency: Option.none(),
      noDistinct: false,
      maxAttempts
    }).pipe(Shared.withClient(maxAttempts), Effect.withConfigProvider(settings))
    const requests = yield* sandbox.requestCount
    yield* Shared.say(
      `demo: ${Progress.summary(summary, summary.retries)} in ${Progress.seconds(summary.elapsed)} ` +
        `(${Progress.count(requests)} requests to the sandbox)`
    )
  }))).pipe(
  Command.withDescription(
    "Start a sandbox and list its organization with `face-collections list`, over real HTTP, in one process."
  )
)
