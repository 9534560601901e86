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
import { Duration, Effect, FiberRef } from "effect"
import type { Service as Exchange } from "../../Exchange.js"
import { WechatPayTransportError } from "../../WechatPayError.js"
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
  return [error.reason, causeCode(error), message].filter((part) => part !== undefined && part !== "").join(": ")
}

export const overHttpClient = (http: HttpClient.HttpClient): Send => (request, headers, attemptNo, timeout) => {
  let httpRequest = HttpClientRequest.make(request.method)(request.href).pipe(HttpClientRequest.setHeaders(headers))
  if (request.body !== undefined) {
    httpRequest = HttpClientRequest.bodyText(httpRequest, request.body, "application/json")
  }
  const transportError = (error: HttpClientError.HttpClientError) =>
    new WechatPayTransportError({
      method: request.method,
      path: request.path,
      // ECONNREFUSED: no byte of the request left.
      reason: causeCode(error) === "ECONNREFUSED" ? "Refused" : "Connection",
      description: describeCause(error),
      attempts: attemptNo
    })
  return http.execute(httpRequest).pipe(
    Effect.flatMap((response) =>
      Effect.map(response.text, (text): Received => ({
        method: request.method,
        path: request.path,
        status: response.status,
        // `response.headers` builds a new object on every access: once is enough.
        headers: response.headers,
        body: text
      }))
    ),
    Effect.mapError(transportError),
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

export const overExchange = (platform: Exchange): Send => (request, headers, attemptNo, timeout) =>
  Effect.flatMap(FiberRef.get(ExchangeAttempt.currentInFlight), (slot) =>
    ExchangeAttempt.run({
      platform,
      request: {
        method: request.method,
        origin: request.origin,
        path: request.canonicalUrl,
        headers,
        body: request.body
      },
      path: request.path,
      timeout,
      attempts: attemptNo
    }, slot))
