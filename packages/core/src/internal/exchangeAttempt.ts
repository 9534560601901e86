/**
 * One attempt over an `Exchange`, as an `Effect.async`, and the in-flight slot
 * a listing shares between its pages.
 *
 * Memory. V8 allocates a function literal assigned to an object property
 * (`op.f = () => …`) directly in the old generation: its parser marks such
 * literals "pretenured" (`CheckAssigningFunctionLiteralToProperty`). Effect's
 * `async` (one per call), `uninterruptibleMask` / `interruptible` (behind
 * `onInterrupt`, `onExit`, `withSpan`, `provideService`) and the channel's
 * `fromEffect` (one per page of `Stream.unfold*`) each make one. Such a
 * closure dies with its request, but only a full GC can see that: until then
 * every young-generation GC treats what it references as live, so all of it
 * is promoted, per request. Measured over a million items: 66 MiB of peak heap
 * over the 10 000-item run, against 17 MiB once nothing of a page is reachable
 * from those closures (this module, and the listing's channel in
 * FaceCollections.ts; bench/PROFILE.md, "Memory").
 *
 * So, here:
 * - the register function handed to `Effect.async` reaches one small cell,
 *   emptied as soon as the exchange starts; the attempt's state is dropped
 *   once it settles;
 * - a listing interrupts its pages through one finalizer on its own scope (the
 *   `InFlight` slot below) instead of a canceler per request, which Effect
 *   wraps in an `onInterrupt`.
 *
 * @internal
 */
import { Duration, Effect, FiberRef, GlobalValue, type Scope } from "effect"
import type * as Exchange from "../Exchange.js"
import { ExchangeFailure } from "../Exchange.js"
import { WechatPayTransportError } from "../WechatPayError.js"

/**
 * A response as received, in the shape the verifier reads. Mutable on purpose:
 * once the body is parsed the client drops it and the headers, so that
 * whatever still points at this record a while (see above) keeps no page.
 */
export interface Received {
  readonly method: string
  readonly path: string
  readonly status: number
  headers: Readonly<Record<string, string | undefined>>
  body: string
}

/** Everything one attempt needs, built by the client per attempt. */
export interface Job {
  readonly platform: Exchange.Service
  readonly request: Exchange.Request
  /** The API path (without query), as the errors name it. */
  readonly path: string
  /** The attempt's deadline: past it, the exchange is aborted and the attempt fails with a `Timeout`. */
  readonly timeout: Duration.Duration
  readonly attempts: number
}

/**
 * The exchange in flight in one listing's fiber. The listing's scope aborts it
 * when it closes (the fiber was interrupted, or the consumer stopped early).
 */
export interface InFlight {
  current: Attempt | undefined
  /** The deadline timer this fiber's attempts share (see `armShared`). */
  deadline: Deadline | undefined
}

interface Attempt {
  timer: ReturnType<typeof setTimeout> | undefined
  /** The slot's shared deadline, while this attempt is the one it watches. */
  deadline: Deadline | undefined
  abort: (() => void) | undefined
  timedOut: boolean
  slot: InFlight | undefined
}

/**
 * One timer for every attempt of a listing's fiber, re-armed per attempt with
 * `refresh()` instead of a `setTimeout` + `clearTimeout` per request: Node
 * rebuilds its timer list of a duration each time that list empties, which
 * the profile showed per page (bench/PROFILE.md). Referenced (keeping the
 * process alive) only while an attempt is outstanding, like a timer of its own.
 */
interface Deadline {
  readonly ms: number
  readonly handle: ReturnType<typeof setTimeout>
  /** `handle`, as what it is on Node. */
  readonly timer: RefreshableTimer
  /** The attempt it watches; when it fires with none, it did so after that attempt settled: nothing to do. */
  attempt: Attempt | undefined
}

/** Node's `Timeout`; other platforms' timers (a number) are not refreshable and keep a timer per attempt. */
interface RefreshableTimer {
  readonly refresh: () => unknown
  readonly ref: () => unknown
  readonly unref: () => unknown
}

const isRefreshable = (timer: unknown): timer is RefreshableTimer =>
  typeof timer === "object" && timer !== null && "refresh" in timer && typeof timer.refresh === "function" &&
  "ref" in timer && typeof timer.ref === "function" && "unref" in timer && typeof timer.unref === "function"

interface Cell {
  job: Job | undefined
  slot: InFlight | undefined
}

type Resume = (effect: Effect.Effect<Received, WechatPayTransportError>) => void

/**
 * The slot of the current fiber, if it runs a listing. Forked fibers start
 * without one (they get a canceler per request) and never hand theirs back.
 */
export const currentInFlight: FiberRef.FiberRef<InFlight | undefined> = GlobalValue.globalValue(
  Symbol.for("@effect-wechatpay/core/internal/exchangeAttempt/currentInFlight"),
  () =>
    FiberRef.unsafeMake<InFlight | undefined>(undefined, {
      fork: () => undefined,
      join: (parent) => parent
    })
)

