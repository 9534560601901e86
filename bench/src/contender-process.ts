/**
 * One contender, one listing, in a fresh process: peak RSS and heap are its
 * own. Receives its `Task` over IPC, sets up (keys, instance, layer), then
 * times the listing alone and reports the `Outcome`.
 *
 * Also runnable by hand / under a profiler: `node dist/contender-process.js
 * task.json` reads the task from a file and prints the outcome.
 */
import * as Fs from "node:fs"
import { performance } from "node:perf_hooks"
import * as V8 from "node:v8"
import { type ContenderMessage, heapProbe, MiB, type Outcome, type Task } from "./common.js"
import type { Listing } from "./contenders/types.js"

const prepare = async (task: Task): Promise<Listing> => {
  switch (task.contender) {
    case "floor":
      return (await import("./contenders/floor.js")).prepare(task)
    case "floor-http":
      return (await import("./contenders/floorHttp.js")).prepare(task)
    case "floor-http-ahead":
      return (await import("./contenders/floorHttp.js")).prepareAhead(task)
    case "effect-node":
      return (await import("./contenders/effect.js")).prepareNode(task)
    case "effect-webcrypto":
      return (await import("./contenders/effect.js")).prepareWebCrypto(task)
    case "axios-plugin":
      return (await import("./contenders/axios.js")).prepare(task)
    case "node-v3":
      return (await import("./contenders/nodev3.js")).prepare(task)
  }
}

/** Written by `--mark-file`: the listing's window on the monotonic clock, to cut a CPU profile to it. */
export interface Marks {
  readonly startUs: number
  readonly endUs: number
}

const hrUs = () => Number(process.hrtime.bigint() / 1000n)

export const runTask = async (task: Task, markFile?: string): Promise<Outcome> => {
  const setupStart = performance.now()
  const listing = await prepare(task)
  const setupMs = performance.now() - setupStart
  // Start every contender's listing from a collected heap (the harness runs with
  // --expose-gc): the garbage its setup left (module loading, key parsing) is
  // setup's, and would otherwise be collected, and charged, during the listing.
  globalThis.gc?.()
  const probe = heapProbe()
  const cpu0 = process.cpuUsage()
  const startUs = hrUs()
  const t0 = performance.now()
  const { checksum, items } = await listing()
  const wallMs = performance.now() - t0
  const endUs = hrUs()
  const cpu = process.cpuUsage(cpu0)
  const peakHeap = probe.stop()
  // Run with --expose-gc (the harness does): what is still reachable once the garbage is gone.
  globalThis.gc?.()
  const retainedHeap = V8.getHeapStatistics().used_heap_size
  if (markFile !== undefined) Fs.writeFileSync(markFile, JSON.stringify({ startUs, endUs } satisfies Marks))
  return {
    items,
    checksum,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    setupMs,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    peakHeapMb: peakHeap / MiB,
    retainedHeapMb: retainedHeap / MiB
  }
}

const main = async () => {
  const file = process.argv[2]
  if (file !== undefined) {
    const task = JSON.parse(Fs.readFileSync(file, "utf8")) as Task
    const outcome = await runTask(task, process.argv[3])
    console.log(JSON.stringify(outcome))
    process.exit(0)
  }
  process.once("message", (task: Task) => {
    runTask(task).then(
      (outcome) => {
        const message: ContenderMessage = { _tag: "Done", outcome }
        process.send?.(message, () => process.exit(0))
      },
      (error: unknown) => {
        const message: ContenderMessage = {
          _tag: "Failed",
          error: error instanceof Error ? `${error.name}: ${error.message}` : String(error)
        }
        process.send?.(message, () => process.exit(1))
      }
    )
  })
}

void main()
