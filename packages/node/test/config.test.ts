/**
 * `NodeWechatPayClient.layerConfig` from a `ConfigProvider` and temporary key
 * files: the three key modes against the sandbox over loopback HTTP, and every
 * missing or malformed variable as a `WechatPayConfigError` naming it, without
 * the secret.
 */
import { FaceCollection, FaceCollections, RetryPolicy, WechatPayClient } from "@effect-wechatpay/core"
import type { WechatPayError } from "@effect-wechatpay/core"
import { NodeKeys, NodeWechatPayClient } from "@effect-wechatpay/node"
import { Certificate, Sandbox, SandboxServer } from "@effect-wechatpay/sandbox"
import { HttpClient, HttpClientError } from "@effect/platform"
import { expect, layer } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { createPrivateKey, createPublicKey } from "node:crypto"
import * as Path from "node:path"
import { pemBodyLines, tempDir, writeFile } from "./helpers.js"

/** The shared layer's keys, and what the tests derive from them. */
interface TestKeys {
  readonly keys: Sandbox.Keys
  readonly merchantPem: string
  /** The merchant private key's base64 lines: none may ever be printed. */
  readonly secretLines: ReadonlyArray<string>
  readonly wechatpayPublicPem: string
}
const testKeys: Effect.Effect<TestKeys, never, Sandbox.SandboxKeys> = Effect.map(Sandbox.SandboxKeys, (keys) => ({
  keys,
  merchantPem: keys.merchantPrivateKeyPem,
  secretLines: pemBodyLines(keys.merchantPrivateKeyPem),
  wechatpayPublicPem: createPublicKey(keys.wechatpayPrivateKeyPem).export({ type: "spki", format: "pem" }).toString()
}))
const mchid = Sandbox.defaults.mchid
const merchantSerial = Sandbox.defaults.merchantSerial
const publicKeyId = Sandbox.defaults.wechatpayPublicKeyId
const ORG = "1234567"

type Env = Readonly<Record<string, string>>

const withEnv = <A, E, R>(layer: Layer.Layer<A, E, R>, env: Env) =>
  layer.pipe(Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))))

/** Builds `layerConfig` from `env` and lists one page through it. */
const listPage = (env: Env) =>
  FaceCollections.listFaceCollections({ organizationId: ORG, offset: 0, limit: 20 }).pipe(
    Effect.provide(withEnv(NodeWechatPayClient.layerConfig(), env))
  )

/** Builds `layerConfig` from `env`, expecting a configuration error. */
const configError = (env: Env, options?: NodeWechatPayClient.ConfigOptions) =>
  Effect.scoped(Layer.build(withEnv(NodeWechatPayClient.layerConfig(options), env))).pipe(Effect.flip)

const expectNoSecret = (error: WechatPayError.WechatPayConfigError, secretLines: ReadonlyArray<string>) => {
  const printed = [String(error), JSON.stringify(error), error.message]
  for (const text of printed) {
    for (const line of secretLines) expect(text).not.toContain(line)
    expect(text).not.toContain("PRIVATE KEY-----")
  }
}

const toWire = (items: ReadonlyArray<FaceCollection.FaceCollection>) => items.map(FaceCollection.toWire)

/** Files for every mode, and the environment of public-key mode. */
const setup = (dir: string, url: string, platformCertificatePem: string, k: TestKeys) => {
  const files = {
    privateKey: writeFile(dir, "apiclient_key.pem", k.merchantPem),
    publicKey: writeFile(dir, "pub_key.pem", k.wechatpayPublicPem),
    certificate: writeFile(dir, "platform_cert.pem", platformCertificatePem)
  }
  const base: Env = {
    WECHATPAY_MCHID: mchid,
    WECHATPAY_MERCHANT_SERIAL: merchantSerial,
    WECHATPAY_PRIVATE_KEY_FILE: files.privateKey,
    WECHATPAY_BASE_URL: url
  }
  const publicKeyMode: Env = {
    ...base,
    WECHATPAY_PUBLIC_KEY_ID: publicKeyId,
    WECHATPAY_PUBLIC_KEY_FILE: files.publicKey
  }
  return { files, base, publicKeyMode }
}

