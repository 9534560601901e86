/**
 * The paging logic of `allCollections`, over a swapped `WechatPayClient` layer
 * that serves a list from memory and records every query it was asked. (The
 * wire — signing, verification, retries — is covered in client.test.ts.)
 */
import { FaceCollections, WechatPayClient, WechatPayError } from "@effect-wechatpay/core"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Ref, Schema, Stream } from "effect"

interface Listing {
  /** The list as the server holds it when asked (may change between pages). */
  readonly items: (request: number) => ReadonlyArray<Record<string, string>>
  /** The most the server serves in one page, whatever `limit` says. */
  readonly cap?: number
}

const item = (i: number) => ({
  collection_id: `FC${String(i).padStart(6, "0")}`,
  use_id: `u${i}`,
  organization_id: "1234567",
  collection_state: "COLLECTION_REQUIRED"
})
const range = (n: number) => Array.from({ length: n }, (_, i) => item(i))

const fakeClient = (listing: Listing) =>
  Effect.gen(function*() {
    const queries = yield* Ref.make<ReadonlyArray<Record<string, string>>>([])
    const layer = Layer.succeed(
      WechatPayClient.WechatPayClient,
      WechatPayClient.WechatPayClient.of({
        executeNoContent: () => Effect.die("no 204 endpoint in this test"),
        execute: (request, schema) =>
          Effect.gen(function*() {
            const query = Object.fromEntries(request.query ?? [])
            const seen = yield* Ref.updateAndGet(queries, (qs) => [...qs, query])
            const offset = Number(query["offset"])
            const limit = Math.min(Number(query["limit"]), listing.cap ?? Infinity)
            const page = listing.items(seen.length).slice(offset, offset + limit)
            return yield* Schema.decodeUnknown(schema)({ face_collections: page }).pipe(Effect.orDie)
          })
      })
    )
    return { queries, layer }
  })

const list = (total: number, options: FaceCollections.AllCollectionsOptions & { readonly cap?: number } = {}) =>
  Effect.gen(function*() {
    const server = yield* fakeClient({ items: () => range(total), ...(options.cap ? { cap: options.cap } : {}) })
    const items = yield* Stream.runCollect(FaceCollections.allCollections("1234567", options)).pipe(
      Effect.provide(server.layer)
    )
    const queries = yield* Ref.get(server.queries)
    return { ids: Chunk.toReadonlyArray(items).map((i) => i.collectionId), queries }
  })

const ids = (n: number) => range(n).map((i) => i.collection_id)

