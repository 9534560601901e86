/**
 * What several command groups use: the program's name, the options that mean
 * the same everywhere (`--organization-id`, `--out-user-id`, `--format`,
 * `--max-attempts`, `--json FILE`, durations such as `--within 30s`), how a
 * command loads what it runs (`lazy`), and the ways a command
 * answers: one JSON object on stdout in WeChat Pay's field names
 * (`printAnswer`), a human line on stderr (`say`, `printNoContent`).
 *
 * Exit codes and the JSON failure line are `Failure.ts`'s: a command fails
 * with a tagged error and `Failure.exitCodeOf` decides the code.
 *
 * @internal
 */
import { HelpDoc, Options, ValidationError } from "@effect/cli"
import { Data, Duration, Effect, Option, ParseResult, Schema, Sink, Stream } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import type { Readable, Writable } from "node:stream"
import * as Failure from "../Failure.js"
import * as Output from "../Output.js"
import { shellQuote } from "../SandboxEnv.js"

/** The executable's name, as printed in help and hints. */
export const NAME = "effect-wechatpay"

/** @effect/cli prints it for `--version`. */
export const VERSION = "0.1.0"

/**
 * How this program was started, for hints a user can copy: `effect-wechatpay`
 * when run from PATH, else `node <script>`.
 */
export const invocation = (): string => {
  const script = process.argv[1]
  if (script === undefined || Path.basename(script) === NAME) return NAME
  const relative = Path.relative(process.cwd(), script)
  return `node ${shellQuote(relative.startsWith("..") || relative === "" ? script : relative)}`
}

export const usage = (message: string): Failure.UsageError => new Failure.UsageError({ message })

let signalIsDone = false

/**
 * From now on, a SIGINT, SIGTERM or SIGHUP (all three interrupt the program:
 * `Cli.runMain`) ends it as done (exit 0) rather than interrupted (130): for
 * servers whose normal end is a signal (`notifications serve`).
 */
export const endsCleanlyOnSignal = (): void => {
  signalIsDone = true
}

/** Whether {@link endsCleanlyOnSignal} was called. */
export const signalEndsCleanly = (): boolean => signalIsDone

// --- options ------------------------------------------------------------------------------

/**
 * `--organization-id ID`; each command says what the organization is for.
 * Add `Options.optional` or `Options.withDefault` where it is not required.
 */
export const organizationId = (description: string): Options.Options<string> =>
  Options.text("organization-id").pipe(Options.withPseudoName("ID"), Options.withDescription(description))

/** `--format ndjson|csv|table` (see `Output.ts`). */
export const format = (description: string, defaultFormat: Output.Format): Options.Options<Output.Format> =>
  Options.choice("format", Output.formats).pipe(
    Options.withDescription(description),
    Options.withDefault(defaultFormat)
  )

/** `--max-attempts N`, for every command that calls WeChat Pay; apply it with `client.ts`'s `withClient`. */
export const maxAttempts: Options.Options<Option.Option<number>> = Options.integer("max-attempts").pipe(
  Options.withPseudoName("N"),
  Options.withDescription(
    "Attempts per request, the first included (default 10). Transient failures (429, 5xx, connection, timeout) " +
      "are retried with exponential backoff; 1 fails at the first one."
  ),
  Options.optional
)

/**
 * `--json FILE`: the request body of a command, read with {@link readJson} (or
 * {@link readJsonWith}). Pipe `Options.withDescription` to say what the object holds.
 */
export const json: Options.Options<string> = Options.text("json").pipe(
  Options.withPseudoName("FILE"),
  Options.withDescription("The request as a JSON object: a file (UTF-8), or - to read it from stdin.")
)

/** `--out-user-id ID`: the merchant's own id of a face user (`out_user_id`). */
export const outUserId: Options.Options<string> = Options.text("out-user-id").pipe(
  Options.withPseudoName("ID"),
  Options.withDescription("The merchant's own id of the user (out_user_id), e.g. student-0001.")
)

