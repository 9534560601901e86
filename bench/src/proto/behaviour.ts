/**
 * The prototype behaves as core does where the bench can see it, over real
 * loopback HTTP against the sandbox: transient faults are retried to a
 * complete, exact listing (statuses counted at the sandbox); a tampered body
 * is a `WechatPayVerificationError`; a hung server is a per-attempt
 * `Timeout` after the policy's attempts; with `concurrency: 4` the listing is
 * exact too. `run.ts` runs this before any measurement; alone:
 * `node bench/dist/proto/behaviour.js`.
 */
import * as Credentials from "@effect-wechatpay/core/Credentials"
import * as RetryPolicy from "@effect-wechatpay/core/RetryPolicy"
import { Faults, SandboxServer } from "@effect-wechatpay/sandbox"
import { Chunk, Effect, Either, Layer, Redacted, Stream } from "effect"
import { allCollections } from "./FaceCollections.js"
import { layer } from "./node.js"

const ORG = "school"
const SIZE = 1_000

export const checkBehaviour = Effect.gen(function*() {
  const server = yield* SandboxServer.serve({ mode: "certificate", organizations: { [ORG]: SIZE } })
  const config = server.sandbox.config
  const client = layer({ baseUrl: server.url }).pipe(
    Layer.provide(Credentials.layer({
      merchant: { mchid: config.mchid, serialNo: config.merchantSerial, privateKey: Redacted.make(config.merchantPrivateKeyPem) },
      verification: { platformCertificates: [config.platformCertificatePem] }
    }))
  )
  const expected = server.sandbox.expectedItems(ORG).map((item) => item.collection_id)
  const fast = RetryPolicy.make({ baseDelay: "5 millis", maxDelay: "20 millis", timeout: "300 millis", maxAttempts: 4 })
  const list = (concurrency: number) =>
    Stream.runCollect(allCollections(ORG, { limit: 50, concurrency })).pipe(
      Effect.map((items) => Chunk.toReadonlyArray(items).map((item) => item.collectionId)),
      Effect.provide(client),
      Effect.provideService(RetryPolicy.RetryPolicy, fast),
      Effect.either
    )
  const fail = (what: string) => Effect.die(new Error(`prototype behaviour: ${what}`))

  yield* server.sandbox.setFaults({
    faults: [
      { kind: "500", select: Faults.nth(2, 7) },
      { kind: "reset", select: Faults.nth(4) },
      { kind: "429", select: Faults.nth(9), retryAfter: 0 }
    ]
  })
  for (const concurrency of [1, 4]) {
    const listed = yield* list(concurrency)
    if (Either.isLeft(listed)) return yield* fail(`transient faults not retried (${listed.left._tag})`)
    if (listed.right.join() !== expected.join()) return yield* fail(`listing with retries differs (n=${concurrency})`)
    yield* server.sandbox.setFaults({ faults: [{ kind: "500", select: Faults.nth(3) }] })
  }

  yield* server.sandbox.setFaults({ faults: [{ kind: "tamper", select: Faults.nth(2) }] })
  const tampered = yield* list(1)
  if (Either.isRight(tampered) || tampered.left._tag !== "WechatPayVerificationError") {
    return yield* fail("a tampered body was not a WechatPayVerificationError")
  }

  yield* server.sandbox.setFaults({ latency: 2_000 })
  const hung = yield* list(1)
  if (
    Either.isRight(hung) || hung.left._tag !== "WechatPayTransportError" || hung.left.reason !== "Timeout" ||
    hung.left.attempts !== 4
  ) {
    return yield* fail(`a hung server was not a Timeout after 4 attempts (${Either.isLeft(hung) ? hung.left.message : "ok"})`)
  }
  return "retries, verification failures and timeouts as in core"
}).pipe(Effect.scoped)

if (process.argv[1] === new URL(import.meta.url).pathname) {
  Effect.runPromise(checkBehaviour).then(
    (message) => {
      console.log(`prototype: ${message}`)
      process.exit(0)
    },
    (error: unknown) => {
      console.error(error)
      process.exit(1)
    }
  )
}
