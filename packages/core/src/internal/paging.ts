/**
 * The offset-paging engine behind `Paging.offset`.
 *
 * Memory (internal/exchangeAttempt.ts, bench/PROFILE.md "Memory"). Effect
 * allocates some closures of its own in the old generation, once per call
 * (`async`, `uninterruptibleMask`, the channel's `fromEffect`): whatever they
 * reach survives every young-generation GC until the next full one, so a page
 * reachable from one of them is promoted, page after page. Here, at every
 * concurrency:
 * - one channel per run, built once, over one pull effect built once: the
 *   channel's `fromEffect` step reaches the pull, never a page;
 * - the state is mutable and lives outside the per-page closures (offsets,
 *   stride, the window of requests in flight);
 * - at concurrency 1 the page is fetched in the stream's own fiber, its
 *   exchange registered in the listing's in-flight slot (no canceler, no
 *   fiber, no finalizer per page);
 * - ahead of it, the pages are fetched by at most `concurrency` long-lived
 *   worker fibers, not a fiber per page. Measured (a fiber per page, joined):
 *   joining is an `Effect.async` whose register closure reaches the fiber,
 *   and the exchange's own `Effect.async` reaches it too; each such fiber,
 *   and what it held, was promoted once per page: 110 MiB of peak heap over
 *   a million items at `concurrency: 4`, against 58 at 1. A worker outlives
 *   the listing's pages, so what reaches it reaches no page;
 * - a page goes from its worker to the listing through a mutable slot,
 *   emptied as soon as it is read; the listing waits on the slot, the worker
 *   on its next job, each through a register function reaching that one
 *   record;
 * - each worker's exchanges register in its own in-flight slot, aborted when
 *   the worker is interrupted: no canceler per request. A request whose
 *   speculative offset turned out wrong is interrupted with its worker, and
 *   a new worker takes its place when needed (rare: only when pages shrink);
 * - the workers are forked synchronously from one runtime captured at the
 *   start, and one finalizer on the listing's scope interrupts them: no
 *   child scope, finalizer or `onExit` per page.
 *
 * @internal
 */
import { type Cause, Channel, Chunk, Effect, Fiber, FiberId, Runtime, Schema, type Scope, Stream } from "effect"
import { WechatPayInvalidInputError, WechatPayPagingError } from "../WechatPayError.js"
import * as ExchangeAttempt from "./exchangeAttempt.js"
import { invalid } from "./input.js"

/** The options of `Paging.offset`, documented there. */
export type { OffsetOptions } from "../Paging.js"
import type { OffsetOptions } from "../Paging.js"

/** The most pages in flight at once. */
export const MAX_CONCURRENCY = 64

const Limit = Schema.Number.pipe(
  Schema.int({ message: () => "must be an integer" }),
  Schema.greaterThanOrEqualTo(1, { message: () => "must be at least 1" })
)
const Concurrency = Schema.Number.pipe(
  Schema.int({ message: () => `must be an integer between 1 and ${MAX_CONCURRENCY}` }),
  Schema.between(1, MAX_CONCURRENCY, { message: () => `must be an integer between 1 and ${MAX_CONCURRENCY}` })
)
const decodeLimit = Schema.decodeUnknownEither(Limit)
const decodeConcurrency = Schema.decodeUnknownEither(Concurrency)
const decodeStalled = Schema.decodeUnknownEither(Schema.Number.pipe(
  Schema.int({ message: () => "must be an integer between 1 and 100" }),
  Schema.between(1, 100, { message: () => "must be an integer between 1 and 100" })
))
const decodeMaxPages = Schema.decodeUnknownEither(Limit)

/** Pages in a row with no new item that end a listing with `NoProgress`, by default. */
export const DEFAULT_MAX_STALLED_PAGES = 3

/**
 * The pages whose keys are remembered, for `distinct` and to tell a page that
 * brings something new: the last four. Bounded (at most 4 × `limit` keys), so
 * a listing of a million items costs no more memory than one of ten thousand.
 */