describe("allCollections paging", () => {
  const limit = 20
  const cases: ReadonlyArray<readonly [string, number, number]> = [
    ["0 items: one empty page", 0, 1],
    ["limit-1 items: the short page is confirmed by one more request", limit - 1, 2],
    ["limit items: a full page, then an empty one", limit, 2],
    ["limit+1 items", limit + 1, 3],
    ["10 000 items", 10_000, 501]
  ]
  for (const [name, total, requests] of cases) {
    it.effect(name, () =>
      Effect.gen(function*() {
        const result = yield* list(total)
        expect(result.ids).toStrictEqual(ids(total))
        expect(result.queries.length).toBe(requests)
        // offset advances by the items received; the documented query is sent every time
        expect(result.queries.map((q) => q["offset"])).toStrictEqual(
          Array.from({ length: requests }, (_, i) => String(Math.min(i * limit, total)))
        )
        expect(result.queries.every((q) => q["organization_id"] === "1234567" && q["limit"] === "20")).toBe(true)
      }))
  }

  it.effect("a server that caps pages below limit loses nothing", () =>
    Effect.gen(function*() {
      const result = yield* list(100, { cap: 7 })
      expect(result.ids).toStrictEqual(ids(100))
      // 14 pages of 7, one of 2, one empty
      expect(result.queries.length).toBe(16)
      expect(result.queries.map((q) => q["offset"]).slice(0, 3)).toStrictEqual(["0", "7", "14"])
    }))

  it.effect("endOnShortPage saves the confirming request when pages are known to be full", () =>
    Effect.gen(function*() {
      const result = yield* list(limit - 1, { endOnShortPage: true })
      expect(result.ids).toStrictEqual(ids(limit - 1))
      expect(result.queries.length).toBe(1)
    }))

  it.effect("the same stream, run twice, lists everything twice from offset 0 (no state kept between runs)", () =>
    Effect.gen(function*() {
      const server = yield* fakeClient({ items: () => range(45) })
      const stream = FaceCollections.allCollections("1234567", { limit })
      const first = yield* Stream.runCollect(stream).pipe(Effect.provide(server.layer))
      const second = yield* Stream.runCollect(stream).pipe(Effect.provide(server.layer))
      expect(Chunk.toReadonlyArray(first).map((i) => i.collectionId)).toStrictEqual(ids(45))
      expect(Chunk.toReadonlyArray(second).map((i) => i.collectionId)).toStrictEqual(ids(45))
      const offsets = (yield* Ref.get(server.queries)).map((q) => q["offset"])
      expect(offsets).toStrictEqual(["0", "20", "40", "45", "0", "20", "40", "45"])
    }))

  it.effect("a custom limit is sent and used", () =>
    Effect.gen(function*() {
      const result = yield* list(120, { limit: 50 })
      expect(result.ids).toStrictEqual(ids(120))
      expect(result.queries.map((q) => q["limit"])).toStrictEqual(["50", "50", "50", "50"])
    }))

  it.effect("distinct drops an item repeated because the list shifted under the offset", () =>
    Effect.gen(function*() {
      // Before the second request a new item is inserted at the front:
      // the last item of page 1 comes back as the first item of page 2.
      const shifted = (request: number) => request === 1 ? range(40) : [item(999_999), ...range(40)]
      const plain = yield* fakeClient({ items: shifted })
      const repeated = yield* Stream.runCollect(FaceCollections.allCollections("1234567")).pipe(
        Effect.provide(plain.layer)
      )
      const repeatedIds = Chunk.toReadonlyArray(repeated).map((i) => i.collectionId)
      expect(repeatedIds.filter((id) => id === "FC000019")).toHaveLength(2)

      const dedup = yield* fakeClient({ items: shifted })
      const unique = yield* Stream.runCollect(FaceCollections.allCollections("1234567", { distinct: true })).pipe(
        Effect.provide(dedup.layer)
      )
      const uniqueIds = Chunk.toReadonlyArray(unique).map((i) => i.collectionId)
      expect(new Set(uniqueIds).size).toBe(uniqueIds.length)
      expect(uniqueIds).toStrictEqual(ids(40))
    }))
})

describe("allCollections input", () => {
  const bad: ReadonlyArray<readonly [string, string, FaceCollections.AllCollectionsOptions, string]> = [
    ["limit 0", "1234567", { limit: 0 }, "limit"],
    ["negative limit", "1234567", { limit: -5 }, "limit"],
    ["fractional limit", "1234567", { limit: 1.5 }, "limit"],
    ["NaN limit", "1234567", { limit: Number.NaN }, "limit"],
    ["limit beyond int32", "1234567", { limit: 2 ** 31 }, "limit"],
    ["empty organization", "", {}, "organizationId"],
    ["organization with a space", "12 34", {}, "organizationId"],
    ["organization with a newline", "1234567\n", {}, "organizationId"]
  ]
  for (const [name, org, options, field] of bad) {
    it.effect(`${name}: typed error, nothing sent`, () =>
      Effect.gen(function*() {
        const server = yield* fakeClient({ items: () => range(10) })
        const error = yield* Stream.runCollect(FaceCollections.allCollections(org, options)).pipe(
          Effect.provide(server.layer),
          Effect.flip
        )
        expect(error._tag).toBe("WechatPayInvalidInputError")
        if (error._tag === "WechatPayInvalidInputError") {
          expect(error.operation).toBe("allCollections")
          expect(error.field).toBe(field)
        }
        expect(yield* Ref.get(server.queries)).toHaveLength(0)
      }))
  }

  it.effect("listFaceCollections checks offset too", () =>
    Effect.gen(function*() {
      const server = yield* fakeClient({ items: () => range(10) })
      const error = yield* FaceCollections.listFaceCollections({ organizationId: "1234567", offset: -1 }).pipe(
        Effect.provide(server.layer),
        Effect.flip
      )
      expect(error).toMatchObject({ _tag: "WechatPayInvalidInputError", field: "offset" })
      expect(yield* Ref.get(server.queries)).toHaveLength(0)
    }))

  it.effect("getFaceCollection refuses ids that would change the path", () =>
    Effect.gen(function*() {
      const server = yield* fakeClient({ items: () => range(10) })
      for (const collectionId of ["", "..", "a/b", "a?b", "x y"]) {
        const error = yield* FaceCollections.getFaceCollection({ collectionId }).pipe(
          Effect.provide(server.layer),
          Effect.flip
        )
        expect(error).toMatchObject({ _tag: "WechatPayInvalidInputError", field: "collectionId" })
      }
      expect(yield* Ref.get(server.queries)).toHaveLength(0)
    }))
})

