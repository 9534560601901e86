/**
 * A hostile WeChat Pay on loopback, for tests of what a client does with
 * answers it should not trust: each answer is whatever `answer` returns for
 * the request, correctly signed with the sandbox's WeChat Pay public key
 * (`PUB_KEY_ID_…` mode), so that it passes verification and reaches the
 * client's own checks. Bounded: it answers at most `maxRequests` requests
 * (then `503` unsigned, and they are still counted), and stops with its scope.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { HostileServer, Sandbox } from "@effect-wechatpay/sandbox"
 *
 * // The same full page at every offset: a listing that never ends unless the client stops it.
 * const program = Effect.gen(function*() {
 *   const keys = yield* Sandbox.generateKeys
 *   const server = yield* HostileServer.serve({
 *     keys,
 *     answer: () => ({ body: JSON.stringify({ face_collections: [] }) })
 *   })
 *   return server.url
 * })
 * ```
 *
 * @since 0.2.0
 */
import { Effect, type Scope } from "effect"
import { randomBytes, sign } from "node:crypto"
import * as Http from "node:http"
import * as Sandbox from "./Sandbox.js"

/**
 * What to answer: a signed body (status 200 unless given; `headers` added
 * after signing, e.g. `Content-Encoding`), raw bytes written on the socket
 * instead of HTTP, or the connection dropped.
 *
 * @since 0.2.0
 * @category Models
 */
export type Answer =
  | { readonly body: string; readonly status?: number; readonly headers?: Readonly<Record<string, string>> }
  | { readonly raw: string }
  | "drop"

/**
 * @since 0.2.0
 * @category Models
 */
export interface Request {
  readonly method: string
  /** Path and query, as sent. */
  readonly url: string
  /** 1-based. */
  readonly seq: number
}

/**
 * @since 0.2.0
 * @category Models
 */
export interface Options {
  /** The sandbox's keys: answers are signed with `wechatpayPrivateKeyPem`. */
  readonly keys: Sandbox.Keys
  /** Default `Sandbox.defaults.wechatpayPublicKeyId`: the `Wechatpay-Serial` of every answer. */
  readonly publicKeyId?: string | undefined
  readonly answer: (request: Request) => Answer
  /** Default 100. */
  readonly maxRequests?: number | undefined
}

/**
 * @since 0.2.0
 * @category Models
 */
export interface Running {
  /** e.g. `http://127.0.0.1:41234`. */
  readonly url: string
  /** Requests received so far (those past `maxRequests` included). */
  readonly requests: () => number
}

const signed = (
  keys: Sandbox.Keys,
  serial: string,
  body: string
): Record<string, string> => {
  const timestamp = String(Math.floor(Date.now() / 1000))
  const nonce = randomBytes(16).toString("hex")
  const signature = sign("sha256", Buffer.from(`${timestamp}\n${nonce}\n${body}\n`, "utf8"), keys.wechatpayPrivateKeyPem)
  return {
    "Content-Type": "application/json",
    "Request-ID": `hostile-${nonce}`,
    "Wechatpay-Timestamp": timestamp,
    "Wechatpay-Nonce": nonce,
    "Wechatpay-Signature": signature.toString("base64"),
    "Wechatpay-Serial": serial
  }
}

/**
 * Serves on 127.0.0.1 (a free port) until the scope closes.
 *
 * @since 0.2.0
 * @category Constructors
 */
export const serve = (options: Options): Effect.Effect<Running, Error, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: Http.Server; readonly running: Running }, Error>((resume) => {
      const serial = options.publicKeyId ?? Sandbox.defaults.wechatpayPublicKeyId
      const maxRequests = options.maxRequests ?? 100
      let seq = 0
      const server = Http.createServer((request, response) => {
        request.resume()
        request.on("end", () => {
          seq += 1
          if (seq > maxRequests) {
            response.writeHead(503, { "Content-Type": "text/plain" })
            response.end("hostile server: request budget spent")
            return
          }
          const answer = options.answer({ method: request.method ?? "GET", url: request.url ?? "/", seq })
          if (answer === "drop") {
            request.socket.destroy()
            return
          }
          if ("raw" in answer) {
            request.socket.end(answer.raw)
            return
          }
          const bytes = Buffer.from(answer.body, "utf8")
          response.writeHead(answer.status ?? 200, {
            ...signed(options.keys, serial, answer.body),
            ...answer.headers,
            "Content-Length": String(bytes.length)
          })
          response.end(bytes)
        })
      })
      server.once("error", (error) => resume(Effect.fail(error)))
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(Effect.succeed({ server, running: { url: `http://127.0.0.1:${port}`, requests: () => seq } }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ running }) => running))
