/**
 * End to end over real loopback HTTP: the Node layer (node:crypto signer and
 * verifier, node:http keep-alive transport) against the sandbox server.
 */
import { Credentials, Exchange, FaceCollection, FaceCollections, RetryPolicy } from "@effect-wechatpay/core"
import { NodeExchange, NodeWechatPayClient } from "@effect-wechatpay/node"
import { Faults, Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { describe, expect, layer } from "@effect/vitest"
import { Chunk, Deferred, Effect, Layer, Redacted, Schedule, Stream } from "effect"
import * as Http from "node:http"

// Keys come from one layer shared by the whole file (Sandbox.layerKeys, below).
const ORG = "school-1k"
const SIZE = 1_000

const clientFor = (server: SandboxServer.Running) => {
  const config = server.sandbox.config
  return NodeWechatPayClient.layer({ baseUrl: server.url }).pipe(
    Layer.provide(Credentials.layer({
      merchant: {
        mchid: config.mchid,
        serialNo: config.merchantSerial,
        privateKey: Redacted.make(config.merchantPrivateKeyPem)
      },
      verification: { publicKey: { id: config.wechatpayPublicKeyId, pem: config.wechatpayPublicKeyPem } }
    }))
  )
}

layer(Sandbox.layerKeys, { excludeTestServices: true })("node over loopback", (it) => {
  describe("NodeWechatPayClient over loopback HTTP", () => {
    it.scoped("lists a 1 000-item organization exactly and in order", () =>
      Effect.gen(function*() {
        const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey", organizations: { [ORG]: SIZE } })
        const items = yield* Stream.runCollect(FaceCollections.allCollections(ORG)).pipe(
          Effect.provide(clientFor(server))
        )
        const expected = server.sandbox.expectedItems(ORG)
        expect(expected.length).toBe(SIZE)
        const listed = Chunk.toReadonlyArray(items)
        expect(listed.map((item) => item.collectionId)).toEqual(expected.map((item) => item.collection_id))
        expect(listed.map(FaceCollection.toWire)).toEqual(expected)
        // 50 full pages of 20, then the empty page that ends the listing; every one answered 200.
        const requests = yield* server.sandbox.requests
        expect(requests.length).toBe(SIZE / 20 + 1)
        expect(requests.every((r) => r.status === 200 && r.method === "GET")).toBe(true)
        expect(new Set(requests.map((r) => r.nonce)).size).toBe(requests.length)
      }))

    it.scoped("retries 500s and dropped connections (re-signed) and still lists exactly", () =>
      Effect.gen(function*() {
        const server = yield* SandboxServer.serve({
          ...(yield* Sandbox.SandboxKeys),
          mode: "publicKey",
          organizations: { [ORG]: SIZE },
          faults: {
            faults: [
              { kind: "500", select: Faults.nth(2, 9, 20) },
              { kind: "reset", select: Faults.nth(5, 17) }
            ]
          }
        })
        const items = yield* Stream.runCollect(FaceCollections.allCollections(ORG, { limit: 50 })).pipe(
          Effect.provide(clientFor(server)),
          // Retries without delay: no sleeping in tests.
          Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.fromSchedule(Schedule.recurs(5)))
        )
        expect(Chunk.toReadonlyArray(items).map(FaceCollection.toWire)).toEqual(server.sandbox.expectedItems(ORG))
        const requests = yield* server.sandbox.requests
        expect(requests.filter((r) => r.status === 500).length).toBe(3)
        expect(requests.filter((r) => r.status === "reset").length).toBe(2)
        expect(requests.length).toBe(SIZE / 50 + 1 + 5)
        expect(new Set(requests.map((r) => r.nonce)).size).toBe(requests.length)
      }))

    it.scoped("a tampered response is refused with a typed verification error", () =>
      Effect.gen(function*() {
        const server = yield* SandboxServer.serve({
          ...(yield* Sandbox.SandboxKeys),
          mode: "publicKey",
          faults: { faults: [{ kind: "tamper", select: Faults.every }] }
        })
        const error = yield* FaceCollections.listFaceCollections({ organizationId: "1234567" }).pipe(
          Effect.provide(clientFor(server)),
          Effect.flip
        )
        expect(error._tag).toBe("WechatPayVerificationError")
        if (error._tag === "WechatPayVerificationError") expect(error.check).toBe("BadSignature")
      }))
  })

  describe("the Node exchange (core's Exchange over node:http)", () => {
    it.scoped("a server that does not answer in time is a Timeout, and the request is aborted", () =>
      Effect.gen(function*() {
        const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey", faults: { latency: 5_000 } })
        const started = Date.now()
        const error = yield* Effect.flip(
          FaceCollections.listFaceCollections({ organizationId: "1234567" }).pipe(
            Effect.provide(clientFor(server)),
            Effect.provideService(
              RetryPolicy.RetryPolicy,
              RetryPolicy.fromSchedule(Schedule.recurs(1), { timeout: "150 millis" })
            )
          )
        )
        expect(error).toMatchObject({ _tag: "WechatPayTransportError", reason: "Timeout", attempts: 2 })
        expect(Date.now() - started).toBeLessThan(4_000)
      }))

    it.scoped("a streamed listing's attempts share one deadline timer: each attempt still times out on its own", () =>
      Effect.gen(function*() {
        // No page answers in time: each attempt, re-armed on the listing's one timer (also after
        // it fired), times out after 150 ms, and the listing fails with a Timeout.
        const server = yield* SandboxServer.serve({
          ...(yield* Sandbox.SandboxKeys),
          mode: "publicKey",
          organizations: { [ORG]: SIZE },
          faults: { latency: 5_000 }
        })
        const started = Date.now()
        const error = yield* Effect.flip(
          Stream.runDrain(FaceCollections.allCollections(ORG, { limit: 50 })).pipe(
            Effect.provide(clientFor(server)),
            Effect.provideService(
              RetryPolicy.RetryPolicy,
              RetryPolicy.fromSchedule(Schedule.recurs(2), { timeout: "150 millis" })
            )
          )
        )
        expect(error).toMatchObject({ _tag: "WechatPayTransportError", reason: "Timeout", attempts: 3 })
        expect(Date.now() - started).toBeLessThan(4_000)
      }))

    it.scoped("the shared deadline is re-armed per attempt: a listing longer than the timeout, of fast pages, succeeds", () =>
      Effect.gen(function*() {
        // 51 pages of ~10 ms each: over 0.5 s in all, each page well within the 300 ms deadline.
        const server = yield* SandboxServer.serve({
          ...(yield* Sandbox.SandboxKeys),
          mode: "publicKey",
          organizations: { [ORG]: SIZE },
          faults: { latency: 10 }
        })
        const started = Date.now()
        const items = yield* Stream.runCollect(FaceCollections.allCollections(ORG)).pipe(
          Effect.provide(clientFor(server)),
          Effect.provideService(
            RetryPolicy.RetryPolicy,
            RetryPolicy.fromSchedule(Schedule.recurs(0), { timeout: "300 millis" })
          )
        )
        expect(Date.now() - started).toBeGreaterThan(300)
        expect(Chunk.size(items)).toBe(SIZE)
      }))

    it.scoped("a refused connection is a Refused transport error (nothing left) naming the cause", () =>
      Effect.gen(function*() {
        const server = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
        const layer = clientFor({ ...server, url: "http://127.0.0.1:1" })
        const error = yield* Effect.flip(
          FaceCollections.listFaceCollections({ organizationId: "1234567" }).pipe(
            Effect.provide(layer),
            Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.none)
          )
        )
        expect(error).toMatchObject({ _tag: "WechatPayTransportError", reason: "Refused", attempts: 1 })
        expect(error.message).toContain("ECONNREFUSED")
      }))

    // A server that never answers, and when the connection of its first request closes.
    const silentServer = Effect.gen(function*() {
      const closed = yield* Deferred.make<number>()
      const server = yield* Effect.acquireRelease(
        Effect.async<Http.Server>((resume) => {
          const server = Http.createServer((request) => {
            request.on("close", () => Effect.runSync(Deferred.succeed(closed, Date.now())))
          })
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
        }),
        (server) =>
          Effect.async<void>((resume) => {
            server.closeAllConnections()
            server.close(() => resume(Effect.void))
          })
      )
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      return { url: `http://127.0.0.1:${port}`, closed }
    })

    it.scoped("interrupting a request aborts it (the server sees the connection close)", () =>
      Effect.gen(function*() {
        const sandbox = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
        const silent = yield* silentServer
        // Interrupted after 100 ms: the connection closes then, not when the
        // attempt's deadline (10 s) passes or the layer's agent is closed.
        const startedAt = Date.now()
        yield* FaceCollections.listFaceCollections({ organizationId: "1234567" }).pipe(
          Effect.provide(clientFor({ ...sandbox, url: silent.url })),
          Effect.timeout("100 millis"),
          Effect.exit
        )
        const closedAt = yield* Deferred.await(silent.closed).pipe(Effect.timeout("2 seconds"))
        expect(closedAt - startedAt).toBeLessThan(1_000)
      }))

    it.scoped("interrupting a streamed listing aborts its request in flight (one finalizer for the stream)", () =>
      Effect.gen(function*() {
        const sandbox = yield* SandboxServer.serve({ ...(yield* Sandbox.SandboxKeys), mode: "publicKey" })
        const silent = yield* silentServer
        // Interrupted after 100 ms: the connection closes then, not when the
        // attempt's deadline (10 s) passes or the layer's agent is closed.
        const startedAt = Date.now()
        yield* Stream.runDrain(FaceCollections.allCollections("1234567")).pipe(
          Effect.provide(clientFor({ ...sandbox, url: silent.url })),
          Effect.timeout("100 millis"),
          Effect.exit
        )
        const closedAt = yield* Deferred.await(silent.closed).pipe(Effect.timeout("2 seconds"))
        expect(closedAt - startedAt).toBeLessThan(1_000)
      }))
  })

  describe("NodeExchange.make (the exchange itself)", () => {
    // A plain node:http server whose handler the test chooses.
    const serveWith = (handler: Http.RequestListener) =>
      Effect.acquireRelease(
        Effect.async<{ readonly server: Http.Server; readonly origin: string }>((resume) => {
          const server = Http.createServer(handler)
          server.listen(0, "127.0.0.1", () => {
            const address = server.address()
            const port = typeof address === "object" && address !== null ? address.port : 0
            resume(Effect.succeed({ server, origin: `http://127.0.0.1:${port}` }))
          })
        }),
        ({ server }) =>
          Effect.async<void>((resume) => {
            server.closeAllConnections()
            server.close(() => resume(Effect.void))
          })
      )
    // A server answering "ok" to everything, and how many requests reached it.
    const countingServer = Effect.suspend(() => {
      let count = 0
      return Effect.map(
        serveWith((_request, response) => {
          count++
          response.end("ok")
        }),
        ({ origin }) => ({ origin, received: () => count })
      )
    })
    const agent = Effect.acquireRelease(
      Effect.sync(NodeExchange.makeAgents),
      (agents) =>
        Effect.sync(() => {
          agents.http.destroy()
          agents.https.destroy()
        })
    )
    const get = (exchange: Exchange.Service, origin: string, path = "/") =>
      exchange.exchange({ method: "GET", origin, path, headers: { accept: "application/json" }, body: undefined })

    it.scoped("assembles a body sent in many chunks, byte for byte, and joins repeated headers", () =>
      Effect.gen(function*() {
        // 300 KB of multi-byte UTF-8, written in uneven pieces that split characters.
        const text = JSON.stringify({ items: Array.from({ length: 6_000 }, (_, i) => `刷脸-${i}-é`) })
        const bytes = Buffer.from(text, "utf8")
        const { origin } = yield* serveWith((_request, response) => {
          response.writeHead(200, { "content-type": "application/json", "set-cookie": ["a=1", "b=2"] })
          let at = 0
          const step = () => {
            if (at >= bytes.length) return void response.end()
            const next = Math.min(bytes.length, at + 7_777)
            response.write(bytes.subarray(at, next), step)
            at = next
          }
          step()
        })
        const exchange = NodeExchange.make(yield* agent)
        const answer = yield* Effect.promise(() => get(exchange, origin).response)
        expect(answer.status).toBe(200)
        expect(answer.body).toBe(text)
        expect(answer.headers["set-cookie"]).toBe("a=1, b=2")
        expect(answer.headers["content-type"]).toBe("application/json")
      }))

    it.scoped("an error status is an answer, with its body, not a failure", () =>
      Effect.gen(function*() {
        const { origin } = yield* serveWith((_request, response) => {
          response.writeHead(429, { "retry-after": "3" })
          response.end(`{"code":"FREQUENCY_LIMITED","message":"slow down"}`)
        })
        const exchange = NodeExchange.make(yield* agent)
        const answer = yield* Effect.promise(() => get(exchange, origin).response)
        expect(answer).toMatchObject({ status: 429, body: `{"code":"FREQUENCY_LIMITED","message":"slow down"}` })
        expect(answer.headers["retry-after"]).toBe("3")
      }))

    it.scoped("a request node:http refuses (a header value with CR LF) is a failed exchange, not a throw", () =>
      Effect.gen(function*() {
        const { origin, received } = yield* countingServer
        const exchange = NodeExchange.make(yield* agent)
        const pending = exchange.exchange({
          method: "GET",
          origin,
          path: "/",
          headers: { "x-injected": "a\r\nx-evil: 1" },
          body: undefined
        })
        const failure = yield* Effect.promise(() => pending.response.then(() => undefined, (error: unknown) => error))
        expect(failure).toBeInstanceOf(Exchange.ExchangeFailure)
        expect(received()).toBe(0)
      }))

    it.scoped("an abort before the request is sent fails it at once and sends nothing; the agent stays usable", () =>
      Effect.gen(function*() {
        const { origin, received } = yield* countingServer
        const exchange = NodeExchange.make(yield* agent)
        const pending = get(exchange, origin)
        pending.abort()
        const failure = yield* Effect.promise(() => pending.response.then(() => undefined, (error: unknown) => error))
        expect(failure).toBeInstanceOf(Exchange.ExchangeFailure)
        expect(failure instanceof Exchange.ExchangeFailure && failure.description).toContain("ABORTED")
        // The same agent then serves the next request normally.
        const next = yield* Effect.promise(() => get(exchange, origin).response)
        expect(next).toMatchObject({ status: 200, body: "ok" })
        expect(received()).toBe(1)
      }))
  })
})