// Stops the timer and forgets the abort function and the slot entry; returns
// the abort function if the attempt was still open.
const close = (attempt: Attempt): (() => void) | undefined => {
  if (attempt.timer !== undefined) clearTimeout(attempt.timer)
  attempt.timer = undefined
  const deadline = attempt.deadline
  if (deadline !== undefined && deadline.attempt === attempt) {
    deadline.attempt = undefined
    deadline.timer.unref()
  }
  attempt.deadline = undefined
  const abort = attempt.abort
  attempt.abort = undefined
  const slot = attempt.slot
  if (slot !== undefined && slot.current === attempt) slot.current = undefined
  attempt.slot = undefined
  return abort
}

const cancel = (attempt: Attempt): void => {
  const abort = close(attempt)
  if (abort !== undefined) abort()
}

const onDeadline = (attempt: Attempt): void => {
  attempt.timedOut = true
  cancel(attempt)
}

const onSharedDeadline = (deadline: Deadline): void => {
  const attempt = deadline.attempt
  if (attempt !== undefined) onDeadline(attempt)
}

// Arms the slot's shared timer for `attempt` (a new timer when the duration
// changed); false when the platform's timers cannot be refreshed.
const armShared = (slot: InFlight, attempt: Attempt, ms: number): boolean => {
  let deadline = slot.deadline
  if (deadline !== undefined && deadline.ms === ms) {
    deadline.attempt = attempt
    deadline.timer.refresh()
    deadline.timer.ref()
  } else {
    if (deadline !== undefined) clearTimeout(deadline.handle)
    const cell: { deadline: Deadline | undefined } = { deadline: undefined }
    const handle = setTimeout(() => {
      if (cell.deadline !== undefined) onSharedDeadline(cell.deadline)
    }, ms)
    const timer: unknown = handle
    if (!isRefreshable(timer)) {
      clearTimeout(handle)
      slot.deadline = undefined
      return false
    }
    deadline = { ms, handle, timer, attempt }
    cell.deadline = deadline
    slot.deadline = deadline
  }
  attempt.deadline = deadline
  return true
}

/**
 * For the duration of the current scope, this fiber's exchanges register in
 * one slot, aborted when the scope closes, and go without a canceler each.
 */
export const inFlightSlot: Effect.Effect<void, never, Scope.Scope> = Effect.suspend(() => {
  const slot: InFlight = { current: undefined, deadline: undefined }
  return Effect.zipRight(
    Effect.locallyScoped(currentInFlight, slot),
    Effect.addFinalizer(() =>
      Effect.sync(() => {
        const attempt = slot.current
        if (attempt !== undefined) cancel(attempt)
        const deadline = slot.deadline
        slot.deadline = undefined
        if (deadline !== undefined) clearTimeout(deadline.handle)
      })
    )
  )
})

// The callbacks are built here, at module level, so that each closes over the
// few values it needs and nothing of the client's per-request scope.
const settle = (attempt: Attempt, job: Job, resume: Resume) => {
  const method = job.request.method
  const path = job.path
  const attempts = job.attempts
  const timeout = job.timeout
  return [
    (answer: Exchange.Response): void => {
      close(attempt)
      resume(Effect.succeed<Received>({
        method,
        path,
        status: answer.status,
        headers: answer.headers,
        body: answer.body
      }))
    },
    (failure: unknown): void => {
      close(attempt)
      resume(Effect.fail(
        new WechatPayTransportError({
          method,
          path,
          reason: attempt.timedOut
            ? "Timeout"
            : failure instanceof ExchangeFailure
            ? failure.reason
            : "Connection",
          description: attempt.timedOut
            ? `no complete response within ${Duration.format(timeout)}`
            : failure instanceof ExchangeFailure
            ? failure.description
            : "the exchange failed",
          attempts
        })
      ))
    }
  ] as const
}

const start = (cell: Cell, resume: Resume): Effect.Effect<void> | undefined => {
  const job = cell.job
  const slot = cell.slot
  cell.job = undefined
  cell.slot = undefined
  if (job === undefined) {
    resume(Effect.dieMessage("an exchange attempt was run twice"))
    return undefined
  }
  const attempt: Attempt = { timer: undefined, deadline: undefined, abort: undefined, timedOut: false, slot }
  const [onAnswer, onFailure] = settle(attempt, job, resume)
  let pending: Exchange.Pending
  try {
    pending = job.platform.exchange(job.request)
  } catch (error) {
    onFailure(error)
    return undefined
  }
  attempt.abort = pending.abort
  const ms = Duration.toMillis(job.timeout)
  if (slot === undefined || !armShared(slot, attempt, ms)) attempt.timer = setTimeout(onDeadline, ms, attempt)
  pending.response.then(onAnswer, onFailure)
  if (slot !== undefined) {
    // The previous attempt of this fiber, if still registered, has settled or
    // been interrupted already: a fiber runs one attempt at a time.
    slot.current = attempt
    return undefined
  }
  return Effect.sync(() => cancel(attempt))
}

const registerFor = (cell: Cell) => (resume: Resume) => start(cell, resume)

/**
 * One attempt: sends `job.request`, fails with a `Timeout` transport error
 * once `job.timeout` passes, and aborts the exchange if the fiber is
 * interrupted (through `slot` when given, else through its own canceler).
 */
export const run = (job: Job, slot: InFlight | undefined): Effect.Effect<Received, WechatPayTransportError> =>
  Effect.async(registerFor({ job, slot }))
