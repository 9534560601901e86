/**
 * The sandbox's data: face re-collection items (`GET /v3/offlineface/face-collections`), generated lazily and
 * deterministically from `(seed, organization_id, index)`. Nothing is materialised: an organization with a million
 * items costs no memory, and the same options always yield the same items in the same order.
 *
 * Tests use {@link expectedItems} / {@link itemAt} to compare what a client listed with what the server holds.
 *
 * @since 0.1.0
 */
import { hashString, mix } from "./internal/prng.js"

/**
 * The wire JSON of one item, field names exactly as WeChat Pay sends them (including `use_id`).
 *
 * @since 0.1.0
 * @category Models
 */
export interface FaceCollectionWire {
  readonly collection_id: string
  readonly use_id: string
  readonly organization_id: string
  readonly collection_state: string
  readonly register_photo_upload_time?: string
  readonly confirm_time?: string
}

/**
 * The three documented `collection_state` values.
 *
 * @since 0.1.0
 * @category Models
 */
export type CollectionState = "COLLECTION_REQUIRED" | "PHOTO_UPLOADED" | "COMPLETE"

/**
 * The data options (a subset of the sandbox options).
 *
 * @since 0.1.0
 * @category Models
 */
export interface DataOptions {
  /** organization id → number of items. Default {@link defaultOrganizations}. */
  readonly organizations?: Readonly<Record<string, number>> | undefined
  /** Seed of the data generator (and of `rate=` faults). Default {@link defaultSeed}. */
  readonly seed?: number | undefined
}

/**
 * Default organizations: `"1234567"` with 250 items (12 full pages of 20 and a partial page of 10 at the
 * default limit) and `"7654321"` with none (an empty list).
 *
 * @since 0.1.0
 * @category Defaults
 */
export const defaultOrganizations: Readonly<Record<string, number>> = { "1234567": 250, "7654321": 0 }

/**
 * @since 0.1.0
 * @category Defaults
 */
export const defaultSeed = 1

/**
 * Width of the zero-padded index inside a collection id.
 *
 * @since 0.1.0
 * @category Defaults
 */
export const indexWidth = 10

const organizationsOf = (options: DataOptions): Readonly<Record<string, number>> =>
  options.organizations ?? defaultOrganizations

const seedOf = (options: DataOptions): number => options.seed ?? defaultSeed

/**
 * The number of items an organization holds, `undefined` if the organization does not exist.
 *
 * @since 0.1.0
 * @category Getters
 */
export const countOf = (options: DataOptions, organizationId: string): number | undefined => {
  const orgs = organizationsOf(options)
  if (!Object.prototype.hasOwnProperty.call(orgs, organizationId)) return undefined
  const n = orgs[organizationId]
  return n === undefined ? undefined : Math.max(0, Math.floor(n))
}

/**
 * `FC` + organization id + `-` + the index zero-padded to {@link indexWidth} digits,
 * e.g. `FC1234567-0000000042`.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const collectionId = (organizationId: string, index: number): string =>
  `FC${organizationId}-${String(index).padStart(indexWidth, "0")}`

/**
 * Decodes a collection id back to organization and index (syntax only: the caller checks the range).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const parseCollectionId = (
  id: string
): { readonly organizationId: string; readonly index: number } | undefined => {
  if (!id.startsWith("FC")) return undefined
  const dash = id.lastIndexOf("-")
  if (dash < 3) return undefined
  const digits = id.slice(dash + 1)
  if (digits.length !== indexWidth || !/^[0-9]+$/.test(digits)) return undefined
  return { organizationId: id.slice(2, dash), index: Number(digits) }
}

/** 2024-03-01T00:00:00+08:00 in Unix seconds. */
const baseEpochSeconds = 1709222400
const cstOffsetSeconds = 8 * 3600

/**
 * Formats Unix seconds as RFC 3339 in China Standard Time, e.g. `2024-03-01T10:00:00+08:00`.
 *
 * @since 0.1.0
 * @category Utils
 */
export const formatCst = (epochSeconds: number): string =>
  new Date((epochSeconds + cstOffsetSeconds) * 1000).toISOString().slice(0, 19) + "+08:00"

const useIdAlphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/**
 * The item at `index` (0-based) of an organization, or `undefined` when the organization does not exist or the
 * index is out of range. Pure and O(1).
 *
 * State mix: about 40% `COLLECTION_REQUIRED`, 30% `PHOTO_UPLOADED`, 30% `COMPLETE`.
 * `register_photo_upload_time` is present for `PHOTO_UPLOADED` and `COMPLETE`, `confirm_time` for `COMPLETE`;
 * times lie between 2024-03-01 and 2024-08-28 (+08:00), the confirmation 10 minutes to 3 days after the upload.
 *
 * @since 0.1.0
 * @category Getters
 */
export const itemAt = (options: DataOptions, organizationId: string, index: number): FaceCollectionWire | undefined => {
  const count = countOf(options, organizationId)
  if (count === undefined || !Number.isSafeInteger(index) || index < 0 || index >= count) return undefined
  return generate(seedOf(options), hashString(organizationId), organizationId, index)
}

const generate = (seed: number, orgHash: number, organizationId: string, index: number): FaceCollectionWire => {
  const h = mix(seed, orgHash, index)
  let useId = "U"
  for (let i = 0; i < 16; i++) useId += useIdAlphabet.charAt(mix(h, 100 + i) % 62)
  const r = h % 10
  const base = {
    collection_id: collectionId(organizationId, index),
    use_id: useId,
    organization_id: organizationId
  }
  if (r < 4) return { ...base, collection_state: "COLLECTION_REQUIRED" }
  const upload = baseEpochSeconds + (mix(h, 3) % (180 * 86400))
  if (r < 7) {
    return { ...base, collection_state: "PHOTO_UPLOADED", register_photo_upload_time: formatCst(upload) }
  }
  const confirm = upload + 600 + (mix(h, 4) % (3 * 86400))
  return {
    ...base,
    collection_state: "COMPLETE",
    register_photo_upload_time: formatCst(upload),
    confirm_time: formatCst(confirm)
  }
}

/**
 * The items `[offset, offset + limit)` of an organization, in order (clipped to the organization's size).
 * This is exactly what the sandbox answers to `offset=…&limit=…` (without a `cap` fault).
 *
 * @since 0.1.0
 * @category Getters
 */
export const slice = (
  options: DataOptions,
  organizationId: string,
  offset: number,
  limit: number
): Array<FaceCollectionWire> => {
  const count = countOf(options, organizationId) ?? 0
  const seed = seedOf(options)
  const orgHash = hashString(organizationId)
  const end = Math.min(count, offset + limit)
  const out: Array<FaceCollectionWire> = []
  for (let i = Math.max(0, offset); i < end; i++) out.push(generate(seed, orgHash, organizationId, i))
  return out
}

/**
 * Every item of an organization, in order, lazily.
 *
 * @since 0.1.0
 * @category Getters
 */
export const items = function*(options: DataOptions, organizationId: string): Generator<FaceCollectionWire> {
  const count = countOf(options, organizationId) ?? 0
  const seed = seedOf(options)
  const orgHash = hashString(organizationId)
  for (let i = 0; i < count; i++) yield generate(seed, orgHash, organizationId, i)
}

/**
 * Every item of an organization, in order, as an array (materialises: meant for tests on small organizations).
 * An unknown organization yields `[]`.
 *
 * @since 0.1.0
 * @category Getters
 */
export const expectedItems = (options: DataOptions, organizationId: string): Array<FaceCollectionWire> =>
  Array.from(items(options, organizationId))
