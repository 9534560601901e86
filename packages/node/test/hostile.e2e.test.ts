/**
 * Hostile answers over real HTTP on loopback: a server (`HostileServer`, bounded
 * in requests) that signs whatever it answers with the sandbox's WeChat Pay key,
 * so that its answers pass verification and reach the client's own checks. On
 * both transports (core's `Exchange` over node:http, and the `HttpClient` path).
 */
import { Credentials, FaceCollections, RetryPolicy, WechatPayError } from "@effect-wechatpay/core"
import { NodeWechatPayClient } from "@effect-wechatpay/node"
import { FaceCollections as Data, HostileServer, Sandbox } from "@effect-wechatpay/sandbox"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Redacted, Schedule, Stream } from "effect"
import { createPublicKey } from "node:crypto"

const ORG = "1234567"

const credentialsOf = (keys: Sandbox.Keys) =>
  Credentials.layer({
    merchant: { mchid: Sandbox.defaults.mchid, serialNo: Sandbox.defaults.merchantSerial, privateKey: Redacted.make(keys.merchantPrivateKeyPem) },
    verification: {
      publicKey: {
        id: Sandbox.defaults.wechatpayPublicKeyId,
        pem: createPublicKey(keys.wechatpayPrivateKeyPem).export({ type: "spki", format: "pem" }).toString()
      }
    }
  })

const transports = [
  ["Exchange", (url: string) => NodeWechatPayClient.layer({ baseUrl: url })],
  [
    "HttpClient",
    (url: string) =>
      NodeWechatPayClient.layerWithoutHttpClient({ baseUrl: url }).pipe(Layer.provide(NodeWechatPayClient.layerHttpClient))
  ]
] as const

// Retries without delay (so a retried failure shows as more requests, fast), at most 5 attempts.
const quickRetries = Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.fromSchedule(Schedule.recurs(4)))

const page = (items: ReadonlyArray<Data.FaceCollectionWire>) => JSON.stringify({ face_collections: items })
const items = (n: number, org = ORG) => Data.expectedItems({ organizations: { [org]: n } }, org)

