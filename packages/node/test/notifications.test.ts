/**
 * Notifications end to end: built, signed and encrypted by the sandbox with
 * its own keys (never by the code under test), parsed by core's
 * `Notification.parse` and served by `NotificationHandler` over real loopback
 * HTTP, with the sandbox delivering them and resending on its schedule.
 */
import { ApiV3Key, FaceUsers, Notification, NotificationHandler, NotificationStore, ResponseVerifier, WechatPayError } from "@effect-wechatpay/core"
import { NodeResponseVerifier } from "@effect-wechatpay/node"
import { Notifications, Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { describe, expect, it, layer } from "@effect/vitest"
import { Context, DateTime, Effect, Either, Layer, Redacted, Ref, TestClock } from "effect"
import { createPrivateKey, sign } from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import { clientFor } from "./helpers.js"

type Mode = "publicKey" | "certificate" | "migration"

class Keys extends Context.Tag("test/Keys")<Keys, Sandbox.Keys>() {}
const KeysLive = Layer.effect(Keys, Sandbox.generateKeys)

/** A sandbox of `mode` and the receiver's layers for its keys (`verifierMode`: the keys the merchant holds). */
const setup = (mode: Mode, verifierMode: Mode = mode, options: Sandbox.Options = {}) =>
  Effect.gen(function*() {
    yield* TestClock.setTime(Date.now())
    const sandbox = yield* Sandbox.make({ ...(yield* Keys), mode, ...options })
    const config = sandbox.config
    const verifier = yield* NodeResponseVerifier.make({
      ...(verifierMode === "certificate" ? {} : { publicKey: { id: config.wechatpayPublicKeyId, pem: config.wechatpayPublicKeyPem } }),
      ...(verifierMode === "publicKey" ? {} : { platformCertificates: [config.platformCertificatePem] })
    })
    const receiver = Layer.mergeAll(
      Layer.succeed(ResponseVerifier.ResponseVerifier, verifier),
      Layer.succeed(ApiV3Key.ApiV3Key, Redacted.make(config.apiV3Key)),
      NotificationStore.layerMemory()
    )
    return { sandbox, receiver }
  })

const change = (sandbox: Sandbox.Service) => sandbox.userStateChange({ organizationId: "O1234567", outUserId: "student-0001" })

const parseBuilt = (built: Notifications.BuiltNotification) =>
  Notification.parse({ headers: built.headers, body: new TextEncoder().encode(built.body) })

/** Signs `body` as WeChat Pay would, with the sandbox's public-key-mode private key (for bodies the sandbox would never send). */
const signedAs = (keys: Sandbox.Keys, config: Sandbox.SandboxConfig, body: string, now: number) => {
  const timestamp = String(Math.floor(now / 1000))
  const nonce = "n0nce1234567890abcdefABCDEF01234"
  const signature = sign("sha256", Buffer.from(`${timestamp}\n${nonce}\n${body}\n`), createPrivateKey(keys.wechatpayPrivateKeyPem))
    .toString("base64")
  return {
    id: "x",
    body,
    headers: {
      "Wechatpay-Timestamp": timestamp,
      "Wechatpay-Nonce": nonce,
      "Wechatpay-Signature": signature,
      "Wechatpay-Serial": config.wechatpayPublicKeyId
    }
  }
}

const checkOf = (result: Either.Either<unknown, WechatPayError.WechatPayNotificationError>) =>
  Either.isLeft(result) ? result.left.check : "accepted"

/** No secret, no signature, no decrypted value in an error's message or JSON. */
const expectClean = (error: WechatPayError.WechatPayNotificationError, secrets: ReadonlyArray<string>) => {
  const text = `${error.message} ${JSON.stringify(error)} ${String(error)}`
  for (const secret of secrets) expect([error.check, text.includes(secret)]).toEqual([error.check, false])
}

layer(KeysLive)("Notification.parse", (it) => {
  it.effect("a FACEPAY.USER_STATE_CHANGE decodes to its typed model, in every key mode", () =>
    Effect.gen(function*() {
      for (const mode of ["publicKey", "certificate", "migration"] as const) {
        const { receiver, sandbox } = yield* setup(mode)
        const resource = yield* change(sandbox)
        const built = yield* sandbox.buildNotification({ resource })
        const event = yield* Effect.provide(parseBuilt(built), receiver)
        expect(event._tag).toBe("UserStateChange")
        if (event._tag !== "UserStateChange") continue
        expect(event.id).toBe(built.id)
        expect(event.eventType).toBe("FACEPAY.USER_STATE_CHANGE")
        expect(event.originalType).toBe("facepay")
        expect(event.resource.outUserId).toBe("student-0001")
        expect(event.resource.organizationId).toBe("O1234567")
        expect(event.resource.userId).toBe("2088000000000001")
        expect(event.resource.contractId).toBe("CI000000000000001")
        expect(event.resource.mchId).toBe(sandbox.config.mchid)
        expect(DateTime.isDateTime(event.resource.notifyCreateTime)).toBe(true)
        expect(event.plaintext).toEqual(resource)
      }
    }))

  it.effect("in migration, a notification signed with the PUB_KEY_ID verifies for a merchant holding both kinds of key", () =>
    Effect.gen(function*() {
      // The sandbox in migration mode signs notifications with the public key; the merchant has both.
      const { receiver, sandbox } = yield* setup("migration", "migration")
      const built = yield* sandbox.buildNotification({ resource: yield* change(sandbox) })
      expect(built.headers["Wechatpay-Serial"]).toBe(sandbox.config.wechatpayPublicKeyId)
      const event = yield* Effect.provide(parseBuilt(built), receiver)
      expect(event._tag).toBe("UserStateChange")
      // A merchant holding only the certificate does not know the key id: refused, not crashed.
      const certOnly = yield* setup("migration", "certificate")
      const refused = yield* Effect.either(Effect.provide(parseBuilt(built), certOnly.receiver))
      expect(checkOf(refused)).toBe("UnknownSerial")
    }))

  it.effect("contract_id is optional; another event type is a generic event holding the decrypted JSON", () =>
    Effect.gen(function*() {
      const { receiver, sandbox } = yield* setup("publicKey")
      const { contract_id: _, ...withoutContract } = yield* change(sandbox)
      const event = yield* Effect.provide(parseBuilt(yield* sandbox.buildNotification({ resource: withoutContract })), receiver)
      expect(event._tag === "UserStateChange" && event.resource.contractId).toBe(undefined)
      const other = yield* Effect.provide(
        parseBuilt(yield* sandbox.buildNotification({ eventType: "FACEPAY.SOMETHING_NEW", resource: { a: [1, "b"] } })),
        receiver
      )
      expect(other._tag).toBe("Other")
      expect(other.resource).toEqual({ a: [1, "b"] })
    }))

  it.effect("every check fails with its own typed error, naming the check, holding no secret", () =>
    Effect.gen(function*() {
      const keys = yield* Keys
      const { receiver, sandbox } = yield* setup("publicKey")
      const config = sandbox.config
      const resource = yield* change(sandbox)
      const now = Date.now()
      const secrets = [config.apiV3Key, String(resource["openid"]), String(resource["user_id"])]
      const cases: Array<readonly [string, Notifications.BuiltNotification, WechatPayError.NotificationCheck]> = []
      for (
        const [fault, check] of [
          ["probe", "BadSignature"],
          ["tamper-body", "BadSignature"],
          ["tamper", "Decrypt"],
          ["other-key", "Decrypt"],
          ["stale", "StaleTimestamp"],
          ["wrong-serial", "UnknownSerial"]
        ] as const
      ) {
        cases.push([fault, yield* sandbox.buildNotification({ resource, faults: [fault] }), check])
      }
      const good = yield* sandbox.buildNotification({ resource })
      for (const header of ["Wechatpay-Signature", "Wechatpay-Serial", "Wechatpay-Timestamp", "Wechatpay-Nonce"]) {
        const { [header]: _, ...rest } = good.headers
        cases.push([`no ${header}`, { ...good, headers: rest }, "MissingHeader"])
      }
      cases.push(["SM2 signature type", {
        ...good,
        headers: { ...good.headers, "Wechatpay-Signature-Type": "WECHATPAY2-SM2-WITH-SM3" }
      }, "UnsupportedAlgorithm"])
      cases.push(["timestamp not a number", { ...good, headers: { ...good.headers, "Wechatpay-Timestamp": "soon" } }, "InvalidTimestamp"])
      const envelope = JSON.parse(good.body)
      cases.push([
        "another resource algorithm",
        signedAs(keys, config, JSON.stringify({ ...envelope, resource: { ...envelope.resource, algorithm: "AEAD_SM4_GCM" } }), now),
        "UnsupportedAlgorithm"
      ])
      cases.push(["a body that is not JSON", signedAs(keys, config, good.body.slice(0, 40), now), "MalformedBody"])
      cases.push([
        "a body without resource",
        signedAs(keys, config, JSON.stringify({ ...envelope, resource: undefined }), now),
        "MalformedBody"
      ])
      const { out_user_id: _, ...incomplete } = resource
      cases.push(["a resource without out_user_id", yield* sandbox.buildNotification({ resource: incomplete }), "MalformedResource"])
      for (const [name, built, check] of cases) {
        const result = yield* Effect.either(Effect.provide(parseBuilt(built), receiver))
        expect([name, checkOf(result)]).toEqual([name, check])
        if (Either.isLeft(result)) {
          const signature = built.headers["Wechatpay-Signature"]
          expectClean(result.left, signature === undefined ? secrets : [...secrets, signature])
          // The id of a body is believed only once its signature verified.
          if (result.left.check === "BadSignature") expect(result.left.notificationId).toBe(undefined)
        }
      }
      const tooLarge = yield* Effect.either(
        Effect.provide(Notification.parse({ headers: good.headers, body: new Uint8Array(70_000) }), receiver)
      )
      expect(checkOf(tooLarge)).toBe("TooLarge")
      const notUtf8 = yield* Effect.either(
        Effect.provide(Notification.parse({ headers: good.headers, body: new Uint8Array([0xff, 0xfe, 0x7b]) }), receiver)
      )
      expect(checkOf(notUtf8)).toBe("MalformedBody")
    }))

  it.effect("a re-serialised body does not verify: the signature is over the bytes as sent", () =>
    Effect.gen(function*() {
      const { receiver, sandbox } = yield* setup("publicKey")
      const built = yield* sandbox.buildNotification({ resource: yield* change(sandbox) })
      const reserialised = JSON.stringify(JSON.parse(built.body), null, 1)
      const result = yield* Effect.either(Effect.provide(parseBuilt({ ...built, body: reserialised }), receiver))
      expect(checkOf(result)).toBe("BadSignature")
    }))
})

layer(KeysLive)("NotificationHandler.handle", (it) => {
  it.effect("refused deliveries never reach the handler; duplicates are handled once; a failing handler is 500 and retried", () =>
    Effect.gen(function*() {
      const { receiver, sandbox } = yield* setup("publicKey")
      const resource = yield* change(sandbox)
      const seen = yield* Ref.make<Array<string>>([])
      const failNext = yield* Ref.make(true)
      const onEvent = (event: Notification.Event) =>
        Effect.gen(function*() {
          if (yield* Ref.getAndSet(failNext, false)) return yield* Effect.fail("database down")
          yield* Ref.update(seen, (ids) => [...ids, event.id])
        })
      const deliver = (built: Notifications.BuiltNotification) =>
        NotificationHandler.handle({ headers: built.headers, body: built.body }, onEvent)
      yield* Effect.gen(function*() {
        for (const fault of ["probe", "tamper", "other-key", "stale", "wrong-serial"] as const) {
          const handled = yield* deliver(yield* sandbox.buildNotification({ resource, faults: [fault] }))
          expect(handled.outcome._tag).toBe("Refused")
          expect(handled.answer.status).toBeGreaterThanOrEqual(400)
          expect(handled.answer.status).toBeLessThan(500)
          expect(JSON.parse(handled.answer.body).code).toBe("FAIL")
          expect(handled.answer.body).not.toContain(sandbox.config.apiV3Key)
        }
        expect(yield* Ref.get(seen)).toEqual([])
        const good = yield* sandbox.buildNotification({ resource })
        const first = yield* deliver(good)
        expect([first.outcome._tag, first.answer.status]).toEqual(["HandlerFailed", 500])
        const second = yield* deliver(good)
        expect([second.outcome._tag, second.answer.status]).toEqual(["Handled", 200])
        expect(JSON.parse(second.answer.body)).toEqual({ code: "SUCCESS", message: "OK" })
        const third = yield* deliver(good)
        expect([third.outcome._tag, third.answer.status]).toEqual(["Duplicate", 200])
        expect(yield* Ref.get(seen)).toEqual([good.id])
      }).pipe(Effect.provide(receiver))
    }))

  it.effect("the memory store is bounded: the oldest handled id is forgotten first", () =>
    Effect.gen(function*() {
      const store = yield* NotificationStore.makeMemory({ capacity: 2 })
      for (const id of ["a", "b", "c"]) {
        expect(yield* store.claim(id)).toBe("new")
        yield* store.complete(id)
      }
      expect(yield* store.claim("a")).toBe("new")
      expect(yield* store.claim("a")).toBe("pending")
      expect(yield* store.claim("c")).toBe("done")
    }))
})

/** A loopback port nothing listens on (bound, then closed). */
const freePort = Effect.promise(() =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })
)

