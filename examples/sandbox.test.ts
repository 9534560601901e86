/**
 * How to test your own code against the sandbox, two ways (copy the one you need):
 *
 * 1. In memory: the sandbox's `HttpClient` stands in for the network. No port, no real time: `it.effect`
 *    runs on the `TestClock`, and the sandbox signs and checks with that clock too.
 * 2. Over loopback HTTP: the real Node layer (node:http, node:crypto) against `SandboxServer.serve`.
 *
 * Both sign every request and verify every response exactly as against WeChat Pay.
 * Run: `npx vitest run examples/sandbox.test.ts`.
 */
import { Credentials, FaceCollections, RetryPolicy } from "@effect-wechatpay/core"
import { NodeWechatPayClient } from "@effect-wechatpay/node"
import { Faults, Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schedule, Stream } from "effect"

// The code under test: how many users still have to send a new photo.
const usersToCollect = (organizationId: string) =>
  FaceCollections.allCollections(organizationId).pipe(
    Stream.filter((item) => item.state === "COLLECTION_REQUIRED"),
    Stream.runCount
  )

// The sandbox's throwaway keys, as the client's credentials.
const credentialsFor = (config: Sandbox.SandboxConfig) =>
  Credentials.layer({
    merchant: { mchid: config.mchid, serialNo: config.merchantSerial, privateKey: Redacted.make(config.merchantPrivateKeyPem) },
    verification: { publicKey: { id: config.wechatpayPublicKeyId, pem: config.wechatpayPublicKeyPem } }
  })

// 1. The client over the sandbox's in-memory HttpClient; the Sandbox tag stays available to the test.
const InMemory = (options: Sandbox.Options) =>
  Layer.unwrapEffect(
    Effect.map(Sandbox.Sandbox, (sandbox) =>
      NodeWechatPayClient.layerWithoutHttpClient().pipe(Layer.provide(credentialsFor(sandbox.config))))
  ).pipe(Layer.provideMerge(Sandbox.layerWithHttpClient(options)))

const ORG = "1234567"
const expectedCount = (sandbox: Sandbox.Service) =>
  sandbox.expectedItems(ORG).filter((item) => item.collection_state === "COLLECTION_REQUIRED").length

describe("in memory", () => {
  it.effect("counts the users to collect", () =>
    Effect.gen(function*() {
      const sandbox = yield* Sandbox.Sandbox
      expect(yield* usersToCollect(ORG)).toBe(expectedCount(sandbox))
    }).pipe(Effect.provide(InMemory({ organizations: { [ORG]: 95 } }))))

  it.effect("gets through a 500 and a dropped connection (retried without delay)", () =>
    Effect.gen(function*() {
      const sandbox = yield* Sandbox.Sandbox
      expect(yield* usersToCollect(ORG)).toBe(expectedCount(sandbox))
      const statuses = (yield* sandbox.requests).map((request) => request.status)
      expect(statuses.filter((status) => status !== 200)).toEqual([500, "reset"])
    }).pipe(
      // Under the TestClock a backoff delay never ends: retry at once instead.
      Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.fromSchedule(Schedule.recurs(3))),
      Effect.provide(InMemory({
        organizations: { [ORG]: 95 },
        faults: { faults: [{ kind: "500", select: Faults.nth(2) }, { kind: "reset", select: Faults.nth(4) }] }
      }))
    ))

  it.effect("refuses a forged answer with a typed error", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(usersToCollect(ORG))
      expect(error._tag).toBe("WechatPayVerificationError")
    }).pipe(Effect.provide(InMemory({ faults: { faults: [{ kind: "tamper", select: Faults.every }] } }))))
})

describe("over loopback HTTP", () => {
  it.scopedLive("the Node layer against SandboxServer.serve", () =>
    Effect.gen(function*() {
      const { sandbox, url } = yield* SandboxServer.serve({ organizations: { [ORG]: 95 } })
      const count = yield* usersToCollect(ORG).pipe(
        Effect.provide(NodeWechatPayClient.layer({ baseUrl: url }).pipe(Layer.provide(credentialsFor(sandbox.config))))
      )
      expect(count).toBe(expectedCount(sandbox))
      expect(yield* sandbox.requestCount).toBe(6) // 5 pages of 20 (the last one short), then the empty one
    }))
})
