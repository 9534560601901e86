/**
 * The client end to end over the sandbox's in-memory `HttpClient`: a fake
 * WeChat Pay that verifies every request signature as the real one does and
 * signs every response. Time is the `TestClock`: no real sleeps.
 */
import {
  Credentials,
  Exchange,
  FaceCollection,
  FaceCollections,
  ResponseVerifier,
  RetryPolicy,
  Signer,
  WechatPayClient,
  type WechatPayError
} from "@effect-wechatpay/core"
import { Faults, Sandbox } from "@effect-wechatpay/sandbox"
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { describe, expect, layer } from "@effect/vitest"
import {
  Cause,
  Chunk,
  Deferred,
  Effect,
  Either,
  Exit,
  Fiber,
  Layer,
  Option,
  Random,
  Redacted,
  Ref,
  Runtime,
  Schedule,
  Stream,
  TestClock,
  Tracer
} from "effect"
import * as NodeCrypto from "node:crypto"
import * as ChildProcess from "node:child_process"

// Keys come from one layer shared by the whole file (Sandbox.layerKeys, below).

const ORG = "1234567"
const organizations = { [ORG]: 1000, big: 10_000, empty: 0, "实验小学": 45 }

type Mode = "publicKey" | "certificate" | "migration"

/**
 * Synchronous signer and verifier (node:crypto) for the timing tests: with
 * WebCrypto's asynchronous calls in the middle, when a failure is observed
 * relative to the TestClock would depend on the machine. Core's WebCrypto
 * stack runs end to end in the listing tests.
 */
const syncCrypto = Layer.merge(
  Layer.effect(
    Signer.Signer,
    Effect.map(Credentials.Credentials, ({ merchant }) => {
      const key = NodeCrypto.createPrivateKey(Redacted.value(merchant.privateKey))
      return Signer.make({
        mchid: merchant.mchid,
        serialNo: merchant.serialNo,
        sign: (message) => Effect.sync(() => NodeCrypto.sign("sha256", Buffer.from(message), key).toString("base64"))
      })
    })
  ),
  Layer.effect(
    ResponseVerifier.ResponseVerifier,
    Effect.map(Credentials.Credentials, ({ verification }) => {
      const decoded = Either.getOrThrow(ResponseVerifier.decodeKeys(verification))
      return ResponseVerifier.make({
        acceptSerial: decoded.acceptSerial,
        keys: decoded.keys.map(({ id, key }) => ({
          id,
          key: NodeCrypto.createPublicKey({ key: Buffer.from(key), format: "der", type: "spki" })
        })),
        verifySignature: (key, message, signature) => Effect.sync(() => NodeCrypto.verify("sha256", message, key, signature))
      })
    })
  )
)

/** A fresh sandbox (shared keys) and the client stack wired to it. */
const setup = (options: {
  readonly mode?: Mode
  readonly faults?: Faults.Faults
  readonly client?: WechatPayClient.Options
  readonly merchantPrivateKeyPem?: string
  readonly crypto?: "webcrypto" | "sync"
  /** A platform `Exchange` for the client to use instead of the sandbox's `HttpClient`. */
  readonly exchange?: Exchange.Service
} = {}) =>
  Effect.gen(function*() {
    // A realistic clock: WeChat Pay timestamps are seconds since 1970, and a stale one is now − 600 s.
    yield* TestClock.setTime(Date.parse("2026-11-26T08:00:00+08:00"))
    const mode = options.mode ?? "publicKey"
    const keys = yield* Sandbox.SandboxKeys
    const sandbox = yield* Sandbox.make({ ...keys, organizations, mode, faults: options.faults ?? Faults.none })
    const c = sandbox.config
    const verification: Credentials.VerificationKeys = {
      publicKey: mode === "certificate" ? undefined : { id: c.wechatpayPublicKeyId, pem: c.wechatpayPublicKeyPem },
      platformCertificates: mode === "publicKey" ? undefined : [c.platformCertificatePem]
    }
    const client = options.crypto === "webcrypto"
      ? WechatPayClient.layerWebCrypto(options.client)
      : WechatPayClient.layer(options.client).pipe(Layer.provide(syncCrypto))
    const layer = client.pipe(
      Layer.provide(Credentials.layer({
        merchant: {
          mchid: c.mchid,
          serialNo: c.merchantSerial,
          privateKey: Redacted.make(options.merchantPrivateKeyPem ?? c.merchantPrivateKeyPem)
        },
        verification
      })),
      Layer.provide(Layer.succeed(HttpClient.HttpClient, Sandbox.makeHttpClient(sandbox))),
      Layer.provide(options.exchange === undefined ? Layer.empty : Layer.succeed(Exchange.Exchange, options.exchange))
    )
    return { sandbox, layer }
  })

