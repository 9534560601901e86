/**
 * The prototype's fast page decoder against core's schema: on every item of a
 * 100 000-item organization and on edge cases, it must either return exactly
 * what the schema returns (`Equal.equals` on every item, the same wire JSON
 * when encoded back) or give up (`undefined`) — never accept what the schema
 * rejects. `run.ts` runs this before any measurement; alone:
 * `node bench/dist/proto/check.js`.
 */
import { FaceCollection } from "@effect-wechatpay/core"
import { FaceCollections } from "@effect-wechatpay/sandbox"
import { Either, Equal, Schema } from "effect"
import { decodePageFast } from "./FaceCollection.js"

const decode = Schema.decodeUnknownEither(FaceCollection.FaceCollectionPage)

export const checkFastDecoder = (): { readonly items: number; readonly cases: number } => {
  const fail = (what: string): never => {
    throw new Error(`prototype decoder differs from core's schema: ${what}`)
  }
  const same = (input: unknown, label: string) => {
    const slow = decode(input)
    const fast = decodePageFast(input)
    if (fast === undefined) return Either.isRight(slow) ? "fallback" : "rejected"
    if (Either.isLeft(slow)) fail(`${label}: accepted what the schema rejects`)
    const expected = Either.getOrThrow(slow).face_collections
    if (fast.face_collections.length !== expected.length) fail(`${label}: item count`)
    for (let i = 0; i < expected.length; i++) {
      const a = fast.face_collections[i]!
      const b = expected[i]!
      if (!(a instanceof FaceCollection.FaceCollection) || !Equal.equals(a, b)) fail(`${label}: item ${i}`)
      if (JSON.stringify(FaceCollection.toWire(a)) !== JSON.stringify(FaceCollection.toWire(b))) fail(`${label}: item ${i} wire`)
      if (Object.keys(a).join() !== Object.keys(b).join()) fail(`${label}: item ${i} keys`)
    }
    return "same"
  }

  const organizations = { big: 100_000 }
  let items = 0
  for (let offset = 0; offset < 100_000; offset += 200) {
    const page = { face_collections: FaceCollections.slice({ organizations }, "big", offset, 200) }
    if (same(JSON.parse(JSON.stringify(page)), `page at ${offset}`) !== "same") fail(`page at ${offset}: fell back`)
    items += page.face_collections.length
  }

  const base = { collection_id: "FC1", use_id: "u1", organization_id: "1234567", collection_state: "COMPLETE" }
  const cases: ReadonlyArray<readonly [unknown, "same" | "fallback" | "rejected"]> = [
    [{ face_collections: [] }, "same"],
    [{ face_collections: [base], extra: 1 }, "same"],
    [{ face_collections: [{ ...base, extra: true }] }, "same"],
    [{ face_collections: [{ ...base, collection_state: "PHOTO_REVIEWING" }] }, "same"],
    [{ face_collections: [{ ...base, register_photo_upload_time: "2024-03-01T10:00:00+08:00" }] }, "same"],
    [{ face_collections: [{ ...base, register_photo_upload_time: "2024-03-01T10:00:00Z" }] }, "same"],
    [{ face_collections: [{ ...base, confirm_time: "2024-12-31T23:59:59-05:30" }] }, "same"],
    [{ face_collections: [{ ...base, confirm_time: "2024-02-29T00:00:00+08:00" }] }, "same"],
    [{ face_collections: [{ ...base, confirm_time: "2024-03-01T10:00:00.123+08:00" }] }, "fallback"],
    [{ face_collections: [{ ...base, confirm_time: "2023-02-29T00:00:00+08:00" }] }, "rejected"],
    [{ face_collections: [{ ...base, confirm_time: "2024-13-01T00:00:00+08:00" }] }, "rejected"],
    [{ face_collections: [{ ...base, confirm_time: "2024-01-01T24:00:00+08:00" }] }, "rejected"],
    [{ face_collections: [{ ...base, confirm_time: "2024-01-01 10:00:00+08:00" }] }, "rejected"],
    [{ face_collections: [{ ...base, confirm_time: "2024-01-01T10:00:00+0800" }] }, "rejected"],
    [{ face_collections: [{ ...base, confirm_time: null }] }, "rejected"],
    [{ face_collections: [{ ...base, use_id: 7 }] }, "rejected"],
    [{ face_collections: [{ ...base, collection_id: undefined }] }, "rejected"],
    [{ face_collections: [null] }, "rejected"],
    [{ face_collections: {} }, "rejected"],
    [{}, "rejected"],
    [[], "rejected"],
    [null, "rejected"]
  ]
  for (const [input, want] of cases) {
    const got = same(input, JSON.stringify(input))
    if (got !== want) fail(`${JSON.stringify(input)}: ${got}, expected ${want}`)
  }
  return { items, cases: cases.length }
}

if (process.argv[1] === new URL(import.meta.url).pathname) {
  const { cases, items } = checkFastDecoder()
  console.log(`prototype decoder = core's schema on ${items} items and ${cases} edge cases`)
}
