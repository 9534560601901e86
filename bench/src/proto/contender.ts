/**
 * The prototype as a contender: the prototype client over the node layer's
 * signer, verifier and undici transport, and the prototype `allCollections`.
 * It imports nothing from the bench's other contenders, nor any barrel.
 */
import * as Credentials from "@effect-wechatpay/core/Credentials"
import { Layer, ManagedRuntime, Redacted, Stream } from "effect"
import { checksumStep, FNV_OFFSET, type Task } from "../common.js"
import type { Listing } from "../contenders/types.js"
import { allCollections } from "./FaceCollections.js"
import { layer } from "./node.js"

export const prepare = async (task: Task): Promise<Listing> => {
  const runtime = ManagedRuntime.make(
    layer({
      baseUrl: task.sandbox.url,
      ...(task.requestsPerSecond === undefined ? {} : { requestsPerSecond: task.requestsPerSecond })
    }).pipe(
      Layer.provide(Credentials.layer({
        merchant: {
          mchid: task.sandbox.mchid,
          serialNo: task.sandbox.merchantSerial,
          privateKey: Redacted.make(task.sandbox.merchantPrivateKeyPem)
        },
        verification: { platformCertificates: [task.sandbox.platformCertificatePem] }
      }))
    )
  )
  await runtime.runtime()
  const fold = allCollections(task.organizationId, {
    limit: task.limit,
    ...(task.concurrency === undefined ? {} : { concurrency: task.concurrency })
  }).pipe(
    Stream.runFold(
      { items: 0, checksum: FNV_OFFSET },
      (acc, item) => ({ items: acc.items + 1, checksum: checksumStep(acc.checksum, item.collectionId) })
    )
  )
  return () => runtime.runPromise(fold)
}
