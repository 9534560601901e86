/**
 * PROTOTYPE (bench only): the recommended core and node changes, measured in
 * the bench. See PROFILE.md. Every change but `imports` is switchable off
 * with `PROTO_OFF=name,…`.
 */
export { decodePageFast, parseTime } from "./FaceCollection.js"
export { allCollections } from "./FaceCollections.js"
export { layer as layerNode, layerWithoutHttpClient as layerNodeWithoutHttpClient } from "./node.js"
export { RawTransport, type TuningName, tuning, tuningNames, WechatPayClient } from "./WechatPayClient.js"
