/**
 * Steps 1, 2 and 4 together: a request signed, sent and retried as one unit,
 * each attempt's answer handed to a `check` (step 3). `WechatPayClient`'s check
 * verifies every answer with the `ResponseVerifier`; the platform-certificate
 * download brings its own (it must decrypt the answer before it can verify it).
 * Options are validated and the transport chosen once, here.
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { Clock, Context, DefaultServices, Effect, Option, Tracer } from "effect"
import { Exchange } from "../../Exchange.js"
import { type Policy, RetryPolicy } from "../../RetryPolicy.js"
import { Signer } from "../../Signer.js"
import { WechatPayConfigError, type WechatPayRequestError } from "../../WechatPayError.js"
import type { WechatPayRequest } from "../../WechatPayRequest.js"
import type { Received } from "../exchangeAttempt.js"
import * as RateLimiter from "../rateLimiter.js"
import * as Ahead from "./ahead.js"
import { prepare, type Prepared } from "./prepared.js"
import { retrying } from "./retry.js"
import { overExchange, overHttpClient, type Send } from "./send.js"
import { type SignEnv, signedAt } from "./sign.js"

export interface PipelineOptions {
  readonly baseUrl?: string | undefined
  readonly userAgent?: string | undefined
  readonly requestsPerSecond?: number | undefined
  readonly maxResponseBytes?: number | undefined
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/** What an attempt's answer becomes: the check of step 3. */
export type Check<A> = (response: Received, attemptNo: number, traced: boolean) => Effect.Effect<A, WechatPayRequestError>

export type Run = <A>(request: WechatPayRequest, check: Check<A>) => Effect.Effect<A, WechatPayRequestError>

export interface Pipeline {
  readonly run: Run
  /** Signs `request` ahead, for its first attempt within a few seconds (internal/client/ahead.ts). Sends nothing. */
  readonly signAhead: (request: WechatPayRequest) => Effect.Effect<void>
}

export const PRODUCTION_URL = "https://api.mch.weixin.qq.com"
const USER_AGENT = "effect-wechatpay/0.1.0"
const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/

