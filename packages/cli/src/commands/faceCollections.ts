/**
 * `face-collections list` and `face-collections get`: the offline-face
 * collections of `@effect-wechatpay/core`'s `FaceCollections`, with the client
 * from `WECHATPAY_*` configuration. Here: the commands, their options and
 * `--limit`'s check; what they run is in `faceCollections.run.ts`.
 *
 * @internal
 */
// WechatPayError is loaded at start-up anyway (Failure.ts reports with it); nothing else of core is.
import { WechatPayError } from "@effect-wechatpay/core"
import { Args, Command, Options } from "@effect/cli"
import { Effect, Option } from "effect"
import type * as Failure from "../Failure.js"
import * as Shared from "./shared.js"

// What the commands run, loaded when one runs: `--help` loads no client.
const run = () => import("./faceCollections.run.js")

/** The range of `--limit`. */
export const LIMIT_RANGE = { min: 1, max: 1000 } as const

/**
 * `--limit N`: a plain decimal integer from 1 to 1000 (not `0x10`, `1e3` or
 * `20.0`, which a number parser would take), else a `UsageError` naming the flag.
 */
export const parseLimit = (text: Option.Option<string>): Effect.Effect<Option.Option<number>, Failure.UsageError> => {
  if (Option.isNone(text)) return Effect.succeed(Option.none())
  const value = text.value.trim()
  const n = /^\d{1,4}$/.test(value) ? Number(value) : Number.NaN
  return n >= LIMIT_RANGE.min && n <= LIMIT_RANGE.max
    ? Effect.succeed(Option.some(n))
    : Effect.fail(Shared.usage(
      `--limit must be a whole number from ${LIMIT_RANGE.min} to ${LIMIT_RANGE.max}, written in decimal digits, ` +
        `got "${WechatPayError.printable(text.value, 20)}"`
    ))
}

// --- list ---------------------------------------------------------------------------------

const organizationId = Shared.organizationId("The organization (school) whose collections to list, e.g. 1234567.")

const list = Command.make("list", {
  organizationId,
  limit: Options.text("limit").pipe(
    Options.withPseudoName("N"),
    Options.withDescription(
      `Items asked for per request, ${LIMIT_RANGE.min} to ${LIMIT_RANGE.max} in decimal digits (default 20).`
    ),
    Options.optional
  ),
  format: Shared.format(
    "ndjson: one JSON object per line, WeChat Pay's field names, exactly as received (default); " +
      "csv: RFC 4180 with a header row, a cell starting with = + - @, tab or CR prefixed with ' " +
      "so that a spreadsheet does not run it as a formula; " +
      "table: aligned columns for people, control, escape and bidi characters shown as \\xNN / \\uNNNN.",
    "ndjson"
  ),
  concurrency: Options.integer("concurrency").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("Pages fetched ahead, 1 to 64 (default 1). Output order is kept."),
    Options.optional
  ),
  noDistinct: Options.boolean("no-distinct").pipe(
    Options.withDescription(
      "Keep an item met twice. By default an item whose collection_id was already printed is dropped " +
        "(offset paging over a list that changes meanwhile can repeat one)."
    )
  ),
  maxAttempts: Shared.maxAttempts
}, (args) => Effect.flatMap(parseLimit(args.limit), (limit) => Shared.lazy(run, (m) => m.list({ ...args, limit })))).pipe(
  Command.withDescription(
    "List every collection of an organization to stdout, page by page as they arrive. Reads WECHATPAY_* variables."
  )
)

// --- get ----------------------------------------------------------------------------------

const get = Command.make("get", {
  collectionId: Args.text({ name: "COLLECTION_ID" }).pipe(Args.withDescription("The collection id (重采ID).")),
  organizationId: organizationId.pipe(
    Options.withDescription(
      "Check that the collection belongs to this organization (the API looks it up by its id alone)."
    ),
    Options.optional
  ),
  maxAttempts: Shared.maxAttempts
}, (args) => Shared.lazy(run, (m) => m.get(args))).pipe(
  Command.withDescription("Print one collection as JSON (WeChat Pay's field names). Reads WECHATPAY_* variables.")
)

/** `face-collections list|get`. */
export const command = Command.make("face-collections").pipe(
  Command.withDescription("Offline-face collections (离线刷脸 重采): users whose face photo must be re-collected."),
  Command.withSubcommands([list, get])
)
