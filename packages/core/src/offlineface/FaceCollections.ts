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
import { Effect, Either, ParseResult, Schema, Stream } from "effect"
import * as Paging from "../Paging.js"
import { type Service as WechatPayClientService, WechatPayClient } from "../WechatPayClient.js"
import {
  printable,
  WechatPayInvalidInputError,
  WechatPayMismatchError,
  type WechatPayPagingError,
  type WechatPayRequestError
} from "../WechatPayError.js"
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
  /**
   * The organization the collection must belong to: checked against the
   * answer (the API looks a collection up by its id alone), a
   * `WechatPayMismatchError` when it belongs to another one. Absent, not checked.
   */
  readonly organizationId?: string | undefined
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

const mismatch = (operation: string, field: string, expected: string, actual: string) =>
  new WechatPayMismatchError({ operation, field, expected: printable(expected), actual: printable(actual, 64) })

// Every item of a page must be of the organization asked for: a page holding
// another's fails whole, and nothing of it is emitted.
const ofOrganization = (operation: string, organizationId: string) =>
(
  items: ReadonlyArray<FaceCollection>
): Effect.Effect<ReadonlyArray<FaceCollection>, WechatPayMismatchError> => {
  for (const item of items) {
    if (item.organizationId !== organizationId) {
      return Effect.fail(mismatch(operation, "organization_id", organizationId, item.organizationId))
    }
  }
  return Effect.succeed(items)
}

const fetchPage = (
  client: WechatPayClientService,
  query: ReadonlyArray<readonly [string, string]>,
  check: (items: ReadonlyArray<FaceCollection>) => Effect.Effect<ReadonlyArray<FaceCollection>, WechatPayMismatchError>
) =>
  Effect.flatMap(
    client.execute({ method: "GET", path: PATH, query }, FaceCollectionPage),
    (page) => check(page.face_collections)
  )

/**
 * One page: `GET /v3/offlineface/face-collections?organization_id=…&offset=…&limit=…`.
 * Every argument is checked before anything is sent; an answer holding an
 * item of another organization is a `WechatPayMismatchError`.
 *
 * @since 0.1.0
 * @category Endpoints
 */
export const listFaceCollections = (
  params: ListFaceCollectionsParams
): Effect.Effect<
  ReadonlyArray<FaceCollection>,
  WechatPayInvalidInputError | WechatPayRequestError | WechatPayMismatchError,
  WechatPayClient
> =>
  Effect.flatMap(listQuery("listFaceCollections", params), (query) =>
    Effect.flatMap(
      WechatPayClient,
      (client) => fetchPage(client, query, ofOrganization("listFaceCollections", params.organizationId))
    ))

/**
 * One collection: `GET /v3/offlineface/face-collections/{collection_id}`.
 * An answer about another collection than the one asked for, or (with
 * `organizationId`) of another organization, is a `WechatPayMismatchError`.
 *
 * @since 0.1.0
 * @category Endpoints
 */
export const getFaceCollection = (
  params: GetFaceCollectionParams
): Effect.Effect<
  FaceCollection,
  WechatPayInvalidInputError | WechatPayRequestError | WechatPayMismatchError,
  WechatPayClient
> =>
  Effect.suspend((): Effect.Effect<
    FaceCollection,
    WechatPayInvalidInputError | WechatPayRequestError | WechatPayMismatchError,
    WechatPayClient
  > => {
    const operation = "getFaceCollection"
    const id = Schema.decodeUnknownEither(CollectionId)(params.collectionId)
    if (Either.isLeft(id)) return Effect.fail(invalid(operation, id.left, "collectionId"))
    const organizationId = params.organizationId
    if (organizationId !== undefined) {
      const checked = Schema.decodeUnknownEither(OrganizationId)(organizationId)
      if (Either.isLeft(checked)) return Effect.fail(invalid(operation, checked.left, "organizationId"))
    }
    const collectionId = id.right
    return Effect.flatMap(WechatPayClient, (client) =>
      Effect.flatMap(
        client.execute({ method: "GET", path: `${PATH}/${encodeURIComponent(collectionId)}` }, FaceCollection),
        (item) =>
          item.collectionId !== collectionId
            ? Effect.fail(mismatch(operation, "collection_id", collectionId, item.collectionId))
            : organizationId !== undefined && item.organizationId !== organizationId
            ? Effect.fail(mismatch(operation, "organization_id", organizationId, item.organizationId))
            : Effect.succeed(item)
      ))
  })

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
   * Drop an item whose `collection_id` was already emitted among the last
   * four pages. Offset paging over a list that changes meanwhile can repeat
   * an item (one inserted before the offset pushes the rest down) or skip one
   * (one removed before it pulls the rest up): this option removes the
   * repeats; nothing can recover a skip but a second listing. Memory stays
   * bounded (`Paging.offset`'s `distinct`).
   */
  readonly distinct?: boolean | undefined
  /**
   * A hard bound on the pages of the listing: past it, a
   * `WechatPayPagingError` `TooManyPages` (never a silent end). Absent, none;
   * a listing still always ends (see `allCollections`).
   */
  readonly maxPages?: number | undefined
  /**
   * Pages fetched ahead, in flight at once. Default 1 (one page at a time).
   * Output order and exactly-once delivery are kept; requests are speculative
   * (offsets assume pages as full as the last one), so a listing sends at most
   * `concurrency − 1` requests past its end, and a page whose offset turns out
   * wrong is discarded unread and fetched again at the right offset.
   */
  readonly concurrency?: number | undefined
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
 * - Answers are checked against the request: a page holding an item of
 *   another organization fails the stream with a `WechatPayMismatchError`,
 *   and nothing of it is emitted.
 * - Every listing ends: three pages in a row bringing no new `collection_id`
 *   (the same page at every offset) fail it with a `WechatPayPagingError`
 *   `NoProgress`; `maxPages` bounds it outright.
 * - `concurrency: n` fetches up to n pages ahead, in order.
 * - The paging itself is `Paging.offset`'s.
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
): Stream.Stream<
  FaceCollection,
  WechatPayInvalidInputError | WechatPayRequestError | WechatPayMismatchError | WechatPayPagingError,
  WechatPayClient
> =>
  Stream.unwrap(Effect.suspend(() => {
    const limit = options.limit ?? DEFAULT_LIMIT
    const check = ofOrganization("allCollections", organizationId)
    // Checked once, up front (the organization and the limit here, the rest by
    // the paging engine): nothing is sent when an argument is wrong. The query
    // of every later offset is valid once the first one is.
    return Effect.zipRight(
      listQuery("allCollections", { organizationId, offset: 0, limit }),
      Effect.map(WechatPayClient, (client) =>
        Paging.offset({
          operation: "allCollections",
          limit,
          concurrency: options.concurrency,
          endOnShortPage: options.endOnShortPage,
          maxPages: options.maxPages,
          fetch: (offset, limit) => fetchPage(client, pageQuery(organizationId, offset, limit), check),
          // The next page's request signed while this one is in flight.
          ahead: signAheadPage(client, organizationId),
          key: collectionIdOf,
          distinct: options.distinct === true
        }))
    )
  }))

const collectionIdOf = (item: FaceCollection): string => item.collectionId

const signAheadPage = (client: WechatPayClientService, organizationId: string) => {
  const signAhead = client.signAhead
  return signAhead === undefined
    ? undefined
    : (offset: number, limit: number) => signAhead({ method: "GET", path: PATH, query: pageQuery(organizationId, offset, limit) })
}

const pageQuery = (organizationId: string, offset: number, limit: number) =>
  [["organization_id", organizationId], ["offset", String(offset)], ["limit", String(limit)]] as const
