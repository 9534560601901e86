/**
 * Step 5, decode: a verified 2xx answer's body, parsed and decoded by the
 * endpoint's schema, or checked to be empty for a no-content endpoint. The
 * body is released once read, so nothing that outlives the request keeps it.
 *
 * @internal
 */
import { Effect, Either, ParseResult, Schema } from "effect"
import { WechatPayDecodeError } from "../../WechatPayError.js"
import type { Received } from "../exchangeAttempt.js"

const NOT_JSON: unique symbol = Symbol("NOT_JSON")
// A named function: profiles then show the parse as itself (bench/src/profile.ts).
const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return NOT_JSON
  }
}

const NO_HEADERS: Readonly<Record<string, string | undefined>> = {}
const release = (received: Received): string => {
  const body = received.body
  received.body = ""
  received.headers = NO_HEADERS
  return body
}

const where = (answer: Received) => ({
  method: answer.method,
  path: answer.path,
  status: answer.status,
  requestId: answer.headers["request-id"]
})

/** The decoder of one schema, built once per request. */
export const json = <A, I>(schema: Schema.Schema<A, I, never>) => {
  const decode = Schema.decodeUnknownEither(schema)
  return (answer: Received): Effect.Effect<A, WechatPayDecodeError> => {
    const context = where(answer)
    const text = release(answer)
    const parsed = text === "" ? NOT_JSON : parseJson(text)
    if (parsed === NOT_JSON) {
      return Effect.fail(
        new WechatPayDecodeError({
          ...context,
          where: "Json",
          issue: text === "" ? "the body is empty, JSON was expected" : "the body is not valid JSON"
        })
      )
    }
    const decoded = decode(parsed)
    return Either.isRight(decoded) ? Effect.succeed(decoded.right) : Effect.fail(
      new WechatPayDecodeError({
        ...context,
        where: "Schema",
        issue: ParseResult.TreeFormatter.formatErrorSync(decoded.left)
      })
    )
  }
}

/**
 * A no-content answer: every verified 2xx succeeds. A body, if WeChat Pay sends one
 * (a 200 with `{}`), is verified and ignored: the call succeeded.
 */
export const noContent = (answer: Received): Effect.Effect<void> => {
  release(answer)
  return Effect.void
}
