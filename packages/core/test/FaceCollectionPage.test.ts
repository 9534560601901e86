/**
 * The page decoder's fast path against the Schema it stands for: on every
 * input, either the fast path declines (and the Schema decides), or both
 * accept and produce the same items.
 */
import { FaceCollection } from "@effect-wechatpay/core"
import { describe, expect, it } from "@effect/vitest"
import { Either, FastCheck as fc, Schema } from "effect"
import { decodePageFast } from "../src/offlineface/FaceCollection.js"

const Reference = Schema.Struct({ face_collections: Schema.Array(FaceCollection.FaceCollection) })
const reference = Schema.decodeUnknownEither(Reference)
const encode = Schema.encodeSync(Reference)

const time = fc.oneof(
  fc.constantFrom(
    "2024-03-01T10:00:00+08:00",
    "2024-02-29T23:59:59+08:00",
    "2023-02-29T10:00:00+08:00",
    "2024-13-01T10:00:00+08:00",
    "2024-03-01T24:00:00+08:00",
    "2024-03-01T10:00:00.5Z",
    "2024-03-01T10:00:00.123456789-05:30",
    "2024-03-01 10:00:00",
    ""
  ),
  fc.date({ min: new Date("1971-01-01"), max: new Date("2099-01-01"), noInvalidDate: true }).map((d) =>
    d.toISOString()
  ),
  fc.string()
)
const field = (valid: fc.Arbitrary<unknown>) =>
  fc.oneof({ weight: 8, arbitrary: valid }, { weight: 1, arbitrary: fc.anything() })
const item = fc.record(
  {
    collection_id: field(fc.string()),
    use_id: field(fc.string()),
    organization_id: field(fc.string()),
    collection_state: field(fc.constantFrom("COLLECTION_REQUIRED", "PHOTO_UPLOADED", "COMPLETE", "PHOTO_REVIEWING")),
    register_photo_upload_time: field(time),
    confirm_time: field(time),
    extra: fc.anything()
  },
  { requiredKeys: [] }
)
// Pages as WeChat Pay sends them: every required field a string, times valid RFC 3339 or absent.
const validTime = fc.date({ min: new Date("1971-01-01"), max: new Date("2099-01-01"), noInvalidDate: true }).map((d) =>
  d.toISOString()
)
const validItem = fc.record(
  {
    collection_id: fc.string(),
    use_id: fc.string(),
    organization_id: fc.string(),
    collection_state: fc.constantFrom("COLLECTION_REQUIRED", "PHOTO_UPLOADED", "COMPLETE", "PHOTO_REVIEWING"),
    register_photo_upload_time: validTime,
    confirm_time: validTime
  },
  { requiredKeys: ["collection_id", "use_id", "organization_id", "collection_state"] }
)
const validPage = fc.record({ face_collections: fc.array(validItem, { maxLength: 50 }) })
const page = fc.oneof(
  { weight: 8, arbitrary: fc.record({ face_collections: fc.array(field(item), { maxLength: 8 }) }) },
  { weight: 1, arbitrary: fc.anything() }
)

describe("FaceCollectionPage", () => {
  it("the fast path agrees with the Schema on every input", () => {
    fc.assert(
      fc.property(page, (input) => {
        const fast = decodePageFast(input)
        const slow = reference(input)
        if (fast !== undefined) {
          expect(Either.isRight(slow)).toBe(true)
          if (Either.isRight(slow)) expect(encode(fast)).toStrictEqual(encode(slow.right))
          if (Either.isRight(slow)) expect(fast).toStrictEqual(slow.right)
        }
      }),
      { numRuns: 5000 }
    )
  })

  it("the fast path takes every generated valid page (it is the hot path, not a rarity)", () => {
    fc.assert(
      fc.property(validPage, (input) => {
        expect(Either.isRight(reference(input))).toBe(true)
        expect(decodePageFast(input)).toBeDefined()
      }),
      { numRuns: 2000 }
    )
  })

  it("the fast path takes a hand-written valid page", () => {
    const valid = Schema.encodeSync(Reference)(Schema.decodeUnknownSync(Reference)({
      face_collections: [
        { collection_id: "a", use_id: "u", organization_id: "o", collection_state: "COMPLETE", confirm_time: "2024-03-01T10:00:00+08:00", register_photo_upload_time: "2024-03-01T09:00:00+08:00" },
        { collection_id: "b", use_id: "u", organization_id: "o", collection_state: "NEW_STATE" }
      ]
    }))
    expect(decodePageFast(valid)).toBeDefined()
  })

  it("declined inputs get the Schema's precise error", () => {
    const result = Schema.decodeUnknownEither(FaceCollection.FaceCollectionPage)({ face_collections: [{ collection_id: 1 }] })
    expect(Either.isLeft(result)).toBe(true)
    if (Either.isLeft(result)) expect(String(result.left)).toContain(`["collection_id"]`)
  })
})
