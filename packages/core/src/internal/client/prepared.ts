/**
 * A request resolved once, before its first attempt: the URL parsed, the
 * bytes to sign and send fixed.
 *
 * @internal
 */
import type { RetryClass, WechatPayRequest } from "../../WechatPayRequest.js"
import * as Protocol from "../protocol.js"

export interface Prepared {
  readonly method: WechatPayRequest["method"]
  /** The API path, without query: what errors and spans name. */
  readonly path: string
  /** Path and query as sent: what is signed. */
  readonly canonicalUrl: string
  readonly href: string
  readonly origin: string
  /** The body as sent; `undefined` for none (an empty body is signed). */
  readonly body: string | undefined
  readonly headers: Readonly<Record<string, string>> | undefined
  readonly retry: RetryClass
}

export const prepare = (base: string, request: WechatPayRequest): Prepared => {
  const query = request.query !== undefined && request.query.length > 0
    ? `?${Protocol.queryString(request.query)}`
    : ""
  // Parse once; sign exactly the path + query the transport will send.
  const url = new URL(base + request.path + query)
  return {
    method: request.method,
    path: request.path,
    canonicalUrl: url.pathname + url.search,
    href: url.href,
    origin: url.origin,
    body: request.body,
    headers: request.headers,
    retry: request.retry ?? "idempotent"
  }
}
