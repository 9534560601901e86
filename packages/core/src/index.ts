/**
 * @since 0.1.0
 */
export * as Credentials from "./Credentials.js"

/**
 * @since 0.1.0
 */
export * as Crypto from "./Crypto.js"

/**
 * @since 0.1.0
 */
export * as Exchange from "./Exchange.js"

/**
 * @since 0.1.0
 */
export * as FaceCollection from "./offlineface/FaceCollection.js"

/**
 * @since 0.1.0
 */
export * as FaceCollections from "./offlineface/FaceCollections.js"

/**
 * @since 0.1.0
 */
export * as ResponseVerifier from "./ResponseVerifier.js"

/**
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"

/**
 * @since 0.1.0
 */
export * as Signer from "./Signer.js"

/**
 * @since 0.1.0
 */
export * as WechatPayClient from "./WechatPayClient.js"

/**
 * @since 0.1.0
 */
export * as WechatPayError from "./WechatPayError.js"

/**
 * @since 0.2.0
 */
export * as WechatPayRequest from "./WechatPayRequest.js"

/**
 * @since 0.2.0
 */
export * as WechatPaySchema from "./WechatPaySchema.js"

/**
 * @since 0.2.0
 */
export * as SensitiveFields from "./SensitiveFields.js"

/**
 * @since 0.2.0
 */
export * as Transactions from "./offlineface/Transactions.js"

/**
 * @since 0.2.0
 */
export * as Authinfo from "./offlineface/Authinfo.js"

/**
 * @since 0.2.0
 */
export * as Contracts from "./offlineface/Contracts.js"

/**
 * @since 0.2.0
 */
export * as Repayment from "./offlineface/Repayment.js"

/**
 * @since 0.2.0
 */
export * as Organizations from "./offlinefacemch/Organizations.js"

/**
 * @since 0.2.0
 */
export * as FaceUsers from "./offlinefacemch/FaceUsers.js"

/**
 * @since 0.2.0
 */
export * as Tokens from "./offlinefacemch/Tokens.js"

/**
 * @since 0.2.0
 */
export * as Paging from "./Paging.js"

/**
 * @since 0.2.0
 */
export * as ApiV3Key from "./ApiV3Key.js"

/**
 * @since 0.2.0
 */
export * as Notification from "./notification/Notification.js"

/**
 * @since 0.2.0
 */
export * as NotificationHandler from "./notification/NotificationHandler.js"

/**
 * @since 0.2.0
 */
export * as NotificationStore from "./notification/NotificationStore.js"

/**
 * @since 0.2.0
 */
export * as WechatPayConfig from "./WechatPayConfig.js"

/**
 * @since 0.2.0
 */
export * as PlatformCertificates from "./PlatformCertificates.js"
