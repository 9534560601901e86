/**
 * WeChat Pay's notifications (回调通知), received as sent: verified with the
 * same keys as responses, decrypted with the APIv3 key, typed (spec:
 * wechatpay-apiv3.md §6, offlineface-product.md §2, §4).
 *
 * `parse` takes the headers and the raw body bytes (never a re-serialised
 * body: the signature is over the bytes WeChat Pay sent) and checks, in
 * order: the body's size; the four `Wechatpay-*` headers; the signature type
 * (`WECHATPAY2-SHA256-RSA2048`, the default when absent); the signature, by
 * `ResponseVerifier` (timestamp within 300 s, a key under `Wechatpay-Serial`,
 * public-key mode, certificate mode or both: a notification may carry a
 * `PUB_KEY_ID_…` serial while requests still use certificates); the JSON
 * envelope; `resource.algorithm` (`AEAD_AES_256_GCM`); the decryption; the
 * plaintext's shape. Each failure is a `WechatPayNotificationError` naming
 * its check. A `WECHATPAY/SIGNTEST/` probe is an ordinary `BadSignature`.
 *
 * `FACEPAY.USER_STATE_CHANGE` (the K12 product's only notification, sent when
 * a user signs or terminates) decodes to {@link UserStateChange}; any other
 * `event_type` to an {@link OtherEvent} holding the decrypted JSON. The
 * plaintext says nothing of the new state: {@link contractState} asks.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { Notification } from "@effect-wechatpay/core"
 *
 * declare const headers: Record<string, string>
 * declare const rawBody: Uint8Array
 *
 * const program = Notification.parse({ headers, body: rawBody }).pipe(
 *   Effect.flatMap((event) =>
 *     event._tag === "UserStateChange"
 *       ? Effect.log(`user ${event.resource.outUserId} of ${event.resource.organizationId} changed`)
 *       : Effect.log(`${event.eventType} ignored`)
 *   )
 * )
 * ```
 *
 * @since 0.2.0
 */
import { type DateTime, Effect, Option, ParseResult, Schema } from "effect"
import { ApiV3Key } from "../ApiV3Key.js"
import * as Crypto from "../Crypto.js"
import { field, optionalField } from "../internal/fields.js"
import { SCHEMA } from "../internal/protocol.js"
import * as Contracts from "../offlineface/Contracts.js"
import * as FaceUsers from "../offlinefacemch/FaceUsers.js"
import { ResponseVerifier } from "../ResponseVerifier.js"
import type { WechatPayClient } from "../WechatPayClient.js"
import {
  type NotificationCheck,
  type VerificationCheck,
  type WechatPayInvalidInputError,
  WechatPayNotificationError,
  type WechatPayRequestError
} from "../WechatPayError.js"
import * as WechatPaySchema from "../WechatPaySchema.js"

/**
 * A notification as received: the request's headers (any case; Node's
 * `IncomingHttpHeaders` and a `Headers` object turned into a record both fit)
 * and its body, untouched.
 *
 * @since 0.2.0
 * @category Models
 */
export interface Received {
  readonly headers: Readonly<Record<string, string | ReadonlyArray<string> | undefined>>
  /** The raw body: the bytes as received (or their exact text). */
  readonly body: Uint8Array | string
}

/**
 * @since 0.2.0
 * @category Models
 */
export interface ParseOptions {
  /** Bodies larger than this are refused (`TooLarge`). Default {@link DEFAULT_MAX_BODY_BYTES}. */
  readonly maxBodyBytes?: number | undefined
}

/**
 * 64 KiB: a notification is well under 2 KiB; far above that is not one.
 *
 * @since 0.2.0
 * @category Constants
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024

/**
 * The only notification of the K12 product.
 *
 * @since 0.2.0
 * @category Constants
 */
export const USER_STATE_CHANGE = "FACEPAY.USER_STATE_CHANGE"

/**
 * The envelope: what every notification's body holds, wire names inside.
 *
 * @since 0.2.0
 * @category Schemas
 */
export const Envelope = Schema.Struct({
  id: Schema.NonEmptyString,
  createTime: field(WechatPaySchema.Time, "create_time"),
  eventType: field(Schema.NonEmptyString, "event_type"),
  resourceType: field(Schema.String, "resource_type"),
  summary: Schema.String,
  resource: Schema.Struct({
    originalType: optionalField(Schema.String, "original_type"),
    algorithm: Schema.String,
    associatedData: optionalField(Schema.String, "associated_data"),
    nonce: Schema.String,
    ciphertext: Schema.String
  })
})

