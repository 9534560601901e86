/**
 * A WeChat Pay request, described: method, path built from validated
 * segments, query pairs, a JSON body encoded from a schema, extra headers, and
 * the retry class that says whether the library may send it again. An
 * endpoint is such a description plus the schema of its answer; the client
 * (`WechatPayClient.execute`) signs exactly the bytes it sends.
 *
 * @example
 * ```ts
 * import { Effect, Schema } from "effect"
 * import { WechatPayClient, WechatPayRequest } from "@effect-wechatpay/core"
 *
 * const Contract = Schema.Struct({ contract_id: Schema.String, contract_state: Schema.String })
 *
 * const getContract = (contractId: string) =>
 *   Effect.gen(function*() {
 *     const path = yield* WechatPayRequest.path("getContract", [
 *       "v3", "offlineface", "contracts", WechatPayRequest.segment("contractId", contractId)
 *     ])
 *     const client = yield* WechatPayClient.WechatPayClient
 *     return yield* client.execute({ method: "GET", path }, Contract)
 *   })
 * ```
 *
 * @since 0.2.0
 */
import { Effect, Either, Schema } from "effect"
import { invalid } from "./internal/input.js"
import { WechatPayInvalidInputError } from "./WechatPayError.js"

/**
 * @since 0.2.0
 * @category Models
 */
export type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE"

/**
 * Whether the library may send a request again after a transient failure.
 *
 * - `idempotent` (the default): sending it twice has the effect of sending it
 *   once, or moves no money. Retried on 429, 5xx, connection failures and
 *   timeouts, under the `RetryPolicy`.
 * - `unsafe`: it moves money. Retried only when WeChat Pay cannot have
 *   processed it: a 429 (rejected before processing) or a connection refused
 *   before a byte left. Any other failure is final, and the caller learns the
 *   outcome by querying.
 *
 * @since 0.2.0
 * @category Models
 */
export type RetryClass = "idempotent" | "unsafe"

/**
 * A request before signing.
 *
 * @since 0.2.0
 * @category Models
 */
export interface WechatPayRequest {
  readonly method: Method
  /** Already percent-encoded, from `path`. */
  readonly path: string
  /** Encoded once by the client; those exact bytes are signed and sent. */
  readonly query?: ReadonlyArray<readonly [string, string]> | undefined
  /** JSON text, sent and signed byte for byte. Absent: no body, an empty body signed. */
  readonly body?: string | undefined
  /**
   * Extra headers. `Wechatpay-Serial` here replaces the client's default (the
   * serial it accepts answers under): a request with encrypted fields names
   * the key that encrypted them.
   */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Default `idempotent`. */
  readonly retry?: RetryClass | undefined
}

/**
 * A path segment from a caller's value, with the name of the argument it came
 * from (errors name it).
 *
 * @since 0.2.0
 * @category Models
 */
export interface Segment {
  readonly field: string
  readonly value: string
}

/**
 * @since 0.2.0
 * @category Constructors
 */
export const segment = (field: string, value: string): Segment => ({ field, value })

// Characters that would change the request's meaning if sent, even encoded:
// WeChat Pay's ids never hold them.
const UNSAFE_SEGMENT = /[/?#%\s\p{Cc}]/u

const checkSegment = (operation: string, part: Segment): Either.Either<string, WechatPayInvalidInputError> => {
  const fail = (issue: string) => Either.left(new WechatPayInvalidInputError({ operation, field: part.field, issue }))
  if (typeof part.value !== "string") return fail("must be a string")
  if (part.value.length === 0) return fail("must not be empty")
  if (part.value.length > 256) return fail("must be at most 256 characters")
  if (part.value === "." || part.value === "..") return fail("must not be '.' or '..'")
  if (UNSAFE_SEGMENT.test(part.value)) {
    return fail("must not contain '/', '?', '#', '%', whitespace or control characters")
  }
  return Either.right(encodeURIComponent(part.value))
}

/**
 * Builds a path from literal parts and caller values: each value is checked
 * (no `/ ? # %`, whitespace, control characters, `.` or `..`) and
 * percent-encoded once. A bad value is an input error naming its field, and
 * nothing is sent.
 *
 * @since 0.2.0
 * @category Constructors
 */
export const path = (
  operation: string,
  parts: ReadonlyArray<string | Segment>
): Either.Either<string, WechatPayInvalidInputError> => {
  let out = ""
  for (const part of parts) {
    if (typeof part === "string") {
      out += `/${part}`
      continue
    }
    const encoded = checkSegment(operation, part)
    if (Either.isLeft(encoded)) return encoded
    out += `/${encoded.right}`
  }
  return Either.right(out)
}

/**
 * Encodes `value` with `schema` (domain names outside, WeChat Pay's wire names
 * inside) to the JSON text of a request body. A value the schema rejects is an
 * input error naming the field, without its value.
 *
 * @since 0.2.0
 * @category Constructors
 */
export const jsonBody = <A, I, R>(
  operation: string,
  schema: Schema.Schema<A, I, R>,
  value: A
): Effect.Effect<string, WechatPayInvalidInputError, R> =>
  Effect.map(
    Effect.mapError(Schema.encode(schema)(value), (error) => invalid(operation, error)),
    (wire) => JSON.stringify(wire)
  )

/**
 * Encodes query parameters with `schema` to pairs, in the order of `keys`
 * (absent values are left out).
 *
 * @since 0.2.0
 * @category Constructors
 */
export const query = <A, I extends Readonly<Record<string, string | undefined>>>(
  operation: string,
  schema: Schema.Schema<A, I, never>,
  value: A,
  keys: ReadonlyArray<keyof I & string>
): Either.Either<ReadonlyArray<readonly [string, string]>, WechatPayInvalidInputError> =>
  Either.map(
    Either.mapLeft(Schema.encodeEither(schema)(value), (error) => invalid(operation, error)),
    (wire) => {
      const pairs: Array<readonly [string, string]> = []
      for (const key of keys) {
        const v = wire[key]
        if (v !== undefined) pairs.push([key, v])
      }
      return pairs
    }
  )
