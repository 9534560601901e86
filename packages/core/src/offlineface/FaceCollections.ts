/**
 * The face-collections endpoints (查询重采用户列表 / 查询重采请求详情) and the
 * listing of a whole organization as a `Stream`.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { FaceCollections } from "@effect-wechatpay/core"
 *
 * // Every user of school 1234567 whose face photo must be re-collected.
 * const all = Stream.runCollect(FaceCollections.allCollections("1234567"))
 *
 * // One page, and one item.
 * const page = FaceCollections.listFaceCollections({ organizationId: "1234567", offset: 0, limit: 50 })
 * const one = FaceCollections.getFaceCollection({ collectionId: "FC2353ZJIHOJKHOIIOIJ" })
 * ```
 *
 * @since 0.1.0
 */
import { Channel, Chunk, Effect, Either, Fiber, Option, ParseResult, Schema, Stream } from "effect"
import * as ExchangeAttempt from "../internal/exchangeAttempt.js"
import { type Service as WechatPayClientService, WechatPayClient } from "../WechatPayClient.js"
import { WechatPayInvalidInputError, type WechatPayRequestError } from "../WechatPayError.js"
import { FaceCollection, FaceCollectionPage } from "./FaceCollection.js"

/** The page size the endpoint's documented example uses. */
const DEFAULT_LIMIT = 20
const INT32_MAX = 2_147_483_647
const PATH = "/v3/offlineface/face-collections"

const OrganizationId = Schema.String.pipe(
  Schema.pattern(/^[^\s\p{Cc}]{1,128}$/u, {
    message: () => "must be 1 to 128 characters without spaces or control characters"
  })
)
const Offset = Schema.NumberFromString.pipe(
  Schema.int({ message: () => "must be an integer" }),
  Schema.between(0, INT32_MAX, { message: () => `must be between 0 and ${INT32_MAX}` })
)
const Limit = Schema.NumberFromString.pipe(
  Schema.int({ message: () => "must be an integer" }),
  Schema.between(1, INT32_MAX, { message: () => `must be between 1 and ${INT32_MAX}` })
)

/**
 * The list query: domain names outside, wire names and strings inside.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const ListFaceCollectionsQuery = Schema.Struct({
  organizationId: Schema.propertySignature(OrganizationId).pipe(Schema.fromKey("organization_id")),
  offset: Schema.propertySignature(Offset).pipe(Schema.fromKey("offset")),
  limit: Schema.propertySignature(Limit).pipe(Schema.fromKey("limit"))
})

/**
 * @since 0.1.0
 * @category Models
 */
export interface ListFaceCollectionsParams {
  readonly organizationId: string
  /** Default 0. */
  readonly offset?: number | undefined
  /** Default 20. */
  readonly limit?: number | undefined
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface GetFaceCollectionParams {
  /** 重采ID. The API identifies a collection by its id alone. */
  readonly collectionId: string
}

const CollectionId = Schema.String.pipe(
  Schema.pattern(/^[^\s\p{Cc}/?#%]{1,128}$/u, {
    message: () => "must be 1 to 128 characters without spaces, control characters, '/', '?', '#' or '%'"
  }),
  Schema.filter((id) => id !== "." && id !== ".." ? true : "must not be '.' or '..'")
)

const invalid = (operation: string, error: ParseResult.ParseError, field?: string) => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  return new WechatPayInvalidInputError({
    operation,
    field: field ?? (issue?.path.map(String).join(".") || "input"),
    issue: issue?.message ?? "invalid"
  })
}

const encodeQuery = Schema.encodeEither(ListFaceCollectionsQuery)

const listQuery = (
  operation: string,
  params: ListFaceCollectionsParams
): Either.Either<ReadonlyArray<readonly [string, string]>, WechatPayInvalidInputError> =>
  encodeQuery({
    organizationId: params.organizationId,
    offset: params.offset ?? 0,
    limit: params.limit ?? DEFAULT_LIMIT
  }).pipe(
    Either.mapLeft((error) => invalid(operation, error)),
    // The documented order: organization_id, offset, limit.
    Either.map((q) => [["organization_id", q.organization_id], ["offset", q.offset], ["limit", q.limit]] as const)
  )

const fetchPage = (
  client: WechatPayClientService,
  query: ReadonlyArray<readonly [string, string]>
) => Effect.map(client.execute({ method: "GET", path: PATH, query }, FaceCollectionPage), (page) => page.face_collections)

