/**
 * The offset-paging engine, over a fake `fetch` serving a list from memory and
 * recording every request. No timer: pages that answer out of order are made
 * to by yielding, a fixed number of times per request.
 */
import { describe, expect, it } from "@effect/vitest"
import { Cause, Chunk, Data, Deferred, Duration, Effect, Exit, FastCheck as fc, Fiber, FiberRef, Stream } from "effect"
import type * as Exchange from "../src/Exchange.js"
import * as ExchangeAttempt from "../src/internal/exchangeAttempt.js"
import * as Paging from "../src/Paging.js"
import { WechatPayPagingError } from "../src/WechatPayError.js"

class PageError extends Data.TaggedError("PageError")<{ readonly offset: number }> {}

interface Server {
  /** The list as the server holds it at the request-th request (1-based). */
  readonly items: (request: number) => ReadonlyArray<number>
  /** The most the server serves in one page, whatever `limit` says. */
  readonly cap?: number | undefined
  /** Yields before answering the request at this offset (0: none). */
  readonly delay?: ((offset: number, request: number) => number) | undefined
  /** Fails the request at this offset. */
  readonly failAt?: number | undefined
}

const fakeServer = (server: Server) => {
  const offsets: Array<number> = []
  const fetch = (offset: number, limit: number): Effect.Effect<ReadonlyArray<number>, PageError> =>
    Effect.suspend(() => {
      offsets.push(offset)
      const request = offsets.length
      const answer = Effect.suspend(() => {
        if (offset === server.failAt) return Effect.fail(new PageError({ offset }))
        return Effect.succeed(server.items(request).slice(offset, offset + Math.min(limit, server.cap ?? Infinity)))
      })
      const yields = server.delay?.(offset, request) ?? 0
      return yields === 0 ? answer : Effect.zipRight(Effect.repeatN(Effect.yieldNow(), yields - 1), answer)
    })
  return { fetch, offsets }
}

const range = (n: number): ReadonlyArray<number> => Array.from({ length: n }, (_, i) => i)

const run = <E>(stream: Stream.Stream<number, E>) =>
  Effect.map(Stream.runCollect(stream), (chunk) => Chunk.toReadonlyArray(chunk))

describe("Paging.offset: order and exactly once", () => {
  const limit = 20
  const sizes = [0, 1, limit - 1, limit, limit + 1, 3 * limit, 3 * limit - 1, 137, 1000]
  for (const concurrency of [1, 2, 4, 8]) {
    for (const cap of [undefined, 7, limit - 1]) {
      it.effect(`concurrency ${concurrency}${cap === undefined ? "" : `, pages capped at ${cap}`}`, () =>
        Effect.gen(function*() {
          for (const total of sizes) {
            const list = range(total)
            const server = fakeServer({ items: () => list, cap })
            const items = yield* run(Paging.offset({ operation: "test", fetch: server.fetch, limit, concurrency }))
            expect(items).toStrictEqual(list)
            // Only an empty page ends it: the last request is at the end of the list.
            expect(server.offsets).toContain(total)
            if (concurrency === 1) {
              const page = cap ?? limit
              const requests = Math.ceil(total / page) + 1
              expect(server.offsets).toStrictEqual(Array.from({ length: requests }, (_, i) => Math.min(i * page, total)))
            }
          }
        }))
    }
  }

  it.effect("pages answering out of order are still emitted in order", () =>
    Effect.gen(function*() {
      const list = range(300)
      // Later offsets answer first.
      const server = fakeServer({ items: () => list, delay: (offset) => 50 - offset / 20 })
      const items = yield* run(Paging.offset({ operation: "test", fetch: server.fetch, limit: 20, concurrency: 8 }))
      expect(items).toStrictEqual(list)
    }))

  it.effect("the limit is passed to every request, and the stream runs again from 0", () =>
    Effect.gen(function*() {
      const limits: Array<number> = []
      const list = range(45)
      const stream = Paging.offset({
        operation: "test",
        limit: 20,
        fetch: (offset, limit) => Effect.sync(() => (limits.push(limit), list.slice(offset, offset + limit)))
      })
      expect(yield* run(stream)).toStrictEqual(list)
      expect(yield* run(stream)).toStrictEqual(list)
      expect(limits).toStrictEqual([20, 20, 20, 20, 20, 20, 20, 20])
    }))
})