const DURATION = /^(\d+(?:\.\d+)?) ?(ms|millis|s|seconds?|m|minutes?|h|hours?)$/
const unitMillis: Record<string, number> = { ms: 1, millis: 1, s: 1000, m: 60_000, h: 3_600_000 }
const MAX_DURATION = Duration.hours(24)

/**
 * `30s`, `1.5m`, `500ms`, `2 minutes`, `1h`: a duration of at most 24 hours,
 * or `undefined`.
 */
export const parseDuration = (text: string): Duration.Duration | undefined => {
  const match = DURATION.exec(text.trim())
  if (match === null) return undefined
  const unit = match[2] ?? ""
  const millis = unitMillis[unit] ?? unitMillis[unit.charAt(0)]
  if (millis === undefined) return undefined
  const duration = Duration.millis(Number(match[1]) * millis)
  return Duration.greaterThan(duration, MAX_DURATION) ? undefined : duration
}

/** The shortest spelling {@link parseDuration} reads back: `2m`, `90s`, `1500ms`. */
export const formatDuration = (duration: Duration.Duration): string => {
  const millis = Math.round(Duration.toMillis(duration))
  for (const [unit, size] of [["h", 3_600_000], ["m", 60_000], ["s", 1000]] as const) {
    if (millis !== 0 && millis % size === 0) return `${millis / size}${unit}`
  }
  return `${millis}ms`
}

/** `--NAME DURATION` (see {@link parseDuration}), `fallback` when absent; a bad value is a usage error (exit 2). */
export const duration = (
  name: string,
  description: string,
  fallback: Duration.Duration
): Options.Options<Duration.Duration> =>
  Options.text(name).pipe(
    Options.withPseudoName("DURATION"),
    Options.withDescription(description),
    Options.mapEffect((text) => {
      const parsed = parseDuration(text)
      return parsed === undefined
        ? Effect.fail(
          ValidationError.invalidValue(
            HelpDoc.p(`--${name} must be a duration of at most 24 hours such as 30s, 2m, 500ms or 1h, got ${text}`)
          )
        )
        : Effect.succeed(parsed)
    }),
    Options.withDefault(fallback)
  )

// --- loading ------------------------------------------------------------------------------

/**
 * Runs `run` over a module loaded when the command runs, not when the program
 * starts: `--help` and every other command load none of what this one needs
 * (the client, the sandbox). The program's start-up is mostly module loading.
 * The client itself is `client.ts`'s `withClient`, imported only by the
 * commands' `*.run.ts` bodies.
 */
export const lazy = <M, A, E, R>(
  load: () => Promise<M>,
  run: (module: M) => Effect.Effect<A, E, R>
): Effect.Effect<A, E, R> => Effect.flatMap(Effect.promise(load), run)

// --- answers ------------------------------------------------------------------------------

/** stdout as a sink, with back-pressure; a closed reader is `OutputError` `EPIPE` (exit 141). */
export const stdout = (
  hooks?: { readonly beforeWrite?: () => void; readonly afterWrite?: () => void }
): Sink.Sink<void, string, never, Output.OutputError> => Output.toWritable(process.stdout, hooks ?? {})

/**
 * Prints one answer on stdout as a single line, `JSON.stringify(answer)`:
 * pass the wire form (WeChat Pay's field names), as `face-collections get` does.
 */
export const printJson = (
  answer: object,
  writable: Writable = process.stdout
): Effect.Effect<void, Output.OutputError> =>
  Stream.run(Stream.make(JSON.stringify(answer) + "\n"), Output.toWritable(writable))

/**
 * A decoded answer in WeChat Pay's field names again: `schema` (the one that
 * decoded it) encodes it back. Encoding what was decoded cannot fail short of
 * a bug: a defect, whose message quotes nothing of the answer.
 */