export const RECENT_PAGES = 4

/** The next chunk to emit (maybe empty, when `distinct` dropped a whole page), or `undefined` at the end. */
type Pull<A, E, R> = Effect.Effect<Chunk.Chunk<A> | undefined, E | WechatPayPagingError, R>

// One channel for the whole run, built once: the next chunk, written, then the same again.
const pages = <A, E, R>(
  pull: Pull<A, E, R>
): Channel.Channel<Chunk.Chunk<A>, unknown, E | WechatPayPagingError, unknown, void, unknown, R> => {
  const rest = Channel.suspend(() => channel)
  const channel: Channel.Channel<Chunk.Chunk<A>, unknown, E | WechatPayPagingError, unknown, void, unknown, R> = Channel.flatMap(
    Channel.fromEffect(pull),
    (chunk) =>
      chunk === undefined ? Channel.void : Chunk.isEmpty(chunk) ? rest : Channel.zipRight(Channel.write(chunk), rest)
  )
  return channel
}

/** What a page becomes, given the offset it was asked at: the chunk to emit, or why the listing stops. */
type Emit<A> = (items: ReadonlyArray<A>, offset: number) => Chunk.Chunk<A> | WechatPayPagingError

interface EmitOptions<A> {
  readonly operation: string
  /** The key of an item, for progress (and `distinct`). */
  readonly key: ((item: A) => string) | undefined
  /** Drop an item whose key is among the recent pages'. */
  readonly distinct: boolean
  readonly maxStalledPages: number
  readonly maxPages: number | undefined
}

/**
 * A page as emitted, and the checks that make every listing end. With a key,
 * a page none of whose keys is new (among the last `RECENT_PAGES` pages', or
 * earlier in the page) brings no progress; `maxStalledPages` of them in a row
 * fail the listing. Then, with `distinct`, the items whose key is not new are
 * dropped.
 */
const emitter = <A>(options: EmitOptions<A>): Emit<A> => {
  const { distinct, key, maxPages, maxStalledPages, operation } = options
  if (key === undefined && maxPages === undefined) return Chunk.unsafeFromArray
  let pages = 0
  let stalled = 0
  /** The keys of the last pages, oldest first. */
  const recent: Array<Set<string>> = []
  const known = (k: string): boolean => {
    for (const keys of recent) if (keys.has(k)) return true
    return false
  }
  return (items, offset) => {
    pages += 1
    if (maxPages !== undefined && pages > maxPages) {
      return new WechatPayPagingError({ operation, reason: "TooManyPages", offset, pages, limit: maxPages })
    }
    if (key === undefined) return Chunk.unsafeFromArray(items)
    const keys = new Set<string>()
    const kept: Array<A> = []
    for (const item of items) {
      const k = key(item)
      if (keys.has(k) || known(k)) {
        if (!distinct) kept.push(item)
      } else {
        keys.add(k)
        kept.push(item)
      }
    }
    if (keys.size === 0) {
      stalled += 1
      if (stalled >= maxStalledPages) {
        return new WechatPayPagingError({ operation, reason: "NoProgress", offset, pages, limit: maxStalledPages })
      }
    } else {
      stalled = 0
      recent.push(keys)
      if (recent.length > RECENT_PAGES) recent.shift()
    }
    return Chunk.unsafeFromArray(kept)
  }
}

const isPagingError = (u: unknown): u is WechatPayPagingError => u instanceof WechatPayPagingError

interface Settings<A, E, R> {
  readonly limit: number
  readonly concurrency: number
  readonly endOnShortPage: boolean
  readonly emit: Emit<A>
  readonly fetch: (offset: number, limit: number) => Effect.Effect<ReadonlyArray<A>, E, R>
  /** At concurrency 1: fetches a page after the hint for the page expected after it (`ahead`), if any. */
  readonly fetchAhead: (offset: number, limit: number) => Effect.Effect<ReadonlyArray<A>, E, R>
}