const wire = (items: Chunk.Chunk<FaceCollection.FaceCollection>) =>
  Chunk.toReadonlyArray(items).map(FaceCollection.toWire)

/** Deterministic jitter: Random.fixed([0.5]) makes the ×0.8–1.2 factor exactly 1. */
const noJitter = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.withRandom(self, Random.fixed([0.5]))

/**
 * Runs `self` in a fiber and moves the TestClock on until it ends, letting the
 * event loop turn between moves: backoff delays and timeouts fire exactly on
 * time, without real sleeps.
 */
const withTime = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(noJitter(self))
    while (Option.isNone(yield* Fiber.poll(fiber))) {
      yield* TestClock.adjust("1 minute")
      yield* Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))
    }
    return yield* Fiber.join(fiber)
  })

layer(Sandbox.layerKeys)("the client over the sandbox", (it) => {
  describe("listing through a signed, verified transport", () => {
    it.effect("1 000 items, limit 50, core's WebCrypto stack: exact, in order, every request signed, answered 200", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup({ crypto: "webcrypto" })
        const items = yield* Stream.runCollect(FaceCollections.allCollections(ORG, { limit: 50 })).pipe(
          Effect.provide(layer)
        )
        expect(wire(items)).toStrictEqual(sandbox.expectedItems(ORG))
        const requests = yield* sandbox.requests
        expect(requests).toHaveLength(21)
        expect(requests.every((r) => r.status === 200)).toBe(true)
        // Wechatpay-Serial names the key the client verifies with (public-key mode)
        expect(new Set(requests.map((r) => r.wechatpaySerial))).toStrictEqual(new Set([sandbox.config.wechatpayPublicKeyId]))
        // the signed URL is the documented query, byte for byte
        expect(requests[1]?.url).toBe(`/v3/offlineface/face-collections?organization_id=${ORG}&offset=50&limit=50`)
      }))

    it.effect("10 000 items in 200 pages of 50, exact and in order", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup()
        const items = yield* Stream.runCollect(FaceCollections.allCollections("big", { limit: 50 })).pipe(
          Effect.provide(layer)
        )
        expect(items.length).toBe(10_000)
        expect(wire(items)).toStrictEqual(sandbox.expectedItems("big"))
        expect(yield* sandbox.requestCount).toBe(201)
      }))

    it.effect("an empty organization is one request and no item", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup()
        const items = yield* Stream.runCollect(FaceCollections.allCollections("empty")).pipe(Effect.provide(layer))
        expect(items.length).toBe(0)
        expect(yield* sandbox.requestCount).toBe(1)
      }))

    it.effect("a percent-encoded query is signed exactly as sent", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup()
        const items = yield* Stream.runCollect(FaceCollections.allCollections("实验小学")).pipe(Effect.provide(layer))
        expect(wire(items)).toStrictEqual(sandbox.expectedItems("实验小学"))
        const [first] = yield* sandbox.requests
        expect(first?.url).toBe(
          "/v3/offlineface/face-collections?organization_id=%E5%AE%9E%E9%AA%8C%E5%B0%8F%E5%AD%A6&offset=0&limit=20"
        )
      }))

    it.effect("a server capping pages below limit: nothing lost", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup({ faults: { cap: 7 } })
        const items = yield* Stream.runCollect(FaceCollections.allCollections(ORG, { limit: 50 })).pipe(
          Effect.provide(layer)
        )
        expect(wire(items)).toStrictEqual(sandbox.expectedItems(ORG))
      }))

    it.effect("prefetch over the wire keeps order and loses nothing", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup()
        const items = yield* Stream.runCollect(FaceCollections.allCollections(ORG, { limit: 50, concurrency: 4 })).pipe(
          Effect.provide(layer)
        )
        expect(wire(items)).toStrictEqual(sandbox.expectedItems(ORG))
      }))

    for (const mode of ["certificate", "migration"] as const) {
      it.effect(`${mode} mode: the key is chosen by Wechatpay-Serial`, () =>
        Effect.gen(function*() {
          const { layer, sandbox } = yield* setup({ mode })
          const items = yield* Stream.runCollect(FaceCollections.allCollections(ORG, { limit: 100 })).pipe(
            Effect.provide(layer)
          )
          expect(wire(items)).toStrictEqual(sandbox.expectedItems(ORG))
          const sent = new Set((yield* sandbox.requests).map((r) => r.wechatpaySerial))
          // migration: the public key id is preferred, so WeChat Pay signs with the public key
          expect(sent).toStrictEqual(
            new Set([mode === "certificate" ? sandbox.config.platformCertificateSerial : sandbox.config.wechatpayPublicKeyId])
          )
        }))
    }

    it.effect("getFaceCollection returns one verified item; an unknown id is a verified 404", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup()
        const expected = sandbox.itemAt(ORG, 7)!
        const item = yield* FaceCollections.getFaceCollection({ collectionId: expected.collection_id }).pipe(
          Effect.provide(layer)
        )
        expect(FaceCollection.toWire(item)).toStrictEqual(expected)
        const error = yield* FaceCollections.getFaceCollection({ collectionId: "FC-NOPE" }).pipe(
          Effect.provide(layer),
          Effect.flip
        )
        expect(error).toMatchObject({
          _tag: "WechatPayApiError",
          status: 404,
          code: "RESOURCE_NOT_EXISTS",
          verified: true,
          attempts: 1
        })
        expect(error._tag === "WechatPayApiError" && error.requestId).toBeTruthy()
        expect(yield* sandbox.requestCount).toBe(2)
      }))
  })

  describe("retries", () => {
    /** When each request reached the server, relative to the first. */
    const receivedAt = (sandbox: Sandbox.Service) =>
      Effect.map(sandbox.requests, (requests) => requests.map((r) => r.receivedAt - requests[0]!.receivedAt))

    for (const [name, fault] of [["429", "429"], ["500", "500"], ["a connection reset", "reset"]] as const) {
      it.effect(`${name} twice, then success: exact backoff delays (200 ms, 400 ms), each retry signed afresh`, () =>
        Effect.gen(function*() {
          const { layer, sandbox } = yield* setup({ faults: { faults: [{ kind: fault, select: Faults.first(2) }] } })
          const page = yield* withTime(
            FaceCollections.listFaceCollections({ organizationId: ORG, limit: 10 }).pipe(Effect.provide(layer))
          )
          expect(page.map(FaceCollection.toWire)).toStrictEqual(sandbox.expectedItems(ORG).slice(0, 10))
          expect(yield* receivedAt(sandbox)).toStrictEqual([0, 200, 600])
          const nonces = (yield* sandbox.requests).map((r) => r.nonce)
          expect(new Set(nonces).size).toBe(3)
        }))
    }

    it.effect("the delay is exponential, then capped at 5 s", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup({ faults: { faults: [{ kind: "500", select: Faults.first(8) }] } })
        yield* withTime(FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(Effect.provide(layer)))
        const times = yield* receivedAt(sandbox)
        const delays = times.slice(1).map((t, i) => t - times[i]!)
        expect(delays).toStrictEqual([200, 400, 800, 1600, 3200, 5000, 5000, 5000])
      }))

    it.effect("Retry-After is honoured as a floor under the backoff", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup({
          faults: { faults: [{ kind: "429", select: Faults.first(1), retryAfter: 3 }] }
        })
        yield* withTime(FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(Effect.provide(layer)))
        expect(yield* receivedAt(sandbox)).toStrictEqual([0, 3000])
      }))

    it.effect("a server that never recovers is given up on: 10 attempts, typed, bounded in time", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup({ faults: { faults: [{ kind: "429", select: Faults.every }] } })
        const error = yield* withTime(
          Effect.flip(FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(Effect.provide(layer)))
        )
        expect(error).toMatchObject({ _tag: "WechatPayApiError", status: 429, code: "FREQUENCY_LIMITED", attempts: 10 })
        const times = yield* receivedAt(sandbox)
        expect(times).toHaveLength(10)
        expect(times.at(-1)).toBeLessThan(30_000)
      }))

    it.effect("connection failures exhausted: a transport error that says how many attempts", () =>
      Effect.gen(function*() {
        const { layer } = yield* setup({ faults: { faults: [{ kind: "reset", select: Faults.every }] } })
        const error = yield* withTime(
          Effect.flip(FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(Effect.provide(layer)))
        )
        expect(error).toMatchObject({ _tag: "WechatPayTransportError", reason: "Connection", attempts: 10 })
        expect(error.message).toContain("after 10 attempts")
      }))

    it.effect("a hung server times out per attempt, and the attempt is retried", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup({ faults: { latency: 60_000 } })
        const error = yield* withTime(
          Effect.flip(
            FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(
              Effect.provide(layer),
              Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.make({ maxAttempts: 2, timeout: "1 second" }))
            )
          )
        )
        expect(error).toMatchObject({ _tag: "WechatPayTransportError", reason: "Timeout", attempts: 2 })
        expect(yield* sandbox.requestCount).toBe(2)
      }))

    it.effect("the default policy carries a 300-page listing through 30 % transient failures", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup({
          faults: { faults: [{ kind: "500", select: Faults.rate(0.3) }], seed: 7 }
        })
        const items = yield* withTime(
          Stream.runCollect(FaceCollections.allCollections("big", { limit: 34 })).pipe(Effect.provide(layer))
        )
        expect(wire(items)).toStrictEqual(sandbox.expectedItems("big"))
        const statuses = (yield* sandbox.requests).map((r) => r.status)
        expect(statuses.filter((s) => s === 500).length).toBeGreaterThan(60)
      }))

    const noRetry: ReadonlyArray<readonly [string, number, string]> = [
      ["400 PARAM_ERROR", 400, "PARAM_ERROR"],
      ["401 SIGN_ERROR", 401, "SIGN_ERROR"],
      ["404 RESOURCE_NOT_EXISTS", 404, "RESOURCE_NOT_EXISTS"]
    ]
    for (const [name, status, code] of noRetry) {
      it.effect(`${name} fails at once`, () =>
        Effect.gen(function*() {
          const wrongKey = status === 401 ? (yield* Sandbox.SandboxKeys).wechatpayPrivateKeyPem : undefined
          const { layer, sandbox } = yield* setup(wrongKey === undefined ? {} : { merchantPrivateKeyPem: wrongKey })
          const call: Effect.Effect<unknown, WechatPayError.WechatPayError, WechatPayClient.WechatPayClient> = status === 400
            ? FaceCollections.listFaceCollections({ organizationId: ORG, limit: 1000 }) // above the server's maximum
            : status === 404
            ? FaceCollections.getFaceCollection({ collectionId: "FC-NOPE" })
            : FaceCollections.listFaceCollections({ organizationId: ORG })
          const error = yield* withTime(Effect.flip(call.pipe(Effect.provide(layer))))
          expect(error).toMatchObject({ _tag: "WechatPayApiError", status, code, attempts: 1, verified: true })
          expect(yield* sandbox.requestCount).toBe(1)
        }))
    }
  })

  describe("a response that fails verification or decoding", () => {
    const cases: ReadonlyArray<readonly [Faults.FaultKind, string, string]> = [
      ["tamper", "WechatPayVerificationError", "BadSignature"],
      ["wrong-serial", "WechatPayVerificationError", "UnknownSerial"],
      ["stale", "WechatPayVerificationError", "StaleTimestamp"],
      ["probe", "WechatPayVerificationError", "ProbeSignature"],
      ["missing-header", "WechatPayVerificationError", "MissingHeader"],
      ["malformed-json", "WechatPayDecodeError", "Json"]
    ]
    for (const [kind, tag, check] of cases) {
      it.effect(`${kind} on page 2: ${tag} (${check}), page 1 emitted, nothing of page 2, no retry`, () =>
        Effect.gen(function*() {
          const { layer, sandbox } = yield* setup({ faults: { faults: [{ kind, select: Faults.nth(2) }] } })
          const emitted = yield* Ref.make<Array<string>>([])
          const exit = yield* withTime(
            Effect.exit(
              FaceCollections.allCollections(ORG).pipe(
                Stream.runForEach((item) => Ref.update(emitted, (ids) => [...ids, item.collectionId])),
                Effect.provide(layer)
              )
            )
          )
          expect(Exit.isFailure(exit)).toBe(true)
          const error = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
          expect(error?._tag).toBe(tag)
          expect(error && ("check" in error ? error.check : "where" in error ? error.where : undefined)).toBe(check)
          expect(error && "requestId" in error ? error.requestId : undefined).toBeTruthy()
          expect(yield* Ref.get(emitted)).toStrictEqual(sandbox.expectedItems(ORG).slice(0, 20).map((i) => i.collection_id))
          expect(yield* sandbox.requestCount).toBe(2)
        }))
    }

    it.effect("an unknown collection_state is kept and the listing goes on", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup({ faults: { faults: [{ kind: "unknown-state", select: Faults.nth(1) }] } })
        const items = yield* Stream.runCollect(FaceCollections.allCollections(ORG)).pipe(Effect.provide(layer))
        const all = Chunk.toReadonlyArray(items)
        expect(all).toHaveLength(1000)
        expect(all[0]?.state).toBe("PHOTO_REVIEWING")
        expect(all[0]?.isKnownState).toBe(false)
        expect(all.slice(1).map(FaceCollection.toWire)).toStrictEqual(sandbox.expectedItems(ORG).slice(1))
      }))
  })

  describe("secrets", () => {
    const secretsOf = (sandbox: Sandbox.Service) => {
      const body = (pem: string) => pem.split("\n").filter((l) => l.length > 0 && !l.startsWith("-----"))
      return [...body(sandbox.config.merchantPrivateKeyPem), "WECHATPAY2-SHA256-RSA2048 mchid=", 'signature="']
    }

    it.effect("no error, cause or span holds the private key, an Authorization header or a signature", () =>
      Effect.gen(function*() {
        const spans: Array<Tracer.Span> = []
        const base = yield* Effect.tracer
        const recording = Tracer.make({
          span: (...args) => {
            const span = base.span(...args)
            spans.push(span)
            return span
          },
          context: (f, fiber) => base.context(f, fiber)
        })
        const texts: Array<string> = []
        const kinds: ReadonlyArray<Faults.FaultKind> = ["tamper", "probe", "500", "reset", "429", "wrong-serial"]
        for (const kind of kinds) {
          const { layer, sandbox } = yield* setup({ faults: { faults: [{ kind, select: Faults.every }] } })
          const exit = yield* withTime(
            Effect.exit(
              Stream.runCollect(FaceCollections.allCollections(ORG)).pipe(
                Effect.provide(layer),
                Effect.withTracer(recording)
              )
            )
          )
          expect(Exit.isFailure(exit)).toBe(true)
          if (Exit.isFailure(exit)) {
            const error = Cause.squash(exit.cause)
            texts.push(String(error), JSON.stringify(error), Cause.pretty(exit.cause))
          }
          const secrets = secretsOf(sandbox)
          const signatures = (yield* sandbox.requests).map((r) => r.nonce ?? "")
          for (const text of texts) {
            for (const secret of secrets) expect(text).not.toContain(secret)
            for (const nonce of signatures) if (nonce) expect(text).not.toContain(nonce)
          }
          // The client's spans carry exactly these attributes: any other (a header, a body) fails here.
          const allowed = [
            "http.request.method",
            "url.path",
            "wechatpay.attempt",
            "http.response.status_code",
            "wechatpay.request_id"
          ]
          for (const span of spans) {
            for (const [key, value] of span.attributes) {
              if (span.name === "WechatPayClient.request") expect(allowed).toContain(key)
              const text = `${key}=${String(value)}`
              for (const secret of secrets) expect(text).not.toContain(secret)
              for (const nonce of signatures) if (nonce) expect(text).not.toContain(nonce)
            }
          }
        }
        // one span per attempt, carrying method, path, attempt, status, Request-ID
        const attempts = spans.filter((s) => s.name === "WechatPayClient.request")
        expect(attempts.length).toBeGreaterThan(kinds.length)
        const retried = attempts.find((s) => s.attributes.get("wechatpay.attempt") === 2)
        expect(retried?.attributes.get("http.request.method")).toBe("GET")
        expect(retried?.attributes.get("url.path")).toBe("/v3/offlineface/face-collections")
        expect(attempts.some((s) => typeof s.attributes.get("wechatpay.request_id") === "string")).toBe(true)
        expect(attempts.some((s) => s.attributes.get("http.response.status_code") === 500)).toBe(true)
      }))
  })

  describe("client-side rate limit", () => {
    it.effect("requests are spaced 1/rate apart, across every stream of one client layer", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup({ client: { requestsPerSecond: 10 } })
        const list = (org: string) => Stream.runCollect(FaceCollections.allCollections(org, { limit: 100 }))
        // Two listings at once over one client: 11 + 1 requests share the limit.
        const [a, b] = yield* withTime(Effect.all([list(ORG), list("实验小学")], { concurrency: 2 }).pipe(Effect.provide(layer)))
        expect(a.length + b.length).toBe(1045)
        const times = (yield* sandbox.requests).map((r) => r.receivedAt)
        expect(times).toHaveLength(13)
        const gaps = times.slice(1).map((t, i) => t - times[i]!)
        expect(gaps.every((gap) => gap === 100)).toBe(true)
      }))

    it.effect("with the limit below the server's quota, a long listing sees no 429", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup({ faults: { quota: 20 }, client: { requestsPerSecond: 18 } })
        const items = yield* withTime(
          Stream.runCollect(FaceCollections.allCollections("big", { limit: 50, concurrency: 4 })).pipe(Effect.provide(layer))
        )
        expect(items.length).toBe(10_000)
        const statuses = (yield* sandbox.requests).map((r) => r.status)
        expect(statuses.filter((s) => s === 429)).toHaveLength(0)
      }))

    it.effect("without it, the same listing runs into the quota (and the retries carry it through)", () =>
      Effect.gen(function*() {
        const { layer, sandbox } = yield* setup({ faults: { quota: 20, latency: 1 } })
        const items = yield* withTime(
          Stream.runCollect(FaceCollections.allCollections("big", { limit: 50, concurrency: 4 })).pipe(Effect.provide(layer))
        )
        expect(items.length).toBe(10_000)
        const statuses = (yield* sandbox.requests).map((r) => r.status)
        expect(statuses.filter((s) => s === 429).length).toBeGreaterThan(0)
      }))

    it.effect("a rate that is not a positive number is a configuration error", () =>
      Effect.gen(function*() {
        const { layer } = yield* setup({ client: { requestsPerSecond: 0 } })
        const error = yield* Effect.flip(FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(Effect.provide(layer)))
        expect(error).toMatchObject({ _tag: "WechatPayConfigError", setting: "requestsPerSecond" })
      }))
  })

  describe("answers without WeChat Pay's signature", () => {
    const gateway = (status: number, body: string) =>
      Layer.succeed(
        HttpClient.HttpClient,
        HttpClient.make((request) =>
          Effect.succeed(HttpClientResponse.fromWeb(request, new Response(body, { status, headers: { "content-type": "text/html" } })))
        )
      )
    const client = (transport: Layer.Layer<HttpClient.HttpClient>) =>
      Effect.gen(function*() {
        const sandbox = yield* Sandbox.make({ ...(yield* Sandbox.SandboxKeys), organizations })
        const c = sandbox.config
        return WechatPayClient.layer().pipe(
          Layer.provide(syncCrypto),
          Layer.provide(Credentials.layer({
            merchant: { mchid: c.mchid, serialNo: c.merchantSerial, privateKey: Redacted.make(c.merchantPrivateKeyPem) },
            verification: { publicKey: { id: c.wechatpayPublicKeyId, pem: c.wechatpayPublicKeyPem } }
          })),
          Layer.provide(transport)
        )
      })

    it.effect("an unsigned error page (a gateway, a proxy) is a typed API error marked unverified, and retried when 5xx", () =>
      Effect.gen(function*() {
        const layer = yield* client(gateway(502, "<html>502 Bad Gateway</html>"))
        const error = yield* withTime(
          Effect.flip(
            FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(
              Effect.provide(layer),
              Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.make({ maxAttempts: 3 }))
            )
          )
        )
        expect(error).toMatchObject({ _tag: "WechatPayApiError", status: 502, verified: false, attempts: 3 })
        expect(error._tag === "WechatPayApiError" ? error.code : "").toBeUndefined()
        expect(error.message).toContain("[unverified response]")
      }))

    it.effect("an unsigned 200 is a verification failure, never data", () =>
      Effect.gen(function*() {
        const layer = yield* client(gateway(200, JSON.stringify({ face_collections: [] })))
        const error = yield* Effect.flip(
          FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(Effect.provide(layer))
        )
        expect(error).toMatchObject({ _tag: "WechatPayVerificationError", check: "MissingHeader", status: 200 })
      }))
  })

  /**
   * An `Exchange` that never answers: it counts the requests sent and the aborts,
   * and `started` completes with the first request.
   */
  const hangingExchange = () => {
    const count = { sent: 0, aborted: 0 }
    const started = Effect.runSync(Deferred.make<void>())
    const exchange: Exchange.Service = {
      exchange: () => {
        count.sent += 1
        Effect.runSync(Deferred.succeed(started, undefined))
        return { response: new Promise<never>(() => {}), abort: () => void (count.aborted += 1) }
      }
    }
    return { count, started, exchange }
  }

  // The attempt's deadline is a real timer: an interrupted attempt must stop it (a
  // refed timer left running would keep a CLI alive until it fires), and nothing
  // may fire once it has passed. The first is checked in a process of its own,
  // by how soon it exits: a count of the worker's timers would depend on every
  // other timer in it.
  const CORE = new URL("../dist/index.js", import.meta.url).href
  const SANDBOX = new URL("../../sandbox/dist/index.js", import.meta.url).href
  const exitsPromptly = (program: "listing" | "request") => `
  import { Effect, Fiber, Layer, Redacted, Stream } from "effect"
  import * as HttpClient from "@effect/platform/HttpClient"
  import { Credentials, Exchange, FaceCollections, RetryPolicy, WechatPayClient } from ${JSON.stringify(CORE)}
  import { Sandbox } from ${JSON.stringify(SANDBOX)}
  const sandbox = await Effect.runPromise(Effect.flatMap(Sandbox.generateKeys, (keys) => Sandbox.make(keys)))
  const c = sandbox.config
  let started
  const sent = new Promise((resolve) => started = resolve)
  const exchange = { exchange: () => { started(); return { response: new Promise(() => {}), abort: () => {} } } }
  const layer = WechatPayClient.layerWebCrypto().pipe(
    Layer.provide(Credentials.layer({
      merchant: { mchid: c.mchid, serialNo: c.merchantSerial, privateKey: Redacted.make(c.merchantPrivateKeyPem) },
      verification: { publicKey: { id: c.wechatpayPublicKeyId, pem: c.wechatpayPublicKeyPem } }
    })),
    Layer.provide(Layer.succeed(HttpClient.HttpClient, Sandbox.makeHttpClient(sandbox))),
    Layer.provide(Layer.succeed(Exchange.Exchange, exchange))
  )
  const program = ${program === "listing" ? "Stream.runDrain(FaceCollections.allCollections('1234567'))" : "FaceCollections.listFaceCollections({ organizationId: '1234567' })"}
  const fiber = Effect.runFork(program.pipe(
    Effect.provide(layer),
    Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.fromSchedule(Schedule.stop, { timeout: "30 seconds" }))
  ))
  await sent
  await Effect.runPromise(Fiber.interrupt(fiber))
  const interruptedAt = Date.now()
  process.on("exit", () => console.log(String(Date.now() - interruptedAt)))
  `.replace("import { Effect, Fiber, Layer, Redacted, Stream }", "import { Effect, Fiber, Layer, Redacted, Schedule, Stream }")

  /** Runs `script` in a fresh node; its stdout and how long it ran, killed after 15 s. */
  const runNode = (script: string) =>
    Effect.async<{ readonly stdout: string; readonly stderr: string; readonly millis: number }>((resume) => {
      const began = Date.now()
      const child = ChildProcess.spawn(process.execPath, ["--input-type=module", "-e", script], {
        cwd: new URL("..", import.meta.url),
        stdio: ["ignore", "pipe", "pipe"]
      })
      const out: Array<Buffer> = []
      const err: Array<Buffer> = []
      child.stdout.on("data", (b: Buffer) => out.push(b))
      child.stderr.on("data", (b: Buffer) => err.push(b))
      const killer = setTimeout(() => child.kill("SIGKILL"), 15_000)
      child.on("close", () => {
        clearTimeout(killer)
        resume(Effect.succeed({
          stdout: Buffer.concat(out).toString("utf8"),
          stderr: Buffer.concat(err).toString("utf8"),
          millis: Date.now() - began
        }))
      })
      return Effect.sync(() => child.kill("SIGKILL"))
    })
  const shortDeadline = Effect.provideService(
    RetryPolicy.RetryPolicy,
    RetryPolicy.fromSchedule(Schedule.stop, { timeout: "50 millis" })
  )
  const pastTheDeadline = Effect.promise(() => new Promise<void>((resolve) => setTimeout(resolve, 120)))

  describe("interruption over a platform Exchange", () => {
    // A listing aborts through its scope's finalizer; a lone request through its own canceler.
    const interrupted: ReadonlyArray<readonly [string, Effect.Effect<unknown, unknown, WechatPayClient.WechatPayClient>]> = [
      ["a listing", Stream.runDrain(FaceCollections.allCollections(ORG))],
      ["one request", FaceCollections.listFaceCollections({ organizationId: ORG })]
    ]
    for (const [name, program] of interrupted) {
      it.effect(`interrupting ${name} aborts the request in flight, once, and nothing fires past its deadline`, () =>
        Effect.gen(function*() {
          const fake = hangingExchange()
          const { layer } = yield* setup({ exchange: fake.exchange })
          const fiber = yield* program.pipe(Effect.provide(layer), shortDeadline, Effect.fork)
          yield* Deferred.await(fake.started)
          yield* Fiber.interrupt(fiber)
          expect(fake.count).toStrictEqual({ sent: 1, aborted: 1 })
          yield* pastTheDeadline
          expect(fake.count).toStrictEqual({ sent: 1, aborted: 1 })
        }))
    }

    for (const program of ["listing", "request"] as const) {
      it.effect(`an interrupted ${program} leaves no timer behind: its process exits at once, not when the 30 s deadline would fire`, () =>
        Effect.gen(function*() {
          // The built packages (tsc -b), in a node of their own.
          const run = yield* runNode(exitsPromptly(program))
          expect(run.stderr).toBe("")
          expect(Number(run.stdout.trim())).toBeLessThan(5_000)
          expect(run.millis).toBeLessThan(14_000)
        }))
    }

    it.effect("a request forked inside a listing's runForEach is aborted on its own interruption, not at the listing's end", () =>
      Effect.gen(function*() {
        const runtime = yield* Effect.runtime<never>()
        const count = { sent: 0, aborted: 0 }
        const started = yield* Deferred.make<void>()
        const { layer, sandbox } = yield* setup({
          exchange: {
            // The listing's first page is the sandbox's answer; every later request hangs, counted.
            exchange: (request: Exchange.Request): Exchange.Pending => {
              count.sent += 1
              if (count.sent === 1) {
                const answer: Promise<Sandbox.HandleResult> = Runtime.runPromise(runtime)(sandbox.handle({
                  method: request.method,
                  url: request.path,
                  headers: request.headers,
                  body: request.body
                }))
                return {
                  response: answer.then((r): Exchange.Response | Promise<never> =>
                    r === "reset"
                      ? Promise.reject(new Exchange.ExchangeFailure("reset"))
                      : {
                        status: r.status,
                        headers: Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k.toLowerCase(), v])),
                        body: r.body
                      }
                  ),
                  abort: () => {}
                }
              }
              Effect.runSync(Deferred.succeed(started, undefined))
              return { response: new Promise<never>(() => {}), abort: () => void (count.aborted += 1) }
            }
          }
        })
        let first = true
        yield* FaceCollections.allCollections(ORG).pipe(
          Stream.take(2),
          Stream.runForEach(() =>
            Effect.gen(function*() {
              if (!first) return
              first = false
              const child = yield* Effect.fork(FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(shortDeadline))
              yield* Deferred.await(started)
              yield* Fiber.interrupt(child)
              // Aborted now, while the listing goes on: not left to the listing's end.
              expect(count).toStrictEqual({ sent: 2, aborted: 1 })
            })
          ),
          Effect.provide(layer)
        )
        expect(count).toStrictEqual({ sent: 2, aborted: 1 })
      }))
  })

  describe("tracing", () => {
    it.effect("under Effect's default tracer: no span per attempt, and the caller's span is left as it was", () =>
      Effect.gen(function*() {
        const seen: Array<string> = []
        const { layer } = yield* setup({
          client: {
            // What the transport sees as the current span.
            transformClient: (client) =>
              HttpClient.mapRequestEffect(client, (request) =>
                Effect.as(
                  Effect.tap(Effect.option(Effect.currentSpan), (span) =>
                    Effect.sync(() => seen.push(Option.match(span, { onNone: () => "none", onSome: (s) => s.name })))),
                  request
                ))
          }
        })
        const caller = yield* Effect.zipLeft(
          Effect.currentSpan,
          FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(Effect.provide(layer))
        ).pipe(Effect.withSpan("caller"))
        expect(seen).toStrictEqual(["caller"])
        expect([...caller.attributes.keys()]).toStrictEqual([])
      }))
  })
})
