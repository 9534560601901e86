import { describe, expect, it } from "@effect/vitest"
import { FaceCollections } from "@effect-wechatpay/sandbox"

const rfc3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+08:00$/

describe("FaceCollections", () => {
  it("is deterministic per seed and differs between seeds", () => {
    const a = FaceCollections.expectedItems({}, "1234567")
    expect(a).toHaveLength(250)
    expect(FaceCollections.expectedItems({}, "1234567")).toEqual(a)
    expect(FaceCollections.expectedItems({ seed: 2 }, "1234567")).not.toEqual(a)
    expect(FaceCollections.expectedItems({}, "7654321")).toEqual([])
    expect(FaceCollections.expectedItems({}, "unknown")).toEqual([])
    expect(FaceCollections.slice({}, "1234567", 240, 20)).toEqual(a.slice(240))
  })

  it("items have the wire shape: times by state, RFC 3339 with +08:00, unique ids", () => {
    const items = FaceCollections.expectedItems({ organizations: { o: 2000 } }, "o")
    const states = new Map<string, number>()
    for (const [i, item] of items.entries()) {
      states.set(item.collection_state, (states.get(item.collection_state) ?? 0) + 1)
      expect(item.organization_id).toBe("o")
      expect(item.collection_id).toBe(FaceCollections.collectionId("o", i))
      expect(item.use_id).toMatch(/^U[0-9A-Za-z]{16}$/)
      const keys = Object.keys(item)
      switch (item.collection_state) {
        case "COLLECTION_REQUIRED":
          expect(keys).toEqual(["collection_id", "use_id", "organization_id", "collection_state"])
          break
        case "PHOTO_UPLOADED":
          expect(keys).toEqual(["collection_id", "use_id", "organization_id", "collection_state", "register_photo_upload_time"])
          expect(item.register_photo_upload_time).toMatch(rfc3339)
          break
        case "COMPLETE":
          expect(keys).toEqual([
            "collection_id",
            "use_id",
            "organization_id",
            "collection_state",
            "register_photo_upload_time",
            "confirm_time"
          ])
          expect(item.register_photo_upload_time).toMatch(rfc3339)
          expect(item.confirm_time).toMatch(rfc3339)
          expect(Date.parse(item.confirm_time ?? "")).toBeGreaterThan(Date.parse(item.register_photo_upload_time ?? ""))
          break
        default:
          throw new Error(`unexpected state ${item.collection_state}`)
      }
    }
    expect([...states.keys()].sort()).toEqual(["COLLECTION_REQUIRED", "COMPLETE", "PHOTO_UPLOADED"])
    for (const n of states.values()) expect(n).toBeGreaterThan(400)
    expect(new Set(items.map((i) => i.use_id)).size).toBe(2000)
  })

  it("collection ids decode back to organization and index", () => {
    expect(FaceCollections.collectionId("1234567", 42)).toBe("FC1234567-0000000042")
    expect(FaceCollections.parseCollectionId("FC1234567-0000000042")).toEqual({ organizationId: "1234567", index: 42 })
    expect(FaceCollections.parseCollectionId("FCa-b-0000000001")).toEqual({ organizationId: "a-b", index: 1 })
    expect(FaceCollections.parseCollectionId("FC1234567-42")).toBeUndefined()
    expect(FaceCollections.parseCollectionId("XX1234567-0000000042")).toBeUndefined()
    expect(FaceCollections.parseCollectionId("FC-0000000042")).toBeUndefined()
    expect(FaceCollections.itemAt({}, "1234567", 250)).toBeUndefined()
    expect(FaceCollections.itemAt({}, "1234567", -1)).toBeUndefined()
    expect(FaceCollections.itemAt({}, "1234567", 249)?.collection_id).toBe("FC1234567-0000000249")
    expect(FaceCollections.itemAt({ organizations: { huge: 10_000_000 } }, "huge", 9_999_999)?.collection_id).toBe(
      "FChuge-0009999999"
    )
  })

  it("formats China Standard Time", () => {
    expect(FaceCollections.formatCst(1709258400)).toBe("2024-03-01T10:00:00+08:00")
  })
})
