/**
 * The two shapes most endpoints take: a JSON body encoded from a schema and
 * a JSON answer; a path from segments and a JSON answer.
 *
 * @internal
 */
import { Effect, Either, type Schema } from "effect"
import { WechatPayClient } from "../WechatPayClient.js"
import type { WechatPayInvalidInputError, WechatPayRequestError } from "../WechatPayError.js"
import * as WechatPayRequest from "../WechatPayRequest.js"

/** POST `path` with `params` encoded by `body`; the answer decoded by `answer`. Retried as idempotent. */
export const postJson = <B, BI, A, AI>(
  operation: string,
  path: string,
  body: Schema.Schema<B, BI, never>,
  params: B,
  answer: Schema.Schema<A, AI, never>
): Effect.Effect<A, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  Effect.flatMap(WechatPayRequest.jsonBody(operation, body, params), (text) =>
    Effect.flatMap(WechatPayClient, (client) => client.execute({ method: "POST", path, body: text }, answer)))

/** GET a path built from `parts`, with `query`; the answer decoded by `answer`. */
export const getJson = <A, AI>(
  operation: string,
  parts: ReadonlyArray<string | WechatPayRequest.Segment>,
  query: ReadonlyArray<readonly [string, string]>,
  answer: Schema.Schema<A, AI, never>
): Effect.Effect<A, WechatPayInvalidInputError | WechatPayRequestError, WechatPayClient> =>
  Either.match(WechatPayRequest.path(operation, parts), {
    onLeft: (error) => Effect.fail(error),
    onRight: (path) =>
      Effect.flatMap(WechatPayClient, (client) =>
        client.execute({ method: "GET", path, ...(query.length > 0 ? { query } : {}) }, answer))
  })
