/**
 * Every way a WeChat Pay call can fail, as tagged errors in the type.
 *
 * None of these errors ever holds a private key, the APIv3 key, a request's
 * `Authorization` header or a signature: they carry what a caller needs to act
 * (status, WeChat Pay's `code`, the `Request-ID` to quote to WeChat Pay support,
 * which check failed) and nothing else.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { FaceCollections } from "@effect-wechatpay/core"
 *
 * const program = FaceCollections.getFaceCollection({ collectionId: "FC2353ZJIHOJKHOIIOIJ" }).pipe(
 *   Effect.catchTags({
 *     WechatPayApiError: (e) => Effect.logWarning(`${e.status} ${e.code}: ${e.serverMessage}`),
 *     WechatPayVerificationError: (e) => Effect.logError(`forged or broken response: ${e.check}`)
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const RequestContext = {
  /** HTTP method of the request that failed. */
  method: Schema.String,
  /** Path of the request (no host, no query). */
  path: Schema.String
}

const suffix = (requestId: string | undefined, attempts?: number) =>
  (requestId === undefined ? "" : ` (Request-ID ${requestId})`) +
  (attempts === undefined || attempts <= 1 ? "" : ` after ${attempts} attempts`)

// C0 and C1 controls, DEL, the bidirectional marks, embeddings, overrides and
// isolates, zero-width characters, the line and paragraph separators, the BOM.
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/u

