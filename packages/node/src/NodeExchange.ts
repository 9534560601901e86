/**
 * Core's `Exchange` on Node: one request/response over `node:http` (or
 * `node:https`) with a keep-alive `Agent`, as one promise. Measured on
 * loopback, per request, against undici's dispatch API (what this module used
 * before) and global `fetch`: about the same as the first (undici ~5-10 % less
 * CPU per request in a tight loop, within noise over a listing) and far
 * cheaper than `fetch`; and it loads nothing: `node:http` is part of Node,
 * where undici is 0.5 MB of JavaScript to load, compile and initialise in every
 * process (start-up and peak RSS; bench/PROFILE.md). Signing, verification,
 * retries and errors are core's on both paths. The agents live as long as the
 * layer.
 *
 * @example
 * ```ts
 * import { Layer } from "effect"
 * import { NodeExchange, NodeWechatPayClient } from "@effect-wechatpay/node"
 *
 * // NodeWechatPayClient.layer already includes it; to add it to your own stack:
 * const Client = NodeWechatPayClient.layerWithoutHttpClient().pipe(Layer.provide(NodeExchange.layer))
 * ```
 *
 * @since 0.1.0
 */
import { Exchange, WechatPayError } from "@effect-wechatpay/core"
import { Effect, Layer } from "effect"
import * as Http from "node:http"
import * as Https from "node:https"