describe("over loopback HTTP", () => {
  it.scopedLive("the sandbox delivers a signing and a termination; the receiver answers 2xx after its handler", () =>
    Effect.gen(function*() {
      const keys = yield* Sandbox.generateKeys
      // The receiver first: a free port, then the sandbox told its URL.
      const events = yield* Ref.make<Array<Notification.UserStateChange>>([])
      const failures = yield* Ref.make(1)
      const port = yield* freePort
      const sandbox = yield* Sandbox.make({
        ...keys,
        notifications: { url: `http://127.0.0.1:${port}/wechatpay/notify`, timeScale: 1000 }
      })
      const config = sandbox.config
      const receiver = Layer.mergeAll(
        Layer.effect(
          ResponseVerifier.ResponseVerifier,
          NodeResponseVerifier.make({ publicKey: { id: config.wechatpayPublicKeyId, pem: config.wechatpayPublicKeyPem } })
        ),
        Layer.succeed(ApiV3Key.ApiV3Key, Redacted.make(config.apiV3Key)),
        NotificationStore.layerMemory()
      )
      const app = HttpRouter.empty.pipe(
        HttpRouter.post(
          "/wechatpay/notify",
          NotificationHandler.httpApp((event) =>
            Effect.gen(function*() {
              // The first delivery fails in the handler: WeChat Pay must resend.
              if ((yield* Ref.getAndUpdate(failures, (n) => n - 1)) > 0) return yield* Effect.fail("not yet")
              if (event._tag === "UserStateChange") yield* Ref.update(events, (all) => [...all, event.resource])
            })
          )
        )
      )
      yield* Layer.launch(HttpServer.serve(app)).pipe(
        Effect.provide(Layer.merge(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }), receiver)),
        Effect.forkScoped
      )
      yield* Effect.sleep("100 millis")
      const contractId = yield* sandbox.signContract({ organizationId: "O1234567", outUserId: "staff-0001" })
      yield* sandbox.notificationsSettled
      const deliveries = yield* sandbox.deliveries
      expect(deliveries.map((d) => d.status)).toEqual([500, 200])
      expect((yield* Ref.get(events)).map((e) => [e.outUserId, e.contractId])).toEqual([["staff-0001", contractId]])

      // A termination through the API is notified too; a duplicate delivery is answered 2xx and handled once.
      yield* sandbox.setNotificationFaults(["duplicate"])
      const url = yield* SandboxServer.serveSandbox(sandbox, { port: 0 })
      yield* FaceUsers.terminateContract({ organizationId: "O1234567", userId: "2088000000000002" }).pipe(
        Effect.provide(clientFor({ url, sandbox }))
      )
      yield* sandbox.notificationsSettled
      const all = yield* sandbox.deliveries
      expect(all.slice(2).map((d) => [d.status, d.faults])).toEqual([[200, ["duplicate"]], [200, ["duplicate"]]])
      expect(all[2]?.id).toBe(all[3]?.id)
      expect((yield* Ref.get(events)).map((e) => e.outUserId)).toEqual(["staff-0001", "student-0002"])
    }))
})

