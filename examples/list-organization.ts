/**
 * Every user of an organization whose face photo must be re-collected: how many, and the first few.
 *
 * Try it against the sandbox, from the repository root (after `npx -y pnpm@10.34.9 install` and `npx tsc -b`,
 * which compiles this file to examples/dist/):
 *
 *   node packages/cli/dist/bin.js sandbox --items 1000 > /tmp/sandbox.env &
 *   until grep -qs WECHATPAY_BASE_URL /tmp/sandbox.env; do sleep 0.2; done; . /tmp/sandbox.env
 *   node examples/dist/list-organization.js 1234567
 *   kill %1
 *
 * Against WeChat Pay, set the same WECHATPAY_* variables to your merchant's values (WECHATPAY_BASE_URL unset).
 */
import { FaceCollections } from "@effect-wechatpay/core"
import { NodeWechatPayClient } from "@effect-wechatpay/node"
import { NodeRuntime } from "@effect/platform-node"
import { Chunk, Console, Effect, Stream } from "effect"
import { fileURLToPath } from "node:url"

export const listOrganization = (organizationId: string) =>
  Effect.gen(function*() {
    // Pages by itself, retries what is transient, verifies every response before an item leaves it.
    const all = yield* Stream.runCollect(FaceCollections.allCollections(organizationId, { distinct: true }))
    yield* Console.log(`${all.length} users of organization ${organizationId} to re-collect`)
    for (const item of Chunk.take(all, 5)) {
      yield* Console.log(`  ${item.collectionId}  ${item.userId}  ${item.state}`)
    }
  })

// The client from the WECHATPAY_* environment variables (through Effect's `Config`).
export const main = (organizationId: string) =>
  listOrganization(organizationId).pipe(Effect.provide(NodeWechatPayClient.layerConfig()))

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  NodeRuntime.runMain(main(process.argv[2] ?? "1234567"))
}
