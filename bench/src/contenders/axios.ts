/**
 * wechatpay-axios-plugin, as its README says: one `Wechatpay` instance with
 * `mchid`, `serial`, `privateKey` and `certs` `{ [platform certificate serial]:
 * certificate PEM }` (its 平台证书 mode), so its `transformResponse` verifies
 * every response (headers, clock window, serial, SHA256withRSA) before axios'
 * own JSON parsing. `baseURL` is an axios option, merged into the same config
 * object as the README states. Keys are parsed once by the plugin (`Rsa.from`).
 *
 * The README's property chain `wxpay.v3.offlineface.faceCollections` is the
 * same resource as `wxpay.chain("v3/offlineface/face-collections")`; the
 * latter is the plugin's typed entry point (the property chain is typed
 * through an index signature that strict `noUncheckedIndexedAccess` makes
 * possibly undefined).
 */
import { Wechatpay } from "wechatpay-axios-plugin"
import { offsetLoop, type Task, wireItems } from "../common.js"
import type { Listing } from "./types.js"

export const prepare = async (task: Task): Promise<Listing> => {
  const { sandbox } = task
  const wxpay = new Wechatpay({
    mchid: sandbox.mchid,
    serial: sandbox.merchantSerial,
    privateKey: sandbox.merchantPrivateKeyPem,
    certs: { [sandbox.platformCertificateSerial]: sandbox.platformCertificatePem },
    baseURL: `${sandbox.url}/`
  })
  const resource = wxpay.chain("v3/offlineface/face-collections")
  return offsetLoop(async (offset) => {
    const response = await resource.get<unknown>({
      params: { organization_id: task.organizationId, offset, limit: task.limit }
    })
    return wireItems(response.data)
  })
}
