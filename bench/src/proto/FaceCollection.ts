/**
 * PROTOTYPE (bench only), PROTO(decode): a hand-written decoder for the page
 * body of `GET /v3/offlineface/face-collections` that yields exactly what
 * core's `FaceCollectionPage` schema yields (the same `FaceCollection` class
 * instances, the same `DateTime.Zoned` values) for the form WeChat Pay sends,
 * and gives up (`undefined`) on anything else, so that the schema decides and
 * reports. It is registered against core's schema object: the client tries it
 * first and falls back to `Schema.decodeUnknownEither(schema)`.
 *
 * The checks mirror the schema's: an object with a `face_collections` array;
 * each item an object whose four string fields are strings and whose two time
 * fields are absent or RFC 3339 strings (`YYYY-MM-DDTHH:MM:SS` + `Z` or
 * `±HH:MM`; fractions and anything unusual are left to the schema) that pass
 * the schema's calendar round-trip check. Unknown `collection_state` values
 * are kept, as the schema's branded union keeps them; excess keys are dropped,
 * as the schema drops them.
 */
import * as Model from "@effect-wechatpay/core/offlineface/FaceCollection"
import { DateTime, type Schema } from "effect"

type FaceCollection = Model.FaceCollection
const { FaceCollection, FaceCollectionPage } = Model

// --- the registry the prototype client consults ------------------------------------------------------

type Fast<A> = (input: unknown) => A | undefined
const registry = new WeakMap<object, Fast<unknown>>()

/** Registers a fast decoder for `schema`; it must return what the schema would, or `undefined`. */
export const registerFastDecoder = <A, I>(schema: Schema.Schema<A, I, never>, decode: Fast<A>): void => {
  registry.set(schema, decode)
}

/** The fast decoder registered for `schema`, if any. */
export const fastDecoderOf = <A, I>(schema: Schema.Schema<A, I, never>): Fast<A> | undefined =>
  registry.get(schema) as Fast<A> | undefined

// --- RFC 3339, the common forms only ----------------------------------------------------------------

const zones = new Map<number, DateTime.TimeZone.Offset>()
const zoneOf = (offsetMillis: number): DateTime.TimeZone.Offset => {
  let zone = zones.get(offsetMillis)
  if (zone === undefined) {
    zone = DateTime.zoneMakeOffset(offsetMillis)
    zones.set(offsetMillis, zone)
  }
  return zone
}

const digit = (text: string, i: number): number => {
  const d = text.charCodeAt(i) - 48
  return d >= 0 && d <= 9 ? d : -1
}
const two = (text: string, i: number): number => {
  const a = digit(text, i)
  const b = digit(text, i + 1)
  return a < 0 || b < 0 ? -1 : a * 10 + b
}

/** `YYYY-MM-DDTHH:MM:SSZ` or `…±HH:MM`, validated as the schema validates; `undefined` otherwise. */
export const parseTime = (text: string): DateTime.Zoned | undefined => {
  const length = text.length
  if (length !== 20 && length !== 25) return undefined
  if (text.charCodeAt(4) !== 45 || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84) return undefined // - - T
  if (text.charCodeAt(13) !== 58 || text.charCodeAt(16) !== 58) return undefined // : :
  const hi = two(text, 0)
  const lo = two(text, 2)
  const mo = two(text, 5)
  const d = two(text, 8)
  const h = two(text, 11)
  const mi = two(text, 14)
  const s = two(text, 17)
  if (hi < 0 || lo < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || s < 0) return undefined
  let offsetMinutes: number
  const sign = text.charCodeAt(19)
  if (length === 20) {
    if (sign !== 90) return undefined // Z
    offsetMinutes = 0
  } else {
    if ((sign !== 43 && sign !== 45) || text.charCodeAt(22) !== 58) return undefined // + - :
    const oh = two(text, 20)
    const om = two(text, 23)
    if (oh < 0 || om < 0) return undefined
    offsetMinutes = (sign === 45 ? -1 : 1) * (oh * 60 + om)
  }
  const y = hi * 100 + lo
  // The schema's own arithmetic and calendar check, unchanged.
  const epoch = Date.UTC(y, mo - 1, d, h, mi, s, 0) - offsetMinutes * 60_000
  const local = new Date(epoch + offsetMinutes * 60_000)
  if (local.getUTCDate() !== d || local.getUTCMonth() !== mo - 1 || h > 23 || mi > 59 || s > 59) return undefined
  return DateTime.unsafeMakeZoned(epoch, { timeZone: zoneOf(offsetMinutes * 60_000) })
}

// --- items and pages ---------------------------------------------------------------------------------

const decodeItem = (input: unknown): FaceCollection | undefined => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined
  const wire = input as { readonly [key: string]: unknown }
  const collectionId = wire["collection_id"]
  const userId = wire["use_id"]
  const organizationId = wire["organization_id"]
  const state = wire["collection_state"]
  if (
    typeof collectionId !== "string" || typeof userId !== "string" || typeof organizationId !== "string" ||
    typeof state !== "string"
  ) return undefined
  const upload = wire["register_photo_upload_time"]
  const confirm = wire["confirm_time"]
  let registerPhotoUploadTime: DateTime.Zoned | undefined
  let confirmTime: DateTime.Zoned | undefined
  if (upload !== undefined || "register_photo_upload_time" in wire) {
    if (typeof upload !== "string" || (registerPhotoUploadTime = parseTime(upload)) === undefined) return undefined
  }
  if (confirm !== undefined || "confirm_time" in wire) {
    if (typeof confirm !== "string" || (confirmTime = parseTime(confirm)) === undefined) return undefined
  }
  // Known states are literals; any other string is the schema's branded `UnknownCollectionState`.
  const props = {
    collectionId,
    userId,
    organizationId,
    state: state as Model.CollectionState,
    ...(registerPhotoUploadTime === undefined ? {} : { registerPhotoUploadTime }),
    ...(confirmTime === undefined ? {} : { confirmTime })
  }
  // Validated above: the constructor's own validation would only repeat it.
  return new FaceCollection(props, true)
}

/** What `FaceCollectionPage` decodes to. */
export type Page = typeof FaceCollectionPage.Type

/** The whole page, or `undefined` as soon as one item needs the schema. */
export const decodePageFast = (input: unknown): Page | undefined => {
  if (typeof input !== "object" || input === null || Array.isArray(input)) return undefined
  const items: unknown = (input as { readonly face_collections?: unknown }).face_collections
  if (!Array.isArray(items)) return undefined
  const out: Array<FaceCollection> = new Array(items.length)
  for (let i = 0; i < items.length; i++) {
    const item = decodeItem(items[i])
    if (item === undefined) return undefined
    out[i] = item
  }
  return { face_collections: out }
}

registerFastDecoder(FaceCollectionPage, decodePageFast)