const succeedEnd = Effect.succeed(undefined)

// One page at a time, in the stream's own fiber. The request in flight is
// aborted by the scope's finalizer (the in-flight slot) when the stream is
// interrupted or stopped, not by a canceler per request.
const sequential = <A, E, R>(
  settings: Settings<A, E, R>
): Effect.Effect<Stream.Stream<A, E | WechatPayPagingError, R>, never, Scope.Scope> => {
  const { emit, endOnShortPage, fetchAhead, limit } = settings
  let offset = 0
  let done = false
  const onPage = (items: ReadonlyArray<A>): Effect.Effect<Chunk.Chunk<A> | undefined, WechatPayPagingError> => {
    const n = items.length
    if (n === 0) {
      done = true
      return succeedEnd
    }
    const chunk = emit(items, offset)
    if (isPagingError(chunk)) {
      done = true
      return Effect.fail(chunk)
    }
    if (endOnShortPage && n < limit) done = true
    else offset += n
    return Effect.succeed(chunk)
  }
  const pull: Pull<A, E, R> = Effect.suspend(() => done ? succeedEnd : Effect.flatMap(fetchAhead(offset, limit), onPage))
  return Effect.as(ExchangeAttempt.inFlightSlot, Stream.fromChannel(pages(pull)))
}

/** One request of the window: its offset, and its outcome once received (until read). */
interface Slot<A, E> {
  readonly offset: number
  items: ReadonlyArray<A> | undefined
  cause: Cause.Cause<E> | undefined
  /** The worker fetching it, until it has answered. */
  worker: Worker<A, E> | undefined
  /** The listing's fiber, waiting for this page. */
  waiter: Resume | undefined
}

/** A fiber of the listing, fetching one page after another: the slot it fetches, or none when idle. */
interface Worker<A, E> {
  fiber: Fiber.RuntimeFiber<never> | undefined
  job: Slot<A, E> | undefined
  /** The worker, waiting for a job. */
  resume: Resume | undefined
}

type Resume = (effect: Effect.Effect<void>) => void

const wake = (resume: Resume | undefined): void => {
  if (resume !== undefined) resume(Effect.void)
}

// The register functions reach one slot or one worker record, and nothing else.
const awaitPage = <A, E>(slot: Slot<A, E>) => (resume: Resume): void => {
  if (slot.items !== undefined || slot.cause !== undefined) resume(Effect.void)
  else slot.waiter = resume
}
const awaitJob = <A, E>(worker: Worker<A, E>) => (resume: Resume): void => {
  if (worker.job !== undefined) resume(Effect.void)
  else worker.resume = resume
}

const assign = <A, E>(worker: Worker<A, E>, slot: Slot<A, E>): void => {
  worker.job = slot
  slot.worker = worker
  const resume = worker.resume
  worker.resume = undefined
  wake(resume)
}

// A worker and its loop: wait for a job, fetch its page, hand it over through
// the slot, and again. Its exchanges register in its own in-flight slot,
// aborted when the worker is interrupted: no canceler per request.
const makeWorker = <A, E, R>(
  fetch: (offset: number, limit: number) => Effect.Effect<ReadonlyArray<A>, E, R>,
  limit: number
): readonly [Worker<A, E>, Effect.Effect<never, never, R>] => {
  const worker: Worker<A, E> = { fiber: undefined, job: undefined, resume: undefined }
  const handOver = (slot: Slot<A, E> | undefined): void => {
    worker.job = undefined
    if (slot === undefined) return
    slot.worker = undefined
    const waiter = slot.waiter
    slot.waiter = undefined
    wake(waiter)
  }
  const onSuccess = (items: ReadonlyArray<A>): void => {
    const slot = worker.job
    if (slot !== undefined) slot.items = items
    handOver(slot)
  }
  const onFailure = (cause: Cause.Cause<E>): void => {
    const slot = worker.job
    if (slot !== undefined) slot.cause = cause
    handOver(slot)
  }
  const next: Effect.Effect<void> = Effect.suspend(() =>
    worker.job !== undefined ? Effect.void : Effect.async<void>(awaitJob(worker))
  )
  const run: Effect.Effect<void, never, R> = Effect.suspend(() => {
    const slot = worker.job
    return slot === undefined ? Effect.void : Effect.matchCause(fetch(slot.offset, limit), { onFailure, onSuccess })
  })
  const loop: Effect.Effect<never, never, R> = Effect.zipRight(Effect.zipRight(next, run), Effect.suspend(() => loop))
  return [worker, Effect.scoped(Effect.zipRight(ExchangeAttempt.inFlightSlot, loop))]
}