/**
 * One page: `GET /v3/offlineface/face-collections?organization_id=…&offset=…&limit=…`.
 * Every argument is checked before anything is sent.
 *
 * @since 0.1.0
 * @category Endpoints
 */
export const listFaceCollections = (
  params: ListFaceCollectionsParams
): Effect.Effect<ReadonlyArray<FaceCollection>, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  Effect.flatMap(listQuery("listFaceCollections", params), (query) =>
    Effect.flatMap(WechatPayClient, (client) => fetchPage(client, query)))

/**
 * One collection: `GET /v3/offlineface/face-collections/{collection_id}`.
 *
 * @since 0.1.0
 * @category Endpoints
 */
export const getFaceCollection = (
  params: GetFaceCollectionParams
): Effect.Effect<FaceCollection, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  Schema.decodeUnknownEither(CollectionId)(params.collectionId).pipe(
    Either.mapLeft((error) => invalid("getFaceCollection", error, "collectionId")),
    Effect.flatMap((id) =>
      Effect.flatMap(WechatPayClient, (client) =>
        client.execute({ method: "GET", path: `${PATH}/${encodeURIComponent(id)}` }, FaceCollection))
    )
  )

/**
 * @since 0.1.0
 * @category Models
 */
export interface AllCollectionsOptions {
  /** Items asked for per request. Default 20 (the documented example). */
  readonly limit?: number | undefined
  /**
   * End on the first page holding fewer than `limit` items, saving one request.
   * Off by default: the API documents no maximum page size, so a server that
   * caps pages below `limit` would otherwise end the listing early and silently.
   * Turn on only when you know the server serves full pages.
   */
  readonly endOnShortPage?: boolean | undefined
  /**
   * Drop an item whose `collection_id` was already emitted in this run. Offset
   * paging over a list that changes meanwhile can repeat an item (one inserted
   * before the offset pushes the rest down) or skip one (one removed before it
   * pulls the rest up): this option removes the repeats; nothing can recover a
   * skip but a second listing. Costs memory for every id seen.
   */
  readonly distinct?: boolean | undefined
  /**
   * Pages fetched ahead, in flight at once. Default 1 (one page at a time).
   * Output order and exactly-once delivery are kept; requests are speculative
   * (offsets assume pages as full as the last one), so a listing sends at most
   * `concurrency − 1` requests past its end, and a page whose offset turns out
   * wrong is discarded unread and fetched again at the right offset.
   */
  readonly concurrency?: number | undefined
}

const Concurrency = Schema.Int.pipe(Schema.between(1, 64, { message: () => "must be an integer between 1 and 64" }))

interface InFlight {
  readonly offset: number
  readonly fiber: Fiber.RuntimeFiber<ReadonlyArray<FaceCollection>, WechatPayRequestError>
}

interface PagingState {
  /** Requests in flight, in offset order; the head is the next page to emit. */
  readonly window: ReadonlyArray<InFlight>
  /** Items per page the server has been serving: the stride of speculative offsets. */
  readonly stride: number
  readonly done: boolean
}

/**
 * Every collection of an organization, page after page, as one stream.
 *
 * - Offset paging: the offset advances by the number of items actually
 *   received. Only an empty page ends the listing: a short, non-empty page is
 *   confirmed by one more request (see `endOnShortPage`), so a server that
 *   serves fewer items than asked never truncates the list silently.
 * - Each page is one `WechatPayClient.execute`: signed, sent, verified,
 *   decoded; transient failures retried under the `RetryPolicy`. No item of a
 *   page is emitted before the whole page is verified and decoded; the stream
 *   either ends after the last item or fails with a typed error.
 * - Arguments are checked before the first request (`WechatPayInvalidInputError`).
 * - The list can shift under offset paging while it is read: see `distinct`.
 * - `concurrency: n` fetches up to n pages ahead, in order.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { FaceCollections } from "@effect-wechatpay/core"
 *
 * const program = Effect.gen(function*() {
 *   const all = yield* Stream.runCollect(FaceCollections.allCollections("1234567", { limit: 50, distinct: true }))
 *   yield* Effect.log(`${all.length} users to re-collect`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category Streams
 */