layer(Sandbox.layerKeys, { excludeTestServices: true })("layerConfig: the three key modes over loopback HTTP", (it) => {
  it.scoped("public-key mode: files; Wechatpay-Serial is the PUB_KEY_ID", () =>
    Effect.gen(function*() {
      const k = yield* testKeys
      const { sandbox, url } = yield* SandboxServer.serve({ ...k.keys, mode: "publicKey" })
      const { publicKeyMode } = setup(yield* tempDir, url, sandbox.config.platformCertificatePem, k)
      const page = yield* listPage(publicKeyMode)
      expect(toWire(page)).toEqual(sandbox.expectedItems(ORG).slice(0, 20))
      const [record] = yield* sandbox.requests
      expect(record?.status).toBe(200)
      expect(record?.wechatpaySerial).toBe(publicKeyId)
    }))

  it.scoped("a merchant serial in lower case is sent in upper case, as WeChat Pay writes it", () =>
    Effect.gen(function*() {
      const k = yield* testKeys
      const { sandbox, url } = yield* SandboxServer.serve({ ...k.keys, mode: "publicKey" })
      const { publicKeyMode } = setup(yield* tempDir, url, sandbox.config.platformCertificatePem, k)
      // The sandbox, like WeChat Pay, refuses a serial_no that is not the certificate's (upper case).
      const page = yield* listPage({ ...publicKeyMode, WECHATPAY_MERCHANT_SERIAL: merchantSerial.toLowerCase() })
      expect(page).toHaveLength(20)
    }))

  it.scoped("public-key mode: inline PEMs, one-line with \\n escapes accepted", () =>
    Effect.gen(function*() {
      const k = yield* testKeys
      const { sandbox, url } = yield* SandboxServer.serve({ ...k.keys, mode: "publicKey" })
      const page = yield* listPage({
        WECHATPAY_MCHID: mchid,
        WECHATPAY_MERCHANT_SERIAL: merchantSerial,
        WECHATPAY_PRIVATE_KEY: k.merchantPem.trim().replace(/\n/g, "\\n"),
        WECHATPAY_PUBLIC_KEY_ID: publicKeyId,
        WECHATPAY_PUBLIC_KEY: k.wechatpayPublicPem,
        WECHATPAY_BASE_URL: url
      })
      expect(toWire(page)).toEqual(sandbox.expectedItems(ORG).slice(0, 20))
    }))

  it.scoped("certificate mode: comma-separated files, newest certificate's serial sent", () =>
    Effect.gen(function*() {
      const k = yield* testKeys
      const { sandbox, url } = yield* SandboxServer.serve({ ...k.keys, mode: "certificate" })
      const dir = yield* tempDir
      const { base, files } = setup(dir, url, sandbox.config.platformCertificatePem, k)
      // An older (expired) certificate of another key, still configured as during a rotation.
      const old = Certificate.makeSelfSigned({
        privateKey: k.keys.wechatpayPrivateKeyPem,
        notBefore: new Date("2020-01-01T00:00:00Z"),
        notAfter: new Date("2021-01-01T00:00:00Z")
      })
      const oldFile = writeFile(dir, "old_cert.pem", old.pem)
      const page = yield* listPage({ ...base, WECHATPAY_PLATFORM_CERT_FILES: ` ${oldFile} , ${files.certificate},` })
      expect(toWire(page)).toEqual(sandbox.expectedItems(ORG).slice(0, 20))
      const [record] = yield* sandbox.requests
      expect(record?.wechatpaySerial).toBe(sandbox.config.platformCertificateSerial)
    }))

  it.scoped("migration mode: public key and certificates; either signature is accepted", () =>
    Effect.gen(function*() {
      const k = yield* testKeys
      const migration = yield* SandboxServer.serve({ ...k.keys, mode: "migration" })
      const certificateOnly = yield* SandboxServer.serve({
        ...k.keys,
        mode: "certificate",
        platformCertificateSerial: migration.sandbox.config.platformCertificateSerial
      })
      expect(certificateOnly.sandbox.config.platformCertificatePem).not.toBe("")
      const dir = yield* tempDir
      const { files, publicKeyMode } = setup(dir, migration.url, migration.sandbox.config.platformCertificatePem, k)
      const env = { ...publicKeyMode, WECHATPAY_PLATFORM_CERT_FILES: files.certificate }
      const expected = migration.sandbox.expectedItems(ORG).slice(0, 20)

      // The migration server answers a request naming the PUB_KEY_ID with public-key signatures…
      expect(toWire(yield* listPage(env))).toEqual(expected)
      const [record] = yield* migration.sandbox.requests
      expect(record?.wechatpaySerial).toBe(publicKeyId)

      // …and a server still on certificates signs with the certificate: accepted as well.
      const certificateFile = writeFile(dir, "cert2.pem", certificateOnly.sandbox.config.platformCertificatePem)
      const page = yield* listPage({
        ...env,
        WECHATPAY_PLATFORM_CERT_FILES: certificateFile,
        WECHATPAY_BASE_URL: certificateOnly.url
      })
      expect(toWire(page)).toEqual(expected)
    }))

  it.effect("WECHATPAY_BASE_URL defaults to the production host", () =>
    Effect.gen(function*() {
      const k = yield* testKeys
      const dir = yield* tempDir
      const { publicKeyMode } = setup(dir, "unused", "", k)
      const { WECHATPAY_BASE_URL: _, ...env } = publicKeyMode
      const seen: Array<string> = []
      // Capture the URL instead of sending anything.
      const capture = () =>
        HttpClient.make((request, url) => {
          seen.push(url.href)
          return Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport" }))
        })
      const layer = withEnv(NodeWechatPayClient.layerConfig({ transformClient: capture }), env)
      const error = yield* FaceCollections.listFaceCollections({ organizationId: ORG }).pipe(
        Effect.provide(layer),
        Effect.provideService(RetryPolicy.RetryPolicy, RetryPolicy.none),
        Effect.flip
      )
      expect(error._tag).toBe("WechatPayTransportError")
      expect(seen).toEqual([
        `${WechatPayClient.PRODUCTION_URL}/v3/offlineface/face-collections?organization_id=${ORG}&offset=0&limit=20`
      ])
    }).pipe(Effect.scoped))

  it.effect("NodeKeys.loadConfig keeps the private key Redacted", () =>
    Effect.gen(function*() {
      const k = yield* testKeys
      const { publicKeyMode } = setup(yield* tempDir, "http://127.0.0.1:1", "", k)
      const credentials = yield* NodeKeys.loadConfig.pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(publicKeyMode))))
      )
      expect(Redacted.isRedacted(credentials.merchant.privateKey)).toBe(true)
      expect(Redacted.value(credentials.merchant.privateKey)).toBe(k.merchantPem)
      for (const line of k.secretLines) {
        expect(String(credentials.merchant.privateKey)).not.toContain(line)
        expect(JSON.stringify(credentials)).not.toContain(line)
      }
    }).pipe(Effect.scoped))
})