// Up to `concurrency` pages in flight, emitted in offset order. Requests are
// speculative: the offsets assume pages as full as the last one (the stride),
// and a request whose offset turns out wrong is interrupted and its page never
// read.
const prefetching = <A, E, R>(
  settings: Settings<A, E, R>
): Effect.Effect<Stream.Stream<A, E | WechatPayPagingError, R>, never, R | Scope.Scope> =>
  Effect.flatMap(
    Effect.runtime<R>(),
    (runtime) => {
      const { concurrency, emit, endOnShortPage, fetch, limit } = settings
      const fork = Runtime.runFork(runtime)
      /** Requests in flight or answered, in offset order; the head is the next page to emit. */
      const window: Array<Slot<A, E>> = []
      /** At most `concurrency`: one per request in flight, the others idle. */
      const workers: Array<Worker<A, E>> = []
      /** Workers interrupted with their request (speculation failed), until they have stopped. */
      let discarded: Array<Fiber.RuntimeFiber<never>> = []
      /** Items per page the server has been serving: the stride of speculative offsets. */
      let stride = limit
      let done = false

      const idle = (): Worker<A, E> => {
        for (const worker of workers) if (worker.job === undefined) return worker
        const [worker, work] = makeWorker(fetch, limit)
        workers.push(worker)
        worker.fiber = fork(work)
        return worker
      }
      const start = (offset: number): void => {
        const slot: Slot<A, E> = { offset, items: undefined, cause: undefined, worker: undefined, waiter: undefined }
        window.push(slot)
        assign(idle(), slot)
      }
      const fill = (next: number): void => {
        for (let i = window.length; i < concurrency; i++) start(next + i * stride)
      }
      const discard = (): void => {
        discarded = discarded.filter((fiber) => fiber.unsafePoll() === null)
        for (const slot of window) {
          const worker = slot.worker
          slot.worker = undefined
          slot.items = undefined
          slot.cause = undefined
          if (worker !== undefined && worker.job === slot) {
            // Still fetching: the worker goes with its request.
            worker.job = undefined
            workers.splice(workers.indexOf(worker), 1)
            const fiber = worker.fiber
            worker.fiber = undefined
            if (fiber !== undefined) {
              fiber.unsafeInterruptAsFork(FiberId.none)
              discarded.push(fiber)
            }
          }
        }
        window.length = 0
      }

      // The head has answered with a page: that page, and the window for the next one.
      const step = (items: ReadonlyArray<A>): Chunk.Chunk<A> | undefined | WechatPayPagingError => {
        const head = window.shift()!
        const n = items.length
        const chunk = n === 0 ? undefined : emit(items, head.offset)
        if (n === 0 || (endOnShortPage && n < limit) || isPagingError(chunk)) {
          done = true
          discard()
          return chunk
        }
        const next = head.offset + n
        if (n < stride) {
          // Shorter than the pages so far: the end, or a server serving less than asked.
          // Confirm with one request rather than a window of speculation past the end.
          discard()
          stride = n
          start(next)
          return chunk
        }
        // Speculation held when the next request in flight starts where this page ended.
        if (window[0]?.offset !== next) discard()
        stride = Math.min(n, limit)
        fill(next)
        return chunk
      }
      const onAnswer = (): Pull<A, E, never> => {
        const head = window[0]!
        const items = head.items
        const cause = head.cause
        head.items = undefined
        head.cause = undefined
        if (items === undefined) return Effect.failCause(cause!)
        const chunk = step(items)
        return isPagingError(chunk) ? Effect.fail(chunk) : Effect.succeed(chunk)
      }
      const pull: Pull<A, E, never> = Effect.suspend(() => {
        if (done) return succeedEnd
        if (window.length === 0) fill(0)
        return Effect.flatMap(Effect.async<void>(awaitPage(window[0]!)), onAnswer)
      })

      const stop = Effect.suspend(() => {
        const fibers = discarded
        for (const worker of workers) if (worker.fiber !== undefined) fibers.push(worker.fiber)
        window.length = 0
        workers.length = 0
        discarded = []
        return Fiber.interruptAll(fibers)
      })
      return Effect.as(Effect.addFinalizer(() => stop), Stream.fromChannel(pages(pull)))
    }
  )