/**
 * The decrypted resource of `FACEPAY.USER_STATE_CHANGE`. It carries no state:
 * the contract may have been signed or terminated ({@link contractState}).
 * `contract_id` is optional: the reference page lists it, a production SDK's
 * model lacks it.
 *
 * @since 0.2.0
 * @category Models
 */
export class UserStateChange extends Schema.Class<UserStateChange>("UserStateChange")({
  /** The WeChat face user id (`user_id`). */
  userId: field(Schema.String, "user_id"),
  /** The merchant's own id for the user (`out_user_id`). */
  outUserId: field(Schema.String, "out_user_id"),
  organizationId: field(Schema.String, "organization_id"),
  mchId: field(Schema.String, "mch_id"),
  notifyCreateTime: field(WechatPaySchema.Time, "notify_create_time"),
  appid: Schema.String,
  openid: Schema.String,
  contractId: optionalField(Schema.String, "contract_id")
}) {}

/**
 * What every decoded notification holds besides its resource.
 *
 * @since 0.2.0
 * @category Models
 */
export interface Header {
  /** The notification's id: the same on every delivery of it (de-duplicate by it). */
  readonly id: string
  readonly createTime: DateTime.Zoned
  readonly eventType: string
  readonly resourceType: string
  readonly summary: string
  /** `resource.original_type` (`facepay` for this product), when sent. */
  readonly originalType: string | undefined
  /** The decrypted resource as JSON, wire names, unknown fields kept. */
  readonly plaintext: unknown
}

/**
 * A verified, decrypted `FACEPAY.USER_STATE_CHANGE`.
 *
 * @since 0.2.0
 * @category Models
 */
export interface UserStateChangeEvent extends Header {
  readonly _tag: "UserStateChange"
  readonly resource: UserStateChange
}

/**
 * A verified, decrypted notification of another `event_type`: its resource
 * is the decrypted JSON.
 *
 * @since 0.2.0
 * @category Models
 */
export interface OtherEvent extends Header {
  readonly _tag: "Other"
  readonly resource: unknown
}

/**
 * @since 0.2.0
 * @category Models
 */
export type Event = UserStateChangeEvent | OtherEvent

const verificationChecks: Record<VerificationCheck, NotificationCheck> = {
  MissingHeader: "MissingHeader",
  InvalidTimestamp: "InvalidTimestamp",
  StaleTimestamp: "StaleTimestamp",
  UnknownSerial: "UnknownSerial",
  KeyNotValid: "KeyNotValid",
  ProbeSignature: "BadSignature",
  MalformedSignature: "BadSignature",
  BadSignature: "BadSignature"
}

const utf8 = new TextDecoder("utf-8", { fatal: true })

const MAX_REASON = 240

/** Lower-case names, one value each; a header sent twice with different values counts as absent. */
const headerRecord = (headers: Received["headers"]): Record<string, string | undefined> => {
  const out: Record<string, string | undefined> = {}
  for (const [name, value] of Object.entries(headers)) {
    const values = typeof value === "string" ? [value] : value === undefined ? [] : value
    const distinct = new Set(values)
    out[name.toLowerCase()] = distinct.size === 1 ? values[0] : undefined
  }
  return out
}

const decodeErrorPath = (error: ParseResult.ParseError): string =>
  ParseResult.ArrayFormatter.formatErrorSync(error).map((issue) =>
    issue.path.length === 0 ? "(top)" : issue.path.map(String).join(".")
  ).join(", ")

/**
 * Verifies, decrypts and decodes one notification. See the module's doc for
 * the checks, in order. Nothing of an unverified body reaches the result, an
 * error or a log line.
 *
 * @since 0.2.0
 * @category Parsing
 */
