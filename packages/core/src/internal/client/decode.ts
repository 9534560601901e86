/**
 * Step 5, decode: a verified 2xx answer's body, parsed and decoded by the
 * endpoint's schema, or checked to be empty for a no-content endpoint. The
 * body is released once read, so nothing that outlives the request keeps it.
 *
 * @internal
 */
import { Array as Arr, Effect, Either, type ParseResult, Schema } from "effect"
import { printable, WechatPayDecodeError } from "../../WechatPayError.js"
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

const where = (answer: Received) => {
  const requestId = answer.headers["request-id"]
  return {
    method: answer.method,
    path: answer.path,
    status: answer.status,
    requestId: requestId === undefined ? undefined : printable(requestId, 64)
  }
}

const MAX_ISSUES = 3

const kindOf = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
    ? "an array"
    : value === undefined
    ? "nothing"
    : typeof value === "object"
    ? "an object"
    : `a ${typeof value}`

const expected = (ast: { toString(): string }): string => printable(String(ast), 80)

// The leaves of a parse issue, each as where and what, never the value found
// there (a name, a phone number, or text crafted for a terminal): only its kind.
const leaves = (issue: ParseResult.ParseIssue, path: ReadonlyArray<PropertyKey>, out: Array<string>): void => {
  if (out.length > MAX_ISSUES) return
  const at = (text: string) => out.push(`${path.length === 0 ? "(top)" : path.map(String).join(".")}: ${text}`)
  switch (issue._tag) {
    case "Pointer":
      return leaves(issue.issue, [...path, ...Arr.ensure(issue.path)], out)
    case "Composite":
      for (const inner of Arr.ensure(issue.issues)) leaves(inner, path, out)
      return
    case "Refinement":
      return issue.kind === "From" ? leaves(issue.issue, path, out) : void at(`does not satisfy ${expected(issue.ast)}`)
    case "Transformation":
      return issue.kind === "Transformation"
        ? void at(`cannot be read as ${expected(issue.ast.to)}`)
        : leaves(issue.issue, path, out)
    case "Type":
      return void at(`expected ${expected(issue.ast)}, found ${kindOf(issue.actual)}`)
    case "Missing":
      return void at("is missing")
    case "Unexpected":
      return void at("is not expected")
    case "Forbidden":
      return void at("cannot be decoded here")
  }
}

/**
 * A decode failure as where and what was expected, at most three places:
 * never a value of the answer (Schema's own messages quote them).
 */
export const describeIssue = (error: ParseResult.ParseError): string => {
  const out: Array<string> = []
  leaves(error.issue, [], out)
  const more = out.length > MAX_ISSUES ? "; and more" : ""
  return printable(out.slice(0, MAX_ISSUES).join("; ") + more, 600)
}

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
        issue: describeIssue(decoded.left)
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
