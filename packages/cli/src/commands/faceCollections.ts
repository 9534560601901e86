/**
 * `face-collections list` and `face-collections get`: the offline-face
 * collections of `@effect-wechatpay/core`'s `FaceCollections`, with the client
 * from `WECHATPAY_*` configuration.
 *
 * @internal
 */
import { FaceCollection, FaceCollections, type WechatPayClient, WechatPayError } from "@effect-wechatpay/core"
import { Args, Command, Options } from "@effect/cli"
import { type Duration, Effect, Option, Stream } from "effect"
import type * as Failure from "../Failure.js"
import * as Output from "../Output.js"
import * as Progress from "../Progress.js"
import * as Shared from "./shared.js"

/** The range of `--limit`. */
export const LIMIT_RANGE = { min: 1, max: 1000 } as const

/**
 * `--limit N`: a plain decimal integer from 1 to 1000 (not `0x10`, `1e3` or
 * `20.0`, which a number parser would take), else a `UsageError` naming the flag.
 */
export const parseLimit = (text: Option.Option<string>): Effect.Effect<Option.Option<number>, Failure.UsageError> => {
  if (Option.isNone(text)) return Effect.succeed(Option.none())
  const value = text.value.trim()
  const n = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN
  return n >= LIMIT_RANGE.min && n <= LIMIT_RANGE.max
    ? Effect.succeed(Option.some(n))
    : Effect.fail(Shared.usage(
      `--limit must be a whole number from ${LIMIT_RANGE.min} to ${LIMIT_RANGE.max}, written in decimal digits, ` +
        `got "${WechatPayError.printable(text.value, 20)}"`
    ))
}

// --- list ---------------------------------------------------------------------------------

export interface ListArgs {
  readonly organizationId: string
  readonly limit: Option.Option<number>
  readonly format: Output.Format
  readonly concurrency: Option.Option<number>
  readonly noDistinct: boolean
  readonly maxAttempts: Option.Option<number>
}

/** What a listing did. */
export interface Summary {
  readonly items: number
  readonly pages: number
  readonly retries: number
  readonly elapsed: Duration.Duration
}

/**
 * Every collection of the organization, streamed to stdout in `format` as
 * pages arrive (with back-pressure), a progress line on a terminal's stderr.
 * Needs a `WechatPayClient` (`demo` runs it against its sandbox).
 */
export const listCollections = (
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
      Stream.run(Shared.stdout(progress))
    )
    return { items: counters.items, pages: counters.pages, retries: yield* progress.retries, elapsed: yield* progress.elapsed }
  }))

const organizationId = Shared.organizationId("The organization (school) whose collections to list, e.g. 1234567.")

const list = Command.make("list", {
  organizationId,
  limit: Options.text("limit").pipe(
    Options.withPseudoName("N"),
    Options.withDescription(
      `Items asked for per request, ${LIMIT_RANGE.min} to ${LIMIT_RANGE.max} in decimal digits (default 20).`
    ),
    Options.optional
  ),
  format: Shared.format(
    "ndjson: one JSON object per line, WeChat Pay's field names, exactly as received (default); " +
      "csv: RFC 4180 with a header row, a cell starting with = + - @, tab or CR prefixed with ' " +
      "so that a spreadsheet does not run it as a formula; " +
      "table: aligned columns for people, control, escape and bidi characters shown as \\xNN / \\uNNNN.",
    "ndjson"
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
  maxAttempts: Shared.maxAttempts
}, (args) =>
  Effect.flatMap(parseLimit(args.limit), (limit) =>
    Effect.asVoid(listCollections({ ...args, limit }).pipe(Shared.withClient(args.maxAttempts))))).pipe(
  Command.withDescription(
    "List every collection of an organization to stdout, page by page as they arrive. Reads WECHATPAY_* variables."
  )
)

// --- get ----------------------------------------------------------------------------------

export interface GetArgs {
  readonly collectionId: string
  readonly organizationId: Option.Option<string>
  readonly maxAttempts: Option.Option<number>
}

/**
 * One collection, printed as its wire JSON. Needs a `WechatPayClient`. The
 * library checks the answer (the collection asked for, of `--organization-id`
 * when given): a mismatch prints nothing (exit 9).
 */
export const printCollection = (
  args: GetArgs
): Effect.Effect<void, WechatPayError.WechatPayError | Output.OutputError, WechatPayClient.WechatPayClient> =>
  Effect.flatMap(
    FaceCollections.getFaceCollection({
      collectionId: args.collectionId,
      organizationId: Option.getOrUndefined(args.organizationId)
    }),
    (item) => Shared.printJson(FaceCollection.toWire(item))
  )

const get = Command.make("get", {
  collectionId: Args.text({ name: "COLLECTION_ID" }).pipe(Args.withDescription("The collection id (重采ID).")),
  organizationId: organizationId.pipe(
    Options.withDescription(
      "Check that the collection belongs to this organization (the API looks it up by its id alone)."
    ),
    Options.optional
  ),
  maxAttempts: Shared.maxAttempts
}, (args) => printCollection(args).pipe(Shared.withClient(args.maxAttempts))).pipe(
  Command.withDescription("Print one collection as JSON (WeChat Pay's field names). Reads WECHATPAY_* variables.")
)

/** `face-collections list|get`. */
export const command = Command.make("face-collections").pipe(
  Command.withDescription("Offline-face collections (离线刷脸 重采): users whose face photo must be re-collected."),
  Command.withSubcommands([list, get])
)