const escapeChar = (c: string): string => {
  const code = c.charCodeAt(0)
  return code < 0x100 ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`
}

/**
 * Text that came from a server (a message, a header value, a field value), as
 * this library shows it in an error: control, escape and bidirectional-override
 * characters written as `\xNN` / `\uNNNN` (so it stays one line and cannot
 * move a terminal's cursor or reorder what follows), cut to `maxLength`
 * characters with `…`.
 *
 * @since 0.2.0
 * @category Utils
 */
export const printable = (text: string, maxLength = 200): string => {
  let out = ""
  let count = 0
  for (const c of text) {
    if (count === maxLength) return out + "…"
    out += UNPRINTABLE.test(c) ? escapeChar(c) : c
    count += 1
  }
  return out
}

/**
 * An argument was rejected before anything was sent: no request left the process.
 *
 * @since 0.1.0
 * @category Errors
 */
export class WechatPayInvalidInputError extends Schema.TaggedError<WechatPayInvalidInputError>()(
  "WechatPayInvalidInputError",
  {
    /** The operation that was called, e.g. `listFaceCollections`. */
    operation: Schema.String,
    /** Which argument, e.g. `limit`. */
    field: Schema.String,
    /** What is wrong with it. */
    issue: Schema.String
  }
) {
  override get message(): string {
    return `${this.operation}: invalid ${this.field}: ${this.issue}`
  }
}

/**
 * The client could not be built from its configuration (a malformed key, a
 * missing verification key, a bad base URL). Names the setting, never its value.
 *
 * @since 0.1.0
 * @category Errors
 */
export class WechatPayConfigError extends Schema.TaggedError<WechatPayConfigError>()(
  "WechatPayConfigError",
  {
    /** The setting, e.g. `WECHATPAY_PRIVATE_KEY` or `merchant.privateKey`. */
    setting: Schema.String,
    issue: Schema.String
  }
) {
  override get message(): string {
    return `invalid configuration ${this.setting}: ${this.issue}`
  }
}

/**
 * WeChat Pay answered with a non-2xx status.
 *
 * `verified` says whether the answer carried a WeChat Pay signature that was
 * checked: a gateway page or a proxy error carries none, and is reported
 * unverified rather than trusted or dropped.
 *
 * @since 0.1.0
 * @category Errors
 */
export class WechatPayApiError extends Schema.TaggedError<WechatPayApiError>()("WechatPayApiError", {
  ...RequestContext,
  status: Schema.Number,
  /** WeChat Pay's error code, e.g. `PARAM_ERROR`, `FREQUENCY_LIMITED`. */
  code: Schema.optional(Schema.String),
  /** WeChat Pay's human-readable message. */
  serverMessage: Schema.optional(Schema.String),
  /** WeChat Pay's free-form `detail` object, as sent. */
  detail: Schema.optional(Schema.Unknown),
  requestId: Schema.optional(Schema.String),
  /** Whether the error response's signature was present and verified. */
  verified: Schema.Boolean,
  /** How many attempts were made (more than one when the status was retryable). */
  attempts: Schema.Number,
  /** The server's `Retry-After`, in milliseconds, when it sent one. */
  retryAfterMillis: Schema.optional(Schema.Number)
}) {
  override get message(): string {
    const code = this.code === undefined ? "" : ` ${this.code}`
    const text = this.serverMessage === undefined ? "" : `: ${this.serverMessage}`
    return `WeChat Pay answered ${this.status}${code}${text} to ${this.method} ${this.path}${
      suffix(this.requestId, this.attempts)
    }${this.verified ? "" : " [unverified response]"}`
  }
}

/**
 * Which response check failed.
 *
 * @since 0.1.0
 * @category Errors
 */
export const VerificationCheck = Schema.Literal(
  /** A `Wechatpay-Timestamp/Nonce/Signature/Serial` header is missing or blank. */
  "MissingHeader",
  /** `Wechatpay-Timestamp` is not a decimal number of seconds. */
  "InvalidTimestamp",
  /** `Wechatpay-Timestamp` is 300 s or more away from the local clock. */
  "StaleTimestamp",
  /** No verification key is configured under this `Wechatpay-Serial`. */
  "UnknownSerial",
  /** The platform certificate named by `Wechatpay-Serial` is expired or not yet valid. */
  "KeyNotValid",
  /** A `WECHATPAY/SIGNTEST/` probe signature: WeChat Pay testing that responses are verified. */
  "ProbeSignature",
  /** The signature is not valid base64. */
  "MalformedSignature",
  /** The signature does not match the body (tampered, truncated or signed by another key). */
  "BadSignature"
)

/**
 * @since 0.1.0
 * @category Errors
 */
export type VerificationCheck = typeof VerificationCheck.Type

/**
 * A response failed signature verification: its body was not used.
 *
 * @since 0.1.0
 * @category Errors
 */
export class WechatPayVerificationError extends Schema.TaggedError<WechatPayVerificationError>()(
  "WechatPayVerificationError",
  {
    ...RequestContext,
    status: Schema.Number,
    check: VerificationCheck,
    /** What exactly was wrong (a header name, a time difference, a serial): never a signature or key. */
    reason: Schema.String,
    requestId: Schema.optional(Schema.String)
  }
) {
  override get message(): string {
    return `response to ${this.method} ${this.path} failed verification (${this.check}): ${this.reason}${
      suffix(this.requestId)
    }`
  }
}

/**
 * A response could not be decoded: not JSON, or not the documented shape
 * (verified first), or compressed when that was not asked for (refused
 * before verification).
 *
 * @since 0.1.0
 * @category Errors
 */
export class WechatPayDecodeError extends Schema.TaggedError<WechatPayDecodeError>()("WechatPayDecodeError", {
  ...RequestContext,
  status: Schema.Number,
  /**
   * `Json`: the body is not JSON; `Schema`: JSON of the wrong shape (the
   * issue says where and what was expected, never the value found);
   * `Encoding`: the answer came compressed (`Content-Encoding`) unasked.
   */
  where: Schema.Literal("Json", "Schema", "Encoding"),
  issue: Schema.String,
  requestId: Schema.optional(Schema.String)
}) {
  override get message(): string {
    return `response to ${this.method} ${this.path} could not be decoded (${this.where}): ${this.issue}${
      suffix(this.requestId)
    }`
  }
}

/**
 * No response was obtained: the connection failed or the per-request timeout
 * passed, on every attempt the retry policy allowed.
 *
 * @since 0.1.0
 * @category Errors
 */
export class WechatPayTransportError extends Schema.TaggedError<WechatPayTransportError>()(
  "WechatPayTransportError",
  {
    ...RequestContext,
    /**
     * `Refused`: the connection was refused before a byte left, so WeChat Pay
     * never saw the request. `Connection`: it failed later (reset, closed), so
     * the request may have been processed. `Timeout`: no complete answer in time.
     * `TooLarge`: the answer's body passed the client's `maxResponseBytes` and was
     * not read further (not retried: it would be as large again).
     * `Protocol`: TLS or HTTP itself failed (an `https://` URL to a plain-HTTP
     * port, an untrusted certificate, an answer that is not HTTP): not retried,
     * it would fail the same way.
     */
    reason: Schema.Literal("Connection", "Timeout", "Refused", "TooLarge", "Protocol"),
    description: Schema.String,
    attempts: Schema.Number
  }
) {
  override get message(): string {
    return `${this.method} ${this.path}: ${
      this.reason === "Timeout"
        ? "timed out"
        : this.reason === "Refused"
        ? "connection refused"
        : this.reason === "TooLarge"
        ? "answer too large"
        : this.reason === "Protocol"
        ? "protocol failure"
        : "connection failed"
    } (${this.description})${suffix(undefined, this.attempts)}`
  }
}