/** `Paging.offset`. */
export const offset = <A, E, R>(
  options: OffsetOptions<A, E, R>
): Stream.Stream<A, E | WechatPayInvalidInputError | WechatPayPagingError, R> =>
  Stream.unwrapScoped(Effect.suspend(() => {
    // Checked once, up front: nothing is fetched when an option is wrong.
    const limit = decodeLimit(options.limit)
    if (limit._tag === "Left") return Effect.fail(invalid(options.operation, limit.left, "limit"))
    const concurrency = decodeConcurrency(options.concurrency ?? 1)
    if (concurrency._tag === "Left") return Effect.fail(invalid(options.operation, concurrency.left, "concurrency"))
    const stalled = decodeStalled(options.maxStalledPages ?? DEFAULT_MAX_STALLED_PAGES)
    if (stalled._tag === "Left") return Effect.fail(invalid(options.operation, stalled.left, "maxStalledPages"))
    const maxPages = options.maxPages === undefined ? undefined : decodeMaxPages(options.maxPages)
    if (maxPages?._tag === "Left") return Effect.fail(invalid(options.operation, maxPages.left, "maxPages"))
    const distinct = options.distinct ?? false
    if (typeof distinct === "function" && options.key !== undefined) {
      return Effect.fail(
        new WechatPayInvalidInputError({
          operation: options.operation,
          field: "distinct",
          issue: "give key with distinct: true, or a distinct function alone, not both"
        })
      )
    }
    const key = typeof distinct === "function" ? distinct : options.key
    if (distinct === true && key === undefined) {
      return Effect.fail(
        new WechatPayInvalidInputError({ operation: options.operation, field: "distinct", issue: "true needs a key" })
      )
    }
    const fetch = options.fetch
    const ahead = options.ahead
    const settings: Settings<A, E, R> = {
      fetch,
      // One page at a time, the request that follows a page's is, the page being full, at `offset + limit`.
      // Not ahead of a prefetch window: a hint would live a whole round trip of `concurrency` pages, costing
      // heap for no gain in time, as the window already overlaps the waits (bench/PROFILE.md, round 3).
      fetchAhead: ahead === undefined
        ? fetch
        : (offset, limit) => Effect.zipRight(ahead(offset + limit, limit), fetch(offset, limit)),
      limit: limit.right,
      concurrency: concurrency.right,
      endOnShortPage: options.endOnShortPage ?? false,
      emit: emitter({
        operation: options.operation,
        key,
        distinct: distinct !== false,
        maxStalledPages: stalled.right,
        maxPages: maxPages?.right
      })
    }
    return settings.concurrency === 1 ? sequential(settings) : prefetching(settings)
  }))
