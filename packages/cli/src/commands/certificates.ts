/**
 * `certificates download --out DIR`: the platform certificates of a
 * certificate-mode merchant (`GET /v3/certificates`), decrypted with the
 * APIv3 key, the answer verified with the decrypted certificate it names (or
 * with one of `WECHATPAY_PLATFORM_CERT_FILES`), one PEM per serial written to
 * `DIR/<serial>.pem`, one JSON line per certificate on stdout.
 *
 * Reads the `WECHATPAY_*` variables the other commands read (no verification
 * key is needed) and `WECHATPAY_APIV3_KEY` or `WECHATPAY_APIV3_KEY_FILE`.
 * Here: the command and its options; what it runs is in
 * `certificates.run.ts`.
 *
 * @internal
 */
import { Command, Options } from "@effect/cli"
import * as Shared from "./shared.js"

// What the command runs, loaded when it runs: `--help` loads no client.
const run = () => import("./certificates.run.js")

const download = Command.make("download", {
  out: Options.text("out").pipe(
    Options.withPseudoName("DIR"),
    Options.withDescription("Where to write the certificates, one <serial>.pem each (created if missing; existing files replaced).")
  ),
  maxAttempts: Shared.maxAttempts
}, (args) => Shared.lazy(run, (m) => m.downloadCertificates(args))).pipe(
  Command.withDescription(
    "Download the platform certificates (certificate mode): decrypted with the APIv3 key, the answer verified with " +
      "the certificate it names. Prints one JSON line per certificate (serial_no, effective_time, expire_time, file). " +
      "Reads WECHATPAY_* variables and WECHATPAY_APIV3_KEY or WECHATPAY_APIV3_KEY_FILE."
  )
)

/** `certificates download`. */
export const command = Command.make("certificates").pipe(
  Command.withDescription("Platform certificates (平台证书) of a certificate-mode merchant."),
  Command.withSubcommands([download])
)