describe("answers checked against the request", () => {
  // A client answering every request with `answer(query, request number)`, decoded by the endpoint's schema.
  const answering = (answer: (query: Record<string, string>, request: number) => unknown) => {
    let requests = 0
    const layer = Layer.succeed(
      WechatPayClient.WechatPayClient,
      WechatPayClient.WechatPayClient.of({
        executeNoContent: () => Effect.die("no 204 endpoint in this test"),
        execute: (request, schema) =>
          Effect.suspend(() => {
            requests += 1
            return Schema.decodeUnknown(schema)(answer(Object.fromEntries(request.query ?? []), requests)).pipe(Effect.orDie)
          })
      })
    )
    return { layer, requests: () => requests }
  }
  const drain = <A, E>(stream: Stream.Stream<A, E, WechatPayClient.WechatPayClient>, layer: Layer.Layer<WechatPayClient.WechatPayClient>) =>
    Effect.gen(function*() {
      const emitted: Array<A> = []
      const error = yield* Stream.runForEach(stream, (a) => Effect.sync(() => emitted.push(a))).pipe(
        Effect.flip,
        Effect.provide(layer)
      )
      return { emitted, error }
    })

  for (const concurrency of [1, 4]) {
    it.effect(`concurrency ${concurrency}: a page holding an item of another organization fails the listing; nothing of it is emitted`, () =>
      Effect.gen(function*() {
        const all = range(60)
        const server = answering((q) => {
          const offset = Number(q["offset"])
          const page = all.slice(offset, offset + 20)
          // The 6th item of the second page belongs to another school.
          return { face_collections: page.map((item, i) => offset === 20 && i === 5 ? { ...item, organization_id: "7654321" } : item) }
        })
        const { emitted, error } = yield* drain(FaceCollections.allCollections("1234567", { concurrency }), server.layer)
        expect(error).toStrictEqual(
          new WechatPayError.WechatPayMismatchError({
            operation: "allCollections",
            field: "organization_id",
            expected: "1234567",
            actual: "7654321"
          })
        )
        expect(emitted.map((i) => i.collectionId)).toStrictEqual(ids(20))
      }))

    it.effect(`concurrency ${concurrency}: the same full page at every offset ends the listing with NoProgress`, () =>
      Effect.gen(function*() {
        const server = answering((_q, request) => request > 100 ? Effect.die("unbounded") : { face_collections: range(20) })
        const { emitted, error } = yield* drain(FaceCollections.allCollections("1234567", { concurrency, distinct: true }), server.layer)
        expect(error).toMatchObject({ _tag: "WechatPayPagingError", reason: "NoProgress", operation: "allCollections" })
        expect(emitted.map((i) => i.collectionId)).toStrictEqual(ids(20))
        expect(server.requests()).toBeLessThanOrEqual(4 + concurrency - 1)
      }))
  }

  it.effect("listFaceCollections: a page holding another organization's item is a mismatch", () =>
    Effect.gen(function*() {
      const server = answering(() => ({ face_collections: [item(1), { ...item(2), organization_id: "evil\u001b[2J" }] }))
      const error = yield* FaceCollections.listFaceCollections({ organizationId: "1234567" }).pipe(
        Effect.provide(server.layer),
        Effect.flip
      )
      // What the server sent is shown escaped, never raw.
      expect(error).toMatchObject({ _tag: "WechatPayMismatchError", field: "organization_id", actual: "evil\\x1b[2J" })
    }))

  it.effect("getFaceCollection: an answer about another collection, or of another organization, is a mismatch", () =>
    Effect.gen(function*() {
      const asked = item(3)
      const other = answering(() => item(4))
      const wrongId = yield* FaceCollections.getFaceCollection({ collectionId: asked.collection_id }).pipe(
        Effect.provide(other.layer),
        Effect.flip
      )
      expect(wrongId).toStrictEqual(
        new WechatPayError.WechatPayMismatchError({
          operation: "getFaceCollection",
          field: "collection_id",
          expected: asked.collection_id,
          actual: item(4).collection_id
        })
      )
      const same = answering(() => asked)
      const ok = yield* FaceCollections.getFaceCollection({ collectionId: asked.collection_id, organizationId: "1234567" }).pipe(
        Effect.provide(same.layer)
      )
      expect(ok.collectionId).toBe(asked.collection_id)
      const wrongOrg = yield* FaceCollections.getFaceCollection({ collectionId: asked.collection_id, organizationId: "7654321" })
        .pipe(Effect.provide(same.layer), Effect.flip)
      expect(wrongOrg).toMatchObject({ _tag: "WechatPayMismatchError", field: "organization_id", expected: "7654321", actual: "1234567" })
      // An empty organization is refused before anything is sent.
      const empty = yield* FaceCollections.getFaceCollection({ collectionId: asked.collection_id, organizationId: "" }).pipe(
        Effect.provide(same.layer),
        Effect.flip
      )
      expect(empty).toMatchObject({ _tag: "WechatPayInvalidInputError", field: "organizationId" })
      expect(same.requests()).toBe(2)
    }))
})