layer(Sandbox.layerKeys, { excludeTestServices: true })("hostile answers", (it) => {
  for (const [transport, clientLayer] of transports) {
    describe(transport, () => {
      const withClient = (keys: Sandbox.Keys, url: string) =>
        <A, E, R>(effect: Effect.Effect<A, E, R>) =>
          effect.pipe(quickRetries, Effect.provide(clientLayer(url).pipe(Layer.provide(credentialsOf(keys)))))

      it.scoped("the same full page at every offset: the listing fails with NoProgress after 4 requests", () =>
        Effect.gen(function*() {
          const keys = yield* Sandbox.SandboxKeys
          const full = items(20)
          const server = yield* HostileServer.serve({ keys, answer: () => ({ body: page(full) }) })
          const emitted: Array<string> = []
          const error = yield* FaceCollections.allCollections(ORG, { distinct: true }).pipe(
            Stream.runForEach((item) => Effect.sync(() => emitted.push(item.collectionId))),
            Effect.flip,
            withClient(keys, server.url)
          )
          expect(error).toMatchObject({ _tag: "WechatPayPagingError", reason: "NoProgress" })
          expect(emitted).toStrictEqual(full.map((item) => item.collection_id))
          expect(server.requests()).toBe(4)
        }))

      it.scoped("an item of another organization in a listing, another collection for a get: mismatches", () =>
        Effect.gen(function*() {
          const keys = yield* Sandbox.SandboxKeys
          const mine = items(3)
          const theirs = items(1, "7654321")[0]!
          const server = yield* HostileServer.serve({
            keys,
            answer: (request) =>
              request.url.includes("/face-collections/")
                ? { body: JSON.stringify(theirs) }
                : { body: page([...mine, theirs]) }
          })
          const listed = yield* Effect.flip(
            Stream.runCollect(FaceCollections.allCollections(ORG)).pipe(withClient(keys, server.url))
          )
          expect(listed).toStrictEqual(
            new WechatPayError.WechatPayMismatchError({
              operation: "allCollections",
              field: "organization_id",
              expected: ORG,
              actual: "7654321"
            })
          )
          const got = yield* Effect.flip(
            FaceCollections.getFaceCollection({ collectionId: mine[0]!.collection_id }).pipe(withClient(keys, server.url))
          )
          expect(got).toMatchObject({ _tag: "WechatPayMismatchError", field: "collection_id", actual: theirs.collection_id })
          // Each was one request: a mismatch is not retried.
          expect(server.requests()).toBe(2)
        }))

      it.scoped("an unrequested Content-Encoding is a decode error naming it, not retried", () =>
        Effect.gen(function*() {
          const keys = yield* Sandbox.SandboxKeys
          const server = yield* HostileServer.serve({
            keys,
            answer: () => ({ body: page(items(2)), headers: { "Content-Encoding": "gzip" } })
          })
          const error = yield* Effect.flip(
            FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(withClient(keys, server.url))
          )
          expect(error).toMatchObject({ _tag: "WechatPayDecodeError", where: "Encoding" })
          expect(error.message).toContain("Content-Encoding: gzip")
          expect(server.requests()).toBe(1)
        }))

      it.scoped("a server's error text reaches the error escaped and cut: one line, no escape sequence", () =>
        Effect.gen(function*() {
          const keys = yield* Sandbox.SandboxKeys
          const message = "bad\u001b[2J\u001b]0;pwned\u0007\r\nInjected line \u202egnp.exe" + "x".repeat(5000)
          const server = yield* HostileServer.serve({
            keys,
            answer: () => ({
              status: 400,
              body: JSON.stringify({ code: "PARAM_ERROR\u001b[31m", message }),
              headers: { "Request-ID": "rid-\u00e9\u009b" }
            })
          })
          const error = yield* Effect.flip(
            FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(withClient(keys, server.url))
          )
          expect(error._tag).toBe("WechatPayApiError")
          const text = error.message
          expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/)
          expect(text).toContain("bad\\x1b[2J\\x1b]0;pwned\\x07\\x0d\\x0aInjected line \\u202egnp.exe")
          expect(text.length).toBeLessThan(600)
          expect(error).toMatchObject({ code: "PARAM_ERROR\\x1b[31m", requestId: "rid-\u00e9\\x9b" })
        }))

      it.scoped("a decode error says where and what was expected, never the value found", () =>
        Effect.gen(function*() {
          const keys = yield* Sandbox.SandboxKeys
          const [first] = items(1)
          const server = yield* HostileServer.serve({
            keys,
            answer: () => ({
              body: page([{ ...first!, use_id: { name: "SECRET-NAME" } as unknown as string, confirm_time: "SECRET-TIME" }])
            })
          })
          const error = yield* Effect.flip(
            FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(withClient(keys, server.url))
          )
          expect(error).toMatchObject({ _tag: "WechatPayDecodeError", where: "Schema" })
          expect(error.message).toContain("face_collections.0.use_id: expected string, found an object")
          expect(error.message).not.toContain("SECRET")
        }))

      it.scoped("https:// to a plain-HTTP port: a Protocol transport error in one line, not retried", () =>
        Effect.gen(function*() {
          const keys = yield* Sandbox.SandboxKeys
          const server = yield* HostileServer.serve({ keys, answer: () => ({ body: page([]) }) })
          const error = yield* Effect.flip(
            FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(
              withClient(keys, server.url.replace("http://", "https://"))
            )
          )
          expect(error).toMatchObject({ _tag: "WechatPayTransportError", reason: "Protocol", attempts: 1 })
          expect(error.message).toContain("plain HTTP")
          expect(error.message).not.toContain("\n")
        }))

      it.scoped("an answer that is not HTTP: a Protocol transport error, not retried", () =>
        Effect.gen(function*() {
          const keys = yield* Sandbox.SandboxKeys
          const server = yield* HostileServer.serve({ keys, answer: () => ({ raw: "SSH-2.0-OpenSSH_9.6\r\n\r\n" }) })
          const error = yield* Effect.flip(
            FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(withClient(keys, server.url))
          )
          expect(error).toMatchObject({ _tag: "WechatPayTransportError", reason: "Protocol", attempts: 1 })
          expect(server.requests()).toBe(1)
        }))
    })
  }
})
