/**
 * What `face-collections list` and `get` run, loaded only when one of them
 * runs (see `Shared.lazy`): the client, core's collections, the output
 * encoders. `demo` runs `listCollections` too.
 *
 * @internal
 */
import { FaceCollection, FaceCollections, type WechatPayClient, type WechatPayError } from "@effect-wechatpay/core"
import { type Duration, Effect, Option, Stream } from "effect"
import * as Output from "../Output.js"
import * as Progress from "../Progress.js"
import * as Client from "./client.js"
import * as Shared from "./shared.js"

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

/** `face-collections list`, with the client from `WECHATPAY_*`. */
export const list = (args: ListArgs) => Effect.asVoid(listCollections(args).pipe(Client.withClient(args.maxAttempts)))

/** `face-collections get`, with the client from `WECHATPAY_*`. */
export const get = (args: GetArgs) => printCollection(args).pipe(Client.withClient(args.maxAttempts))
