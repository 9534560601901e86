/**
 * Step 2, send: one attempt's exchange, over the platform's `Exchange` when
 * there is one, else over the `HttpClient`. The transport is chosen once per
 * client, not per request. The timeout covers the exchange only: signing and
 * verifying are local work that cannot hang, a silent server can.
 *
 * @internal
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Duration, Effect, FiberRef, Stream } from "effect"
import { protocolFailure, type Service as Exchange } from "../../Exchange.js"
import { printable, WechatPayTransportError } from "../../WechatPayError.js"
import * as ExchangeAttempt from "../exchangeAttempt.js"
import type { Received } from "../exchangeAttempt.js"
import type { Prepared } from "./prepared.js"

export type Send = (
  request: Prepared,
  headers: Record<string, string>,
  attemptNo: number,
  timeout: Duration.Duration
) => Effect.Effect<Received, WechatPayTransportError>

const causeCode = (error: HttpClientError.HttpClientError): string | undefined => {
  const cause = error.cause
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause
  return typeof inner === "object" && inner !== null && "code" in inner ? String(inner.code) : undefined
}

const describeCause = (error: HttpClientError.HttpClientError): string => {
  const cause = error.cause
  const inner = cause instanceof Error && cause.cause instanceof Error ? cause.cause : cause
  const message = inner instanceof Error ? inner.message : undefined
  return printable([error.reason, causeCode(error), message].filter((part) => part !== undefined && part !== "").join(": "))
}

// The body, read up to `limit` bytes: a larger one fails as it arrives.
const boundedText = (
  response: HttpClientResponse.HttpClientResponse,
  limit: number
): Effect.Effect<string, HttpClientError.ResponseError | TooLarge> => {
  const length = Number(response.headers["content-length"])
  if (Number.isFinite(length) && length > limit) return Effect.fail(new TooLarge(limit))
  return Effect.map(
    Stream.runFoldEffect(
      response.stream,
      { chunks: [] as Array<Uint8Array>, size: 0 },
      (acc, chunk): Effect.Effect<{ chunks: Array<Uint8Array>; size: number }, TooLarge> => {
        acc.size += chunk.length
        if (acc.size > limit) return Effect.fail(new TooLarge(limit))
        acc.chunks.push(chunk)
        return Effect.succeed(acc)
      }
    ),
    ({ chunks, size }) => {
      const all = new Uint8Array(size)
      let at = 0
      for (const c of chunks) {
        all.set(c, at)
        at += c.length
      }
      return decoder.decode(all)
    }
  )
}

const decoder = new TextDecoder()

class TooLarge {
  readonly _tag = "TooLarge"
  constructor(readonly limit: number) {}
}

export const overHttpClient = (http: HttpClient.HttpClient, maxBytes: number): Send =>
(request, headers, attemptNo, timeout) => {
  let httpRequest = HttpClientRequest.make(request.method)(request.href).pipe(HttpClientRequest.setHeaders(headers))
  if (request.body !== undefined) {
    httpRequest = HttpClientRequest.bodyText(httpRequest, request.body, "application/json")
  }
  const transportError = (error: HttpClientError.HttpClientError) => {
    const protocol = protocolFailure(error.cause)
    return new WechatPayTransportError({
      method: request.method,
      path: request.path,
      // ECONNREFUSED: no byte of the request left.
      reason: protocol !== undefined ? "Protocol" : causeCode(error) === "ECONNREFUSED" ? "Refused" : "Connection",
      description: protocol ?? describeCause(error),
      attempts: attemptNo
    })
  }
  return http.execute(httpRequest).pipe(
    Effect.flatMap((response) =>
      Effect.map(boundedText(response, maxBytes), (text): Received => ({
        method: request.method,
        path: request.path,
        status: response.status,
        // `response.headers` builds a new object on every access: once is enough.
        headers: response.headers,
        body: text
      }))
    ),
    Effect.mapError((error) =>
      error instanceof TooLarge
        ? new WechatPayTransportError({
          method: request.method,
          path: request.path,
          reason: "TooLarge",
          description: `the answer's body is larger than ${error.limit} bytes (maxResponseBytes)`,
          attempts: attemptNo
        })
        : transportError(error)
    ),
    Effect.timeoutFail({
      duration: timeout,
      onTimeout: () =>
        new WechatPayTransportError({
          method: request.method,
          path: request.path,
          reason: "Timeout",
          description: `no complete response within ${Duration.format(timeout)}`,
          attempts: attemptNo
        })
    })
  )
}

export const overExchange = (platform: Exchange, maxBytes: number): Send => (request, headers, attemptNo, timeout) =>
  Effect.flatMap(FiberRef.get(ExchangeAttempt.currentInFlight), (slot) =>
    ExchangeAttempt.run({
      platform,
      request: {
        method: request.method,
        origin: request.origin,
        path: request.canonicalUrl,
        headers,
        body: request.body,
        maxBodyBytes: maxBytes
      },
      path: request.path,
      timeout,
      attempts: attemptNo
    }, slot))