layer(Sandbox.layerKeys, { excludeTestServices: true })("layerConfig: a missing or malformed variable names it, never the secret", (it) => {
  const certificateOf = (k: TestKeys) =>
    Certificate.makeSelfSigned({
      privateKey: k.keys.platformPrivateKeyPem,
      notBefore: new Date("2024-01-01T00:00:00Z"),
      notAfter: new Date("2029-01-01T00:00:00Z")
    })

  /** [label, change to the public-key-mode environment (undefined: remove), expected setting, issue pattern] */
  type Case = readonly [string, (env: Env, files: Files) => Env, string, RegExp?]
  interface Files extends Omit<TestKeys, "keys"> {
    readonly dir: string
    readonly privateKey: string
    readonly publicKey: string
    readonly certificate: string
    readonly write: (name: string, text: string) => string
  }
  const without = (env: Env, ...names: ReadonlyArray<string>): Env =>
    Object.fromEntries(Object.entries(env).filter(([name]) => !names.includes(name)))

  /** Valid base64 with one body line replaced: passes core's PEM reader, not Node. */
  const replaceLine = (pem: string, index: number) => {
    const lines = pem.trim().split("\n")
    return [lines[0], ...lines.slice(1, -1).map((line, i) => i === index ? "A".repeat(line.length) : line), lines.at(-1)]
      .join("\n")
  }
  /** The DER structure broken (the first line holds the outer headers): Node cannot parse it. */
  const corrupt = (pem: string) => replaceLine(pem, 0)
  /** The structure intact, the modulus damaged: Node parses it, the signer's self-check refuses it. */
  const damaged = (pem: string) => replaceLine(pem, 2)

  const cases: ReadonlyArray<Case> = [
    ["WECHATPAY_MCHID missing", (env) => without(env, "WECHATPAY_MCHID"), "WECHATPAY_MCHID", /not set|missing/i],
    ["WECHATPAY_MCHID blank", (env) => ({ ...env, WECHATPAY_MCHID: "  " }), "WECHATPAY_MCHID"],
    ["WECHATPAY_MCHID not digits", (env) => ({ ...env, WECHATPAY_MCHID: "19000x" }), "WECHATPAY_MCHID", /digits/],
    ["WECHATPAY_MERCHANT_SERIAL missing", (env) => without(env, "WECHATPAY_MERCHANT_SERIAL"), "WECHATPAY_MERCHANT_SERIAL"],
    ["WECHATPAY_MERCHANT_SERIAL not hex", (env) => ({ ...env, WECHATPAY_MERCHANT_SERIAL: "XYZ-1" }), "WECHATPAY_MERCHANT_SERIAL"],
    [
      "no private key at all",
      (env) => without(env, "WECHATPAY_PRIVATE_KEY_FILE"),
      "WECHATPAY_PRIVATE_KEY_FILE",
      /not set/
    ],
    [
      "private key file does not exist",
      (env, f) => ({ ...env, WECHATPAY_PRIVATE_KEY_FILE: Path.join(f.dir, "nope.pem") }),
      "WECHATPAY_PRIVATE_KEY_FILE",
      /cannot read file .*nope\.pem \(ENOENT\)/
    ],
    [
      "private key file is a directory",
      (env, f) => ({ ...env, WECHATPAY_PRIVATE_KEY_FILE: f.dir }),
      "WECHATPAY_PRIVATE_KEY_FILE",
      /not a regular file/
    ],
    [
      "private key file holds no PEM",
      (env, f) => ({ ...env, WECHATPAY_PRIVATE_KEY_FILE: f.write("notes.txt", "hello") }),
      "WECHATPAY_PRIVATE_KEY_FILE",
      /notes\.txt holds no PEM block/
    ],
    [
      "private key file holds a public key",
      (env, f) => ({ ...env, WECHATPAY_PRIVATE_KEY_FILE: f.publicKey }),
      "WECHATPAY_PRIVATE_KEY_FILE",
      /pub_key\.pem: .*PRIVATE KEY/
    ],
    [
      "private key file holds a corrupt key (rejected by the Node signer)",
      (env, f) => ({ ...env, WECHATPAY_PRIVATE_KEY_FILE: f.write("corrupt_key.pem", corrupt(f.merchantPem)) }),
      "WECHATPAY_PRIVATE_KEY_FILE",
      /corrupt_key\.pem: /
    ],
    [
      "private key file holds a damaged key (parses, fails the signer's self-check)",
      (env, f) => ({ ...env, WECHATPAY_PRIVATE_KEY_FILE: f.write("damaged_key.pem", damaged(f.merchantPem)) }),
      "WECHATPAY_PRIVATE_KEY_FILE",
      /damaged_key\.pem: .*damaged/
    ],
    [
      "inline private key malformed",
      (env, f) => ({ ...without(env, "WECHATPAY_PRIVATE_KEY_FILE"), WECHATPAY_PRIVATE_KEY: corrupt(f.merchantPem) }),
      "WECHATPAY_PRIVATE_KEY"
    ],
    [
      "inline private key is not PEM",
      (env, f) => ({ ...without(env, "WECHATPAY_PRIVATE_KEY_FILE"), WECHATPAY_PRIVATE_KEY: f.secretLines.join("") }),
      "WECHATPAY_PRIVATE_KEY"
    ],
    [
      "both private key variables",
      (env, f) => ({ ...env, WECHATPAY_PRIVATE_KEY: f.merchantPem }),
      "WECHATPAY_PRIVATE_KEY",
      /not both/
    ],
    [
      "WECHATPAY_PUBLIC_KEY_ID without a key",
      (env) => without(env, "WECHATPAY_PUBLIC_KEY_FILE"),
      "WECHATPAY_PUBLIC_KEY_FILE"
    ],
    [
      "a public key without WECHATPAY_PUBLIC_KEY_ID",
      (env) => without(env, "WECHATPAY_PUBLIC_KEY_ID"),
      "WECHATPAY_PUBLIC_KEY_ID"
    ],
    [
      "WECHATPAY_PUBLIC_KEY_ID malformed",
      (env) => ({ ...env, WECHATPAY_PUBLIC_KEY_ID: "0119000000012025" }),
      "WECHATPAY_PUBLIC_KEY_ID",
      /PUB_KEY_ID/
    ],
    [
      "public key file does not exist",
      (env, f) => ({ ...env, WECHATPAY_PUBLIC_KEY_FILE: Path.join(f.dir, "missing_pub.pem") }),
      "WECHATPAY_PUBLIC_KEY_FILE",
      /missing_pub\.pem \(ENOENT\)/
    ],
    [
      "public key file holds a certificate",
      (env, f) => ({ ...env, WECHATPAY_PUBLIC_KEY_FILE: f.certificate }),
      "WECHATPAY_PUBLIC_KEY_FILE",
      /cert\.pem: /
    ],
    [
      "public key file holds the private key (never echoed)",
      (env, f) => ({ ...env, WECHATPAY_PUBLIC_KEY_FILE: f.privateKey }),
      "WECHATPAY_PUBLIC_KEY_FILE"
    ],
    [
      "inline public key malformed",
      (env) => ({ ...without(env, "WECHATPAY_PUBLIC_KEY_FILE"), WECHATPAY_PUBLIC_KEY: "-----BEGIN PUBLIC KEY-----" }),
      "WECHATPAY_PUBLIC_KEY"
    ],
    [
      "both public key variables",
      (env, f) => ({ ...env, WECHATPAY_PUBLIC_KEY: f.wechatpayPublicPem }),
      "WECHATPAY_PUBLIC_KEY",
      /not both/
    ],
    [
      "no verification key at all",
      (env) => without(env, "WECHATPAY_PUBLIC_KEY_ID", "WECHATPAY_PUBLIC_KEY_FILE"),
      "WECHATPAY_PUBLIC_KEY_ID",
      /WECHATPAY_PLATFORM_CERT_FILES/
    ],
    [
      "certificate file does not exist",
      (env, f) => ({ ...env, WECHATPAY_PLATFORM_CERT_FILES: `${f.certificate},${Path.join(f.dir, "gone.pem")}` }),
      "WECHATPAY_PLATFORM_CERT_FILES",
      /gone\.pem \(ENOENT\)/
    ],
    [
      "certificate file holds a public key",
      (env, f) => ({ ...env, WECHATPAY_PLATFORM_CERT_FILES: `${f.certificate},${f.publicKey}` }),
      "WECHATPAY_PLATFORM_CERT_FILES",
      /pub_key\.pem: .*CERTIFICATE/
    ],
    [
      "certificate file holds a corrupt certificate",
      (env, f) => ({ ...env, WECHATPAY_PLATFORM_CERT_FILES: f.write("bad_cert.pem", "-----BEGIN CERTIFICATE-----\nMIIBAAAA\n-----END CERTIFICATE-----\n") }),
      "WECHATPAY_PLATFORM_CERT_FILES",
      /bad_cert\.pem: /
    ],
    [
      "WECHATPAY_PLATFORM_CERT_FILES holds no path",
      (env) => ({ ...env, WECHATPAY_PLATFORM_CERT_FILES: " , " }),
      "WECHATPAY_PLATFORM_CERT_FILES"
    ],
    ["WECHATPAY_BASE_URL not a URL", (env) => ({ ...env, WECHATPAY_BASE_URL: "api.mch.weixin.qq.com" }), "WECHATPAY_BASE_URL"],
    ["WECHATPAY_BASE_URL not http(s)", (env) => ({ ...env, WECHATPAY_BASE_URL: "ftp://127.0.0.1" }), "WECHATPAY_BASE_URL"],
    ["WECHATPAY_REQUESTS_PER_SECOND not a number", (env) => ({ ...env, WECHATPAY_REQUESTS_PER_SECOND: "fast" }), "WECHATPAY_REQUESTS_PER_SECOND"],
    ["WECHATPAY_REQUESTS_PER_SECOND zero", (env) => ({ ...env, WECHATPAY_REQUESTS_PER_SECOND: "0" }), "WECHATPAY_REQUESTS_PER_SECOND"],
    ["WECHATPAY_REQUESTS_PER_SECOND in exponent form", (env) => ({ ...env, WECHATPAY_REQUESTS_PER_SECOND: "1e-9" }), "WECHATPAY_REQUESTS_PER_SECOND"],
    ["WECHATPAY_REQUESTS_PER_SECOND in hex", (env) => ({ ...env, WECHATPAY_REQUESTS_PER_SECOND: "0x10" }), "WECHATPAY_REQUESTS_PER_SECOND"],
    ["WECHATPAY_REQUESTS_PER_SECOND above the range", (env) => ({ ...env, WECHATPAY_REQUESTS_PER_SECOND: "100000" }), "WECHATPAY_REQUESTS_PER_SECOND"],
    ["WECHATPAY_BASE_URL with a query", (env) => ({ ...env, WECHATPAY_BASE_URL: "https://api.mch.weixin.qq.com/?x=1" }), "WECHATPAY_BASE_URL"],
    ["WECHATPAY_BASE_URL with a fragment", (env) => ({ ...env, WECHATPAY_BASE_URL: "https://api.mch.weixin.qq.com/#a" }), "WECHATPAY_BASE_URL"],
    ["WECHATPAY_BASE_URL plain http to a remote host", (env) => ({ ...env, WECHATPAY_BASE_URL: "http://api.mch.weixin.qq.com" }), "WECHATPAY_BASE_URL"],
    ["WECHATPAY_BASE_URL with a password", (env) => ({ ...env, WECHATPAY_BASE_URL: "https://u:secret@api.mch.weixin.qq.com" }), "WECHATPAY_BASE_URL"]
  ]

  for (const [label, change, setting, issue] of cases) {
    it.effect(label, () =>
      Effect.gen(function*() {
        const k = yield* testKeys
        const dir = yield* tempDir
        const { files, publicKeyMode } = setup(dir, "http://127.0.0.1:9", certificateOf(k).pem, k)
        const { keys: _, ...derived } = k
        const env = change(publicKeyMode, { ...files, ...derived, dir, write: (name, text) => writeFile(dir, name, text) })
        const error = yield* configError(env)
        expect(error._tag).toBe("WechatPayConfigError")
        expect(error.setting).toBe(setting)
        if (issue !== undefined) expect(error.issue).toMatch(issue)
        expect(error.message).toContain(setting)
        expectNoSecret(error, k.secretLines)
      }).pipe(Effect.scoped))
  }

  it.effect("the corrupt and damaged keys are what their cases say", () =>
    Effect.gen(function*() {
    const { merchantPem } = yield* testKeys
    const pemShape = /^-----BEGIN PRIVATE KEY-----\n[A-Za-z0-9+/=\n]+-----END PRIVATE KEY-----$/
    expect(corrupt(merchantPem)).toMatch(pemShape)
    expect(damaged(merchantPem)).toMatch(pemShape)
    expect(() => createPrivateKey(corrupt(merchantPem))).toThrow()
    expect(createPrivateKey(damaged(merchantPem)).asymmetricKeyType).toBe("rsa")
  }))

})
