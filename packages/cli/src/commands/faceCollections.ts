/**
 * `face-collections list` and `face-collections get`: the offline-face
 * collections of `@effect-wechatpay/core`'s `FaceCollections`, with the client
 * from `WECHATPAY_*` configuration. Here: the commands and their options;
 * what they run is in `faceCollections.run.ts`.
 *
 * @internal
 */
import { Args, Command, Options } from "@effect/cli"
import * as Shared from "./shared.js"

// What the commands run, loaded when one runs: `--help` loads no client.
const run = () => import("./faceCollections.run.js")

// --- list ---------------------------------------------------------------------------------

const organizationId = Shared.organizationId("The organization (school) whose collections to list, e.g. 1234567.")

const list = Command.make("list", {
  organizationId,
  limit: Options.integer("limit").pipe(
    Options.withPseudoName("N"),
    Options.withDescription("Items asked for per request (default 20)."),
    Options.optional
  ),
  format: Shared.format(
    "ndjson: one JSON object per line, WeChat Pay's field names (default); csv: RFC 4180 with a header row; " +
      "table: aligned columns for people.",
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
}, (args) => Shared.lazy(run, (m) => m.list(args))).pipe(
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