export const encodeAnswer = <A, I>(schema: Schema.Schema<A, I>, answer: A): Effect.Effect<I> =>
  Schema.encode(schema)(answer).pipe(
    Effect.orDieWith(() => new Error("the answer could not be encoded back to WeChat Pay's field names"))
  )

/** {@link encodeAnswer}, then {@link printJson}: what a command that gets one object prints. */
export const printAnswer = <A, I extends object>(
  schema: Schema.Schema<A, I>,
  answer: A,
  writable: Writable = process.stdout
): Effect.Effect<void, Output.OutputError> =>
  Effect.flatMap(encodeAnswer(schema, answer), (wire) => printJson(wire, writable))

/** One line for people on stderr (hints, summaries); never fails. */
export const say = (text: string, writable: Writable = process.stderr): Effect.Effect<void> =>
  Effect.sync(() => {
    writable.write(text + "\n")
  })

/**
 * What a command says when WeChat Pay answered `204 No Content`: stdout stays
 * empty (nothing to pipe on), stderr gets `<done> (204 No Content)`, e.g.
 * `printNoContent("user U1 of organization 1234567 updated")`.
 */
export const printNoContent = (done: string, writable: Writable = process.stderr): Effect.Effect<void> =>
  say(`${done} (204 No Content)`, writable)

// --- --json FILE --------------------------------------------------------------------------

/**
 * `--json` could not be read or is not the JSON asked for: exit 2, like every
 * bad input, and nothing is sent. A read or parse failure never quotes the
 * input (it may hold a name or a phone number): it says where, by line and
 * column. A value that does not fit a schema is named by its path, with
 * Schema's message stripped of the value it quotes (`, actual …`): the
 * field may be a phone, an ID number or a name.
 */
export class JsonInputError extends Data.TaggedError("JsonInputError")<{
  /** The file, or `-` for stdin. */
  readonly source: string
  readonly reason: string
}> {
  override get message(): string {
    return `--json ${this.source === "-" ? "- (stdin)" : this.source}: ${this.reason}`
  }
}

const errorCode = (error: unknown): string =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : "EIO"

const readReasons: Record<string, string> = {
  ENOENT: "no such file",
  EISDIR: "is a directory, not a file",
  EACCES: "permission denied"
}

const readAll = (stream: Readable): Promise<Uint8Array> => {
  const chunks: AsyncIterable<unknown> = stream
  return (async () => {
    const parts: Array<Uint8Array> = []
    for await (const chunk of chunks) {
      parts.push(typeof chunk === "string" ? Buffer.from(chunk, "utf8") : chunk instanceof Uint8Array ? chunk : Buffer.alloc(0))
    }
    return Buffer.concat(parts)
  })()
}

const bytesOf = (source: string, stdin: Readable): Effect.Effect<Uint8Array, JsonInputError> =>
  Effect.tryPromise({
    try: () => source === "-" ? readAll(stdin) : Fs.readFile(source),
    catch: (error) => {
      const code = errorCode(error)
      const what = readReasons[code]
      return new JsonInputError({
        source,
        reason: what === undefined ? `cannot read it (${code})` : `cannot read it: ${what} (${code})`
      })
    }
  })

/** `line 2, column 7` of the character at `position` (0-based, in UTF-16 units as `JSON.parse` counts). */
const lineColumn = (text: string, position: number): string => {
  const before = text.slice(0, position)
  const line = before.split("\n").length
  const column = position - (before.lastIndexOf("\n") + 1) + 1
  return `line ${line}, column ${column}`
}

// V8's messages either end with the position (their start never quotes the input), or quote
// the input after one unexpected character: only the position or that character is kept.
const notJson = (text: string, error: unknown): string => {
  if (text.trim() === "") return "it is empty, not JSON"
  const message = error instanceof Error ? error.message : ""
  const at = /^(.*?)(?: in JSON)? at position (\d+)/.exec(message)
  if (at !== null) return `it is not valid JSON: ${at[1]} (${lineColumn(text, Number(at[2]))})`
  if (message.startsWith("Unexpected end of JSON input")) {
    return `it is not valid JSON: it ends too early (${lineColumn(text, text.length)})`
  }
  const token = /^Unexpected token '(.)'/u.exec(message)
  if (token !== null) return `it is not valid JSON: unexpected '${token[1]}'`
  return "it is not valid JSON"
}