describe("allCollections prefetch (concurrency)", () => {
  const sizes = [0, 19, 20, 21, 137, 1000]
  for (const concurrency of [2, 4, 8]) {
    for (const total of sizes) {
      it.effect(`n=${concurrency}, ${total} items: in order, exactly once, at most n-1 requests past the end`, () =>
        Effect.gen(function*() {
          const sequential = yield* list(total)
          const result = yield* list(total, { concurrency })
          expect(result.ids).toStrictEqual(ids(total))
          expect(result.queries.length - sequential.queries.length).toBeLessThanOrEqual(concurrency - 1)
        }))
    }
    it.effect(`n=${concurrency} with a server capping pages at 7: nothing lost or repeated`, () =>
      Effect.gen(function*() {
        const sequential = yield* list(500, { cap: 7 })
        const result = yield* list(500, { concurrency, cap: 7 })
        expect(result.ids).toStrictEqual(ids(500))
        // The stride adapts after the first short page: only the first window
        // (n-1 requests) and the last (n-1 past the end) are wasted.
        expect(result.queries.length - sequential.queries.length).toBeLessThanOrEqual(2 * (concurrency - 1))
      }))
  }

  it.effect("pages finishing out of order are still emitted in order", () =>
    Effect.gen(function*() {
      // Later pages answer first: each request yields fewer times the later its offset.
      const server = yield* fakeClient({ items: () => range(300) })
      const slow = Layer.succeed(
        WechatPayClient.WechatPayClient,
        WechatPayClient.WechatPayClient.of({
          executeNoContent: () => Effect.die("no 204 endpoint in this test"),
          execute: (request, schema) =>
            Effect.flatMap(WechatPayClient.WechatPayClient, (inner) =>
              Effect.repeatN(Effect.yieldNow(), 50 - Number(new Map(request.query).get("offset")) / 20).pipe(
                Effect.zipRight(inner.execute(request, schema))
              )).pipe(Effect.provide(server.layer))
        })
      )
      const items = yield* Stream.runCollect(FaceCollections.allCollections("1234567", { concurrency: 8 })).pipe(
        Effect.provide(slow)
      )
      expect(Chunk.toReadonlyArray(items).map((i) => i.collectionId)).toStrictEqual(ids(300))
    }))

  it.effect("concurrency is validated", () =>
    Effect.gen(function*() {
      const server = yield* fakeClient({ items: () => range(10) })
      for (const concurrency of [0, 1.5, 65]) {
        const error = yield* Stream.runCollect(FaceCollections.allCollections("1234567", { concurrency })).pipe(
          Effect.provide(server.layer),
          Effect.flip
        )
        expect(error).toMatchObject({ _tag: "WechatPayInvalidInputError", field: "concurrency" })
      }
      expect(yield* Ref.get(server.queries)).toHaveLength(0)
    }))
})
