/**
 * What `certificates download` runs, loaded only when it runs (see
 * `Shared.lazy`): the node layer that downloads, decrypts and verifies.
 *
 * @internal
 */
import { type PlatformCertificates, type WechatPayError } from "@effect-wechatpay/core"
import { NodePlatformCertificates } from "@effect-wechatpay/node"
import { Effect, type Option } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import type * as Failure from "../Failure.js"
import type * as Output from "../Output.js"
import * as Client from "./client.js"
import * as Shared from "./shared.js"

/** `2026-12-03T20:00:00+08:00`: the time as WeChat Pay writes it (Beijing time). */
export const beijingTime = (ms: number): string => `${new Date(ms + 8 * 3_600_000).toISOString().slice(0, 19)}+08:00`

const errorCode = (error: unknown): string =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string" ? error.code : "EIO"

/** Writes `<serial>.pem` files into `dir` (created if missing); the paths written, in order. */
export const writeCertificates = (
  dir: string,
  certificates: ReadonlyArray<PlatformCertificates.PlatformCertificate>
): Effect.Effect<ReadonlyArray<string>, Failure.UsageError> =>
  Effect.tryPromise({
    try: async () => {
      await Fs.mkdir(dir, { recursive: true })
      const paths: Array<string> = []
      for (const cert of certificates) {
        // A serial is hex (checked against the certificate itself): a safe file name.
        const path = Path.join(dir, `${cert.serial}.pem`)
        await Fs.writeFile(path, cert.pem, { mode: 0o644 })
        paths.push(path)
      }
      return paths
    },
    catch: (error) => Shared.usage(`--out ${dir}: cannot write the certificates (${errorCode(error)})`)
  })

export interface DownloadArgs {
  readonly out: string
  readonly maxAttempts: Option.Option<number>
}

/** Downloads, writes, prints a line per certificate and a summary on stderr. */
export const downloadCertificates = (
  args: DownloadArgs
): Effect.Effect<void, PlatformCertificates.DownloadError | WechatPayError.WechatPayConfigError | Failure.UsageError | Output.OutputError> =>
  Effect.gen(function*() {
    const certificates = yield* NodePlatformCertificates.downloadConfig.pipe(Client.withMaxAttempts(args.maxAttempts))
    const paths = yield* writeCertificates(args.out, certificates)
    for (const [i, cert] of certificates.entries()) {
      yield* Shared.printJson({
        serial_no: cert.serial,
        effective_time: beijingTime(cert.effectiveTime),
        expire_time: beijingTime(cert.expireTime),
        file: paths[i] ?? ""
      })
    }
    yield* Shared.say(
      `${certificates.length} platform certificate${certificates.length === 1 ? "" : "s"} written to ${args.out} ` +
        `(decrypted with the APIv3 key, the answer's signature verified)`
    )
  })

