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
     * `Protocol`: TLS or HTTP itself failed (see {@link protocolFailure}).
     */
    readonly reason: "Connection" | "Refused" | "TooLarge" | "Protocol" = "Connection"
  ) {}
}

const codeOf = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined

const UNTRUSTED = new Set([
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "CERT_UNTRUSTED",
  "ERR_TLS_CERT_ALTNAME_INVALID"
])

/**
 * A one-line description when `error` (or an error it was caused by) is a
 * failure of TLS or of HTTP itself rather than of the connection: an
 * `https://` URL to a plain-HTTP port, a certificate that is not trusted, an
 * answer that is not HTTP. Sending again would fail the same way, so the
 * client does not retry it (transport reason `Protocol`). `undefined` for
 * anything else. Reads only error codes and names (Node's and undici's),
 * never a message a server could have written.
 *
 * @since 0.2.0
 * @category Errors
 */
export const protocolFailure = (error: unknown): string | undefined => {
  let current: unknown = error
  for (let depth = 0; depth < 4 && typeof current === "object" && current !== null; depth++) {
    const code = codeOf(current)
    if (code !== undefined) {
      if (code === "ERR_SSL_WRONG_VERSION_NUMBER" || code === "ERR_SSL_PACKET_LENGTH_TOO_LONG" || code === "EPROTO") {
        return `TLS failed (${code}): the server did not answer in TLS; is it plain HTTP (http://, not https://)?`
      }
      if (UNTRUSTED.has(code)) return `TLS failed (${code}): the server's certificate is not trusted`
      if (code.startsWith("ERR_SSL_") || code.startsWith("ERR_TLS_")) return `TLS failed (${code})`
      if (code.startsWith("HPE_")) return `the answer is not HTTP/1.1 (${code})`
    }
    if (current instanceof Error && current.name === "HTTPParserError") {
      return "the answer is not HTTP/1.1 (HTTPParserError)"
    }
    current = current instanceof Error ? current.cause : undefined
  }
  return undefined
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
