/**
 * @since 0.1.0
 */
export * as Certificate from "./Certificate.js"

/**
 * @since 0.1.0
 */
export * as FaceCollections from "./FaceCollections.js"

/**
 * @since 0.1.0
 */
export * as Faults from "./Faults.js"

/**
 * @since 0.2.0
 */
export * as HostileServer from "./HostileServer.js"

/**
 * @since 0.1.0
 */
export * as Sandbox from "./Sandbox.js"

/**
 * @since 0.1.0
 */
export * as SandboxServer from "./SandboxServer.js"

/**
 * @since 0.2.0
 */
export * as Notifications from "./Notifications.js"
