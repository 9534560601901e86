/**
 * What `sandbox` and `demo` run, loaded only when one of them runs (see
 * `Shared.lazy`).
 *
 * @internal
 */
import { Faults, SandboxServer } from "@effect-wechatpay/sandbox"
import { ConfigProvider, Data, Effect, Option, Stream } from "effect"
import * as Progress from "../Progress.js"
import * as SandboxEnv from "../SandboxEnv.js"
import * as Client from "./client.js"
import * as FaceCollectionsRun from "./faceCollections.run.js"
import { type DemoArgs, defaultDemoFaults, defaultOrganizationId, type SandboxArgs } from "./sandbox.js"
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

/** `sandbox`: serves until interrupted (Ctrl-C, SIGTERM, SIGHUP), then removes its key files. */
export const serve = (args: SandboxArgs) =>
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
  }))

/** `demo`: the code path of `face-collections list`, configured through the same settings. */
export const demo = (args: DemoArgs) =>
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
    const summary = yield* FaceCollectionsRun.listCollections({
      organizationId: org,
      limit: Option.none(),
      format: args.format,
      concurrency: Option.none(),
      noDistinct: false,
      maxAttempts
    }).pipe(Client.withClient(maxAttempts), Effect.withConfigProvider(settings))
    const requests = yield* sandbox.requestCount
    yield* Shared.say(
      `demo: ${Progress.summary(summary, summary.retries)} in ${Progress.seconds(summary.elapsed)} ` +
        `(${Progress.count(requests)} requests to the sandbox)`
    )
  }))
