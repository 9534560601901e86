/**
 * A notification receiver on plain `node:http` (the same two steps fit
 * Express, Fastify, Koa…): hand `NotificationHandler.handle` the headers and
 * the raw body bytes (never a parsed and re-serialised body: the signature is
 * over the bytes), send back the answer it gives.
 *
 *   node examples/dist/notifications-any-server.js 8080   (with the WECHATPAY_* variables of the sandbox)
 */
import { type Notification, NotificationHandler } from "@effect-wechatpay/core"
import { NodeNotifications } from "@effect-wechatpay/node"
import { Effect, ManagedRuntime } from "effect"
import * as Http from "node:http"
import { fileURLToPath } from "node:url"

/** Your handler: here, one line per notification. */
const onEvent = (event: Notification.Event) => Effect.log(`${event.eventType} ${event.id}`)

/** 64 KiB: a notification is under 2 KiB. Stop reading beyond it. */
const MAX_BODY = 64 * 1024

export const makeServer = (runtime: ManagedRuntime.ManagedRuntime<NotificationHandler.HandleContext, unknown>) =>
  Http.createServer((request, response) => {
    const chunks: Array<Buffer> = []
    let size = 0
    request.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size <= MAX_BODY) chunks.push(chunk)
    })
    request.on("end", () => {
      const handled = size > MAX_BODY
        ? Effect.succeed(NotificationHandler.tooLarge(MAX_BODY))
        : NotificationHandler.handle({ headers: request.headers, body: Buffer.concat(chunks) }, onEvent)
      runtime.runPromise(handled).then(({ answer }) => {
        response.writeHead(answer.status, answer.headers)
        response.end(answer.body)
      }, () => response.destroy())
    })
  })

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  // The layers are built once, when the first notification arrives (a config error fails that one).
  const runtime = ManagedRuntime.make(NodeNotifications.layerConfig())
  makeServer(runtime).listen(Number(process.argv[2] ?? "8080"), "127.0.0.1")
}
