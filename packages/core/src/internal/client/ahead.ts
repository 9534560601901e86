/**
 * Signatures made ahead: a request expected soon (a listing's next page) is
 * signed while the current one is in flight, in the time the client would
 * otherwise spend waiting for the server, and its first attempt takes that
 * signature instead of signing then. An RSA signature is most of a page's
 * client work (bench/PROFILE.md).
 *
 * What keeps it correct:
 * - an entry is keyed by the exact method, URL and body it signs, and is used
 *   once, by the first attempt of that request only (a retry signs afresh);
 * - it is used only within `FRESH_MILLIS` of its timestamp, read at the
 *   clock of the fiber that executes the request: a stale one, or one made
 *   under another clock, is dropped and the request signed as usual;
 * - the signature is computed in a `setImmediate` callback (a zero timer where
 *   there is none): after the current request's bytes have left (Node writes
 *   them on a `nextTick`, which runs before any immediate), never ahead of
 *   them; with the signer's `signSync` when it has one (no fiber per page);
 * - only at concurrency 1 (`Paging.offset`'s `ahead`): ahead of a prefetch
 *   window an entry would live a whole round trip of pages;
 * - requests with headers of their own are not signed ahead;
 * - the entries are bounded (`MAX_ENTRIES`, the oldest dropped first): a
 *   listing's last hint, past its end, is never used and costs only its
 *   signature.
 *
 * A hint sends nothing.
 *
 * @internal
 */
import { Clock, Effect, Exit } from "effect"
import * as Protocol from "../protocol.js"
import type { Prepared } from "./prepared.js"
import { headersOf, type SignEnv } from "./sign.js"

/** A signature made ahead is used within this long of its timestamp (WeChat Pay accepts five minutes). */
export const FRESH_MILLIS = 10_000
/** Requests signed ahead and not yet sent, at most. */
export const MAX_ENTRIES = 64

interface Entry {
  readonly key: string
  readonly at: number
  readonly timestamp: number
  readonly nonce: string
  readonly serial: string | undefined
  /** What to sign, until signed. */
  message: string | undefined
  signature: string | undefined
}

export interface Ahead {
  /** Signs `request` ahead, once the current tick's requests have left. */
  readonly hint: (request: Prepared) => Effect.Effect<void>
  /** The headers signed ahead for `request`, once, if fresh at `now`; else `undefined`. */
  readonly take: (request: Prepared, now: number) => Record<string, string> | undefined
}

// After the current tick's I/O: `setImmediate` where the platform has it (Node, Bun), else a zero timer.
type Later = (f: (entry: Entry) => void, entry: Entry) => unknown
const immediate = (globalThis as { readonly setImmediate?: Later }).setImmediate
const later: Later = immediate ?? ((f, entry) => setTimeout(f, 0, entry))

const keyOf = (request: Prepared): string => `${request.method} ${request.href}\n${request.body ?? ""}`

export const make = (env: SignEnv): Ahead => {
  const entries = new Map<string, Entry>()
  const signSync = env.signer.signSync

  // Memory: one listing makes one entry per page. The callbacks are built once, here, and reach the entry
  // only as an argument: no closure per page that V8 could keep past its page (internal/exchangeAttempt.ts).
  const drop = (entry: Entry): void => {
    if (entries.get(entry.key) === entry) entries.delete(entry.key)
  }
  const signNow = (entry: Entry): void => {
    const message = entry.message
    entry.message = undefined
    // Taken (and signed when sent) or dropped meanwhile: nothing to do.
    if (message === undefined || entries.get(entry.key) !== entry) return
    if (signSync !== undefined) {
      try {
        entry.signature = signSync(message)
      } catch {
        drop(entry)
      }
      return
    }
    // A signer without a synchronous path (WebCrypto, a remote key): `sign` in a fiber of its own.
    Effect.runCallback(env.signer.sign(message), {
      onExit: (exit) => {
        if (Exit.isSuccess(exit)) entry.signature = exit.value
        else drop(entry)
      }
    })
  }

  const hint = (request: Prepared): Effect.Effect<void> =>
    request.headers !== undefined ? Effect.void : Effect.map(Clock.currentTimeMillis, (now) => {
      const key = keyOf(request)
      if (entries.has(key)) return
      while (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!)
      const timestamp = Math.floor(now / 1000)
      const nonce = Protocol.nonce()
      const entry: Entry = {
        key,
        at: now,
        timestamp,
        nonce,
        serial: typeof env.acceptSerial === "string" ? env.acceptSerial : env.acceptSerial(now),
        message: Protocol.requestMessage(request.method, request.canonicalUrl, timestamp, nonce, request.body ?? ""),
        signature: undefined
      }
      entries.set(key, entry)
      later(signNow, entry)
    })

  const take = (request: Prepared, now: number): Record<string, string> | undefined => {
    if (entries.size === 0) return undefined
    const key = keyOf(request)
    const entry = entries.get(key)
    if (entry === undefined) return undefined
    entries.delete(key)
    entry.message = undefined
    const signature = entry.signature
    if (signature === undefined || now < entry.at || now - entry.at > FRESH_MILLIS) return undefined
    return headersOf(env, request, entry.timestamp, entry.nonce, entry.serial, signature)
  }

  return { hint, take }
}
