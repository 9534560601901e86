/**
 * End to end over real loopback HTTP: the Node layer (node:crypto signer and
 * verifier, undici keep-alive transport) against the sandbox server.
 */
import { Credentials, FaceCollection, FaceCollections, RetryPolicy } from "@effect-wechatpay/core"
import { NodeWechatPayClient } from "@effect-wechatpay/node"
import { Faults, Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Layer, Redacted, Schedule, Stream } from "effect"

const keys = await Effect.runPromise(Sandbox.generateKeys)
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

describe("NodeWechatPayClient over loopback HTTP", () => {
  it.scopedLive("lists a 1 000-item organization exactly and in order", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({ ...keys, mode: "publicKey", organizations: { [ORG]: SIZE } })
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

  it.scopedLive("retries 500s and dropped connections (re-signed) and still lists exactly", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({
        ...keys,
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

  it.scopedLive("a tampered response is refused with a typed verification error", () =>
    Effect.gen(function*() {
      const server = yield* SandboxServer.serve({
        ...keys,
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
