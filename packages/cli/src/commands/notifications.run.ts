/**
 * What `notifications serve` runs, loaded only when it runs (see
 * `Shared.lazy`): the receiver over `node:http`, core's notification handler
 * and the node layer that verifies and decrypts.
 *
 * @internal
 */
import { Notification, NotificationHandler, WechatPaySchema } from "@effect-wechatpay/core"
import { NodeNotifications } from "@effect-wechatpay/node"
import { Data, Effect, Logger, LogLevel, Runtime, Schema } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Shared from "./shared.js"

/** The receiver could not listen where asked (exit 2). */
export class ListenError extends Data.TaggedError("ListenError")<{
  readonly host: string
  readonly port: number
  readonly reason: string
}> {
  override get message(): string {
    return `cannot listen on ${this.host}:${this.port} (${this.reason}); --port 0 picks a free port`
  }
}

/** stdout could not take a line: the handler fails, WeChat Pay is answered 500 and resends. */
class PrintError extends Data.TaggedError("PrintError")<{ readonly reason: string }> {}

const encodeTime = Schema.encodeSync(WechatPaySchema.Time)

/** The NDJSON line of an accepted notification: its envelope and the decrypted resource, wire names. */
export const line = (event: Notification.Event): string =>
  JSON.stringify({
    id: event.id,
    create_time: encodeTime(event.createTime),
    event_type: event.eventType,
    summary: event.summary,
    resource: event.plaintext
  }) + "\n"

const print = (text: string): Effect.Effect<void, PrintError> =>
  Effect.async<void, PrintError>((resume) => {
    process.stdout.write(text, (error) =>
      resume(error == null ? Effect.void : Effect.fail(new PrintError({ reason: error.message }))))
  })

const readBody = (request: Http.IncomingMessage, max: number): Promise<Uint8Array | undefined> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    let size = 0
    request.on("data", (chunk: Buffer) => {
      size += chunk.length
      if (size > max) {
        resolve(undefined)
        request.pause()
        return
      }
      chunks.push(chunk)
    })
    request.on("end", () => resolve(Buffer.concat(chunks)))
    request.on("error", reject)
  })

const send = (response: Http.ServerResponse, answer: NotificationHandler.Answer, close = false) => {
  response.writeHead(answer.status, { ...answer.headers, ...(close ? { connection: "close" } : {}) })
  response.end(answer.body)
}

const serveWith = (args: { readonly port: number; readonly host: string }) =>
  Effect.gen(function*() {
    const runtime = yield* Effect.runtime<NotificationHandler.HandleContext>()
    const run = Runtime.runPromise(runtime)
    const server = Http.createServer((request, response) => {
      if (request.method !== "POST") {
        send(response, { status: 405, headers: { allow: "POST", "content-type": "application/json" }, body: JSON.stringify({ code: "FAIL", message: "notifications are POSTed" }) })
        return
      }
      readBody(request, Notification.DEFAULT_MAX_BODY_BYTES).then(
        (body) =>
          run(
            body === undefined
              ? Effect.succeed(NotificationHandler.tooLarge(Notification.DEFAULT_MAX_BODY_BYTES))
              : NotificationHandler.handle({ headers: request.headers, body }, (event) => print(line(event))).pipe(
                // This command reports each refusal or failure as one JSON line itself.
                Logger.withMinimumLogLevel(LogLevel.None)
              )
          ).then((handled) => {
            const outcome = handled.outcome
            if (outcome._tag === "Refused") {
              const error = outcome.error
              process.stderr.write(
                JSON.stringify({ error: error._tag, check: error.check, message: error.message }) + "\n"
              )
            } else if (outcome._tag === "HandlerFailed") {
              process.stderr.write(
                JSON.stringify({ error: "PrintError", id: outcome.event.id, message: "stdout did not take the line: answered 500, WeChat Pay resends" }) + "\n"
              )
            }
            send(response, handled.answer, body === undefined)
          }),
        () => response.destroy()
      ).catch(() => response.destroy())
    })
    yield* Effect.acquireRelease(
      Effect.async<void, ListenError>((resume) => {
        server.once("error", (error: NodeJS.ErrnoException) =>
          resume(Effect.fail(new ListenError({ host: args.host, port: args.port, reason: error.code ?? error.message }))))
        server.listen(args.port, args.host, () => resume(Effect.void))
      }),
      // On a signal: no new connections; the deliveries in flight are answered, then the server closes.
      () =>
        Effect.async<void>((resume) => {
          server.close(() => resume(Effect.void))
          server.closeIdleConnections()
        })
    )
    const address = server.address() as AddressInfo
    const shown = address.family === "IPv6" ? `[${address.address}]` : address.address
    // Before the line that tells a supervisor it may signal us.
    Shared.endsCleanlyOnSignal()
    yield* Shared.say(`listening on http://${shown}:${address.port}`)
    return yield* Effect.never
  })

/** `notifications serve`: runs until SIGINT, SIGTERM or SIGHUP, then ends after the deliveries in flight (exit 0). */
export const serve = (args: { readonly port: number; readonly host: string }) =>
  Effect.scoped(Effect.gen(function*() {
    if (!Number.isSafeInteger(args.port) || args.port < 0 || args.port > 65535) {
      return yield* Shared.usage(`--port must be between 0 and 65535, got ${args.port}`)
    }
    return yield* serveWith(args)
  })).pipe(Effect.provide(NodeNotifications.layerConfig()))