describe("Paging.offset: options", () => {
  it.effect("distinct drops an item repeated because the list shifted under the offset", () =>
    Effect.gen(function*() {
      for (const concurrency of [1, 2, 4]) {
        // From the second request on, an item is inserted at the front: the
        // last item of page 1 comes back as the first item of page 2.
        const shifted = (request: number) => request === 1 ? range(40) : [-1, ...range(40)]
        const plain = fakeServer({ items: shifted })
        const repeated = yield* run(Paging.offset({ operation: "test", fetch: plain.fetch, limit: 20, concurrency }))
        expect(repeated.filter((i) => i === 19)).toHaveLength(2)

        const dedup = fakeServer({ items: shifted })
        const unique = yield* run(
          Paging.offset({ operation: "test", fetch: dedup.fetch, limit: 20, concurrency, distinct: (i) => String(i) })
        )
        expect(unique).toStrictEqual(range(40))
      }
    }))

  it.effect("distinct: a page made only of repeats emits nothing and the listing goes on", () =>
    Effect.gen(function*() {
      const pages: ReadonlyArray<ReadonlyArray<string>> = [["a", "b"], ["a", "b"], ["c"], []]
      const items = yield* Stream.runCollect(Paging.offset({
        operation: "test",
        limit: 2,
        distinct: (s: string) => s,
        fetch: (offset) => Effect.succeed(pages[offset / 2] ?? [])
      }))
      expect(Chunk.toReadonlyArray(items)).toStrictEqual(["a", "b", "c"])
    }))

  it.effect("endOnShortPage ends on the first short page, saving the confirming request", () =>
    Effect.gen(function*() {
      for (const total of [0, 19, 45]) {
        const list = range(total)
        const plain = fakeServer({ items: () => list })
        yield* run(Paging.offset({ operation: "test", fetch: plain.fetch, limit: 20 }))
        const short = fakeServer({ items: () => list })
        const items = yield* run(Paging.offset({ operation: "test", fetch: short.fetch, limit: 20, endOnShortPage: true }))
        expect(items).toStrictEqual(list)
        expect(short.offsets.length).toBe(total % 20 === 0 ? plain.offsets.length : plain.offsets.length - 1)
      }
      // With prefetch: everything, no confirming request, at most n − 1 requests past the short page.
      const list = range(45)
      const server = fakeServer({ items: () => list })
      const items = yield* run(
        Paging.offset({ operation: "test", fetch: server.fetch, limit: 20, concurrency: 4, endOnShortPage: true })
      )
      expect(items).toStrictEqual(list)
      expect(server.offsets.slice(0, 3)).toStrictEqual([0, 20, 40])
      expect(server.offsets).not.toContain(45)
      expect(server.offsets.length).toBeLessThanOrEqual(3 + 4 - 1)
    }))

  it.effect("endOnShortPage with a server capping pages below limit ends early: why it is off by default", () =>
    Effect.gen(function*() {
      const server = fakeServer({ items: () => range(100), cap: 7 })
      const items = yield* run(Paging.offset({ operation: "test", fetch: server.fetch, limit: 20, endOnShortPage: true }))
      expect(items).toStrictEqual(range(7))
    }))
})

