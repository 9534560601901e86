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
import { type DateTime, ParseResult, Schema } from "effect"
import { parseTime } from "../internal/time.js"
import * as WechatPaySchema from "../WechatPaySchema.js"

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

/**
 * WeChat Pay's RFC 3339 time (`WechatPaySchema.Time`), under the name this
 * module has always exported.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const WechatPayTime = WechatPaySchema.Time

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

const PageSchema = Schema.Struct({
  face_collections: Schema.Array(FaceCollection)
})

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * The hot path of a listing: decodes a page as `PageSchema` would, without its
 * generic machinery (measured: ~5× faster on a 50-item page). Any input it is
 * not sure of yields `undefined`, and the Schema decodes it instead, with its
 * precise error; a property test checks the two agree on every input.
 *
 * @internal
 */
export const decodePageFast = (input: unknown): typeof PageSchema.Type | undefined => {
  if (!isRecord(input)) return undefined
  const raw = input["face_collections"]
  if (!Array.isArray(raw)) return undefined
  const items = new Array<FaceCollection>(raw.length)
  for (let i = 0; i < raw.length; i++) {
    const item: unknown = raw[i]
    if (!isRecord(item)) return undefined
    const collectionId = item["collection_id"]
    const userId = item["use_id"]
    const organizationId = item["organization_id"]
    const state = item["collection_state"]
    if (
      typeof collectionId !== "string" || typeof userId !== "string" || typeof organizationId !== "string" ||
      typeof state !== "string"
    ) return undefined
    const props: {
      collectionId: string
      userId: string
      organizationId: string
      state: CollectionState
      registerPhotoUploadTime?: DateTime.Zoned
      confirmTime?: DateTime.Zoned
    } = { collectionId, userId, organizationId, state: state as CollectionState }
    if ("register_photo_upload_time" in item) {
      const text = item["register_photo_upload_time"]
      const time = typeof text === "string" ? parseTime(text) : undefined
      if (time === undefined) return undefined
      props.registerPhotoUploadTime = time
    }
    if ("confirm_time" in item) {
      const text = item["confirm_time"]
      const time = typeof text === "string" ? parseTime(text) : undefined
      if (time === undefined) return undefined
      props.confirmTime = time
    }
    // Validated above, field by field, exactly as the class's schema would; the
    // instance is built as the class's own constructor builds it (its prototype,
    // the fields assigned), without the per-instance defaults merge it does for
    // fields that have defaults (these have none).
    items[i] = Object.assign(Object.create(FaceCollection.prototype) as FaceCollection, props)
  }
  return { face_collections: items }
}

/**
 * The page body of `GET /v3/offlineface/face-collections`: the same contract
 * as `Schema.Struct({ face_collections: Schema.Array(FaceCollection) })`, with
 * a fast path for the common, valid page.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const FaceCollectionPage: Schema.Schema<typeof PageSchema.Type, typeof PageSchema.Encoded> = Schema.declare(
  [PageSchema],
  {
    decode: (page) => (input, options) => {
      const fast = decodePageFast(input)
      return fast === undefined ? ParseResult.decodeUnknown(page)(input, options) : ParseResult.succeed(fast)
    },
    encode: (page) => (input, options) => ParseResult.encodeUnknown(page)(input, options)
  },
  { identifier: "FaceCollectionPage" }
)
