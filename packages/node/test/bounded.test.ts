/**
 * Answers are bounded: a hostile server's huge or endless body is read up to
 * the client's `maxResponseBytes` and no further, on both transports (core's
 * `Exchange` over node:http, and the `HttpClient` path), and the failure is a
 * typed, non-retried transport error.
 */
import { Credentials, FaceCollections, RetryPolicy } from "@effect-wechatpay/core"
import { NodeWechatPayClient } from "@effect-wechatpay/node"
import { Sandbox } from "@effect-wechatpay/sandbox"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Redacted, Schedule } from "effect"
import { createPublicKey } from "node:crypto"
import * as Http from "node:http"

// Keys come from one layer shared by the whole file (Sandbox.layerKeys, below).

// Answers every request with an endless chunked body (or a declared huge one), counting bytes written.
const hostile = (declareLength: boolean) =>
  Effect.acquireRelease(
    Effect.async<{
      readonly url: string
      readonly written: () => number
      readonly requests: () => number
      readonly server: Http.Server
    }>((resume) => {
      let written = 0
      let requests = 0
      const server = Http.createServer((_, res) => {
        requests += 1
        res.writeHead(200, declareLength ? { "content-length": String(200 * 1024 * 1024) } : {})
        const chunk = Buffer.alloc(64 * 1024, 0x20)
        const pump = () => {
          // Bounded in time and bytes even if the client never stops reading.
          while (!res.destroyed && written < 64 * 1024 * 1024) {
            written += chunk.length
            if (!res.write(chunk)) return res.once("drain", pump)
          }
          res.end()
        }
        res.on("error", () => {})
        pump()
      })
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        const port = typeof address === "object" && address !== null ? address.port : 0
        resume(Effect.succeed({
          url: `http://127.0.0.1:${port}`,
          written: () => written,
          requests: () => requests,
          server
        }))
      })
    }),
    ({ server }) =>
      Effect.sync(() => {
        server.closeAllConnections()
        server.close()
      })
  )

const credentialsOf = (keys: Sandbox.Keys) => Credentials.layer({
  merchant: {
    mchid: "1900000001",
    serialNo: "5157F09EFDC096DE15EBE81A47057A7232F1B8E1",
    privateKey: Redacted.make(keys.merchantPrivateKeyPem)
  },
  verification: {
    publicKey: {
      id: "PUB_KEY_ID_0119000000012025010100000000000001",
      pem: createPublicKey(keys.wechatpayPrivateKeyPem).export({ type: "spki", format: "pem" }).toString()
    } }
})

layer(Sandbox.layerKeys, { excludeTestServices: true })("bounded", (it) => {
  describe("bounded answers", () => {
    const transports = [
      ["the Exchange (node:http)", (url: string) => NodeWechatPayClient.layer({ baseUrl: url, maxResponseBytes: 1024 * 1024 })],
      [
        "the HttpClient path",
        (url: string) =>
          NodeWechatPayClient.layerWithoutHttpClient({ baseUrl: url, maxResponseBytes: 1024 * 1024 }).pipe(
            Layer.provide(NodeWechatPayClient.layerHttpClient)
          )
      ]
    ] as const
    for (const [name, clientLayer] of transports) {
      for (const declared of [false, true]) {
        it.scoped(`${name}, ${declared ? "a declared 200 MB" : "an endless"} body: TooLarge, once, bounded`, () =>
          Effect.gen(function*() {
            const server = yield* hostile(declared)
            const error = yield* Effect.flip(
              FaceCollections.listFaceCollections({ organizationId: "1234567" }).pipe(
                Effect.provide(clientLayer(server.url).pipe(Layer.provide(credentialsOf(yield* Sandbox.SandboxKeys)))),
                Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.fromSchedule(Schedule.recurs(5)))
              )
            )
            expect(error).toMatchObject({ _tag: "WechatPayTransportError", reason: "TooLarge", attempts: 1 })
            expect(server.requests()).toBe(1)
            // The client stopped reading near the limit: the server could not push the rest.
            expect(server.written()).toBeLessThan(32 * 1024 * 1024)
          }))
      }
    }
  })
})
