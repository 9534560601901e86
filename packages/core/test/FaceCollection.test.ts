import { FaceCollection } from "@effect-wechatpay/core"
import { describe, expect, expectTypeOf, it } from "@effect/vitest"
import { DateTime, Either, Schema } from "effect"

const wire = {
  collection_id: "FC2353ZJIHOJKHOIIOIJ",
  use_id: "u-0001",
  organization_id: "1234567",
  collection_state: "COMPLETE",
  register_photo_upload_time: "2024-03-01T10:00:00+08:00",
  confirm_time: "2024-03-02T09:30:05.250+08:00"
}

const decode = Schema.decodeUnknownEither(FaceCollection.FaceCollection)

describe("FaceCollection", () => {
  it("decodes wire names to domain names and times to zoned DateTimes", () => {
    const item = Either.getOrThrow(decode(wire))
    expect(item.collectionId).toBe("FC2353ZJIHOJKHOIIOIJ")
    expect(item.userId).toBe("u-0001")
    expect(item.organizationId).toBe("1234567")
    expect(item.state).toBe("COMPLETE")
    expect(item.isKnownState).toBe(true)
    expect(item.registerPhotoUploadTime && DateTime.toEpochMillis(item.registerPhotoUploadTime)).toBe(
      Date.parse("2024-03-01T02:00:00Z")
    )
    expect(item.registerPhotoUploadTime && DateTime.zonedOffsetIso(item.registerPhotoUploadTime)).toBe("+08:00")
  })

  it("encodes back to the exact wire JSON", () => {
    const item = Either.getOrThrow(decode(wire))
    expect(JSON.stringify(FaceCollection.toWire(item))).toBe(JSON.stringify(wire))
    const minimal = { collection_id: "c", use_id: "u", organization_id: "o", collection_state: "COLLECTION_REQUIRED" }
    expect(FaceCollection.toWire(Either.getOrThrow(decode(minimal)))).toStrictEqual(minimal)
    const negative = { ...minimal, confirm_time: "2024-12-31T23:59:59-05:30" }
    expect(FaceCollection.toWire(Either.getOrThrow(decode(negative)))).toStrictEqual(negative)
  })

  it("keeps a state WeChat Pay added later, raw", () => {
    const item = Either.getOrThrow(decode({ ...wire, collection_state: "PHOTO_REVIEWING" }))
    expect(item.state).toBe("PHOTO_REVIEWING")
    expect(item.isKnownState).toBe(false)
    expect(FaceCollection.toWire(item).collection_state).toBe("PHOTO_REVIEWING")
  })

  it("types the unknown state so that an exhaustive switch must handle it", () => {
    type Rest = Exclude<FaceCollection.CollectionState, "COLLECTION_REQUIRED" | "PHOTO_UPLOADED" | "COMPLETE">
    expectTypeOf<Rest>().not.toBeNever()
    // ...and a plain string cannot pass for it.
    expectTypeOf<string>().not.toMatchTypeOf<Rest>()
  })

  it("rejects malformed items with the field that is wrong", () => {
    const cases: ReadonlyArray<readonly [Record<string, unknown>, string]> = [
      [{ ...wire, use_id: undefined }, "use_id"],
      [{ ...wire, collection_state: 3 }, "collection_state"],
      [{ ...wire, confirm_time: "yesterday" }, "confirm_time"],
      [{ ...wire, confirm_time: "2024-02-30T10:00:00+08:00" }, "confirm_time"],
      [{ ...wire, register_photo_upload_time: "2024-03-01 10:00:00" }, "register_photo_upload_time"]
    ]
    for (const [input, field] of cases) {
      const result = decode(input)
      expect(Either.isLeft(result)).toBe(true)
      if (Either.isLeft(result)) expect(String(result.left)).toContain(field)
    }
  })
})
