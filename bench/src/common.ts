/**
 * What the orchestrator, the sandbox process and the contender processes share:
 * the messages they exchange, the checksum every contender computes over the
 * collection ids it listed, and the memory probe.
 */
import * as Crypto from "node:crypto"
import * as V8 from "node:v8"

/** What a client needs to reach the sandbox (plain data, sent over IPC). */
export interface SandboxInfo {
  readonly url: string
  readonly mchid: string
  readonly merchantSerial: string
  readonly merchantPrivateKeyPem: string
  /** The merchant's public key (the sandbox issues no merchant certificate). */
  readonly merchantPublicKeyPem: string
  readonly platformCertificatePem: string
  readonly platformCertificateSerial: string
  readonly wechatpayPublicKeyId: string
  readonly wechatpayPublicKeyPem: string
}

export const contenderNames = [
  "floor",
  "floor-http",
  "floor-http-ahead",
  "effect-node",
  "effect-webcrypto",
  "axios-plugin",
  "node-v3"
] as const

export type ContenderName = (typeof contenderNames)[number]

export const contenderLabels: Record<ContenderName, string> = {
  floor: "floor: fetch + node:crypto",
  "floor-http": "floor: node:http (keep-alive Agent) + node:crypto",
  "floor-http-ahead": "node:http floor, next page signed during the wait",
  "effect-node": "effect-wechatpay, node layer",
  "effect-webcrypto": "effect-wechatpay, WebCrypto signer/verifier",
  "axios-plugin": "wechatpay-axios-plugin 0.9",
  "node-v3": "wechatpay-node-v3 2.2"
}

/** One listing, run in a fresh child process. */
export interface Task {
  readonly contender: ContenderName
  readonly sandbox: SandboxInfo
  readonly organizationId: string
  readonly limit: number
  /** Library contenders only: `allCollections(…, { concurrency })`. */
  readonly concurrency?: number | undefined
  /** Library contenders only: `WechatPayClient` option `requestsPerSecond`. */
  readonly requestsPerSecond?: number | undefined
}

export interface Outcome {
  readonly items: number
  readonly checksum: number
  /** The listing alone (setup excluded). */
  readonly wallMs: number
  /** User + system CPU of the contender process during the listing. */
  readonly cpuMs: number
  /** Setup: key parsing, layer / instance construction. */
  readonly setupMs: number
  /** `process.resourceUsage().maxRSS`: the process's peak resident set, MiB. */
  readonly peakRssMb: number
  /** Largest `used_heap_size` sampled every 2 ms during the listing, MiB. */
  readonly peakHeapMb: number
  /** `used_heap_size` after a full GC right after the listing (client still alive), MiB: what is really kept. */
  readonly retainedHeapMb: number
}

export type ContenderMessage =
  | { readonly _tag: "Done"; readonly outcome: Outcome }
  | { readonly _tag: "Failed"; readonly error: string }

/** Orchestrator → sandbox process. */
export type SandboxCommand =
  | { readonly _tag: "SetFaults"; readonly spec: string; readonly id: number }
  | { readonly _tag: "Stats"; readonly id: number }
  | { readonly _tag: "Stop" }

export interface SandboxStats {
  readonly requests: number
  /** Responses by status ("reset" / "interrupted" too), since the last `SetFaults`. */
  readonly byStatus: Readonly<Record<string, number>>
}

/** Sandbox process → orchestrator. */
export type SandboxReply =
  | { readonly _tag: "Ready"; readonly info: SandboxInfo }
  | { readonly _tag: "FaultsSet"; readonly id: number }
  | { readonly _tag: "Stats"; readonly id: number; readonly stats: SandboxStats }

/** The organizations the bench's sandbox holds (lazily generated: a million items cost no memory). */
export const organizations = {
  "org-2k": 2_000,
  "org-10k": 10_000,
  "org-100k": 100_000,
  "org-1m": 1_000_000
} as const

export type OrganizationId = keyof typeof organizations

export const FNV_OFFSET = 0x811c9dc5

/**
 * Order-sensitive FNV-1a (32 bit) over every collection id followed by `\n`.
 * A contender that skips, repeats or reorders an item gets another value.
 */
export const checksumStep = (hash: number, id: string): number => {
  let h = hash
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= 10
  return Math.imul(h, 0x01000193) >>> 0
}

/** Samples the V8 heap every 2 ms (a timer that does not keep the process alive). */
export const heapProbe = () => {
  let peak = V8.getHeapStatistics().used_heap_size
  const sample = () => {
    const used = V8.getHeapStatistics().used_heap_size
    if (used > peak) peak = used
  }
  const timer = setInterval(sample, 2)
  timer.unref()
  return {
    stop: (): number => {
      sample()
      clearInterval(timer)
      return peak
    }
  }
}

export const MiB = 1024 * 1024

/** Items of a wire page as any contender sees them after `JSON.parse`. */
export interface WireItem {
  readonly collection_id: string
}

/** Checks the shape a contender relies on (not a schema: the floor does no more). */
export const wireItems = (page: unknown): ReadonlyArray<WireItem> => {
  if (typeof page === "object" && page !== null && "face_collections" in page) {
    const items: unknown = page.face_collections
    if (Array.isArray(items)) {
      for (const item of items) {
        if (typeof item !== "object" || item === null || typeof (item as { collection_id?: unknown }).collection_id !== "string") {
          throw new Error("an item without a string collection_id")
        }
      }
      return items as ReadonlyArray<WireItem>
    }
  }
  throw new Error("not a face_collections page")
}

export const LIST_PATH = "/v3/offlineface/face-collections"

/**
 * The offset loop every hand-written contender runs: fetch a page at the
 * current offset, fold its ids into the checksum, advance by the items
 * received, stop on the first empty page.
 */
export const offsetLoop = (page: (offset: number) => Promise<ReadonlyArray<WireItem>>) => async () => {
  let offset = 0
  let checksum = FNV_OFFSET
  for (;;) {
    const items = await page(offset)
    if (items.length === 0) break
    for (const item of items) checksum = checksumStep(checksum, item.collection_id)
    offset += items.length
  }
  return { items: offset, checksum }
}

const NONCE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/** A request nonce as the floors send it: 32 random alphanumerics. */
export const nonce = (): string => {
  let out = ""
  for (const byte of Crypto.randomBytes(32)) out += NONCE_ALPHABET[byte % 62]
  return out
}
