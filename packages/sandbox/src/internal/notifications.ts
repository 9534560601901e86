/**
 * Building and delivering `FACEPAY.USER_STATE_CHANGE` notifications, signed
 * and encrypted with the sandbox's own keys (see `Notifications.ts`).
 *
 * @internal
 */
import { Clock, Duration, Effect, Fiber } from "effect"
import { createCipheriv, type KeyObject, randomBytes, randomUUID, sign } from "node:crypto"
import * as Notifications from "../Notifications.js"
import { beijingTime, randomText } from "./text.js"

export interface Signer {
  readonly serial: string
  readonly key: KeyObject
}

export interface SenderInput {
  readonly signer: Signer
  readonly wrongSerial: string
  readonly apiV3Key: string
  readonly options: Notifications.Options
}


export const encrypt = (key: string, nonce: string, associatedData: string, plaintext: string): string => {
  const cipher = createCipheriv("aes-256-gcm", Buffer.from(key, "utf8"), Buffer.from(nonce, "utf8"))
  cipher.setAAD(Buffer.from(associatedData, "utf8"))
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()])
  return sealed.toString("base64")
}

/** Another valid base64 string of the same length: one character changed. */
const tamperBase64 = (text: string): string => {
  const i = Math.floor(text.length / 3)
  const c = text.charAt(i)
  return text.slice(0, i) + (c === "A" ? "B" : "A") + text.slice(i + 1)
}

export interface Sender {
  readonly build: (
    eventType: string,
    resource: Readonly<Record<string, unknown>>,
    faults: ReadonlyArray<Notifications.NotificationFault>,
    id?: string
  ) => Effect.Effect<Notifications.BuiltNotification>
  /** Builds one notification and forks its deliveries (when a URL is configured). */
  readonly send: (eventType: string, resource: Readonly<Record<string, unknown>>) => Effect.Effect<void>
  readonly deliveries: Effect.Effect<ReadonlyArray<Notifications.Delivery>>
  readonly setFaults: (faults: ReadonlyArray<Notifications.NotificationFault>) => Effect.Effect<void>
  /** Waits until every delivery started so far has ended (a 2xx, or the schedule is spent). */
  readonly settled: Effect.Effect<void>
}

const SUMMARIES: Record<string, string> = { "FACEPAY.USER_STATE_CHANGE": "用户签约状态变更" }

export const makeSender = (input: SenderInput): Sender => {
  let faults: ReadonlyArray<Notifications.NotificationFault> = input.options.faults ?? []
  const log: Array<Notifications.Delivery> = []
  const running = new Set<Fiber.RuntimeFiber<void>>()
  const scale = input.options.timeScale ?? 1
  const timeout = input.options.timeoutMillis ?? 5000

  const build: Sender["build"] = (eventType, resource, applied, givenId) =>
    Effect.map(Clock.currentTimeMillis, (now) => {
      const has = (fault: Notifications.NotificationFault) => applied.includes(fault)
      const id = givenId ?? randomUUID()
      const nonce = randomText(12)
      const associatedData = "facepay"
      const key = has("other-key") ? randomText(32) : input.apiV3Key
      let ciphertext = encrypt(key, nonce, associatedData, JSON.stringify(resource))
      if (has("tamper")) ciphertext = tamperBase64(ciphertext)
      let body = JSON.stringify({
        id,
        create_time: beijingTime(now),
        resource_type: "encrypt-resource",
        event_type: eventType,
        summary: SUMMARIES[eventType] ?? eventType,
        resource: { original_type: "facepay", algorithm: "AEAD_AES_256_GCM", ciphertext, associated_data: associatedData, nonce }
      })
      const timestamp = String(Math.floor(now / 1000) - (has("stale") ? 600 : 0))
      const signatureNonce = randomText(32)
      let signature = sign("sha256", Buffer.from(`${timestamp}\n${signatureNonce}\n${body}\n`, "utf8"), input.signer.key)
        .toString("base64")
      if (has("probe")) signature = "WECHATPAY/SIGNTEST/" + randomBytes(192).toString("base64")
      if (has("tamper-body")) body = body.replace(/"summary":"/, "\"summary\":\"!")
      return {
        id,
        body,
        headers: {
          "Content-Type": "application/json",
          "Request-ID": randomBytes(12).toString("hex").toUpperCase(),
          "Wechatpay-Nonce": signatureNonce,
          "Wechatpay-Signature": signature,
          "Wechatpay-Timestamp": timestamp,
          "Wechatpay-Serial": has("wrong-serial") ? input.wrongSerial : input.signer.serial,
          "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"
        }
      }
    })

  const post = (url: string, notification: Notifications.BuiltNotification): Effect.Effect<number | "error"> =>
    Effect.tryPromise((signal) =>
      fetch(url, { method: "POST", headers: notification.headers, body: notification.body, signal }).then(
        async (response) => {
          await response.arrayBuffer()
          return response.status
        }
      )
    ).pipe(
      Effect.timeoutFail({ duration: Duration.millis(timeout), onTimeout: () => "timeout" as const }),
      Effect.orElseSucceed(() => "error" as const)
    )

  /** Delivers until a 2xx or the schedule is spent; `times` deliveries of each success (duplicate). */
  const deliver = (url: string, notification: Notifications.BuiltNotification, applied: ReadonlyArray<Notifications.NotificationFault>) =>
    Effect.gen(function*() {
      const copies = applied.includes("duplicate") ? 2 : 1
      let attempt = 0
      for (let copy = 0; copy < copies; copy++) {
        for (let wait = 0;; wait++) {
          attempt += 1
          const sentAt = yield* Clock.currentTimeMillis
          const status = yield* post(url, notification)
          log.push({ id: notification.id, attempt, sentAt, status, faults: applied })
          if (typeof status === "number" && status >= 200 && status < 300) break
          const seconds = Notifications.RESEND_SCHEDULE_SECONDS[wait]
          if (seconds === undefined) return
          yield* Effect.sleep(Duration.millis((seconds * 1000) / scale))
        }
      }
    })

  return {
    build,
    send: (eventType, resource) =>
      Effect.gen(function*() {
        const url = input.options.url
        if (url === undefined) return
        const applied = faults
        const notification = yield* build(eventType, resource, applied)
        const fiber = yield* Effect.forkDaemon(deliver(url, notification, applied))
        running.add(fiber)
        fiber.addObserver(() => running.delete(fiber))
      }),
    deliveries: Effect.sync(() => log.slice()),
    setFaults: (next) =>
      Effect.sync(() => {
        faults = next
      }),
    settled: Effect.suspend(() => Fiber.awaitAll([...running])).pipe(Effect.asVoid)
  }
}