export const allCollections = (
  organizationId: string,
  options: AllCollectionsOptions = {}
): Stream.Stream<FaceCollection, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  Stream.unwrapScoped(Effect.gen(function*() {
    const limit = options.limit ?? DEFAULT_LIMIT
    // Validate once, up front: nothing is sent when an argument is wrong.
    yield* listQuery("allCollections", { organizationId, offset: 0, limit })
    const concurrency = yield* Schema.decodeUnknown(Concurrency)(options.concurrency ?? 1).pipe(
      Effect.mapError((error) => invalid("allCollections", error, "concurrency"))
    )
    const client = yield* WechatPayClient
    const scope = yield* Effect.scope
    const endOnShortPage = options.endOnShortPage ?? false

    // The query of every later offset is valid once the first one is.
    const start = (offset: number): Effect.Effect<InFlight> =>
      Effect.map(
        Effect.forkIn(fetchPage(client, query(offset)), scope),
        (fiber) => ({ offset, fiber })
      )
    const fill = (window: ReadonlyArray<InFlight>, next: number, stride: number) =>
      Effect.gen(function*() {
        const filled = [...window]
        for (let i = filled.length; i < concurrency; i++) filled.push(yield* start(next + i * stride))
        return filled
      })
    const discard = (window: ReadonlyArray<InFlight>) => Effect.forEach(window, (f) => Fiber.interruptFork(f.fiber))

    const query = (offset: number) =>
      [["organization_id", organizationId], ["offset", String(offset)], ["limit", String(limit)]] as const
    const withDistinct = (stream: Stream.Stream<FaceCollection, WechatPayRequestError>) => {
      if (options.distinct !== true) return stream
      const seen = new Set<string>()
      return Stream.filter(stream, (item) => {
        if (seen.has(item.collectionId)) return false
        seen.add(item.collectionId)
        return true
      })
    }

    if (concurrency === 1) {
      // One page at a time, in the stream's own fiber: the same requests as the
      // window below with n = 1, without a fiber, a finalizer and a join per page.
      // The request in flight is aborted by this scope's finalizer when the
      // stream is interrupted or stopped, not by a canceler per request (whose
      // `onInterrupt` costs memory per page: internal/exchangeAttempt.ts).
      yield* ExchangeAttempt.inFlightSlot
      // One channel for the whole listing, built once: the next page, written,
      // then the same again. The stream keeps a step per page until a full GC
      // (internal/exchangeAttempt.ts); built once, those steps reach no page.
      let next: number | undefined = 0
      const pull: Effect.Effect<Chunk.Chunk<FaceCollection> | undefined, WechatPayRequestError> = Effect.suspend(() => {
        const offset = next
        if (offset === undefined) return Effect.succeed(undefined)
        return Effect.map(fetchPage(client, query(offset)), (items) => {
          const n = items.length
          next = n === 0 || (endOnShortPage && n < limit) ? undefined : offset + n
          return n === 0 ? undefined : Chunk.unsafeFromArray(items)
        })
      })
      const rest = Channel.suspend(() => pages)
      const pages: Channel.Channel<Chunk.Chunk<FaceCollection>, unknown, WechatPayRequestError, unknown, void, unknown> =
        Channel.flatMap(
          Channel.fromEffect(pull),
          (chunk) => chunk === undefined ? Channel.succeed(undefined) : Channel.zipRight(Channel.write(chunk), rest)
        )
      return withDistinct(Stream.fromChannel(pages))
    }

    const pages = Stream.unfoldChunkEffect<PagingState, FaceCollection, WechatPayRequestError, never>(
      { window: [], stride: limit, done: false },
      (state) =>
        Effect.gen(function*() {
          if (state.done) return Option.none()
          const window = state.window.length === 0 ? yield* fill([], 0, limit) : state.window
          const [head, ...rest] = window as [InFlight, ...Array<InFlight>]
          const items = yield* Fiber.join(head.fiber)
          const n = items.length
          if (n === 0 || (endOnShortPage && n < limit)) {
            yield* discard(rest)
            return n === 0 ? Option.none() : Option.some([Chunk.unsafeFromArray(items), { ...state, window: [], done: true }] as const)
          }
          const next = head.offset + n
          const chunk = Chunk.unsafeFromArray(items)
          if (n < state.stride) {
            // Shorter than the pages so far: the end, or a server serving less than asked.
            // Confirm with one request rather than a window of speculation past the end.
            yield* discard(rest)
            return Option.some([chunk, { window: [yield* start(next)], stride: n, done: false }] as const)
          }
          // Speculation held when the next request in flight starts where this page ended.
          const kept = rest[0]?.offset === next ? rest : []
          if (kept.length === 0) yield* discard(rest)
          const stride = Math.min(n, limit)
          return Option.some([chunk, { window: yield* fill(kept, next, stride), stride, done: false }] as const)
        })
    )
    return withDistinct(pages)
  }))
