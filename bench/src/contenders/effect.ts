/**
 * This library, as its README shows: `FaceCollections.allCollections` over
 * `NodeWechatPayClient.layer` (node:crypto signer and verifier, core's
 * `Exchange` over node:http keep-alive agents), or over core's
 * `WechatPayClient.layerWebCrypto` with the same transport. The stream is folded into the count and checksum (a sink
 * holding no item).
 */
import { Credentials, FaceCollections, WechatPayClient } from "@effect-wechatpay/core"
import { NodeExchange, NodeWechatPayClient } from "@effect-wechatpay/node"
import { Layer, ManagedRuntime, Redacted, Stream } from "effect"
import { checksumStep, FNV_OFFSET, type Task } from "../common.js"
import type { Listing } from "./types.js"

export const credentials = (task: Task) =>
  Credentials.layer({
    merchant: {
      mchid: task.sandbox.mchid,
      serialNo: task.sandbox.merchantSerial,
      privateKey: Redacted.make(task.sandbox.merchantPrivateKeyPem)
    },
    verification: { platformCertificates: [task.sandbox.platformCertificatePem] }
  })

export const clientOptions = (task: Task): WechatPayClient.Options => ({
  baseUrl: task.sandbox.url,
  ...(task.requestsPerSecond === undefined ? {} : { requestsPerSecond: task.requestsPerSecond })
})

const fold = (task: Task) =>
  FaceCollections.allCollections(task.organizationId, {
    limit: task.limit,
    ...(task.concurrency === undefined ? {} : { concurrency: task.concurrency })
  }).pipe(
    Stream.runFold(
      { items: 0, checksum: FNV_OFFSET },
      (acc, item) => ({ items: acc.items + 1, checksum: checksumStep(acc.checksum, item.collectionId) })
    )
  )

const run = async (
  task: Task,
  layer: Layer.Layer<WechatPayClient.WechatPayClient, unknown>
): Promise<Listing> => {
  const runtime = ManagedRuntime.make(layer)
  // Build the layer (keys parsed and imported, transport created) before timing.
  await runtime.runtime()
  return () => runtime.runPromise(fold(task))
}

export const prepareNode = (task: Task): Promise<Listing> =>
  run(task, NodeWechatPayClient.layer(clientOptions(task)).pipe(Layer.provide(credentials(task))))

// The node layer's transport (its Exchange over node:http, and the HttpClient), so only the crypto differs.
export const prepareWebCrypto = (task: Task): Promise<Listing> =>
  run(
    task,
    WechatPayClient.layerWebCrypto(clientOptions(task)).pipe(
      Layer.provide(Layer.mergeAll(credentials(task), NodeWechatPayClient.layerHttpClient, NodeExchange.layer))
    )
  )
