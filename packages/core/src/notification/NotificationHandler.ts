/**
 * Serving notifications: `handle` for any server (headers and raw body in,
 * an answer out), `httpApp` for `@effect/platform`'s `HttpServer` (mount it
 * at your notification URL in your router).
 *
 * The answer follows WeChat Pay's rules: 2xx only once your handler
 * succeeded; a refused notification (any check of `Notification.parse`) is
 * 4xx and your handler does not run; a failing handler is 500, and WeChat
 * Pay resends later. Each notification `id` is handled once through
 * `NotificationStore`: a delivery of an id already handled is answered 200
 * without running the handler again.
 *
 * @example
 * ```ts
 * import { HttpRouter } from "@effect/platform"
 * import { Effect } from "effect"
 * import { NotificationHandler } from "@effect-wechatpay/core"
 *
 * const router = HttpRouter.empty.pipe(
 *   HttpRouter.post(
 *     "/wechatpay/notify",
 *     NotificationHandler.httpApp((event) =>
 *       event._tag === "UserStateChange" ? Effect.log(`contract of ${event.resource.outUserId} changed`) : Effect.void
 *     )
 *   )
 * )
 * ```
 *
 * @since 0.2.0
 */
// Module paths, not the barrel: "@effect/platform" loads every platform module into every process that imports
// core (bench/PROFILE.md, round 3).
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { type Cause, Chunk, Effect, Exit, Stream } from "effect"
import type { ApiV3Key } from "../ApiV3Key.js"
import type { ResponseVerifier } from "../ResponseVerifier.js"
import { type NotificationCheck, WechatPayNotificationError } from "../WechatPayError.js"
import * as Notification from "./Notification.js"
import { NotificationStore } from "./NotificationStore.js"

/**
 * What to send back to WeChat Pay: a status and a small JSON body
 * (`{"code":"SUCCESS","message":"OK"}`, or `{"code":"FAIL","message":…}`).
 *
 * @since 0.2.0
 * @category Models
 */
export interface Answer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * What happened to one delivery.
 *
 * - `Handled`: verified, new, your handler succeeded (2xx).
 * - `Duplicate`: verified, an id handled before; the handler did not run (2xx).
 * - `Pending`: verified, an id being handled by another delivery right now;
 *   the handler did not run (503: WeChat Pay resends later).
 * - `Refused`: a check failed; the handler did not run (4xx).
 * - `HandlerFailed`: your handler failed or died (500: WeChat Pay resends).
 *
 * @since 0.2.0
 * @category Models
 */
export type Outcome<E> =
  | { readonly _tag: "Handled"; readonly event: Notification.Event }
  | { readonly _tag: "Duplicate"; readonly event: Notification.Event }
  | { readonly _tag: "Pending"; readonly event: Notification.Event }
  | { readonly _tag: "Refused"; readonly error: WechatPayNotificationError }
  | { readonly _tag: "HandlerFailed"; readonly event: Notification.Event; readonly cause: Cause.Cause<E> }

/**
 * @since 0.2.0
 * @category Models
 */
export interface Handled<E> {
  readonly answer: Answer
  readonly outcome: Outcome<E>
}

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8" } as const

const answer = (status: number, code: "SUCCESS" | "FAIL", message: string): Answer => ({
  status,
  headers: JSON_HEADERS,
  body: JSON.stringify({ code, message })
})

/** 401 for what proves nothing about the sender, 413 for a body too large, 400 for the rest. */
const refusedStatus = (check: NotificationCheck): number =>
  check === "TooLarge"
    ? 413
    : check === "Decrypt" || check === "MalformedBody" || check === "MalformedResource" ||
        check === "UnsupportedAlgorithm"
    ? 400
    : 401

/**
 * The answer to a refused notification: the check and its reason, which
 * never hold a secret or plaintext.
 *
 * @since 0.2.0
 * @category Answers
 */
export const refusal = (error: WechatPayNotificationError): Answer =>
  answer(refusedStatus(error.check), "FAIL", `${error.check}: ${error.reason}`)

/**
 * What `handle` needs besides the user handler's own context.
 *
 * @since 0.2.0
 * @category Models
 */
export type HandleContext = ResponseVerifier | ApiV3Key | NotificationStore

/**
 * The outcome and answer of a body larger than `maxBytes`, for servers that
 * read the body themselves and stop at the bound.
 *
 * @since 0.2.0
 * @category Answers
 */
export const tooLarge = (maxBytes: number): Handled<never> => {
  const error = new WechatPayNotificationError({ check: "TooLarge", reason: `the body is larger than ${maxBytes} bytes` })
  return { answer: refusal(error), outcome: { _tag: "Refused", error } }
}

/**
 * Handles one delivery: `Notification.parse`, then `onEvent` once per
 * notification id (`NotificationStore`), then the answer. Never fails: every
 * failure is an `Outcome` with its answer; log or count them as you like
 * (refusals are also logged at warning level, handler failures at error
 * level, with the check or the cause, never the body).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { NotificationHandler } from "@effect-wechatpay/core"
 *
 * // In any server: hand over the headers and the raw body bytes, send back the answer.
 * declare const headers: Record<string, string | Array<string> | undefined>
 * declare const rawBody: Uint8Array
 *
 * const program = NotificationHandler.handle({ headers, body: rawBody }, (event) => Effect.log(event.eventType)).pipe(
 *   Effect.map(({ answer }) => answer) // { status, headers, body }
 * )
 * ```
 *
 * @since 0.2.0
 * @category Handling
 */
