/**
 * @since 0.1.0
 */
export * as NodeExchange from "./NodeExchange.js"

/**
 * @since 0.1.0
 */
export * as NodeKeys from "./NodeKeys.js"

/**
 * @since 0.1.0
 */
export * as NodeResponseVerifier from "./NodeResponseVerifier.js"

/**
 * @since 0.1.0
 */
export * as NodeSigner from "./NodeSigner.js"

/**
 * @since 0.1.0
 */
export * as NodeWechatPayClient from "./NodeWechatPayClient.js"

/**
 * @since 0.2.0
 */
export * as NodeSensitiveFields from "./NodeSensitiveFields.js"
/**
 * @since 0.2.0
 */
export * as NodeNotifications from "./NodeNotifications.js"

/**
 * @since 0.2.0
 */
export * as NodePlatformCertificates from "./NodePlatformCertificates.js"
