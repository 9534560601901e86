/**
 * The sandbox as WeChat Pay's notification sender: when a contract changes
 * (a user signs, or the contract is terminated through the API), it POSTs a
 * signed, encrypted `FACEPAY.USER_STATE_CHANGE` to the configured URL, and
 * resends on anything but a 2xx answer on WeChat Pay's schedule (15 s, 15 s,
 * 30 s, 3 min, 10 min, 20 min, 30 min ×3, 60 min, 3 h ×3, 6 h ×2: 16
 * deliveries at most), divided by `timeScale` for tests (the waits are
 * `Clock` sleeps: `TestClock` drives them).
 *
 * Faults ({@link NotificationFault}) make a delivery what a receiver must
 * refuse or tolerate: sent twice, a tampered ciphertext, a stale timestamp,
 * a probe signature, a serial the receiver does not know, a body encrypted
 * with another APIv3 key.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Sandbox } from "@effect-wechatpay/sandbox"
 *
 * const program = Effect.gen(function*() {
 *   const sandbox = yield* Sandbox.make({ notifications: { url: "http://127.0.0.1:8080/notify" } })
 *   // The user signs in WeChat: a notification is sent to the URL.
 *   yield* sandbox.signContract({ organizationId: "O1234567", outUserId: "staff-0001" })
 * })
 * ```
 *
 * @since 0.2.0
 */

/**
 * - `duplicate`: the notification is delivered a second time after the first delivery's answer.
 * - `tamper`: one character of the ciphertext is changed after signing the body anew (the signature
 *   verifies; the AEAD tag does not).
 * - `tamper-body`: the body is changed after signing (the signature does not verify).
 * - `stale`: `Wechatpay-Timestamp` 10 minutes in the past (signed that way).
 * - `probe`: a `WECHATPAY/SIGNTEST/` signature.
 * - `wrong-serial`: `Wechatpay-Serial` names a key the merchant does not have.
 * - `other-key`: the resource is encrypted with another APIv3 key.
 *
 * @since 0.2.0
 * @category Models
 */
export const notificationFaults = [
  "duplicate",
  "tamper",
  "tamper-body",
  "stale",
  "probe",
  "wrong-serial",
  "other-key"
] as const

/**
 * @since 0.2.0
 * @category Models
 */
export type NotificationFault = typeof notificationFaults[number]

/**
 * WeChat Pay's waits between deliveries, in seconds (wechatpay-apiv3.md §6).
 *
 * @since 0.2.0
 * @category Constants
 */
export const RESEND_SCHEDULE_SECONDS: ReadonlyArray<number> = [
  15,
  15,
  30,
  180,
  600,
  1200,
  1800,
  1800,
  1800,
  3600,
  10800,
  10800,
  10800,
  21600,
  21600
]

/**
 * A notification as the sandbox built it: what it POSTs.
 *
 * @since 0.2.0
 * @category Models
 */
export interface BuiltNotification {
  readonly id: string
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/**
 * One delivery attempt.
 *
 * @since 0.2.0
 * @category Models
 */
export interface Delivery {
  readonly id: string
  /** 1 for the first delivery of this notification, 2 for its first resend, … */
  readonly attempt: number
  /** Clock time the delivery was sent, epoch milliseconds. */
  readonly sentAt: number
  /** The receiver's status, or `error` (no answer: refused, reset, 5 s timeout). */
  readonly status: number | "error"
  readonly faults: ReadonlyArray<NotificationFault>
}

/**
 * @since 0.2.0
 * @category Models
 */
export interface Options {
  /** Where notifications are POSTed. Without it, contract changes send nothing. */
  readonly url?: string | undefined
  /** Divides the resend schedule's waits (e.g. 1000: 15 s becomes 15 ms). Default 1. */
  readonly timeScale?: number | undefined
  /** Applied to every notification sent. Default none. */
  readonly faults?: ReadonlyArray<NotificationFault> | undefined
  /** How long a delivery waits for its answer. Default 5 s, as WeChat Pay. */
  readonly timeoutMillis?: number | undefined
}
