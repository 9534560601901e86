/**
 * The sandbox, in a child process of its own so that its CPU time and heap are
 * never charged to a contender. One sandbox serves the whole run (every
 * contender, every round). Platform-certificate mode: every contender verifies
 * responses with the same RSA-2048 key, the platform certificate's.
 *
 * IPC: sends `Ready` with what a client needs; answers `SetFaults` (the
 * sandbox's own fault syntax: `latency=20`, `quota=200`, …) and `Stats`
 * (responses by status since the last `SetFaults`, counted here, at the server).
 */
import { Faults, Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { Effect, Either, Exit, Scope } from "effect"
import { organizations, type SandboxCommand, type SandboxReply } from "./common.js"

const send = (reply: SandboxReply) => {
  process.send?.(reply)
}

const program = Effect.gen(function*() {
  const scope = yield* Scope.make()
  const sandbox = yield* Sandbox.make({
    mode: "certificate",
    organizations: { ...organizations },
    // Statuses are counted below, at the server; the sandbox's own log stays short.
    historySize: 1_000,
    // As WeChat Pay, concurrent requests answered in parallel (the prefetch section).
    signInParallel: true
  })
  let byStatus: Record<string, number> = {}
  const counted: Sandbox.Service = {
    ...sandbox,
    handle: (request) =>
      Effect.tap(sandbox.handle(request), (result) =>
        Effect.sync(() => {
          const key = result === "reset" ? "reset" : String(result.status)
          byStatus[key] = (byStatus[key] ?? 0) + 1
        }))
  }
  const url = yield* SandboxServer.serveSandbox(counted, { port: 0, host: "127.0.0.1" }).pipe(Scope.extend(scope))
  const config = sandbox.config
  send({
    _tag: "Ready",
    info: {
      url,
      mchid: config.mchid,
      merchantSerial: config.merchantSerial,
      merchantPrivateKeyPem: config.merchantPrivateKeyPem,
      merchantPublicKeyPem: config.merchantPublicKeyPem,
      platformCertificatePem: config.platformCertificatePem,
      platformCertificateSerial: config.platformCertificateSerial,
      wechatpayPublicKeyId: config.wechatpayPublicKeyId,
      wechatpayPublicKeyPem: config.wechatpayPublicKeyPem
    }
  })
  const stop = yield* Effect.async<void>((resume) => {
    const onMessage = (message: SandboxCommand) => {
      switch (message._tag) {
        case "SetFaults": {
          const parsed = Faults.parseFaults(message.spec)
          if (Either.isLeft(parsed)) throw new Error(parsed.left.message)
          Effect.runSync(sandbox.setFaults(parsed.right))
          byStatus = {}
          send({ _tag: "FaultsSet", id: message.id })
          break
        }
        case "Stats": {
          const requests = Effect.runSync(sandbox.requestCount)
          send({ _tag: "Stats", id: message.id, stats: { requests, byStatus: { ...byStatus } } })
          break
        }
        case "Stop":
          process.off("message", onMessage)
          resume(Effect.void)
      }
    }
    process.on("message", onMessage)
    process.on("disconnect", () => resume(Effect.void))
  })
  yield* Effect.succeed(stop)
  yield* Scope.close(scope, Exit.void)
})

Effect.runPromise(program).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error("sandbox process failed:", error)
    process.exit(1)
  }
)
