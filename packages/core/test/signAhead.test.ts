/**
 * Signatures made ahead (core's internal/client/ahead.ts): a listing signs its
 * next page's request while the current one is in flight, and that request's
 * first attempt sends the signature instead of signing then. What a user
 * relies on: every request still authenticates at the server; a signature is
 * used once, for the very request it signs, fresh; a retry signs afresh; and
 * the signing really happens during the wait.
 *
 * The sandbox (in memory) verifies every request's signature, timestamp and
 * nonce as WeChat Pay does. A recording signer logs what it signs; a
 * transport wrapper logs each request sent and answered.
 */
import {
  Credentials,
  FaceCollections,
  ResponseVerifier,
  RetryPolicy,
  Signer,
  WechatPayClient,
  type WechatPayRequest
} from "@effect-wechatpay/core"
import { Faults, Sandbox } from "@effect-wechatpay/sandbox"
import * as HttpClient from "@effect/platform/HttpClient"
import { describe, expect, layer } from "@effect/vitest"
import { Effect, Layer, Redacted, Stream, TestClock } from "effect"
import * as NodeCrypto from "node:crypto"

const ORG = "1234567"
/** Five full pages of 50: every next page is where a listing expects it. */
const organizations = { [ORG]: 250 }

/** What happened, in order: `sign <offset>`, `send <offset>`, `answer <offset>`. */
type Log = Array<string>

const offsetOf = (text: string): string => /[?&]offset=(\d+)/.exec(text)?.[1] ?? "?"

/** One real turn of the event loop (a macrotask): what the signing ahead waits for. */
const macrotask = Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

const setup = (
  options: {
    readonly faults?: Faults.Faults
    readonly answerAfterMillis?: number
    /** The signer also signs synchronously (`signSync`, as the node layer's does). */
    readonly sync?: boolean
  } = {}
) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.parse("2026-11-26T08:00:00+08:00"))
    const keys = yield* Sandbox.SandboxKeys
    const sandbox = yield* Sandbox.make({ ...keys, organizations, mode: "publicKey", faults: options.faults ?? Faults.none })
    const c = sandbox.config
    const log: Log = []
    const privateKey = NodeCrypto.createPrivateKey(c.merchantPrivateKeyPem)
    const signNow = (message: string, how?: "sync") => {
      log.push(`sign ${offsetOf(message.split("\n")[1] ?? "")}`)
      if (how === "sync") log.push("(sync)")
      return NodeCrypto.sign("sha256", Buffer.from(message), privateKey).toString("base64")
    }
    const signer = Layer.succeed(
      Signer.Signer,
      Signer.make({
        mchid: c.mchid,
        serialNo: c.merchantSerial,
        sign: (message) => Effect.sync(() => signNow(message)),
        signSync: options.sync === true ? (message) => signNow(`${message}`, "sync") : undefined
      })
    )
    const publicKey = NodeCrypto.createPublicKey(c.wechatpayPublicKeyPem)
    const verifier = Layer.succeed(
      ResponseVerifier.ResponseVerifier,
      ResponseVerifier.make({
        acceptSerial: c.wechatpayPublicKeyId,
        keys: [{ id: c.wechatpayPublicKeyId, key: publicKey }],
        verifySignature: (key, message, signature) => Effect.sync(() => NodeCrypto.verify("sha256", message, key, signature))
      })
    )
    const inner = Sandbox.makeHttpClient(sandbox)
    // Each answer held a few real milliseconds (a timer, not the TestClock), as a network would: the signing ahead
    // has its turn before it.
    const wait = options.answerAfterMillis ?? 0
    const held = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, wait)))
    const transport = HttpClient.make((request) => {
      log.push(`send ${offsetOf(request.url)}`)
      return inner.execute(request).pipe(
        Effect.zipLeft(wait > 0 ? held : Effect.void),
        Effect.tap(() => Effect.sync(() => log.push(`answer ${offsetOf(request.url)}`)))
      )
    })
    const client = WechatPayClient.layer().pipe(
      Layer.provide(Layer.mergeAll(signer, verifier, Layer.succeed(HttpClient.HttpClient, transport))),
      Layer.provide(Credentials.layer({
        merchant: { mchid: c.mchid, serialNo: c.merchantSerial, privateKey: Redacted.make(c.merchantPrivateKeyPem) },
        verification: { publicKey: { id: c.wechatpayPublicKeyId, pem: c.wechatpayPublicKeyPem } }
      }))
    )
    return { sandbox, log, client }
  })

const page = (offset: number, extra?: Partial<WechatPayRequest.WechatPayRequest>): WechatPayRequest.WechatPayRequest => ({
  method: "GET",
  path: "/v3/offlineface/face-collections",
  query: [["organization_id", ORG], ["offset", String(offset)], ["limit", "50"]],
  ...extra
})

