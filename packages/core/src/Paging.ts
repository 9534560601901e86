/**
 * Offset paging as a `Stream`: every endpoint that takes an offset and a limit
 * and answers a page of items, listed to the end, in order, each item once.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { FaceCollections, Paging } from "@effect-wechatpay/core"
 *
 * // Any offset-paged endpoint: here, the face-collections list, 4 pages in flight.
 * const all = Paging.offset({
 *   operation: "listAllFaceCollections",
 *   limit: 50,
 *   concurrency: 4,
 *   fetch: (offset, limit) => FaceCollections.listFaceCollections({ organizationId: "1234567", offset, limit }),
 *   key: (item) => item.collectionId,
 *   distinct: true
 * })
 *
 * const program = Effect.gen(function*() {
 *   const count = yield* Stream.runCount(all)
 *   yield* Effect.log(`${count} users to re-collect`)
 * })
 * ```
 *
 * @since 0.2.0
 */
import type { Effect, Stream } from "effect"
import * as internal from "./internal/paging.js"
import type { WechatPayInvalidInputError, WechatPayPagingError } from "./WechatPayError.js"

/**
 * @since 0.2.0
 * @category Models
 */
export interface OffsetOptions<A, E, R> {
  /**
   * One page: the items from `offset` on, at most `limit` of them (a server
   * may serve fewer). Called with `limit` always equal to the option's.
   */
  readonly fetch: (offset: number, limit: number) => Effect.Effect<ReadonlyArray<A>, E, R>
  /**
   * Optional, used at `concurrency` 1: called as each page's request starts,
   * with the offset the engine expects to request next (`offset + limit`,
   * the page being full), so that request can be got ready while this one is
   * in flight: `allCollections` has its client sign it ahead
   * (`WechatPayClient`'s `signAhead`). A hint: its effect should be quick and
   * must not fail; the expected request may never come. Not called when
   * prefetching, whose window already overlaps the waits.
   */
  readonly ahead?: ((offset: number, limit: number) => Effect.Effect<void, never, R>) | undefined
  /** Items asked for per request: an integer, at least 1. */
  readonly limit: number
  /**
   * Pages fetched ahead, in flight at once: an integer from 1 to 64. Default 1
   * (one page at a time). Output order and exactly-once delivery are kept;
   * requests are speculative (offsets assume pages as full as the last one),
   * so a listing sends at most `concurrency − 1` requests past its end, and a
   * page whose offset turns out wrong is discarded unread (its request
   * interrupted) and fetched again at the right offset.
   */
  readonly concurrency?: number | undefined
  /**
   * End on the first page holding fewer than `limit` items, saving one
   * request. Off by default: only an empty page ends the listing, so a server
   * that caps pages below `limit` never ends it early and silently. Turn on
   * only when you know the server serves full pages.
   */
  readonly endOnShortPage?: boolean | undefined
  /**
   * The identity of an item (an id). Given, every listing ends, whatever the
   * server answers: a non-empty page none of whose keys is new (seen in one
   * of the last four pages, or earlier in the same page) brings no progress,
   * and `maxStalledPages` such pages in a row fail the stream with a
   * `WechatPayPagingError` `NoProgress` (a server answering the same page at
   * every offset would otherwise be listed forever). Only the last four
   * pages' keys are kept (`4 × limit` at most), so memory stays bounded over
   * any number of items; a server cycling through more than four distinct
   * pages is not caught by this: set `maxPages` for a hard bound. (In an
   * object literal, write it after `fetch`, so that its item type is
   * inferred from `fetch`'s.)
   */
  readonly key?: ((item: A) => string) | undefined
  /**
   * Drop repeats: `true` drops an item whose `key` is among the last four
   * pages' (or earlier in its page); a function is a `key` and `true` at once
   * (then give no `key`). Absent or `false`, nothing is dropped. Offset
   * paging over a list that changes meanwhile can repeat an item (one
   * inserted before the offset pushes the rest down) or skip one (one
   * removed before it pulls the rest up): this removes the repeats as long
   * as fewer than three pages' worth of items are inserted between two
   * requests; nothing can recover a skip but a second listing.
   */
  readonly distinct?: ((item: A) => string) | boolean | undefined
  /**
   * With a `key`: pages in a row that bring no new item before the listing
   * fails with `NoProgress`, an integer from 1 to 100. Default 3.
   */
  readonly maxStalledPages?: number | undefined
  /**
   * A hard bound: at most this many non-empty pages. The next non-empty page
   * fails the stream with a `WechatPayPagingError` `TooManyPages`, nothing of
   * it emitted: a listing cut short is an error, never a silent end (for a
   * clean end after n items, use `Stream.take(n)`). An integer, at least 1;
   * absent, no bound.
   */
  readonly maxPages?: number | undefined
  /** The operation an input error names. */
  readonly operation: string
}

/**
 * Every item of an offset-paged list, page after page, as one stream.
 *
 * - The offset starts at 0 and advances by the number of items actually
 *   received. Only an empty page ends the listing: a short, non-empty page is
 *   confirmed by one more request (see `endOnShortPage`).
 * - A page's items are emitted together once `fetch` has succeeded; a failed
 *   page fails the stream with its error and nothing of it is emitted.
 * - Options are checked before the first request: a wrong option fails the
 *   stream with a `WechatPayInvalidInputError` naming it, and nothing is
 *   fetched.
 * - With a `key`, a server that keeps answering pages holding nothing new
 *   cannot make it run forever (`WechatPayPagingError` `NoProgress`), at any
 *   `concurrency`; `maxPages` bounds it outright.
 * - Interrupting the stream, or stopping early (`Stream.take`), interrupts the
 *   requests in flight.
 * - Each run starts again from offset 0, with nothing kept from a previous run.
 * - Once emitted, nothing of a page stays reachable from the listing, at any
 *   `concurrency`: a listing of a million items takes about as much heap as
 *   one of ten thousand.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { Paging } from "@effect-wechatpay/core"
 *
 * // An in-memory list of 95 numbers served 20 at a time, 3 pages in flight.
 * const list = Array.from({ length: 95 }, (_, i) => i)
 * const numbers = Paging.offset({
 *   operation: "numbers",
 *   limit: 20,
 *   concurrency: 3,
 *   fetch: (offset, limit) => Effect.succeed(list.slice(offset, offset + limit))
 * })
 * const all = Stream.runCollect(numbers) // 0, 1, …, 94
 * ```
 *
 * @since 0.2.0
 * @category Streams
 */
export const offset: <A, E, R>(
  options: OffsetOptions<A, E, R>
) => Stream.Stream<A, E | WechatPayInvalidInputError | WechatPayPagingError, R> = internal.offset
