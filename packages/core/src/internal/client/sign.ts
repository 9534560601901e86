/**
 * Step 1, sign: the headers of one attempt, signed afresh (new nonce and
 * timestamp) over the exact method, path + query and body sent.
 *
 * @internal
 */
import { Effect } from "effect"
import type { Service as Signer } from "../../Signer.js"
import * as Protocol from "../protocol.js"
import type { Prepared } from "./prepared.js"

export interface SignEnv {
  readonly signer: Signer
  readonly userAgent: string
  /**
   * The serial the client accepts answers under, sent unless the request names
   * another: fixed, or read at each attempt's clock time (a rotating set;
   * `undefined` sends no header).
   */
  readonly acceptSerial: string | ((nowMillis: number) => string | undefined)
}

/** The headers of an attempt, given its timestamp, nonce, serial and signature. */
export const headersOf = (
  env: SignEnv,
  request: Prepared,
  timestamp: number,
  nonce: string,
  serial: string | undefined,
  signature: string
): Record<string, string> => {
  const headers: Record<string, string> = {
    Authorization: Protocol.authorization({
      mchid: env.signer.mchid,
      serialNo: env.signer.serialNo,
      nonce,
      signature,
      timestamp
    }),
    Accept: "application/json",
    "User-Agent": env.userAgent,
    "Wechatpay-Serial": serial ?? ""
  }
  // Only a download with no certificate held yet sends none (the object built as before on every other path).
  if (serial === undefined) delete headers["Wechatpay-Serial"]
  if (request.body !== undefined) headers["Content-Type"] = "application/json"
  const extra = request.headers
  if (extra !== undefined) {
    for (const name in extra) headers[name] = extra[name]!
  }
  return headers
}

/** Signed now, at `now` (the clock already read). */
export const signedAt = (env: SignEnv, request: Prepared, now: number): Effect.Effect<Record<string, string>> => {
  const timestamp = Math.floor(now / 1000)
  const nonce = Protocol.nonce()
  const message = Protocol.requestMessage(request.method, request.canonicalUrl, timestamp, nonce, request.body ?? "")
  const serial = typeof env.acceptSerial === "string" ? env.acceptSerial : env.acceptSerial(now)
  return Effect.map(env.signer.sign(message), (signature) => headersOf(env, request, timestamp, nonce, serial, signature))
}
