/**
 * Which notifications were handled already. WeChat Pay delivers a
 * notification more than once (a resend after a slow or failed answer, and
 * sometimes twice anyway); `NotificationHandler` runs the user's handler once
 * per notification `id` through this service.
 *
 * The default (`layerMemory`) is a bounded in-memory set for one process. A
 * provider running several instances, or wanting de-duplication across
 * restarts, supplies its own (a table with a unique key on `id`, a Redis
 * `SET NX`) with `layer`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NotificationStore } from "@effect-wechatpay/core"
 *
 * // Backed by your database: claim inserts the id with state "pending" unless present.
 * declare const db: {
 *   readonly claim: (id: string) => Promise<"new" | "done" | "pending">
 *   readonly complete: (id: string) => Promise<void>
 *   readonly release: (id: string) => Promise<void>
 * }
 * const StoreLive = NotificationStore.layer({
 *   claim: (id) => Effect.promise(() => db.claim(id)),
 *   complete: (id) => Effect.promise(() => db.complete(id)),
 *   release: (id) => Effect.promise(() => db.release(id))
 * })
 * ```
 *
 * @since 0.2.0
 */
import { Context, Effect, Layer } from "effect"

/**
 * What `claim` found: `new` (handle it now; `complete` or `release` follows),
 * `done` (handled before: answer success, do not handle again), `pending`
 * (being handled right now by another delivery: answer so that WeChat Pay
 * resends later).
 *
 * @since 0.2.0
 * @category Models
 */
export type Claim = "new" | "done" | "pending"

/**
 * @since 0.2.0
 * @category Models
 */
export interface Service {
  readonly claim: (id: string) => Effect.Effect<Claim>
  /** The handler succeeded: later deliveries of `id` are `done`. */
  readonly complete: (id: string) => Effect.Effect<void>
  /** The handler failed: a later delivery of `id` is `new` again. */
  readonly release: (id: string) => Effect.Effect<void>
}

/**
 * @since 0.2.0
 * @category Context
 */
export class NotificationStore extends Context.Tag("@effect-wechatpay/core/NotificationStore")<
  NotificationStore,
  Service
>() {}

/**
 * 10 000 handled ids: more than a day of a large school's contract changes.
 *
 * @since 0.2.0
 * @category Constants
 */
export const DEFAULT_CAPACITY = 10_000

/**
 * An in-memory store remembering the last `capacity` handled ids (the oldest
 * is forgotten first); ids being handled are not counted against it.
 *
 * @since 0.2.0
 * @category Constructors
 */
export const makeMemory = (options: { readonly capacity?: number | undefined } = {}): Effect.Effect<Service> =>
  Effect.sync(() => {
    const capacity = Math.max(1, Math.floor(options.capacity ?? DEFAULT_CAPACITY))
    // A Map iterates in insertion order: its first key is the oldest handled id.
    const done = new Map<string, true>()
    const pending = new Set<string>()
    return NotificationStore.of({
      claim: (id) =>
        Effect.sync(() => {
          if (done.has(id)) return "done"
          if (pending.has(id)) return "pending"
          pending.add(id)
          return "new"
        }),
      complete: (id) =>
        Effect.sync(() => {
          pending.delete(id)
          done.set(id, true)
          if (done.size > capacity) {
            const oldest = done.keys().next()
            if (oldest.done !== true) done.delete(oldest.value)
          }
        }),
      release: (id) =>
        Effect.sync(() => {
          pending.delete(id)
        })
    })
  })

/**
 * @since 0.2.0
 * @category Layers
 */
export const layerMemory = (options: { readonly capacity?: number | undefined } = {}): Layer.Layer<NotificationStore> =>
  Layer.effect(NotificationStore, makeMemory(options))

/**
 * Your own store.
 *
 * @since 0.2.0
 * @category Layers
 */
export const layer = (service: Service): Layer.Layer<NotificationStore> =>
  Layer.succeed(NotificationStore, NotificationStore.of(service))
