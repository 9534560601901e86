/**
 * Child-process plumbing for the orchestrator and the profiler: the sandbox
 * process, one contender process per listing, statistics.
 */
import { FaceCollections } from "@effect-wechatpay/sandbox"
import * as ChildProcess from "node:child_process"
import {
  checksumStep,
  type ContenderMessage,
  FNV_OFFSET,
  type OrganizationId,
  organizations,
  type Outcome,
  type SandboxCommand,
  type SandboxInfo,
  type SandboxReply,
  type SandboxStats,
  type Task
} from "./common.js"

const here = (file: string) => new URL(file, import.meta.url).pathname

export interface SandboxHandle {
  readonly info: SandboxInfo
  readonly setFaults: (spec: string) => Promise<void>
  readonly stats: () => Promise<SandboxStats>
  readonly stop: () => Promise<void>
}

export const startSandbox = (): Promise<SandboxHandle> =>
  new Promise((resolve, reject) => {
    const child = ChildProcess.fork(here("./sandbox-process.js"), [], { stdio: ["ignore", "inherit", "inherit", "ipc"] })
    let nextId = 0
    const pending = new Map<number, (reply: SandboxReply) => void>()
    const call = (command: SandboxCommand & { readonly id: number }) =>
      new Promise<SandboxReply>((done) => {
        pending.set(command.id, done)
        child.send(command)
      })
    child.on("message", (reply: SandboxReply) => {
      if (reply._tag === "Ready") {
        resolve({
          info: reply.info,
          setFaults: async (spec) => {
            await call({ _tag: "SetFaults", spec, id: ++nextId })
          },
          stats: async () => {
            const answer = await call({ _tag: "Stats", id: ++nextId })
            if (answer._tag !== "Stats") throw new Error("unexpected sandbox reply")
            return answer.stats
          },
          stop: () =>
            new Promise<void>((done) => {
              child.once("exit", () => done())
              child.send({ _tag: "Stop" } satisfies SandboxCommand)
            })
        })
        return
      }
      const done = pending.get(reply.id)
      pending.delete(reply.id)
      done?.(reply)
    })
    child.once("error", reject)
    child.once("exit", (code) => reject(new Error(`sandbox process exited with ${code}`)))
  })

/** Runs one listing in a fresh process and returns what it measured. */
export const runContender = (task: Task, execArgv: ReadonlyArray<string> = []): Promise<Outcome> =>
  new Promise((resolve, reject) => {
    const child = ChildProcess.fork(here("./contender-process.js"), [], {
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      execArgv: ["--expose-gc", ...execArgv]
    })
    let settled = false
    child.on("message", (message: ContenderMessage) => {
      settled = true
      if (message._tag === "Done") resolve(message.outcome)
      else reject(new Error(`${task.contender}: ${message.error}`))
    })
    child.once("error", reject)
    child.once("exit", (code) => {
      if (!settled) reject(new Error(`${task.contender}: process exited with ${code} before reporting`))
    })
    child.send(task)
  })

/** What the sandbox holds: item count and checksum of the collection ids, in order. */
export const expected = (organizationId: OrganizationId): { readonly items: number; readonly checksum: number } => {
  let checksum = FNV_OFFSET
  let items = 0
  for (const item of FaceCollections.items({ organizations }, organizationId)) {
    checksum = checksumStep(checksum, item.collection_id)
    items++
  }
  return { items, checksum }
}

export const median = (values: ReadonlyArray<number>): number => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length === 0
    ? Number.NaN
    : sorted.length % 2 === 1
    ? sorted[mid]!
    : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export const min = (values: ReadonlyArray<number>): number => Math.min(...values)
export const max = (values: ReadonlyArray<number>): number => Math.max(...values)