describe("Notifications schedule", () => {
  it.effect("a receiver that never answers 2xx gets WeChat Pay's 16 deliveries, spaced as documented (TestClock)", () =>
    Effect.gen(function*() {
      const keys = yield* Effect.promise(() => Effect.runPromise(Sandbox.generateKeys))
      // A port nothing listens on: every delivery fails at once, and the waits are TestClock sleeps.
      const port = yield* freePort
      const sandbox = yield* Sandbox.make({ ...keys, notifications: { url: `http://127.0.0.1:${port}/n` } })
      yield* sandbox.signContract({ organizationId: "O1234567", outUserId: "staff-0001" })
      const realWait = () => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 20)))
      const count = () => Effect.map(sandbox.deliveries, (d) => d.length)
      const until = (n: number) => Effect.gen(function*() {
        while ((yield* count()) < n) yield* realWait()
      })
      yield* until(1)
      for (const [i, seconds] of Notifications.RESEND_SCHEDULE_SECONDS.entries()) {
        yield* TestClock.adjust(`${seconds - 1} seconds`)
        for (let k = 0; k < 3; k++) yield* realWait()
        // Not resent a second early.
        expect(yield* count()).toBe(i + 1)
        yield* TestClock.adjust("1 second")
        yield* until(i + 2)
      }
      while ((yield* count()) < 16) yield* realWait()
      yield* sandbox.notificationsSettled
      const deliveries = yield* sandbox.deliveries
      expect(deliveries.length).toBe(16)
      expect(deliveries.every((d) => d.status === "error")).toBe(true)
      const gaps = deliveries.slice(1).map((d, i) => (d.sentAt - deliveries[i]!.sentAt) / 1000)
      expect(gaps).toEqual(Notifications.RESEND_SCHEDULE_SECONDS)
    }), { timeout: 30_000 })
})

