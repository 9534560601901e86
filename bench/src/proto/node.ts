/**
 * PROTOTYPE (bench only), PROTO(imports): the node layer of
 * packages/node/src (node:crypto signer and verifier, undici transport),
 * trimmed to what the bench uses, importing core's modules by path and
 * `@effect/platform-node`'s `NodeHttpClient` module rather than the package
 * index (which loads every platform-node module: cluster, RPC, SQL, workers…).
 * Signing and verification are byte for byte packages/node's.
 */
import * as Credentials from "@effect-wechatpay/core/Credentials"
import * as ResponseVerifier from "@effect-wechatpay/core/ResponseVerifier"
import * as Signer from "@effect-wechatpay/core/Signer"
import type * as Core from "@effect-wechatpay/core/WechatPayClient"
import * as WechatPayError from "@effect-wechatpay/core/WechatPayError"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import Undici from "@effect/platform-node/Undici"
import { Effect, Layer, Redacted } from "effect"
import * as Crypto from "node:crypto"
import * as Client from "./WechatPayClient.js"

const configError = (setting: string, issue: string) => new WechatPayError.WechatPayConfigError({ setting, issue })

/** packages/node NodeSigner.layer (the key parsed once; the damaged-key probe kept). */
export const signerLayer: Layer.Layer<Signer.Signer, WechatPayError.WechatPayConfigError, Credentials.Credentials> = Layer
  .effect(
    Signer.Signer,
    Effect.flatMap(Credentials.Credentials, ({ merchant }) =>
      Effect.suspend(() => {
        let key: Crypto.KeyObject
        try {
          key = Crypto.createPrivateKey({ key: Redacted.value(merchant.privateKey), format: "pem" })
        } catch {
          return Effect.fail(configError("merchant.privateKey", "not a private key Node can read (PKCS#8 or PKCS#1 PEM)"))
        }
        const probe = Buffer.from("effect-wechatpay key check\n", "utf8")
        if (!Crypto.verify("sha256", probe, Crypto.createPublicKey(key), Crypto.sign("sha256", probe, key))) {
          return Effect.fail(configError("merchant.privateKey", "the RSA key is damaged"))
        }
        return Effect.succeed(Signer.make({
          mchid: merchant.mchid,
          serialNo: merchant.serialNo,
          sign: (message) => Effect.sync(() => Crypto.sign("sha256", Buffer.from(message, "utf8"), key).toString("base64"))
        }))
      }))
  )

/** packages/node NodeResponseVerifier.layer: core's checks over `crypto.verify` with `KeyObject`s made once. */
export const verifierLayer: Layer.Layer<
  ResponseVerifier.ResponseVerifier,
  WechatPayError.WechatPayConfigError,
  Credentials.Credentials
> = Layer.effect(
  ResponseVerifier.ResponseVerifier,
  Effect.flatMap(Credentials.Credentials, ({ verification }) =>
    Effect.map(ResponseVerifier.decodeKeys(verification), (decoded) =>
      ResponseVerifier.make({
        keys: decoded.keys.map((entry) => ({
          id: entry.id,
          key: Crypto.createPublicKey({ key: Buffer.from(entry.key), format: "der", type: "spki" })
        })),
        acceptSerial: decoded.acceptSerial,
        verifySignature: (key, message, signature) =>
          Effect.sync(() => {
            try {
              return Crypto.verify("sha256", message, key, signature)
            } catch {
              return false
            }
          })
      })))
)

const joinHeaders = (headers: Record<string, string | Array<string> | undefined>) => {
  const out: Record<string, string | undefined> = {}
  for (const name in headers) {
    const value = headers[name]
    out[name] = Array.isArray(value) ? value.join(", ") : value
  }
  return out
}

/**
 * PROTO(raw): the node layer's promise-based exchange, on an undici keep-alive
 * agent of its own (closed with the layer); the client aborts it through the
 * signal (deadline or interruption).
 */
export const rawTransportLayer: Layer.Layer<Client.RawTransport> = Layer.scoped(
  Client.RawTransport,
  Effect.map(
    Effect.acquireRelease(Effect.sync(() => new Undici.Agent()), (agent) => Effect.promise(() => agent.close())),
    (agent) => ({
      request: async (method, origin, path, headers, body, signal) => {
        try {
          const response = await agent.request({
            origin,
            path,
            method: method as "GET",
            headers,
            body: body ?? null,
            signal
          })
          const text = await response.body.text()
          return { status: response.statusCode, headers: joinHeaders(response.headers), body: text }
        } catch (error) {
          const inner = error instanceof Error ? error : undefined
          const code = inner !== undefined && "code" in inner ? String(inner.code) : undefined
          throw new Client.RawTransportFailure(
            ["Transport", code, inner?.message].filter((part) => part !== undefined && part !== "").join(": ")
          )
        }
      }
    })
  )
)

/** `NodeWechatPayClient.layerWithoutHttpClient`, over the prototype client. */
export const layerWithoutHttpClient = (options: Core.Options = {}) =>
  Client.layer(options).pipe(Layer.provide(Layer.merge(signerLayer, verifierLayer)))

/** `NodeWechatPayClient.layer`: the undici keep-alive transport too, and the raw exchange over undici. */
export const layer = (options: Core.Options = {}) =>
  layerWithoutHttpClient(options).pipe(Layer.provide(Layer.merge(NodeHttpClient.layerUndici, rawTransportLayer)))
