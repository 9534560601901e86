/**
 * The POST contender: user updates (`PATCH …/users/out-user-id/{id}`, two
 * encrypted fields, answered 204) through the library's node layer
 * (`FaceUsers.updateFaceUser`) against a hand-written `node:crypto` floor
 * doing the same work: encrypt `user_name` and `phone` (RSA-OAEP-SHA1 under
 * the platform certificate), build the JSON, sign, `fetch`, check the status,
 * verify the empty answer's signature. Both run in this process, alternating
 * round after round, against the sandbox in its own process; the figure is
 * the median of the per-round ratios.
 *
 * `node bench/dist/post.js [--updates N] [--rounds R]`
 */
import { Credentials, FaceUsers } from "@effect-wechatpay/core"
import { NodeWechatPayClient } from "@effect-wechatpay/node"
import { Layer, ManagedRuntime, Redacted } from "effect"
import * as Crypto from "node:crypto"
import type { SandboxInfo } from "./common.js"
import { median, startSandbox } from "./harness.js"

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name)
  return i < 0 ? fallback : Number(process.argv[i + 1])
}
const UPDATES = arg("--updates", 500)
const ROUNDS = arg("--rounds", 5)
const PATH = "/v3/offlinefacemch/organizations/O1234567/users/out-user-id/student-0001"

const NONCE_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
const nonce = (): string => {
  let out = ""
  for (const byte of Crypto.randomBytes(32)) out += NONCE_ALPHABET[byte % 62]
  return out
}

const floor = (sandbox: SandboxInfo) => {
  const privateKey = Crypto.createPrivateKey(sandbox.merchantPrivateKeyPem)
  const platform = Crypto.createPublicKey(sandbox.platformCertificatePem)
  const serial = sandbox.platformCertificateSerial
  const encrypt = (text: string) =>
    Crypto.publicEncrypt({ key: platform, padding: Crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha1" }, Buffer.from(text))
      .toString("base64")
  return async (i: number) => {
    const body = JSON.stringify({ user_name: encrypt(`张三${i}`), phone: encrypt("13800138000") })
    const timestamp = Math.floor(Date.now() / 1000)
    const n = nonce()
    const signature = Crypto.sign("sha256", Buffer.from(`PATCH\n${PATH}\n${timestamp}\n${n}\n${body}\n`), privateKey)
      .toString("base64")
    const response = await fetch(sandbox.url + PATH, {
      method: "PATCH",
      body,
      headers: {
        Authorization:
          `WECHATPAY2-SHA256-RSA2048 mchid="${sandbox.mchid}",nonce_str="${n}",signature="${signature}",timestamp="${timestamp}",serial_no="${sandbox.merchantSerial}"`,
        Accept: "application/json",
        "Content-Type": "application/json",
        "Wechatpay-Serial": serial
      }
    })
    const text = await response.text()
    if (response.status !== 204) throw new Error(`HTTP ${response.status}: ${text}`)
    const h = response.headers
    const ts = h.get("wechatpay-timestamp")
    const rn = h.get("wechatpay-nonce")
    const sig = h.get("wechatpay-signature")
    if (ts === null || rn === null || sig === null || h.get("wechatpay-serial") !== serial) throw new Error("headers")
    if (Math.abs(Math.floor(Date.now() / 1000) - Number(ts)) >= 300) throw new Error("stale")
    if (!Crypto.verify("sha256", Buffer.from(`${ts}\n${rn}\n${text}\n`), platform, Buffer.from(sig, "base64"))) {
      throw new Error("bad signature")
    }
  }
}

const library = (sandbox: SandboxInfo) => {
  const runtime = ManagedRuntime.make(
    NodeWechatPayClient.layer({ baseUrl: sandbox.url }).pipe(
      Layer.provide(Credentials.layer({
        merchant: {
          mchid: sandbox.mchid,
          serialNo: sandbox.merchantSerial,
          privateKey: Redacted.make(sandbox.merchantPrivateKeyPem)
        },
        verification: { platformCertificates: [sandbox.platformCertificatePem] }
      }))
    )
  )
  const phone = Redacted.make("13800138000")
  return {
    update: (i: number) =>
      runtime.runPromise(FaceUsers.updateFaceUser({
        organizationId: "O1234567",
        outUserId: "student-0001",
        userName: Redacted.make(`张三${i}`),
        phone
      })),
    dispose: () => runtime.dispose()
  }
}

const timed = async (n: number, one: (i: number) => Promise<void>) => {
  const started = performance.now()
  for (let i = 0; i < n; i++) await one(i)
  return performance.now() - started
}

const main = async () => {
  const sandbox = await startSandbox()
  try {
    const f = floor(sandbox.info)
    const lib = library(sandbox.info)
    // Warm-up: keys imported, connections open, code optimised.
    await timed(50, f)
    await timed(50, lib.update)
    const ratios: Array<number> = []
    const floorMs: Array<number> = []
    const libMs: Array<number> = []
    for (let round = 0; round < ROUNDS; round++) {
      const first = round % 2 === 0
      const a = first ? await timed(UPDATES, f) : 0
      const b = await timed(UPDATES, lib.update)
      const c = first ? a : await timed(UPDATES, f)
      floorMs.push(c)
      libMs.push(b)
      ratios.push(b / c)
    }
    await lib.dispose()
    const stats = await sandbox.stats()
    const line = (label: string, ms: ReadonlyArray<number>) =>
      `| ${label} | ${Math.round(median(ms))} | ${Math.round((UPDATES / median(ms)) * 1000)} |`
    console.log(`### User updates (PATCH, two encrypted fields, 204): ${UPDATES} per round, ${ROUNDS} rounds\n`)
    console.log("| contender | ms per round (median) | updates/s |\n| --- | ---: | ---: |")
    console.log(line("floor: fetch + node:crypto", floorMs))
    console.log(line("effect-wechatpay, node layer (`FaceUsers.updateFaceUser`)", libMs))
    console.log(
      `\n× floor (median of per-round ratios): **${median(ratios).toFixed(2)}×** (${
        Math.min(...ratios).toFixed(2)
      }–${Math.max(...ratios).toFixed(2)}); answers at the sandbox: ${JSON.stringify(stats.byStatus)}`
    )
  } finally {
    await sandbox.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
