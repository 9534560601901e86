/**
 * A user whose face photo must be re-collected (重采), with domain names
 * outside and WeChat Pay's wire names inside; it encodes back to the exact
 * wire JSON.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { FaceCollection } from "@effect-wechatpay/core"
 *
 * const item = Schema.decodeUnknownSync(FaceCollection.FaceCollection)({
 *   collection_id: "FC1", use_id: "u1", organization_id: "1234567", collection_state: "COMPLETE",
 *   register_photo_upload_time: "2024-03-01T10:00:00+08:00", confirm_time: "2024-03-02T09:30:00+08:00"
 * })
 * item.userId // "u1"  (the wire's `use_id`)
 *
 * const describe = (state: FaceCollection.CollectionState): string => {
 *   switch (state) {
 *     case "COLLECTION_REQUIRED": return "waiting for a new photo"
 *     case "PHOTO_UPLOADED": return "photo uploaded"
 *     case "COMPLETE": return "done"
 *     default: return `unknown state ${state}` // a value WeChat Pay added later: must be handled
 *   }
 * }
 * ```
 *
 * @since 0.1.0
 */
import { DateTime, ParseResult, Schema } from "effect"

/**
 * The three documented states.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const KnownCollectionState = Schema.Literal("COLLECTION_REQUIRED", "PHOTO_UPLOADED", "COMPLETE")

/**
 * A state WeChat Pay added after this library was written, kept as sent. It is
 * branded, so an exhaustive `switch` over `CollectionState` cannot forget it
 * and a plain string cannot pass for it.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const UnknownCollectionState = Schema.String.pipe(Schema.brand("UnknownCollectionState"))

/**
 * @since 0.1.0
 * @category Schemas
 */
export const CollectionState = Schema.Union(KnownCollectionState, UnknownCollectionState)

/**
 * @since 0.1.0
 * @category Models
 */
export type CollectionState = typeof CollectionState.Type

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/

const pad = (n: number, width = 2) => String(n).padStart(width, "0")

/**
 * An RFC 3339 time as WeChat Pay writes it (`2024-03-01T10:00:00+08:00`),
 * decoded to a `DateTime.Zoned` that keeps the offset, and encoded back in the
 * same form: seconds, milliseconds only when non-zero, the `±HH:MM` offset.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const WechatPayTime = Schema.transformOrFail(Schema.String, Schema.DateTimeZonedFromSelf, {
  strict: true,
  decode: (text, _, ast) => {
    const match = RFC3339.exec(text)
    if (match === null) {
      return ParseResult.fail(new ParseResult.Type(ast, text, "expected an RFC 3339 time such as 2024-03-01T10:00:00+08:00"))
    }
    const [y, mo, d, h, mi, s] = match.slice(1, 7).map(Number) as [number, number, number, number, number, number]
    const fraction = match[7]
    const zone = match[8] ?? "Z"
    const offsetMinutes = zone === "Z"
      ? 0
      : (zone.startsWith("-") ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6)))
    const millis = fraction === undefined ? 0 : Math.floor(Number(`0${fraction}`) * 1000)
    const epoch = Date.UTC(y, mo - 1, d, h, mi, s, millis) -
      offsetMinutes * 60_000
    const local = new Date(epoch + offsetMinutes * 60_000)
    // Date.UTC rolls 2024-02-30 over to March: reject what does not round-trip.
    if (local.getUTCDate() !== d || local.getUTCMonth() !== mo - 1 || h > 23 || mi > 59 || s > 59) {
      return ParseResult.fail(new ParseResult.Type(ast, text, "not a valid calendar time"))
    }
    return ParseResult.succeed(DateTime.unsafeMakeZoned(epoch, { timeZone: DateTime.zoneMakeOffset(offsetMinutes * 60_000) }))
  },
  encode: (dateTime) => {
    const offset = DateTime.zonedOffset(dateTime)
    const local = new Date(DateTime.toEpochMillis(dateTime) + offset)
    const millis = local.getUTCMilliseconds()
    const sign = offset < 0 ? "-" : "+"
    const abs = Math.abs(offset) / 60_000
    return ParseResult.succeed(
      `${pad(local.getUTCFullYear(), 4)}-${pad(local.getUTCMonth() + 1)}-${pad(local.getUTCDate())}T${
        pad(local.getUTCHours())
      }:${pad(local.getUTCMinutes())}:${pad(local.getUTCSeconds())}${millis === 0 ? "" : `.${pad(millis, 3)}`}${sign}${
        pad(Math.floor(abs / 60))
      }:${pad(abs % 60)}`
    )
  }
})

/**
 * One user to re-collect.
 *
 * @since 0.1.0
 * @category Models
 */
export class FaceCollection extends Schema.Class<FaceCollection>("FaceCollection")({
  /** 重采ID (`collection_id`). */
  collectionId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("collection_id")),
  /** 用户ID: the wire calls it `use_id`. */
  userId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("use_id")),
  /** 机构ID (`organization_id`). */
  organizationId: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("organization_id")),
  /** 重采状态 (`collection_state`), unknown values kept. */
  state: Schema.propertySignature(CollectionState).pipe(Schema.fromKey("collection_state")),
  /** 注册照上传时间 (`register_photo_upload_time`). */
  registerPhotoUploadTime: Schema.optional(WechatPayTime).pipe(Schema.fromKey("register_photo_upload_time")),
  /** 支付用户确认时间 (`confirm_time`). */
  confirmTime: Schema.optional(WechatPayTime).pipe(Schema.fromKey("confirm_time"))
}) {
  /**
   * Whether `state` is one of the documented values.
   */
  get isKnownState(): boolean {
    return Schema.is(KnownCollectionState)(this.state)
  }
}

/**
 * The wire JSON of one item, exactly as WeChat Pay sends it.
 *
 * @since 0.1.0
 * @category Schemas
 */
export type Encoded = typeof FaceCollection.Encoded

/**
 * Encodes an item back to its wire JSON object.
 *
 * @since 0.1.0
 * @category Encoding
 */
export const toWire: (item: FaceCollection) => Encoded = Schema.encodeSync(FaceCollection)

/**
 * The page body of `GET /v3/offlineface/face-collections`.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const FaceCollectionPage = Schema.Struct({
  face_collections: Schema.Array(FaceCollection)
})