const joinHeaders = (headers: Http.IncomingHttpHeaders) => {
  const out: Record<string, string | undefined> = {}
  for (const name in headers) {
    const value = headers[name]
    out[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return out
}

const describe = (error: unknown): string => {
  const inner = error instanceof Error ? error : undefined
  const code = inner !== undefined && "code" in inner ? String(inner.code) : undefined
  // One line, bounded: a message may quote what the server sent.
  return WechatPayError.printable(
    ["Transport", code, inner?.message].filter((part) => part !== undefined && part !== "").join(": ")
  )
}

// ECONNREFUSED: the TCP connection was refused, so no byte of the request left.
const isRefused = (error: unknown): boolean => {
  const code = (e: unknown) => typeof e === "object" && e !== null && "code" in e ? e.code : undefined
  return code(error) === "ECONNREFUSED" || (error instanceof Error && code(error.cause) === "ECONNREFUSED")
}

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024

class TooLarge extends Error {
  constructor(limit: number) {
    super(`the answer's body is larger than ${limit} bytes (maxResponseBytes)`)
  }
}

class Aborted extends Error {
  readonly code = "ABORTED"
  constructor() {
    super("the request was aborted")
  }
}

const NO_HEADERS: Readonly<Record<string, string | undefined>> = {}
const noop = () => {}

/**
 * One exchange: the request, and its response's chunks collected and decoded
 * once at the end. Once settled it drops everything that leads to the
 * response (the request, the promise's resolving functions): a collector kept
 * alive a little longer (by the abort function, or in V8's old generation)
 * keeps no page.
 */
class Collector {
  private resolve: (response: Exchange.Response) => void = noop
  private reject: (failure: Exchange.ExchangeFailure) => void = noop
  request: Http.ClientRequest | undefined = undefined
  private settled = false
  private status = 0
  private headers: Readonly<Record<string, string | undefined>> = NO_HEADERS
  private chunks: Array<Buffer> = []
  private received = 0
  constructor(private readonly maxBodyBytes: number) {}

  /** The response, settled by this collector. Not kept on it: see `finish`. */
  start(): Promise<Exchange.Response> {
    return new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }

  // Bound once per collector, handed to node:http as listeners.
  readonly onResponse = (response: Http.IncomingMessage): void => {
    if (this.settled) {
      response.destroy()
      return
    }
    this.status = response.statusCode ?? 0
    this.headers = joinHeaders(response.headers)
    const length = Number(this.headers["content-length"])
    if (Number.isFinite(length) && length > this.maxBodyBytes) return this.tooLarge()
    response.on("data", this.onData)
    response.on("end", this.onEnd)
    response.on("error", this.onError)
    // The connection closed before the body ended (no 'end'): a failed exchange.
    response.on("close", this.onClose)
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.settled) return
    // Bounded while reading: a huge or endless body costs no more than the limit.
    this.received += chunk.length
    if (this.received > this.maxBodyBytes) return this.tooLarge()
    this.chunks.push(chunk)
  }

  private readonly onEnd = (): void => {
    if (this.settled) return
    const chunks = this.chunks
    const body = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")
    const resolve = this.resolve
    const response = { status: this.status, headers: this.headers, body }
    this.finish()
    resolve(response)
  }

  // 'close' follows every 'end': an Error (a stack trace) is built only when it came first.
  private readonly onClose = (): void => {
    if (this.settled) return
    this.fail(new Error("the connection closed before the response ended"))
  }

  readonly onError = (error: Error): void => {
    this.fail(error)
  }

  private tooLarge(): void {
    const error = new TooLarge(this.maxBodyBytes)
    this.request?.destroy(error)
    this.fail(error)
  }

  /** Aborts the request where it is: queued, sending or receiving (its socket is closed). Settles at once. */
  abort(): void {
    if (this.settled) return
    const error = new Aborted()
    this.request?.destroy(error)
    this.fail(error)
  }

  /** Settles with an `ExchangeFailure` describing `error`, unless already settled. */
  fail(error: unknown): void {
    if (this.settled) return
    const reject = this.reject
    this.finish()
    if (error instanceof TooLarge) return reject(new Exchange.ExchangeFailure(error.message, "TooLarge"))
    const protocol = Exchange.protocolFailure(error)
    reject(
      protocol !== undefined
        ? new Exchange.ExchangeFailure(protocol, "Protocol")
        : new Exchange.ExchangeFailure(describe(error), isRefused(error) ? "Refused" : "Connection")
    )
  }

  // Drops everything that leads to the response, the resolving functions too
  // (they hold the promise, which holds the response).
  private finish(): void {
    this.settled = true
    this.chunks = []
    this.headers = NO_HEADERS
    this.request = undefined
    this.resolve = noop
    this.reject = noop
  }
}

/**
 * The keep-alive agents of an exchange: one for `http:` origins, one for
 * `https:`.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Agents {
  readonly http: Http.Agent
  readonly https: Https.Agent
}

/**
 * New keep-alive agents; `destroy` them when done (the layer does).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeAgents = (): Agents => ({
  http: new Http.Agent({ keepAlive: true }),
  https: new Https.Agent({ keepAlive: true })
})

interface Target {
  readonly origin: string
  readonly secure: boolean
  readonly hostname: string
  readonly port: number
}

const targetOf = (origin: string): Target => {
  const url = new URL(origin)
  const secure = url.protocol === "https:"
  if (!secure && url.protocol !== "http:") throw new Error(`not an http(s) origin: ${origin}`)
  // `new URL` keeps IPv6 brackets; node:http wants the bare address.
  const hostname = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname
  return { origin, secure, hostname, port: url.port === "" ? (secure ? 443 : 80) : Number(url.port) }
}

const withLength = (headers: Readonly<Record<string, string>>, length: number): Http.OutgoingHttpHeaders => {
  const out: Http.OutgoingHttpHeaders = { "content-length": length }
  for (const name in headers) out[name] = headers[name]
  return out
}

/**
 * @since 0.1.0
 * @category Constructors
 */
export const make = (agents: Agents): Exchange.Service => {
  // A client talks to one origin: parse it once, not per request.
  let last: Target | undefined
  return Exchange.Exchange.of({
    exchange: (request) => {
      const collector = new Collector(request.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)
      const response = collector.start()
      try {
        const target = last !== undefined && last.origin === request.origin ? last : (last = targetOf(request.origin))
        const body = request.body
        // Only a request with a body needs its own header object (for its length): no copy per GET.
        const headers: Http.OutgoingHttpHeaders = body === undefined
          ? request.headers
          : withLength(request.headers, Buffer.byteLength(body))
        const sent = target.secure
          ? Https.request(
            { host: target.hostname, port: target.port, path: request.path, method: request.method, headers, agent: agents.https },
            collector.onResponse
          )
          : Http.request(
            { host: target.hostname, port: target.port, path: request.path, method: request.method, headers, agent: agents.http },
            collector.onResponse
          )
        collector.request = sent
        sent.on("error", collector.onError)
        if (body !== undefined) sent.end(body)
        else sent.end()
      } catch (error) {
        // Invalid arguments (a header value with CR LF) throw synchronously; the exchange fails like any other.
        collector.fail(error)
      }
      return { response, abort: () => collector.abort() }
    }
  })
}

/**
 * An `Exchange` over its own keep-alive agents, destroyed with the layer.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer: Layer.Layer<Exchange.Exchange> = Layer.scoped(
  Exchange.Exchange,
  Effect.map(
    Effect.acquireRelease(Effect.sync(makeAgents), (agents) =>
      Effect.sync(() => {
        agents.http.destroy()
        agents.https.destroy()
      })),
    make
  )
)