export const baseUrlIssue = (url: string): string | undefined => {
  if (!URL.canParse(url)) return "must be an http(s) URL, e.g. https://api.mch.weixin.qq.com"
  const parsed = new URL(url)
  if (!/^https?:$/.test(parsed.protocol)) return "must be an http(s) URL, e.g. https://api.mch.weixin.qq.com"
  if (parsed.username !== "" || parsed.password !== "") return "must not carry a user name or password"
  if (parsed.search !== "" || parsed.hash !== "" || /[?#]/.test(url)) return "must not have a query or a fragment"
  if (parsed.protocol === "http:" && !LOOPBACK.test(parsed.hostname)) {
    return "plain http:// is allowed to a loopback host only (localhost, 127.0.0.1, [::1]); use https://"
  }
  return undefined
}

export const REQUESTS_PER_SECOND_RANGE = { min: 0.1, max: 10_000 } as const

export const requestsPerSecondIssue = (rate: number): string | undefined =>
  Number.isFinite(rate) && rate >= REQUESTS_PER_SECOND_RANGE.min && rate <= REQUESTS_PER_SECOND_RANGE.max
    ? undefined
    : `must be a number of requests per second from ${REQUESTS_PER_SECOND_RANGE.min} to ${REQUESTS_PER_SECOND_RANGE.max}`

/** Effect's own tracer: its spans go nowhere, so the client makes none under it. */
const defaultTracer = Context.get(DefaultServices.liveServices, Tracer.Tracer)

/**
 * The pipeline over the `HttpClient` and `Signer` in context, and the
 * `Exchange`, when the platform provides one. `acceptSerial` is sent in
 * `Wechatpay-Serial` (a function: read at each attempt's clock time).
 */
export const make = (
  options: PipelineOptions,
  acceptSerial: SignEnv["acceptSerial"]
): Effect.Effect<Pipeline, WechatPayConfigError, HttpClient.HttpClient | Signer> =>
  Effect.gen(function*() {
    const base = (options.baseUrl ?? PRODUCTION_URL).replace(/\/+$/, "")
    const baseIssue = baseUrlIssue(base)
    if (baseIssue !== undefined) return yield* new WechatPayConfigError({ setting: "baseUrl", issue: baseIssue })
    const signer = yield* Signer
    // One span per attempt is this client's (below); the transport's own, with an
    // attribute per header and propagation headers, would double the cost of tracing.
    const http = (options.transformClient ?? ((client: HttpClient.HttpClient) => client))(
      HttpClient.withTracerDisabledWhen(yield* HttpClient.HttpClient, () => true)
    )
    // A transformClient must see every request: the platform's Exchange is then not used.
    const exchange = options.transformClient === undefined
      ? Option.getOrUndefined(yield* Effect.serviceOption(Exchange))
      : undefined
    const userAgent = options.userAgent ?? USER_AGENT
    const rps = options.requestsPerSecond
    const rateIssue = rps === undefined ? undefined : requestsPerSecondIssue(rps)
    if (rateIssue !== undefined) return yield* new WechatPayConfigError({ setting: "requestsPerSecond", issue: rateIssue })
    const limiter = rps === undefined ? undefined : yield* RateLimiter.make(rps)

    const env: SignEnv = { signer, userAgent, acceptSerial }
    const ahead = Ahead.make(env)
    // A first attempt takes the signature made ahead for it, if any and fresh; a retry signs afresh.
    const headersFor = (request: Prepared, attemptNo: number): Effect.Effect<Record<string, string>> =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const made = attemptNo === 1 ? ahead.take(request, now) : undefined
        return made !== undefined ? Effect.succeed(made) : signedAt(env, request, now)
      })
    // The transport, chosen once.
    const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1024) {
      return yield* new WechatPayConfigError({ setting: "maxResponseBytes", issue: "must be an integer of at least 1024" })
    }
    const send: Send = exchange === undefined ? overHttpClient(http, maxBytes) : overExchange(exchange, maxBytes)

    // Memory: Effect's `async`, `onExit` and `uninterruptibleMask` make, per call, a
    // closure V8 allocates in the old generation (internal/exchangeAttempt.ts), and
    // everything such a closure reaches survives young-generation GCs until the
    // next full GC. So the per-request path holds no page in a generator
    // (combinators, not `Effect.gen`), captures no response in a closure,
    // releases the body once parsed, builds its exchange outside this scope, and
    // makes a span only when a tracer records it.
    const attemptOf = <A>(request: Prepared, policy: Policy, check: Check<A>) => (attemptNo: number) => {
      const once = (traced: boolean): Effect.Effect<A, WechatPayRequestError> =>
        Effect.flatMap(
          headersFor(request, attemptNo),
          (headers) =>
            Effect.flatMap(
              send(request, headers, attemptNo, policy.timeout),
              (response) => check(response, attemptNo, traced)
            )
        )
      // A span per attempt, when a tracer records spans.
      return Effect.tracerWith((tracer) =>
        tracer === defaultTracer ? once(false) : once(true).pipe(
          Effect.withSpan("WechatPayClient.request", {
            kind: "client",
            // A stack trace per attempt costs more than the span itself.
            captureStackTrace: false,
            attributes: {
              "http.request.method": request.method,
              "url.path": request.path,
              "wechatpay.attempt": attemptNo
            }
          })
        )
      )
    }
    const run: Run = <A>(request: WechatPayRequest, check: Check<A>): Effect.Effect<A, WechatPayRequestError> =>
      Effect.flatMap(RetryPolicy, (policy) => {
        const prepared = prepare(base, request)
        return retrying(policy, prepared.retry, limiter?.take, attemptOf(prepared, policy, check))
      })
    const signAhead = (request: WechatPayRequest): Effect.Effect<void> => ahead.hint(prepare(base, request))
    return { run, signAhead }
  })
