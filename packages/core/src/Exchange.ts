/**
 * An optional, promise-based transport for one request/response exchange.
 *
 * The client always works over `@effect/platform`'s `HttpClient`. A platform
 * layer may also provide an `Exchange` (the Node layer does, over node:http
 * keep-alive agents): an attempt is then a few Effect steps around one
 * `Effect.async`, instead of the `HttpClient` pipeline, which the benchmark
 * measured at about a third of a millisecond per request on Node. Signing,
 * verification, retries, errors and spans are the same on both paths.
 *
 * The per-attempt deadline of an `Exchange` is a real timer (it aborts the
 * request), so `TestClock` does not drive it: tests run over `HttpClient`
 * layers. A `transformClient` option makes the client use its `HttpClient`
 * for every request, so that the transform sees them all.
 *
 * @since 0.1.0
 */
import { Context } from "effect"

/**
 * A response as read off the wire: status, lower-case header names, body text.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Response {
  readonly status: number
  readonly headers: Readonly<Record<string, string | undefined>>
  readonly body: string
}

/**
 * The request of one exchange. `path` is the path and query exactly as signed.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Request {
  readonly method: string
  readonly origin: string
  readonly path: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | undefined
  /**
   * The most bytes of answer body to read: past it the exchange is aborted
   * and fails with an `ExchangeFailure` of reason `TooLarge`. The client
   * always sets it; an `Exchange` should default to a bound of its own.
   */
  readonly maxBodyBytes?: number | undefined
}

/**
 * An exchange under way: its response, and how to abort it (called when the
 * attempt's deadline passes or its fiber is interrupted; within a listing, when
 * the listing's scope closes). Aborting is the
 * platform's business: on Node an `EventEmitter` signal is cheaper per request
 * than an `AbortController`.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Pending {
  /** Resolves with the whole response, or rejects with an `ExchangeFailure`. */
  readonly response: Promise<Response>
  readonly abort: () => void
}

/**
 * Why an exchange failed (connection refused or reset, protocol error): a
 * description for the transport error, never a header or a body.
 *
 * @since 0.1.0
 * @category Errors
 */
export class ExchangeFailure {
  readonly _tag = "ExchangeFailure"
  constructor(
    readonly description: string,
    /**
     * `Refused`: the connection was refused before a byte of the request
     * left, so WeChat Pay cannot have processed it (even a charge may be sent
     * again). `TooLarge`: the answer's body passed `maxBodyBytes`.
     */
    readonly reason: "Connection" | "Refused" | "TooLarge" = "Connection"
  ) {}
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service {
  readonly exchange: (request: Request) => Pending
}

/**
 * @since 0.1.0
 * @category Context
 */
export class Exchange extends Context.Tag("@effect-wechatpay/core/Exchange")<Exchange, Service>() {}
