/**
 * Serves a {@link Sandbox.Service} over real HTTP on loopback, through `@effect/platform`'s `HttpServer`
 * (`NodeHttpServer`). One raw handler: it reads the request target exactly as received (`originalUrl`) and the
 * body text, calls `handle`, and writes the status, headers and the signed body bytes itself; a `reset` fault
 * destroys the socket without answering.
 *
 * @example
 * ```ts
 * import { SandboxServer } from "@effect-wechatpay/sandbox"
 *
 * const sandbox = await SandboxServer.startPromise({ port: 0 })
 * // sandbox.url, sandbox.mchid, sandbox.merchantPrivateKeyPem, sandbox.wechatpayPublicKeyPem, …
 * await sandbox.close()
 * ```
 *
 * @since 0.1.0
 */
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type { ServeError } from "@effect/platform/HttpServerError"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import { Context, Effect, Exit, Layer, Scope } from "effect"
import * as Http from "node:http"
import * as Sandbox from "./Sandbox.js"

/**
 * @since 0.1.0
 * @category Models
 */
export interface ServeOptions {
  /** Default 0: an ephemeral port. */
  readonly port?: number | undefined
  /** Default `"127.0.0.1"`. */
  readonly host?: string | undefined
}

/**
 * A running server.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Running {
  /** e.g. `http://127.0.0.1:41234` (no trailing slash). */
  readonly url: string
  readonly sandbox: Sandbox.Service
}

/**
 * @since 0.1.0
 * @category Tags
 */
export class SandboxServer extends Context.Tag("@effect-wechatpay/sandbox/SandboxServer")<SandboxServer, Running>() {}

const bodyOf = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<string> =>
  Effect.orElseSucceed(request.text, () => "")

/**
 * Serves an existing sandbox until the scope closes; returns the bound URL.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const serveSandbox = (
  sandbox: Sandbox.Service,
  options: ServeOptions = {}
): Effect.Effect<string, ServeError, Scope.Scope> =>
  Effect.gen(function*() {
    const host = options.host ?? "127.0.0.1"
    const nodeServer = Http.createServer()
    const server = yield* NodeHttpServer.make(() => nodeServer, { port: options.port ?? 0, host })
    // runs before NodeHttpServer's own finaliser (server.close), so keep-alive connections do not hold it open
    yield* Effect.addFinalizer(() => Effect.sync(() => nodeServer.closeAllConnections()))
    const app = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const incoming = NodeHttpServerRequest.toIncomingMessage(request)
      const response = NodeHttpServerRequest.toServerResponse(request)
      const body = yield* bodyOf(request)
      const result = yield* sandbox.handle({
        method: request.method,
        url: request.originalUrl,
        headers: incoming.headers,
        body
      })
      if (result === "reset") {
        incoming.socket.destroy()
        response.end()
        return HttpServerResponse.empty()
      }
      const bytes = Buffer.from(result.body, "utf8")
      yield* Effect.async<void>((resume) => {
        response.writeHead(result.status, { ...result.headers, "Content-Length": String(bytes.length) })
        response.end(bytes, () => resume(Effect.void))
      })
      // already written: the platform sees `writableEnded` and writes nothing more
      return HttpServerResponse.empty()
    })
    yield* server.serve(app)
    const address = server.address
    if (address._tag !== "TcpAddress") return `http://${host}`
    const hostname = address.hostname.includes(":") ? `[${address.hostname}]` : address.hostname
    return `http://${hostname}:${address.port}`
  })

/**
 * Builds a sandbox and serves it until the scope closes.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const serve = (
  options: Sandbox.Options & ServeOptions = {}
): Effect.Effect<Running, ServeError, Scope.Scope> =>
  Effect.gen(function*() {
    const sandbox = yield* Sandbox.make(options)
    const url = yield* serveSandbox(sandbox, options)
    return { url, sandbox }
  })

/**
 * Serves the {@link Sandbox.Sandbox} in context (share it with `Sandbox.layerHttpClient` or inspect it).
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerServe = (options: ServeOptions = {}): Layer.Layer<SandboxServer, ServeError, Sandbox.Sandbox> =>
  Layer.scoped(
    SandboxServer,
    Effect.flatMap(Sandbox.Sandbox, (sandbox) =>
      Effect.map(serveSandbox(sandbox, options), (url) => ({ url, sandbox })))
  )

/**
 * A sandbox served over HTTP, with both tags.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (
  options: Sandbox.Options & ServeOptions = {}
): Layer.Layer<SandboxServer | Sandbox.Sandbox, ServeError> =>
  layerServe(options).pipe(Layer.provideMerge(Sandbox.layer(options)))

/**
 * A started sandbox for library users: the configuration a client needs, the request log and `close`.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Started extends Sandbox.SandboxConfig {
  readonly url: string
  readonly sandbox: Sandbox.Service
  readonly requests: Effect.Effect<ReadonlyArray<Sandbox.RequestRecord>>
  readonly requestCount: Effect.Effect<number>
  /** Stops the server (idempotent). */
  readonly close: Effect.Effect<void>
}

/**
 * Starts a sandbox server that runs until `close` (not tied to a scope: the CLI and plain scripts use this).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const start = (options: Sandbox.Options & ServeOptions = {}): Effect.Effect<Started, ServeError> =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    const running = yield* serve(options).pipe(
      Scope.extend(scope),
      Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause)))
    )
    return {
      ...running.sandbox.config,
      url: running.url,
      sandbox: running.sandbox,
      requests: running.sandbox.requests,
      requestCount: running.sandbox.requestCount,
      close: Scope.close(scope, Exit.void)
    }
  })

/**
 * A Promise-based {@link Started}.
 *
 * @since 0.1.0
 * @category Models
 */
export interface StartedPromise extends Sandbox.SandboxConfig {
  readonly url: string
  readonly sandbox: Sandbox.Service
  readonly requests: () => Promise<ReadonlyArray<Sandbox.RequestRecord>>
  readonly requestCount: () => Promise<number>
  readonly close: () => Promise<void>
}

/**
 * {@link start} for Promise users. Rejects with the `ServeError` if the port cannot be bound.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const startPromise = async (options: Sandbox.Options & ServeOptions = {}): Promise<StartedPromise> => {
  const started = await Effect.runPromise(start(options))
  return {
    ...started,
    requests: () => Effect.runPromise(started.requests),
    requestCount: () => Effect.runPromise(started.requestCount),
    close: () => Effect.runPromise(started.close)
  }
}