export const handle = <E, R>(
  received: Notification.Received,
  onEvent: (event: Notification.Event) => Effect.Effect<void, E, R>,
  options: Notification.ParseOptions = {}
): Effect.Effect<Handled<E>, never, R | ResponseVerifier | ApiV3Key | NotificationStore> =>
  Effect.gen(function*() {
    const parsed = yield* Effect.either(Notification.parse(received, options))
    if (parsed._tag === "Left") {
      const error = parsed.left
      yield* Effect.logWarning("WeChat Pay notification refused").pipe(
        Effect.annotateLogs({ check: error.check, reason: error.reason })
      )
      yield* Effect.annotateCurrentSpan({ "wechatpay.notification.outcome": "Refused", "wechatpay.notification.check": error.check })
      return { answer: refusal(error), outcome: { _tag: "Refused", error } } satisfies Handled<E>
    }
    const event = parsed.right
    yield* Effect.annotateCurrentSpan({
      "wechatpay.notification.id": event.id,
      "wechatpay.notification.event_type": event.eventType
    })
    const store = yield* NotificationStore
    const claim = yield* store.claim(event.id)
    if (claim === "done") {
      yield* Effect.annotateCurrentSpan("wechatpay.notification.outcome", "Duplicate")
      return { answer: answer(200, "SUCCESS", "OK"), outcome: { _tag: "Duplicate", event } } satisfies Handled<E>
    }
    if (claim === "pending") {
      yield* Effect.annotateCurrentSpan("wechatpay.notification.outcome", "Pending")
      return {
        answer: answer(503, "FAIL", "this notification is being handled; send it again later"),
        outcome: { _tag: "Pending", event }
      } satisfies Handled<E>
    }
    const exit = yield* Effect.exit(onEvent(event)).pipe(Effect.onInterrupt(() => store.release(event.id)))
    if (Exit.isSuccess(exit)) {
      yield* store.complete(event.id)
      yield* Effect.annotateCurrentSpan("wechatpay.notification.outcome", "Handled")
      return { answer: answer(200, "SUCCESS", "OK"), outcome: { _tag: "Handled", event } } satisfies Handled<E>
    }
    yield* store.release(event.id)
    yield* Effect.logError("WeChat Pay notification handler failed", exit.cause).pipe(
      Effect.annotateLogs({ id: event.id, event_type: event.eventType })
    )
    yield* Effect.annotateCurrentSpan("wechatpay.notification.outcome", "HandlerFailed")
    return {
      answer: answer(500, "FAIL", "the notification handler failed"),
      outcome: { _tag: "HandlerFailed", event, cause: exit.cause }
    } satisfies Handled<E>
  }).pipe(Effect.withSpan("NotificationHandler.handle"))

/**
 * Reads at most `maxBytes` of `stream`; `undefined` when it holds more (the rest is not read).
 *
 * @since 0.2.0
 * @category Handling
 */
export const readBounded = <E, R>(
  stream: Stream.Stream<Uint8Array, E, R>,
  maxBytes: number
): Effect.Effect<Uint8Array | undefined, E, R> =>
  Effect.map(
    Stream.runFoldWhile(
      stream,
      { size: 0, chunks: Chunk.empty<Uint8Array>() },
      (state) => state.size <= maxBytes,
      (state, chunk) => ({ size: state.size + chunk.byteLength, chunks: Chunk.append(state.chunks, chunk) })
    ),
    (state) => {
      if (state.size > maxBytes) return undefined
      const out = new Uint8Array(state.size)
      let offset = 0
      for (const chunk of state.chunks) {
        out.set(chunk, offset)
        offset += chunk.byteLength
      }
      return out
    }
  )

/**
 * `handle` as an `@effect/platform` HTTP app: mount it at the notification
 * URL (any path: the URL is yours to choose). The body is read up to
 * `maxBodyBytes` (default `Notification.DEFAULT_MAX_BODY_BYTES`) and no
 * further; a method other than POST is 405. `onOutcome` sees every outcome
 * (log or count them).
 *
 * @since 0.2.0
 * @category Handling
 */
export const httpApp = <E, R, R2 = never>(
  onEvent: (event: Notification.Event) => Effect.Effect<void, E, R>,
  options: Notification.ParseOptions & {
    readonly onOutcome?: ((outcome: Outcome<E>) => Effect.Effect<void, never, R2>) | undefined
  } = {}
): Effect.Effect<
  HttpServerResponse.HttpServerResponse,
  never,
  HttpServerRequest.HttpServerRequest | R | R2 | ResponseVerifier | ApiV3Key | NotificationStore
> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (request.method !== "POST") {
      return HttpServerResponse.text(JSON.stringify({ code: "FAIL", message: "notifications are POSTed" }), {
        status: 405,
        headers: { allow: "POST" },
        contentType: "application/json; charset=utf-8"
      })
    }
    const max = options.maxBodyBytes ?? Notification.DEFAULT_MAX_BODY_BYTES
    const body = yield* Effect.either(readBounded(request.stream, max))
    let handled: Handled<E>
    if (body._tag === "Left") {
      const error = new WechatPayNotificationError({ check: "MalformedBody", reason: "the body could not be read" })
      handled = { answer: refusal(error), outcome: { _tag: "Refused", error } }
    } else if (body.right === undefined) {
      handled = tooLarge(max)
    } else {
      handled = yield* handle({ headers: request.headers, body: body.right }, onEvent, options)
    }
    if (options.onOutcome !== undefined) yield* options.onOutcome(handled.outcome)
    return HttpServerResponse.text(handled.answer.body, {
      status: handled.answer.status,
      contentType: "application/json; charset=utf-8"
    })
  })