const execute = (request: WechatPayRequest.WechatPayRequest) =>
  Effect.flatMap(WechatPayClient.WechatPayClient, (client) => client.executeNoContent(request)).pipe(
    // A page answers 200 with a body: `executeNoContent` accepts any verified 2xx, which is all these tests need.
    Effect.asVoid
  )

const signAhead = (request: WechatPayRequest.WechatPayRequest) =>
  Effect.flatMap(WechatPayClient.WechatPayClient, (client) => client.signAhead!(request))

const signs = (log: Log) => log.filter((line) => line.startsWith("sign "))

layer(Sandbox.layerKeys)("signatures made ahead", (it) => {
  describe("a listing", () => {
    for (const sync of [false, true]) {
    it.effect(`signs each next page while the current one is in flight, and sends that signature (${sync ? "signSync" : "sign, in a fiber"})`, () =>
      Effect.gen(function*() {
        const { client, log, sandbox } = yield* setup({ answerAfterMillis: 5, sync })
        const items = yield* Stream.runCount(FaceCollections.allCollections(ORG, { limit: 50 })).pipe(
          Effect.provide(client)
        )
        expect(items).toBe(250)
        const requests = yield* sandbox.requests
        // Six requests (0 … 250, the last one empty), every one authenticated by the sandbox.
        expect(requests.map((r) => offsetOf(r.url))).toEqual(["0", "50", "100", "150", "200", "250"])
        expect(requests.every((r) => r.status === 200)).toBe(true)
        // One signature per request, and one for the page after the last (never sent): no request signed twice.
        expect(signs(log)).toEqual(["sign 0", "sign 50", "sign 100", "sign 150", "sign 200", "sign 250", "sign 300"])
        // Ahead, a signer's synchronous path is used when it has one; when sent, always its `sign`.
        expect(log.filter((line) => line === "(sync)")).toHaveLength(sync ? 6 : 0)
        // Each next page was signed after the current request left and before its answer came.
        for (const offset of [0, 50, 100, 150, 200, 250]) {
          const sent = log.indexOf(`send ${offset}`)
          const signedNext = log.indexOf(`sign ${offset + 50}`)
          const answered = log.indexOf(`answer ${offset}`)
          expect(sent).toBeLessThan(signedNext)
          expect(signedNext).toBeLessThan(answered)
        }
        // Nonces are never reused.
        expect(new Set(requests.map((r) => r.nonce)).size).toBe(6)
      }))
    }

    it.effect("prefetching (concurrency 4): each request signed once, when sent; nothing signed ahead", () =>
      Effect.gen(function*() {
        const { client, log, sandbox } = yield* setup({ answerAfterMillis: 5 })
        const items = yield* Stream.runCount(FaceCollections.allCollections(ORG, { limit: 50, concurrency: 4 })).pipe(
          Effect.provide(client)
        )
        expect(items).toBe(250)
        const requests = yield* sandbox.requests
        // Authenticated, every one: 200, or interrupted unanswered (speculation past the end, abandoned).
        expect(requests.filter((r) => r.status !== 200 && r.status !== "interrupted")).toEqual([])
        expect(requests.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(6)
        const sent = requests.map((r) => offsetOf(r.url))
        // One signature per request sent, each made before its request and none for a request never sent.
        expect(signs(log)).toHaveLength(sent.length)
        for (const [i, line] of log.entries()) {
          if (line.startsWith("sign ")) expect(log.indexOf(`send ${line.slice(5)}`, i)).toBeGreaterThan(i)
        }
        expect(new Set(requests.map((r) => r.nonce)).size).toBe(requests.length)
      }))
  })

  describe("one request", () => {
    it.effect("a signature made ahead is used once, by the same request: the same request again signs afresh", () =>
      Effect.gen(function*() {
        const { client, log, sandbox } = yield* setup()
        yield* Effect.gen(function*() {
          yield* signAhead(page(50))
          yield* macrotask
          expect(signs(log)).toEqual(["sign 50"])
          yield* execute(page(50))
          expect(signs(log)).toEqual(["sign 50"])
          yield* execute(page(50))
          expect(signs(log)).toEqual(["sign 50", "sign 50"])
        }).pipe(Effect.provide(client))
        const requests = yield* sandbox.requests
        expect(requests.map((r) => r.status)).toEqual([200, 200])
        expect(requests[0]?.nonce).not.toBe(requests[1]?.nonce)
      }))

    it.effect("another request (another offset) does not take it", () =>
      Effect.gen(function*() {
        const { client, log, sandbox } = yield* setup()
        yield* Effect.gen(function*() {
          yield* signAhead(page(50))
          yield* macrotask
          yield* execute(page(100))
        }).pipe(Effect.provide(client))
        expect(signs(log)).toEqual(["sign 50", "sign 100"])
        expect((yield* sandbox.requests).map((r) => [offsetOf(r.url), r.status])).toEqual([["100", 200]])
      }))

    it.effect("executed before the signature ahead is made: signed then, and the signature ahead is not made at all", () =>
      Effect.gen(function*() {
        const { client, log, sandbox } = yield* setup()
        yield* Effect.gen(function*() {
          yield* signAhead(page(50))
          yield* execute(page(50))
          yield* macrotask
        }).pipe(Effect.provide(client))
        expect(signs(log)).toEqual(["sign 50"])
        expect((yield* sandbox.requests).map((r) => r.status)).toEqual([200])
      }))

    it.effect("a request with headers of its own is not signed ahead", () =>
      Effect.gen(function*() {
        const { client, log } = yield* setup()
        yield* Effect.gen(function*() {
          yield* signAhead(page(50, { headers: { "Idempotency-Key": "k" } }))
          yield* macrotask
        }).pipe(Effect.provide(client))
        expect(signs(log)).toEqual([])
      }))

    it.effect("older than 10 s by the executing fiber's clock: dropped, the request signed afresh with the current time", () =>
      Effect.gen(function*() {
        const { client, log, sandbox } = yield* setup()
        yield* Effect.gen(function*() {
          yield* signAhead(page(50))
          yield* macrotask
          yield* TestClock.adjust("11 seconds")
          yield* execute(page(50))
        }).pipe(Effect.provide(client))
        expect(signs(log)).toEqual(["sign 50", "sign 50"])
        const [request] = yield* sandbox.requests
        expect(request?.status).toBe(200)
        expect(Number(request?.timestamp)).toBe(Math.floor(Date.parse("2026-11-26T08:00:11+08:00") / 1000))
      }))

    it.effect("within 10 s it is used, with the timestamp it was made at", () =>
      Effect.gen(function*() {
        const { client, log, sandbox } = yield* setup()
        yield* Effect.gen(function*() {
          yield* signAhead(page(50))
          yield* macrotask
          yield* TestClock.adjust("9 seconds")
          yield* execute(page(50))
        }).pipe(Effect.provide(client))
        expect(signs(log)).toEqual(["sign 50"])
        const [request] = yield* sandbox.requests
        expect(request?.status).toBe(200)
        expect(Number(request?.timestamp)).toBe(Math.floor(Date.parse("2026-11-26T08:00:00+08:00") / 1000))
      }))

    it.effect("a retry signs afresh: the signature made ahead serves the first attempt only", () =>
      Effect.gen(function*() {
        const { client, log, sandbox } = yield* setup({ faults: { faults: [{ kind: "500", select: Faults.first(1) }] } })
        yield* Effect.gen(function*() {
          yield* signAhead(page(50))
          yield* macrotask
          yield* execute(page(50)).pipe(
            Effect.provideService(
              RetryPolicy.RetryPolicy,
              RetryPolicy.make({ maxAttempts: 2, baseDelay: "1 millis", jitter: false })
            ),
            Effect.fork,
            Effect.tap(() => TestClock.adjust("1 second")),
            Effect.flatMap((fiber) => fiber.await),
            Effect.flatten
          )
        }).pipe(Effect.provide(client))
        expect(signs(log)).toEqual(["sign 50", "sign 50"])
        const requests = yield* sandbox.requests
        expect(requests.map((r) => r.status)).toEqual([500, 200])
        expect(requests[0]?.nonce).not.toBe(requests[1]?.nonce)
      }))
  })
})

// The WechatPayClient built by hand (WechatPayClient.of) may leave `signAhead` out: a listing over it still works.
layer(Sandbox.layerKeys)("a client without signAhead", (it) => {
  it.effect("allCollections lists over a client that does not sign ahead", () =>
    Effect.gen(function*() {
      const { client, log, sandbox } = yield* setup()
      const items = yield* Effect.gen(function*() {
        const real = yield* WechatPayClient.WechatPayClient
        return yield* Stream.runCount(FaceCollections.allCollections(ORG, { limit: 50 })).pipe(
          Effect.provideService(
            WechatPayClient.WechatPayClient,
            WechatPayClient.WechatPayClient.of({ execute: real.execute, executeNoContent: real.executeNoContent })
          )
        )
      }).pipe(Effect.provide(client))
      expect(items).toBe(250)
      expect(yield* sandbox.requestCount).toBe(6)
      // Each request signed when sent, nothing ahead.
      expect(signs(log)).toEqual(["sign 0", "sign 50", "sign 100", "sign 150", "sign 200", "sign 250"])
    }))
})