/**
 * A ciphertext could not be decrypted: wrong key, tampered data (the AEAD tag
 * or OAEP padding does not check), or malformed input. Never partial output.
 *
 * @since 0.1.0
 * @category Errors
 */
export class WechatPayDecryptError extends Schema.TaggedError<WechatPayDecryptError>()("WechatPayDecryptError", {
  algorithm: Schema.Literal("AEAD_AES_256_GCM", "RSA-OAEP"),
  reason: Schema.String
}) {
  override get message(): string {
    return `${this.algorithm} decryption failed: ${this.reason}`
  }
}

/**
 * A call that moves money (the charge) may or may not have been processed:
 * the request may have reached WeChat Pay, and no trustworthy answer came
 * back (a timeout or a lost connection once the request could have left, a
 * 5xx, `SYSTEM_ERROR`, an answer that failed verification or decoding). The
 * library does not send it again. Query the charge by `outTradeNo` (for
 * example with `Transactions.confirmTransaction`) before charging anew.
 *
 * @since 0.2.0
 * @category Errors
 */
export class WechatPayOutcomeUnknownError extends Schema.TaggedError<WechatPayOutcomeUnknownError>()(
  "WechatPayOutcomeUnknownError",
  {
    ...RequestContext,
    /** The merchant order number the charge was sent with: the key to query it by. */
    outTradeNo: Schema.String,
    /** The failure that left the outcome unknown (its tag, e.g. `WechatPayTransportError`). */
    failure: Schema.Literal(
      "WechatPayTransportError",
      "WechatPayApiError",
      "WechatPayVerificationError",
      "WechatPayDecodeError"
    ),
    /** What happened, as the underlying error describes it. */
    description: Schema.String,
    requestId: Schema.optional(Schema.String)
  }
) {
  override get message(): string {
    return `${this.method} ${this.path}: the outcome of charge ${this.outTradeNo} is unknown (${this.description}); ` +
      `query it by out_trade_no before charging again${suffix(this.requestId)}`
  }
}

/**
 * A charge was queried until the time budget ran out and did not reach a
 * final state: still pending (`lastState`), or never found (`found: false`:
 * WeChat Pay probably never processed it; its query will say so later).
 *
 * @since 0.2.0
 * @category Errors
 */
export class WechatPayConfirmTimeoutError extends Schema.TaggedError<WechatPayConfirmTimeoutError>()(
  "WechatPayConfirmTimeoutError",
  {
    outTradeNo: Schema.String,
    /** Whether WeChat Pay knew the charge at the last query. */
    found: Schema.Boolean,
    /** The `trade_state` of the last answer, when there was one. */
    lastState: Schema.optional(Schema.String),
    elapsedMillis: Schema.Number
  }
) {
  override get message(): string {
    return `charge ${this.outTradeNo} is not final after ${Math.round(this.elapsedMillis / 1000)} s: ${
      this.found ? `last state ${this.lastState ?? "(none)"}` : "WeChat Pay does not know it"
    }`
  }
}

/**
 * A listing did not end the way a listing must: the server kept answering
 * pages that bring nothing new (`NoProgress`: the same page at every offset,
 * say), or the listing passed the `maxPages` its caller set (`TooManyPages`).
 * Nothing of the page that failed it was emitted.
 *
 * @since 0.2.0
 * @category Errors
 */
export class WechatPayPagingError extends Schema.TaggedError<WechatPayPagingError>()("WechatPayPagingError", {
  /** The listing, e.g. `allCollections`. */
  operation: Schema.String,
  reason: Schema.Literal("NoProgress", "TooManyPages"),
  /** The offset of the page that failed the listing. */
  offset: Schema.Number,
  /** Non-empty pages received, the failing one included. */
  pages: Schema.Number,
  /** `NoProgress`: pages in a row with no new item; `TooManyPages`: the `maxPages` passed. */
  limit: Schema.Number
}) {
  override get message(): string {
    return this.reason === "NoProgress"
      ? `${this.operation}: ${this.limit} pages in a row up to offset ${this.offset} brought no new item ` +
        `(the server answers what it already answered): the listing would never end, stopped after ${this.pages} pages`
      : `${this.operation}: more than ${this.limit} pages (maxPages), stopped at offset ${this.offset}`
  }
}

/**
 * A verified answer does not fit the request it answers: a listing of one
 * organization holding an item of another, a collection asked for by its id
 * answered with another one. Nothing of that answer was returned or emitted.
 *
 * @since 0.2.0
 * @category Errors
 */
