/**
 * Exports an organization to a CSV file as pages arrive. The file sink writes one chunk at a time and the
 * listing waits for it (back-pressure): memory stays flat, a million items included.
 *
 * Try it against the sandbox, from the repository root (after `npx -y pnpm@10.34.9 install` and `npx tsc -b`):
 *
 *   node packages/cli/dist/bin.js sandbox --items 100000 > /tmp/sandbox.env &
 *   until grep -qs WECHATPAY_BASE_URL /tmp/sandbox.env; do sleep 0.2; done; . /tmp/sandbox.env
 *   node examples/dist/export-csv.js 1234567 /tmp/collections.csv && wc -l /tmp/collections.csv
 *   kill %1
 */
import { FaceCollection, FaceCollections } from "@effect-wechatpay/core"
import { NodeWechatPayClient } from "@effect-wechatpay/node"
import { FileSystem } from "@effect/platform"
import { NodeFileSystem, NodeRuntime } from "@effect/platform-node"
import { Chunk, Console, Effect, Layer, Ref, Stream } from "effect"
import { fileURLToPath } from "node:url"

const columns = [
  "collection_id",
  "use_id",
  "organization_id",
  "collection_state",
  "register_photo_upload_time",
  "confirm_time"
] as const

// RFC 4180: quote a field holding a quote, a comma or a line break; double the quotes.
const field = (value: string | undefined) =>
  value === undefined ? "" : /[",\r\n]/.test(value) ? `"${value.replace(/"/g, "\"\"")}"` : value

const row = (item: FaceCollection.FaceCollection) => {
  const wire = FaceCollection.toWire(item) // WeChat Pay's own field names and time strings
  return columns.map((column) => field(wire[column])).join(",") + "\r\n"
}

export const exportCsv = (organizationId: string, path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const rows = yield* Ref.make(0)
    yield* FaceCollections.allCollections(organizationId, { distinct: true }).pipe(
      Stream.tap(() => Ref.update(rows, (n) => n + 1)),
      Stream.map(row),
      Stream.prepend(Chunk.of(columns.join(",") + "\r\n")),
      Stream.encodeText,
      Stream.run(fs.sink(path))
    )
    yield* Console.log(`${yield* Ref.get(rows)} rows written to ${path}`)
  })

export const main = (organizationId: string, path: string) =>
  exportCsv(organizationId, path).pipe(
    Effect.provide(Layer.merge(NodeWechatPayClient.layerConfig(), NodeFileSystem.layer))
  )

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  NodeRuntime.runMain(main(process.argv[2] ?? "1234567", process.argv[3] ?? "collections.csv"))
}