describe("Paging.offset: every listing ends, whatever the server answers", () => {
  class Exhausted extends Data.TaggedError("Exhausted")<{ readonly requests: number }> {}
  // A hostile server, bounded: past 200 requests it fails, so that a listing
  // that would never end fails the test instead of hanging it.
  const hostile = (page: (offset: number, limit: number) => ReadonlyArray<string>) => {
    const offsets: Array<number> = []
    const fetch = (offset: number, limit: number): Effect.Effect<ReadonlyArray<string>, Exhausted> =>
      Effect.suspend(() => {
        offsets.push(offset)
        return offsets.length > 200 ? Effect.fail(new Exhausted({ requests: offsets.length })) : Effect.succeed(page(offset, limit))
      })
    return { fetch, offsets }
  }
  const samePage = (_offset: number, limit: number) => Array.from({ length: limit }, (_, i) => `id-${i}`)
  const collect = <E>(stream: Stream.Stream<string, E>) =>
    Effect.gen(function*() {
      const emitted: Array<string> = []
      const exit = yield* Effect.exit(Stream.runForEach(stream, (item) => Effect.sync(() => emitted.push(item))))
      return { emitted, exit }
    })

  for (const concurrency of [1, 2, 4]) {
    it.effect(`concurrency ${concurrency}: the same full page at every offset fails with NoProgress after 3 such pages`, () =>
      Effect.gen(function*() {
        const server = hostile(samePage)
        const { emitted, exit } = yield* collect(
          Paging.offset({ operation: "test", fetch: server.fetch, limit: 20, concurrency, key: (s: string) => s })
        )
        expect(exit).toStrictEqual(Exit.fail(
          new WechatPayPagingError({ operation: "test", reason: "NoProgress", offset: 60, pages: 4, limit: 3 })
        ))
        // Not dropped (no distinct): pages 1 to 3; nothing of the 4th, the one that failed it.
        expect(emitted).toStrictEqual([...samePage(0, 20), ...samePage(0, 20), ...samePage(0, 20)])
        // 4 pages used, and at most concurrency − 1 requests ahead of them.
        expect(server.offsets.length).toBeLessThanOrEqual(4 + concurrency - 1)
      }))

    it.effect(`concurrency ${concurrency}: with distinct, nothing is emitted twice before the NoProgress failure`, () =>
      Effect.gen(function*() {
        const server = hostile(samePage)
        const { emitted, exit } = yield* collect(Paging.offset({
          operation: "test",
          fetch: server.fetch,
          limit: 20,
          concurrency,
          key: (s: string) => s,
          distinct: true,
          maxStalledPages: 5
        }))
        expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toMatchObject({ reason: "NoProgress", pages: 6, limit: 5 })
        expect(emitted).toStrictEqual(samePage(0, 20))
      }))
  }

  it.effect("pages that only overlap the previous ones (a page served shifted by one item) still fail, and so does a cycle of 4 pages", () =>
    Effect.gen(function*() {
      // Each page starts one item further but holds nothing past item 24: progress stops at offset 20.
      const creeping = hostile((offset, limit) => Array.from({ length: limit }, (_, i) => `id-${Math.min(offset / 20 + i, 24)}`))
      const first = yield* collect(Paging.offset({ operation: "test", fetch: creeping.fetch, limit: 20, key: (s: string) => s }))
      expect(Exit.isFailure(first.exit) && Cause.squash(first.exit.cause)).toMatchObject({ reason: "NoProgress" })
      // Four different pages in turn, forever: within the four pages remembered.
      const cycling = hostile((offset, limit) => Array.from({ length: limit }, (_, i) => `p${(offset / limit) % 4}-${i}`))
      const second = yield* collect(Paging.offset({ operation: "test", fetch: cycling.fetch, limit: 10, key: (s: string) => s }))
      expect(Exit.isFailure(second.exit) && Cause.squash(second.exit.cause)).toMatchObject({ reason: "NoProgress", pages: 7 })
      expect(second.emitted).toHaveLength(60)
    }))

  it.effect("a page of repeats between new ones is not a stall: only pages in a row count", () =>
    Effect.gen(function*() {
      // Every other page repeats the one before: the listing ends normally on the empty page.
      const pages = (offset: number, limit: number) =>
        offset >= 400 ? [] : Array.from({ length: limit }, (_, i) => `id-${Math.floor(offset / 40) * 20 + i}`)
      const server = hostile(pages)
      const { emitted, exit } = yield* collect(
        Paging.offset({ operation: "test", fetch: server.fetch, limit: 20, key: (s: string) => s, distinct: true })
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(emitted).toStrictEqual(Array.from({ length: 200 }, (_, i) => `id-${i}`))
    }))

  for (const concurrency of [1, 3]) {
    it.effect(`concurrency ${concurrency}: maxPages is a hard bound, a typed error past it, never a silent end`, () =>
      Effect.gen(function*() {
        const list = Array.from({ length: 100 }, (_, i) => `id-${i}`)
        const exact = hostile((offset, limit) => list.slice(offset, offset + limit))
        const ok = yield* collect(Paging.offset({ operation: "test", fetch: exact.fetch, limit: 20, concurrency, maxPages: 5 }))
        expect(Exit.isSuccess(ok.exit)).toBe(true)
        expect(ok.emitted).toStrictEqual(list)

        // Without a key, a server inventing new items forever is stopped by maxPages alone.
        const endless = hostile((offset, limit) => Array.from({ length: limit }, (_, i) => `id-${offset + i}`))
        const cut = yield* collect(Paging.offset({ operation: "test", fetch: endless.fetch, limit: 20, concurrency, maxPages: 4 }))
        expect(cut.exit).toStrictEqual(Exit.fail(
          new WechatPayPagingError({ operation: "test", reason: "TooManyPages", offset: 80, pages: 5, limit: 4 })
        ))
        expect(cut.emitted).toStrictEqual(Array.from({ length: 80 }, (_, i) => `id-${i}`))
      }))
  }

  it.effect("wrong paging options are input errors, and nothing is fetched", () =>
    Effect.gen(function*() {
      const server = hostile(samePage)
      const key = (s: string) => s
      const errors = yield* Effect.all([
        Effect.flip(Stream.runDrain(Paging.offset({ operation: "t", fetch: server.fetch, limit: 20, key, maxStalledPages: 0 }))),
        Effect.flip(Stream.runDrain(Paging.offset({ operation: "t", fetch: server.fetch, limit: 20, maxPages: 1.5 }))),
        Effect.flip(Stream.runDrain(Paging.offset({ operation: "t", fetch: server.fetch, limit: 20, key, distinct: key }))),
        Effect.flip(Stream.runDrain(Paging.offset({ operation: "t", fetch: server.fetch, limit: 20, distinct: true })))
      ])
      expect(errors.map((e) => e._tag === "WechatPayInvalidInputError" ? e.field : e._tag)).toStrictEqual([
        "maxStalledPages",
        "maxPages",
        "distinct",
        "distinct"
      ])
      expect(server.offsets).toStrictEqual([])
    }))
})

describe("Paging.offset: failure", () => {
  for (const concurrency of [1, 2, 4, 8]) {
    it.effect(`concurrency ${concurrency}: a failed page fails the stream with its error, and nothing of it is emitted`, () =>
      Effect.gen(function*() {
        const server = fakeServer({ items: () => range(200), failAt: 60 })
        const emitted: Array<number> = []
        const error = yield* Paging.offset({ operation: "test", fetch: server.fetch, limit: 20, concurrency }).pipe(
          Stream.runForEach((item) => Effect.sync(() => emitted.push(item))),
          Effect.flip
        )
        expect(error).toStrictEqual(new PageError({ offset: 60 }))
        expect(emitted).toStrictEqual(range(60))
      }))
  }

  it.effect("a failed page behind slower earlier ones: the earlier pages are emitted first", () =>
    Effect.gen(function*() {
      // The page at 40 fails at once, the pages before it answer late.
      const server = fakeServer({ items: () => range(200), failAt: 40, delay: (offset) => offset < 40 ? 20 : 0 })
      const emitted: Array<number> = []
      const error = yield* Paging.offset({ operation: "test", fetch: server.fetch, limit: 20, concurrency: 4 }).pipe(
        Stream.runForEach((item) => Effect.sync(() => emitted.push(item))),
        Effect.flip
      )
      expect(error._tag).toBe("PageError")
      expect(emitted).toStrictEqual(range(40))
    }))
})

describe("Paging.offset: interruption and early stop", () => {
  // Page 0 answers; every later request hangs until interrupted, counted.
  const hanging = () => {
    let started = 0
    let interrupted = 0
    const fetch = (offset: number, limit: number): Effect.Effect<ReadonlyArray<number>> =>
      Effect.suspend(() => {
        started++
        return offset === 0
          ? Effect.succeed(range(limit))
          : Effect.onInterrupt(Effect.never, () => Effect.sync(() => interrupted++))
      })
    return { fetch, started: () => started, interrupted: () => interrupted }
  }

  for (const concurrency of [1, 2, 4, 8]) {
    it.effect(`concurrency ${concurrency}: Stream.take aborts the requests in flight`, () =>
      Effect.gen(function*() {
        const server = hanging()
        const items = yield* run(
          Paging.offset({ operation: "test", fetch: server.fetch, limit: 20, concurrency }).pipe(Stream.take(5))
        )
        expect(items).toStrictEqual(range(5))
        // The first window: page 0 answered, the n - 1 ahead of it hang, and maybe the refill.
        expect(server.started()).toBeGreaterThanOrEqual(concurrency)
        expect(server.started()).toBeLessThanOrEqual(concurrency + 1)
        // Every request still in flight is interrupted by the time the stream has ended.
        expect(server.interrupted()).toBe(server.started() - 1)
      }))
  }

  for (const concurrency of [1, 2, 4, 8]) {
    it.effect(`concurrency ${concurrency}: interrupting the stream aborts the requests in flight`, () =>
      Effect.gen(function*() {
        const server = hanging()
        const first = yield* Deferred.make<void>()
        const fiber = yield* Paging.offset({ operation: "test", fetch: server.fetch, limit: 20, concurrency }).pipe(
          Stream.runForEach(() => Deferred.succeed(first, undefined)),
          Effect.fork
        )
        yield* Deferred.await(first)
        // Let the stream reach the next page (at concurrency 1, started in the stream's fiber).
        yield* Effect.repeatN(Effect.yieldNow(), 20)
        yield* Fiber.interrupt(fiber)
        // Page 0 answered; in flight: the next page at n = 1, the window of n at n > 1.
        expect(server.started()).toBe(concurrency + 1)
        expect(server.interrupted()).toBe(concurrency)
      }))
  }

  it.effect("speculation that fails interrupts the requests it sent", () =>
    Effect.gen(function*() {
      // Pages capped at 7: the first window asked for 20, 40, 60 — all wrong.
      let interrupted = 0
      const list = range(30)
      const fetch = (offset: number, limit: number): Effect.Effect<ReadonlyArray<number>> =>
        offset === 0
          ? Effect.succeed(list.slice(0, 7))
          : offset % 20 === 0
          ? Effect.onInterrupt(Effect.never, () => Effect.sync(() => interrupted++))
          : Effect.succeed(list.slice(offset, offset + Math.min(limit, 7)))
      const items = yield* run(Paging.offset({ operation: "test", fetch, limit: 20, concurrency: 4 }))
      expect(items).toStrictEqual(list)
      expect(interrupted).toBe(3)
    }))
})

describe("Paging.offset: over the client's exchange attempts", () => {
  // Page 0 answers at once; every later page is an exchange attempt, as the
  // client makes it, over an exchange that never answers: sends and aborts counted.
  const hangingAttempts = () => {
    const count = { sent: 0, aborted: 0 }
    const slots = new Set<ExchangeAttempt.InFlight>()
    let withoutSlot = 0
    const platform: Exchange.Service = {
      exchange: () => {
        count.sent++
        return { response: new Promise<never>(() => {}), abort: () => void count.aborted++ }
      }
    }
    const fetch = (offset: number, limit: number): Effect.Effect<ReadonlyArray<number>, unknown> =>
      offset === 0 ? Effect.succeed(range(limit)) : Effect.flatMap(FiberRef.get(ExchangeAttempt.currentInFlight), (slot) => {
        if (slot === undefined) withoutSlot++
        else slots.add(slot)
        return Effect.as(
          ExchangeAttempt.run({
            platform,
            request: { method: "GET", origin: "https://example.test", path: `/list?offset=${offset}`, headers: {}, body: undefined },
            path: "/list",
            timeout: Duration.hours(1),
            attempts: 1
          }, slot),
          []
        )
      })
    return { count, fetch, slots: () => slots.size, withoutSlot: () => withoutSlot }
  }

  for (const concurrency of [1, 2, 4, 8]) {
    it.effect(`concurrency ${concurrency}: stopping aborts every exchange in flight, once, each through an in-flight slot of its own`, () =>
      Effect.gen(function*() {
        const server = hangingAttempts()
        const first = yield* Deferred.make<void>()
        const fiber = yield* Paging.offset({ operation: "test", fetch: server.fetch, limit: 20, concurrency }).pipe(
          Stream.runForEach(() => Deferred.succeed(first, undefined)),
          Effect.fork
        )
        yield* Deferred.await(first)
        yield* Effect.repeatN(Effect.yieldNow(), 20)
        expect(server.count).toStrictEqual({ sent: concurrency, aborted: 0 })
        yield* Fiber.interrupt(fiber)
        expect(server.count).toStrictEqual({ sent: concurrency, aborted: concurrency })
        // No canceler per request: each exchange registered in its fiber's slot.
        expect(server.withoutSlot()).toBe(0)
        expect(server.slots()).toBe(concurrency)
      }))
  }

  it.effect("speculation that fails aborts the exchanges it started", () =>
    Effect.gen(function*() {
      const server = hangingAttempts()
      // Page 0 holds 7 items: the requests at 20, 40 and 60 were at the wrong offsets.
      const fetch = (offset: number, limit: number) =>
        offset === 0 ? Effect.succeed(range(7)) : offset % 20 === 0 ? server.fetch(offset, limit) : Effect.succeed([])
      const items = yield* run(Paging.offset({ operation: "test", fetch, limit: 20, concurrency: 4 }))
      expect(items).toStrictEqual(range(7))
      yield* Effect.repeatN(Effect.yieldNow(), 20)
      expect(server.count).toStrictEqual({ sent: 3, aborted: 3 })
    }))
})

describe("Paging.offset: options are checked before the first request", () => {
  const bad: ReadonlyArray<readonly [string, number, number | undefined]> = [
    ["limit", 0, undefined],
    ["limit", -5, undefined],
    ["limit", 1.5, undefined],
    ["limit", Number.NaN, undefined],
    ["limit", Number.POSITIVE_INFINITY, undefined],
    ["concurrency", 20, 0],
    ["concurrency", 20, 65],
    ["concurrency", 20, 1.5],
    ["concurrency", 20, -1],
    ["concurrency", 20, Number.NaN]
  ]
  for (const [field, limit, concurrency] of bad) {
    it.effect(`${field}: limit ${limit}, concurrency ${concurrency}: typed error, nothing fetched`, () =>
      Effect.gen(function*() {
        const server = fakeServer({ items: () => range(10) })
        const error = yield* run(Paging.offset({ operation: "listThings", fetch: server.fetch, limit, concurrency })).pipe(
          Effect.flip
        )
        expect(error._tag).toBe("WechatPayInvalidInputError")
        if (error._tag === "WechatPayInvalidInputError") {
          expect(error.operation).toBe("listThings")
          expect(error.field).toBe(field)
          // The rejected value is not repeated in the error.
          expect(error.issue).not.toContain(String(field === "limit" ? limit : concurrency))
        }
        expect(server.offsets).toHaveLength(0)
      }))
  }

  it.effect("the bounds themselves are accepted", () =>
    Effect.gen(function*() {
      for (const concurrency of [1, 64]) {
        const server = fakeServer({ items: () => range(5) })
        expect(yield* run(Paging.offset({ operation: "test", fetch: server.fetch, limit: 1, concurrency }))).toStrictEqual(
          range(5)
        )
      }
    }))
})

describe("Paging.offset: property", () => {
  it.effect.prop(
    "the output is the list, in order, at any page size, server cap, concurrency and answer order",
    {
      total: fc.integer({ min: 0, max: 400 }),
      limit: fc.integer({ min: 1, max: 40 }),
      cap: fc.option(fc.integer({ min: 1, max: 45 }), { nil: undefined }),
      concurrency: fc.integer({ min: 1, max: 10 }),
      delays: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 16 })
    },
    ({ cap, concurrency, delays, limit, total }) =>
      Effect.gen(function*() {
        const list = range(total)
        const server = fakeServer({
          items: () => list,
          cap,
          delay: (_, request) => delays[request % delays.length]!
        })
        const items = yield* run(Paging.offset({ operation: "test", fetch: server.fetch, limit, concurrency }))
        expect(items).toStrictEqual(list)
        // Every request one page at a time would send was sent, the one at the end of the list included.
        const page = Math.min(limit, cap ?? limit)
        for (let k = 0; k <= Math.ceil(total / page); k++) expect(server.offsets).toContain(Math.min(k * page, total))
      }),
    { fastCheck: { numRuns: 200 } }
  )
})

