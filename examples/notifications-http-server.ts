/**
 * A notification receiver on `@effect/platform`'s HttpServer: mount
 * `NotificationHandler.httpApp` at your notification URL. WeChat Pay's
 * `FACEPAY.USER_STATE_CHANGE` carries no state, so the handler asks for it
 * (`Notification.contractState`, 查询签约) and acts on a termination.
 *
 *   node packages/cli/dist/bin.js sandbox --notify-url http://127.0.0.1:8080/wechatpay/notify > /tmp/sandbox.env &
 *   until grep -qs WECHATPAY_BASE_URL /tmp/sandbox.env; do sleep 0.2; done; . /tmp/sandbox.env
 *   node examples/dist/notifications-http-server.js 8080 &
 *   node packages/cli/dist/bin.js users terminate-contract --organization-id O1234567 --user-id 2088000000000001
 *   # the receiver logs: student-0001 of O1234567: contract TERMINATED
 */
import { Notification, NotificationHandler } from "@effect-wechatpay/core"
import { NodeNotifications, NodeWechatPayClient } from "@effect-wechatpay/node"
import { HttpRouter, HttpServer } from "@effect/platform"
import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
import { Effect, Layer, Option } from "effect"
import { createServer } from "node:http"
import { fileURLToPath } from "node:url"

/** What to do with each notification: runs once per notification id; a failure makes WeChat Pay resend. */
export const onEvent = (event: Notification.Event) =>
  event._tag === "UserStateChange"
    ? Notification.contractState(event.resource).pipe(
      Effect.flatMap((state) =>
        Effect.log(
          `${event.resource.outUserId} of ${event.resource.organizationId}: contract ${Option.getOrElse(state, () => "?")}`
        )
      )
    )
    : Effect.log(`${event.eventType}: not handled here`)

export const app = HttpRouter.empty.pipe(HttpRouter.post("/wechatpay/notify", NotificationHandler.httpApp(onEvent)))

/** Verification keys, the APIv3 key, the store of handled ids, and the client `contractState` calls. */
export const ReceiverLive = Layer.merge(NodeNotifications.layerConfig(), NodeWechatPayClient.layerConfig())

export const main = (port: number) =>
  Layer.launch(
    HttpServer.serve(app).pipe(
      HttpServer.withLogAddress,
      Layer.provide(ReceiverLive),
      Layer.provide(NodeHttpServer.layer(createServer, { port, host: "127.0.0.1" }))
    )
  )

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  NodeRuntime.runMain(main(Number(process.argv[2] ?? "8080")))
}
