/**
 * The test shown in packages/core/README.md, verbatim: keep them in step.
 */
import { Credentials, FaceCollections, WechatPayClient } from "@effect-wechatpay/core"
import { Sandbox } from "@effect-wechatpay/sandbox"
import { HttpClient } from "@effect/platform"
import { expect, it } from "@effect/vitest"
import { Effect, Layer, Redacted, Schema, Stream } from "effect"

it.effect("lists through a fake WeChat Pay that checks every signature", () =>
  Effect.gen(function*() {
    const sandbox = yield* Sandbox.make({ organizations: { "1234567": 120 }, faults: { cap: 7 } })
    const c = sandbox.config
    const WechatPayTest = WechatPayClient.layerWebCrypto().pipe(
      Layer.provide(Credentials.layer({
        merchant: { mchid: c.mchid, serialNo: c.merchantSerial, privateKey: Redacted.make(c.merchantPrivateKeyPem) },
        verification: { publicKey: { id: c.wechatpayPublicKeyId, pem: c.wechatpayPublicKeyPem } }
      })),
      Layer.provide(Layer.succeed(HttpClient.HttpClient, Sandbox.makeHttpClient(sandbox)))
    )
    const items = yield* Stream.runCollect(FaceCollections.allCollections("1234567")).pipe(
      Effect.provide(WechatPayTest)
    )
    expect(items.length).toBe(120)
  }))

it.effect("the stub client of the README is a layer like any other, and the endpoint reaches it", () =>
  Effect.gen(function*() {
    const Stub = Layer.succeed(WechatPayClient.WechatPayClient, WechatPayClient.WechatPayClient.of({
      execute: (_request, schema) => Effect.orDie(Schema.decodeUnknown(schema)({ face_collections: [] })),
      executeNoContent: () => Effect.void
    }))
    const page = yield* FaceCollections.listFaceCollections({ organizationId: "1234567", limit: 10 }).pipe(
      Effect.provide(Stub)
    )
    expect(page).toEqual([])
  }))