/**
 * The value of `--json FILE`: the file, or stdin for `-`, read to the end as
 * UTF-8 (a leading BOM is skipped; bytes that are not UTF-8 are an error) and
 * parsed with `JSON.parse`. Fails with {@link JsonInputError} when the file
 * cannot be read, is empty, is not UTF-8 or is not JSON.
 */
export const readJson = (source: string, stdin: Readable = process.stdin): Effect.Effect<unknown, JsonInputError> =>
  Effect.flatMap(bytesOf(source, stdin), (bytes) => {
    let text: string
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes)
    } catch {
      return Effect.fail(new JsonInputError({ source, reason: "it is not UTF-8 text" }))
    }
    try {
      const value: unknown = JSON.parse(text)
      return Effect.succeed(value)
    } catch (error) {
      return Effect.fail(new JsonInputError({ source, reason: notJson(text, error) }))
    }
  })

// Schema's messages end in ", actual <value>" (the value as JSON, possibly spanning lines): the
// value is dropped, whatever the field, since any field may hold a name or a phone.
const withoutValue = (message: string): string =>
  message.replace(/,? actual [\s\S]*$/, "").replace(/^Expected (?:Struct \(Encoded side\)|\{[\s\S]*\})$/, "Expected an object")

/**
 * Schema's issues, one entry per field: `path: message[, message]`. An
 * optional field is a union with `undefined`, and a literal a union of its
 * values: their "Expected undefined" is dropped when anything else is wrong at
 * or below the field, and the rest of the "Expected X" are joined as
 * `Expected X | Y`.
 */
const describeIssues = (error: ParseResult.ParseError): string => {
  const byPath = new Map<string, Array<string>>()
  for (const issue of ParseResult.ArrayFormatter.formatErrorSync(error)) {
    const path = issue.path.length === 0 ? "(top)" : issue.path.map(String).join(".")
    const messages = byPath.get(path) ?? []
    const message = withoutValue(issue.message)
    if (!messages.includes(message)) messages.push(message)
    byPath.set(path, messages)
  }
  const paths = [...byPath.keys()]
  const entries: Array<string> = []
  for (const [path, messages] of byPath) {
    const below = paths.some((other) => other !== path && (path === "(top)" || other.startsWith(`${path}.`)))
    const kept = messages.filter((message) => message !== "Expected undefined" || (messages.length === 1 && !below))
    if (kept.length === 0) continue
    const expected = kept.filter((message) => message.startsWith("Expected ")).map((message) => message.slice(9))
    const others = kept.filter((message) => !message.startsWith("Expected "))
    entries.push(`${path}: ${[...others, ...(expected.length === 0 ? [] : [`Expected ${expected.join(" | ")}`])].join(", ")}`)
  }
  return entries.join("; ")
}

/**
 * {@link readJson}, then decoded with `schema`. A property the schema does not
 * know is an error (a misspelt field is not silently dropped). A value that
 * does not fit is a {@link JsonInputError} saying which field and why, never
 * quoting the value.
 */
export const readJsonWith = <A, I, R>(
  schema: Schema.Schema<A, I, R>,
  source: string,
  stdin: Readable = process.stdin
): Effect.Effect<A, JsonInputError, R> =>
  Effect.flatMap(readJson(source, stdin), (value) =>
    Schema.decodeUnknown(schema, { errors: "all", onExcessProperty: "error" })(value).pipe(
      Effect.mapError((error) =>
        new JsonInputError({ source, reason: `it does not fit the request: ${describeIssues(error)}` })
      )
    ))
