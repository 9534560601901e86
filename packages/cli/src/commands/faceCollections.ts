/**
 * `face-collections list` and `face-collections get`: the offline-face
 * collections of `@effect-wechatpay/core`'s `FaceCollections`, with the client
 * from `WECHATPAY_*` configuration.
 *
 * @internal
 */
import { FaceCollection, FaceCollections, type WechatPayClient, type WechatPayError } from "@effect-wechatpay/core"
import { Args, Command, Options } from "@effect/cli"
import { Data, type Duration, Effect, Option, Stream } from "effect"
import * as Output from "../Output.js"
import * as Progress from "../Progress.js"
import * as Shared from "./shared.js"

/** `get --organization-id X` answered with a collection of another organization (exit 2). */
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
  limit: Options.integer("limit").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("Items asked for per request (default 20)."),
    Options.optional
  ),
  format: Shared.format(
    "ndjson: one JSON object per line, WeChat Pay's field names (default); csv: RFC 4180 with a header row; " +
      "table: aligned columns for people.",
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
}, (args) => Effect.asVoid(listCollections(args).pipe(Shared.withClient(args.maxAttempts)))).pipe(
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

/** One collection, printed as its wire JSON. Needs a `WechatPayClient`. */
export const printCollection = (
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
    yield* Shared.printJson(FaceCollection.toWire(item))
  })

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
