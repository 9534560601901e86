/**
 * Core's `Exchange` on Node: one request/response over an undici keep-alive
 * agent (the same client `@effect/platform-node` uses), as one promise. The
 * benchmark measured the `HttpClient` pipeline at about a third of a
 * millisecond per request more; signing, verification, retries and errors are
 * core's on both paths. The agent lives as long as the layer.
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
import Undici from "@effect/platform-node/Undici"
import { Effect, Layer } from "effect"

const joinHeaders = (headers: Record<string, string | Array<string> | undefined>) => {
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
 * One exchange as an undici dispatch handler: the body's chunks are collected
 * and decoded once at the end. `agent.request` would wrap each response in a
 * Node `Readable` and an `AsyncResource`, and need an abort signal per request;
 * the profile showed those. Once settled it drops everything that leads to the
 * response (the promise included): a handler kept alive a little longer (by the
 * abort function, or in V8's old generation) keeps no page.
 */
class Collector implements Undici.Dispatcher.DispatchHandler {
  private resolve: (response: Exchange.Response) => void = noop
  private reject: (failure: Exchange.ExchangeFailure) => void = noop
  private controller: Undici.Dispatcher.DispatchController | undefined = undefined
  private aborted = false
  private settled = false
  private status = 0
  private headers: Readonly<Record<string, string | undefined>> = NO_HEADERS
  private chunks: Array<Buffer> = []
  private received = 0
  constructor(private readonly maxBodyBytes: number) {}

  /** The response, settled by this handler. Not kept on it: see `finish`. */
  start(): Promise<Exchange.Response> {
    return new Promise((resolve, reject) => {
      this.resolve = resolve
      this.reject = reject
    })
  }

  onRequestStart(controller: Undici.Dispatcher.DispatchController): void {
    this.controller = controller
    if (this.aborted) controller.abort(new Aborted())
  }

  onResponseStart(
    _controller: Undici.Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | Array<string> | undefined>
  ): void {
    this.status = statusCode
    this.headers = joinHeaders(headers)
    const length = Number(this.headers["content-length"])
    if (Number.isFinite(length) && length > this.maxBodyBytes) this.tooLarge()
  }

  onResponseData(_controller: Undici.Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return
    // Bounded while reading: a huge or endless body costs no more than the limit.
    this.received += chunk.length
    if (this.received > this.maxBodyBytes) return this.tooLarge()
    this.chunks.push(chunk)
  }

  private tooLarge(): void {
    const error = new TooLarge(this.maxBodyBytes)
    this.controller?.abort(error)
    this.fail(error)
  }

  onResponseEnd(): void {
    if (this.settled) return
    const chunks = this.chunks
    const body = chunks.length === 1 ? chunks[0]!.toString("utf8") : Buffer.concat(chunks).toString("utf8")
    const resolve = this.resolve
    const response = { status: this.status, headers: this.headers, body }
    this.finish()
    resolve(response)
  }

  onResponseError(_controller: Undici.Dispatcher.DispatchController, error: Error): void {
    this.fail(error)
  }

  /** Aborts the request where it is: queued, sending or receiving. Settles at once. */
  abort(): void {
    if (this.aborted) return
    this.aborted = true
    this.controller?.abort(new Aborted())
    this.fail(new Aborted())
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
    this.controller = undefined
    this.resolve = noop
    this.reject = noop
  }
}

/**
 * @since 0.1.0
 * @category Constructors
 */
export const make = (agent: Undici.Dispatcher): Exchange.Service =>
  Exchange.Exchange.of({
    exchange: (request) => {
      const collector = new Collector(request.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES)
      const response = collector.start()
      try {
        agent.dispatch({
          origin: request.origin,
          path: request.path,
          method: request.method as Undici.Dispatcher.HttpMethod,
          headers: request.headers,
          body: request.body ?? null
        }, collector)
      } catch (error) {
        // Invalid arguments throw synchronously; the exchange fails like any other.
        collector.fail(error)
      }
      return { response, abort: () => collector.abort() }
    }
  })

/**
 * An `Exchange` over its own undici keep-alive agent, closed with the layer.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer: Layer.Layer<Exchange.Exchange> = Layer.scoped(
  Exchange.Exchange,
  Effect.map(
    Effect.acquireRelease(Effect.sync(() => new Undici.Agent()), (agent) => Effect.promise(() => agent.close())),
    make
  )
)