describe("Paging.offset: ahead", () => {
  it.effect("concurrency 1: each request is preceded by the hint for the one expected after it", () =>
    Effect.gen(function*() {
      const events: Array<string> = []
      const list = range(200)
      const server = fakeServer({ items: () => list })
      const fetch = (offset: number, limit: number) =>
        Effect.zipRight(Effect.sync(() => events.push(`fetch ${offset}`)), server.fetch(offset, limit))
      const ahead = (offset: number, limit: number) => Effect.sync(() => void events.push(`ahead ${offset} ${limit}`))
      const items = yield* run(Paging.offset({ operation: "test", fetch, ahead, limit: 20 }))
      expect(items).toStrictEqual(list)
      const fetched = events.filter((e) => e.startsWith("fetch ")).map((e) => Number(e.slice(6)))
      expect(fetched).toStrictEqual(range(11).map((i) => i * 20))
      // Every request, and just before it (in its fiber), the hint for `offset + limit`: each came true but the last.
      for (const offset of fetched) {
        const at = events.indexOf(`fetch ${offset}`)
        expect(events[at - 1]).toBe(`ahead ${offset + 20} 20`)
      }
    }))

  it.effect("prefetching (concurrency 3): no hint, the same requests", () =>
    Effect.gen(function*() {
      const hints: Array<number> = []
      const list = range(200)
      const plain = fakeServer({ items: () => list })
      const hinted = fakeServer({ items: () => list })
      yield* run(Paging.offset({ operation: "test", fetch: plain.fetch, limit: 20, concurrency: 3 }))
      const items = yield* run(Paging.offset({
        operation: "test",
        fetch: hinted.fetch,
        ahead: (offset) => Effect.sync(() => void hints.push(offset)),
        limit: 20,
        concurrency: 3
      }))
      expect(items).toStrictEqual(list)
      expect(hints).toStrictEqual([])
      expect(hinted.offsets).toStrictEqual(plain.offsets)
    }))

  it.effect("a hint is never a request: without ahead, the same requests", () =>
    Effect.gen(function*() {
      const list = range(95)
      const plain = fakeServer({ items: () => list })
      const hinted = fakeServer({ items: () => list })
      yield* run(Paging.offset({ operation: "test", fetch: plain.fetch, limit: 20 }))
      yield* run(Paging.offset({ operation: "test", fetch: hinted.fetch, ahead: () => Effect.void, limit: 20 }))
      expect(hinted.offsets).toStrictEqual(plain.offsets)
    }))
})