export class WechatPayMismatchError extends Schema.TaggedError<WechatPayMismatchError>()("WechatPayMismatchError", {
  /** The operation, e.g. `getFaceCollection`. */
  operation: Schema.String,
  /** The wire field that differs, e.g. `organization_id`. */
  field: Schema.String,
  /** What was asked for. */
  expected: Schema.String,
  /** What came back, through `printable` (cut, control characters escaped). */
  actual: Schema.String
}) {
  override get message(): string {
    return `${this.operation}: the answer's ${this.field} is "${this.actual}", not "${this.expected}" as asked: ` +
      `not used`
  }
}

/**
 * Which check a received notification failed.
 *
 * @since 0.2.0
 * @category Errors
 */
export const NotificationCheck = Schema.Literal(
  /** A `Wechatpay-Timestamp/Nonce/Signature/Serial` header is missing or blank. */
  "MissingHeader",
  /** `Wechatpay-Timestamp` is not a decimal number of seconds. */
  "InvalidTimestamp",
  /** `Wechatpay-Timestamp` is 300 s or more away from the local clock (a replay, or a clock off). */
  "StaleTimestamp",
  /** No verification key is configured under this `Wechatpay-Serial`. */
  "UnknownSerial",
  /** The platform certificate named by `Wechatpay-Serial` is expired or not yet valid. */
  "KeyNotValid",
  /**
   * The signature does not verify: tampered, signed by another key, not base64,
   * or a `WECHATPAY/SIGNTEST/` probe (WeChat Pay checking that notifications are
   * verified: an ordinary bad signature, answered 4xx like any other).
   */
  "BadSignature",
  /** `Wechatpay-Signature-Type` or `resource.algorithm` names an algorithm this library does not implement. */
  "UnsupportedAlgorithm",
  /** `AEAD_AES_256_GCM` failed: another APIv3 key, or a tampered ciphertext, nonce or associated data. */
  "Decrypt",
  /** The body is not UTF-8 JSON of a notification's documented shape. */
  "MalformedBody",
  /** The decrypted resource is not JSON, or not the documented shape of its `event_type`. */
  "MalformedResource",
  /** The body is larger than the receiver accepts: it was not read further. */
  "TooLarge"
)

/**
 * @since 0.2.0
 * @category Errors
 */
export type NotificationCheck = typeof NotificationCheck.Type

/**
 * A received notification was refused: which check failed and why. Its
 * content was not handed to any handler. Never holds the APIv3 key, the
 * signature or decrypted plaintext; `notificationId` is set only once the
 * signature has verified (before that, the body's `id` is anyone's claim).
 *
 * @since 0.2.0
 * @category Errors
 */
export class WechatPayNotificationError extends Schema.TaggedError<WechatPayNotificationError>()(
  "WechatPayNotificationError",
  {
    check: NotificationCheck,
    /** What exactly was wrong (a header name, a time difference, a serial, a field path). */
    reason: Schema.String,
    /** The `Request-ID` header, when sent. */
    requestId: Schema.optional(Schema.String),
    notificationId: Schema.optional(Schema.String)
  }
) {
  override get message(): string {
    return `notification refused (${this.check}): ${this.reason}${
      this.notificationId === undefined ? "" : ` (id ${this.notificationId})`
    }${suffix(this.requestId)}`
  }
}

/**
 * Any error a WeChat Pay request can fail with once it has been built.
 *
 * @since 0.1.0
 * @category Errors
 */
export type WechatPayRequestError =
  | WechatPayApiError
  | WechatPayVerificationError
  | WechatPayDecodeError
  | WechatPayTransportError

/**
 * Any error of this library.
 *
 * @since 0.1.0
 * @category Errors
 */
export type WechatPayError =
  | WechatPayRequestError
  | WechatPayInvalidInputError
  | WechatPayConfigError
  | WechatPayPagingError
  | WechatPayMismatchError

/**
 * Whether retrying the same request may succeed: 429, 5xx and transport
 * failures (an answer too large and a TLS or HTTP protocol failure excepted). Decided on the HTTP status, not the code string (WeChat Pay's 429
 * code varies by API). Verification and decode failures never are.
 *
 * @since 0.1.0
 * @category Predicates
 */
export const isTransient = (error: unknown): boolean =>
  (error instanceof WechatPayTransportError && error.reason !== "TooLarge" && error.reason !== "Protocol") ||
  (error instanceof WechatPayApiError && (error.status === 429 || error.status >= 500))