export const parse = (
  received: Received,
  options: ParseOptions = {}
): Effect.Effect<Event, WechatPayNotificationError, ResponseVerifier | ApiV3Key> =>
  Effect.gen(function*() {
    const headers = headerRecord(received.headers)
    const requestId = headers["request-id"]
    let notificationId: string | undefined
    const fail = (check: NotificationCheck, reason: string) =>
      Effect.fail(
        new WechatPayNotificationError({
          check,
          // A reason may quote a header (a serial): anyone can send those, so it is cut short.
          reason: reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON)}…` : reason,
          ...(requestId === undefined ? {} : { requestId }),
          ...(notificationId === undefined ? {} : { notificationId })
        })
      )
    const max = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    const size = typeof received.body === "string" ? received.body.length : received.body.byteLength
    if (size > max) return yield* fail("TooLarge", `the body is larger than ${max} bytes`)
    let body: string
    if (typeof received.body === "string") body = received.body
    else {
      try {
        body = utf8.decode(received.body)
      } catch {
        return yield* fail("MalformedBody", "the body is not UTF-8 text")
      }
    }
    const signatureType = headers["wechatpay-signature-type"]
    if (signatureType !== undefined && signatureType !== SCHEMA) {
      return yield* fail(
        "UnsupportedAlgorithm",
        `Wechatpay-Signature-Type ${JSON.stringify(signatureType.slice(0, 64))} is not supported (only ${SCHEMA})`
      )
    }
    const verifier = yield* ResponseVerifier
    yield* Effect.catchAll(
      verifier.verify({ method: "POST", path: "(notification)", status: 0, headers, body }),
      (error) =>
        fail(
          verificationChecks[error.check],
          error.check === "BadSignature"
            ? "the signature does not match the body (tampered, re-serialised, or signed by another key)"
            : error.reason
        )
    )
    // Verified from here on: the body is WeChat Pay's.
    let json: unknown
    try {
      json = JSON.parse(body)
    } catch {
      return yield* fail("MalformedBody", "the body is not JSON")
    }
    const envelope = yield* Effect.catchAll(
      Schema.decodeUnknown(Envelope, { errors: "all" })(json),
      (error) => fail("MalformedBody", `the body is not a notification: check ${decodeErrorPath(error)}`)
    )
    notificationId = envelope.id
    const resource = envelope.resource
    if (resource.algorithm !== "AEAD_AES_256_GCM") {
      return yield* fail(
        "UnsupportedAlgorithm",
        `resource.algorithm ${JSON.stringify(resource.algorithm.slice(0, 64))} is not supported (only AEAD_AES_256_GCM)`
      )
    }
    const apiV3Key = yield* ApiV3Key
    const text = yield* Effect.catchAll(
      Crypto.decryptAeadAes256Gcm({
        apiV3Key,
        nonce: resource.nonce,
        associatedData: resource.associatedData,
        ciphertext: resource.ciphertext
      }),
      (error) => fail("Decrypt", error.reason)
    )
    let plaintext: unknown
    try {
      plaintext = JSON.parse(text)
    } catch {
      return yield* fail("MalformedResource", "the decrypted resource is not JSON")
    }
    const header = {
      id: envelope.id,
      createTime: envelope.createTime,
      eventType: envelope.eventType,
      resourceType: envelope.resourceType,
      summary: envelope.summary,
      originalType: resource.originalType,
      plaintext
    }
    if (envelope.eventType !== USER_STATE_CHANGE) {
      return { _tag: "Other", ...header, resource: plaintext } satisfies OtherEvent
    }
    const change = yield* Effect.catchAll(
      Schema.decodeUnknown(UserStateChange, { errors: "all" })(plaintext),
      (error) => fail("MalformedResource", `not a ${USER_STATE_CHANGE} resource: check ${decodeErrorPath(error)}`)
    )
    return { _tag: "UserStateChange", ...header, resource: change } satisfies UserStateChangeEvent
  })

/**
 * What a `FACEPAY.USER_STATE_CHANGE` means, asked of WeChat Pay: the
 * contract's state (`CONTRACTED`, `TERMINATED`, …) by `contract_id` when the
 * notification has one (查询签约, `Contracts.getContract` with its `appid`),
 * else the face user's (`FaceUsers.getFaceUser` by organization and
 * `out_user_id`); `Option.none()` when WeChat Pay's answer has no state.
 *
 * @example
 * ```ts
 * import { Effect, Option } from "effect"
 * import { Notification } from "@effect-wechatpay/core"
 *
 * const onChange = (change: Notification.UserStateChange) =>
 *   Notification.contractState(change).pipe(
 *     Effect.flatMap((state) =>
 *       Option.contains(state, "TERMINATED") ? Effect.log(`disable ${change.outUserId}`) : Effect.void
 *     )
 *   )
 * ```
 *
 * @since 0.2.0
 * @category Lookups
 */
export const contractState = (
  change: UserStateChange
): Effect.Effect<
  Option.Option<Contracts.ContractState>,
  WechatPayInvalidInputError | WechatPayRequestError,
  WechatPayClient
> =>
  change.contractId !== undefined
    ? Effect.map(
      Contracts.getContract({ contractId: change.contractId, appid: change.appid }),
      (contract) => Option.some(contract.contractState)
    )
    : Effect.map(
      FaceUsers.getFaceUser({ organizationId: change.organizationId, outUserId: change.outUserId }),
      (user) => Option.fromNullable(user.contractState)
    )
