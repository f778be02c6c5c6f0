// Engine overhead benchmark: part of `npm run bench` (bench/run.ts), or on its own with
// `BENCH_ONLY=engine npm run bench`.
//
// Runs generated runbooks of `noop` steps through the REAL engine in-process (`startRun`, the real
// journal on disk with its fdatasync, a silent observer) and, in the same process, the same step
// graph through a minimal Promise.all scheduler that only awaits each noop's plan and apply; the
// difference per step is the engine's overhead. Every measurement runs in a child process of its
// own (`node bench/.out/bench/engine.js <mode> <n>` prints one JSON line: src/ and this file
// transpiled by esbuild, see compileChildren; BENCH_ENGINE_TSX=1 runs
// `node --import tsx bench/engine.ts <mode> <n>` instead), so that one shape's heap and JIT state do
// not affect another's; the parent takes medians over repetitions.
//
// Modes: chain | wide | mixed <n> (a shape), fsync <n> (journal appends: awaited one by one, or
// concurrently, i.e. group commit), memory <n> (heapUsed after GC as a chain completes; run with
// --expose-gc), exec <n> (a chain of `exec` steps of /bin/true).
import { spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
// .js, not .ts: the children run this file transpiled to bench/.out, where stats.js stands beside it.
import { median } from './stats.js'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

export type Shape = 'chain' | 'wide' | 'mixed'
export const SHAPES: readonly Shape[] = ['chain', 'wide', 'mixed']

const SHAPE_TEXT: Record<Shape, string> = {
  chain: 'chain: one phase, each step needs the previous one',
  wide: 'wide fan: one phase, one root and N−1 steps that need it, concurrency 64',
  mixed:
    'mixed DAG: phases of 100 steps, each needing 0–3 random earlier steps of its phase (seeded), concurrency 16',
}

// ---------------------------------------------------------------------------------------------
// Runbooks
// ---------------------------------------------------------------------------------------------

/** mulberry32: a small seeded PRNG, so the mixed DAG is the same in every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0')

/** One phase's steps as YAML; `needs` always names steps listed earlier in the same phase. */
function phaseYaml(id: string, concurrency: number, steps: Array<{ id: string; needs: string[] }>): string[] {
  const out = [`  - id: ${id}`, `    concurrency: ${concurrency}`, '    steps:']
  for (const step of steps) {
    out.push(`      - id: ${step.id}`, '        uses: noop')
    if (step.needs.length === 1) out.push(`        needs: ${step.needs[0]}`)
    else if (step.needs.length > 1) out.push(`        needs: [${step.needs.join(', ')}]`)
  }
  return out
}

/** A runbook of n noop steps in the given shape. */
export function noopRunbook(shape: Shape, n: number): string {
  const out = ['version: 1', `name: bench-${shape}-${n}`, 'phases:']
  if (shape === 'chain') {
    const steps = Array.from({ length: n }, (_, i) => ({
      id: `s${pad(i, 5)}`,
      needs: i === 0 ? [] : [`s${pad(i - 1, 5)}`],
    }))
    out.push(...phaseYaml('chain', 4, steps))
  } else if (shape === 'wide') {
    const steps = Array.from({ length: n }, (_, i) => ({
      id: `s${pad(i, 5)}`,
      needs: i === 0 ? [] : ['s00000'],
    }))
    out.push(...phaseYaml('fan', 64, steps))
  } else {
    const random = seeded(0x5eed)
    for (let p = 0; p * 100 < n; p++) {
      const size = Math.min(100, n - p * 100)
      const id = (s: number) => `p${pad(p, 3)}-s${pad(s, 2)}`
      const steps = Array.from({ length: size }, (_, s) => {
        const needs = new Set<string>()
        const count = s === 0 ? 0 : Math.floor(random() * 4)
        for (let k = 0; k < count; k++) needs.add(id(Math.floor(random() * s)))
        return { id: id(s), needs: [...needs] }
      })
      out.push(...phaseYaml(`phase-${pad(p, 3)}`, 16, steps))
    }
  }
  return `${out.join('\n')}\n`
}

/** A chain of n `exec` steps of /bin/true. */
export function execRunbook(n: number): string {
  const out = ['version: 1', `name: bench-exec-${n}`, 'phases:', '  - id: exec', '    steps:']
  for (let i = 0; i < n; i++) {
    out.push(`      - id: s${pad(i, 5)}`, '        uses: exec', '        with: { command: /bin/true }')
    if (i > 0) out.push(`        needs: s${pad(i - 1, 5)}`)
  }
  return `${out.join('\n')}\n`
}

// ---------------------------------------------------------------------------------------------
// Results (one JSON line from each child)
// ---------------------------------------------------------------------------------------------

export interface ShapeResult {
  mode: 'shape'
  shape: Shape
  n: number
  engineMs: number
  /** CPU (user + system) of the process during the engine run: the rest is waiting, mostly on fdatasync. */
  engineCpuMs: number
  baselineMs: number
  /** Lines in the run's journal. */
  events: number
  /** fdatasync calls on the journal during the run (one per group-commit batch). */
  syncs: number
  /** Time spent inside those fdatasync calls. */
  syncMs: number
  /** When the engine run began and ended, in µs of the monotonic clock (a CPU profile's time base). */
  engineWindowUs: [number, number]
}

export interface FsyncCase {
  label: string
  events: number
  ms: number
  syncs: number
}

export interface FsyncResult {
  mode: 'fsync'
  n: number
  cases: FsyncCase[]
}

export interface MemoryResult {
  mode: 'memory'
  n: number
  gc: boolean
  /** heapUsed (after GC when available) when the run started, then at 25/50/75/100% of steps applied. */
  samples: Array<{ steps: number; heapUsed: number }>
  /** Least-squares slope of heapUsed over the 25–100% samples. */
  bytesPerStep: number
  /** After the run: heap held by the run's state (the fold of its journal, which the observer was given), per step. */
  stateBytesPerStep: number
  engineMs: number
}

export interface ExecResult {
  mode: 'exec'
  n: number
  engineMs: number
  /** The same number of /bin/true processes, spawned and awaited one after another with child_process.spawn. */
  spawnMs: number
}

type Result = ShapeResult | FsyncResult | MemoryResult | ExecResult

// ---------------------------------------------------------------------------------------------
// Child process: one measurement
// ---------------------------------------------------------------------------------------------

/** Counts and times every fdatasync (the journal's only use of it) by replacing it in node:fs. */
async function instrumentSyncs(): Promise<{ syncs: number; ns: bigint }> {
  const fs = (await import('node:fs')).default
  const { syncBuiltinESMExports } = await import('node:module')
  const counter = { syncs: 0, ns: 0n }
  const original = fs.fdatasyncSync
  fs.fdatasyncSync = (fd: number) => {
    const start = process.hrtime.bigint()
    try {
      original(fd)
    } finally {
      counter.ns += process.hrtime.bigint() - start
      counter.syncs++
    }
  }
  // ESM importers of node:fs (src/engine/journal.ts) see the replacement through live bindings.
  syncBuiltinESMExports()
  return counter
}

async function child(mode: string, n: number): Promise<Result> {
  const counter = await instrumentSyncs()
  const { startRun } = await import('../src/engine/engine.js')
  const { Journal } = await import('../src/engine/journal.js')
  const { acquireLock } = await import('../src/engine/lock.js')
  const { loadRunbook } = await import('../src/runbook/load.js')
  const { noop } = await import('../src/steps/core/noop.js')
  type Runbook = NonNullable<ReturnType<typeof loadRunbook>['runbook']>
  type Observer = Parameters<typeof startRun>[0]['observer']
  type StepContext = Parameters<Awaited<ReturnType<typeof noop.load>>['plan']>[0]
  type JournalType = ReturnType<typeof Journal.create>

  const dir = mkdtempSync(join(os.tmpdir(), 'switchyard-engine-bench-'))
  const stateDir = join(dir, 'state')
  mkdirSync(stateDir)
  let files = 0

  const load = (yaml: string): Runbook => {
    const file = join(dir, `runbook-${++files}.yaml`)
    writeFileSync(file, yaml)
    const { runbook, diagnostics } = loadRunbook({ file })
    if (!runbook) throw new Error(`generated runbook does not load:\n${JSON.stringify(diagnostics, null, 2)}`)
    return runbook
  }

  const silent: Observer = { start() {}, event() {}, finish: async () => {} }
  const engine = async (runbook: Runbook, observer: Observer = silent) => {
    const outcome = await startRun({
      runbook,
      stateDir,
      observer,
      approvals: { yes: true, ids: new Set() },
      interrupt: { stopRequested: false, signal: new AbortController().signal },
    })
    if (outcome.status !== 'completed') throw new Error(`run ${outcome.status}: ${outcome.message}`)
    return join(stateDir, 'runs', outcome.runId, 'journal.ndjson')
  }

  // The same work without the engine: every phase in order, each step's noop plan + apply awaited
  // once its needs have settled, all steps of a phase under one Promise.all. No journal, no state.
  const implementation = await noop.load()
  const context = (stepId: string): StepContext => ({
    runId: 'baseline',
    stepId,
    dryRun: false,
    signal: new AbortController().signal,
    workdir: dir,
    progress() {},
    recordUndo: async () => {},
    redact: (text) => text,
    sleep: async () => {},
    approve: async () => ({ operator: 'bench', reason: 'bench' }),
    check: async () => {},
  })
  const baseline = async (runbook: Runbook) => {
    for (const phase of runbook.phases) {
      const done = new Map<string, Promise<void>>()
      for (const step of phase.steps) {
        const needs = step.needs.map((id) => {
          const need = done.get(id)
          if (!need) throw new Error(`${step.id} needs ${id}, which is not listed before it`)
          return need
        })
        done.set(
          step.id,
          Promise.all(needs).then(async () => {
            const ctx = context(step.id)
            const plan = await implementation.plan(ctx, step.with)
            await implementation.apply(ctx, step.with, plan)
          }),
        )
      }
      await Promise.all(done.values())
    }
  }

  const timed = async <T>(work: () => Promise<T>) => {
    const cpu = process.cpuUsage()
    const start = performance.now()
    const value = await work()
    const ms = performance.now() - start
    const used = process.cpuUsage(cpu)
    return { ms, cpuMs: (used.user + used.system) / 1000, value }
  }

  try {
    if (mode === 'chain' || mode === 'wide' || mode === 'mixed') {
      const runbook = load(noopRunbook(mode, n))
      // Warm-up on a small runbook of the same shape, so both sides run JIT-compiled code.
      const warm = load(noopRunbook(mode, Math.min(n, 200)))
      await baseline(warm)
      await engine(warm)
      const base = await timed(() => baseline(runbook))
      const syncsBefore = counter.syncs
      const nsBefore = counter.ns
      const from = Number(process.hrtime.bigint() / 1000n)
      const run = await timed(() => engine(runbook))
      const to = Number(process.hrtime.bigint() / 1000n)
      const journal = readFileSync(run.value, 'utf8')
      return {
        mode: 'shape',
        shape: mode,
        n,
        engineMs: run.ms,
        engineCpuMs: run.cpuMs,
        baselineMs: base.ms,
        events: journal.split('\n').filter((line) => line !== '').length,
        syncs: counter.syncs - syncsBefore,
        syncMs: Number(counter.ns - nsBefore) / 1e6,
        engineWindowUs: [from, to],
      }
    }

    if (mode === 'fsync') {
      // The three events a noop step journals, in turn, so lines have their real sizes.
      type NewEvent = Parameters<JournalType['append']>[0]
      const event = (i: number): NewEvent =>
        i % 3 === 0
          ? { type: 'step-started', step: `s${pad(i, 5)}`, attempt: 1 }
          : i % 3 === 1
            ? { type: 'step-planned', step: `s${pad(i, 5)}`, changes: [] }
            : { type: 'step-applied', step: `s${pad(i, 5)}`, outputs: {} }
      // Journal.append has returned a promise of the durable event, and (being optimised) a
      // { event, durable } pair; either way this awaits durability.
      const append = (journal: JournalType, i: number): Promise<unknown> => {
        const result = journal.append(event(i)) as unknown
        return typeof (result as PromiseLike<unknown>).then === 'function'
          ? (result as Promise<unknown>)
          : (result as { durable: Promise<void> }).durable
      }
      let journals = 0
      const measure = async (label: string, work: (journal: JournalType) => Promise<unknown>) => {
        // A real lease, so each batch pays its fencing check as a run's journal does.
        const lease = acquireLock(dir, {
          operator: 'bench',
          host: os.hostname(),
          pid: process.pid,
          runId: `fsync-${journals + 1}`,
          runbook: 'bench',
          since: new Date().toISOString(),
        })
        const journal = Journal.create(join(dir, 'runs', `fsync-${++journals}`), lease)
        const before = counter.syncs
        const { ms } = await timed(() => work(journal))
        await journal.close()
        lease.release()
        return { label, events: n, ms, syncs: counter.syncs - before }
      }
      const writers = (count: number) => async (journal: JournalType) => {
        let next = 0
        await Promise.all(
          Array.from({ length: count }, async () => {
            while (next < n) await append(journal, next++)
          }),
        )
      }
      // Warm-up: JIT and the file system's first-write costs.
      await measure('warm-up', async (journal) => {
        for (let i = 0; i < 200; i++) await append(journal, i)
      })
      const cases: FsyncCase[] = []
      cases.push(
        await measure('awaited one by one', async (journal) => {
          for (let i = 0; i < n; i++) await append(journal, i)
        }),
      )
      cases.push(await measure('16 concurrent writers, each awaiting its own', writers(16)))
      cases.push(await measure('64 concurrent writers, each awaiting its own', writers(64)))
      cases.push(
        await measure('all appended at once (Promise.all)', async (journal) => {
          await Promise.all(Array.from({ length: n }, (_, i) => append(journal, i)))
        }),
      )
      // The floor: the same lines written and fdatasync'ed directly, one by one, without the Journal.
      const fs = (await import('node:fs')).default
      const fd = fs.openSync(join(dir, 'raw.ndjson'), 'wx')
      const before = counter.syncs
      const raw = await timed(async () => {
        for (let i = 0; i < n; i++) {
          fs.writeSync(fd, `${JSON.stringify({ seq: i + 1, at: new Date().toISOString(), ...event(i) })}\n`)
          fs.fdatasyncSync(fd)
        }
      })
      fs.closeSync(fd)
      cases.push({
        label: 'raw writeSync + fdatasyncSync per line',
        events: n,
        ms: raw.ms,
        syncs: counter.syncs - before,
      })
      return { mode: 'fsync', n, cases }
    }

    if (mode === 'memory') {
      const gc = (globalThis as { gc?: () => void }).gc
      const heap = () => {
        if (gc) {
          gc()
          gc()
        }
        return process.memoryUsage().heapUsed
      }
      const runbook = load(noopRunbook('chain', n))
      const marks = [0.25, 0.5, 0.75, 1].map((f) => Math.round(n * f))
      const samples: MemoryResult['samples'] = []
      let applied = 0
      const held: { state?: object } = {}
      const observer: Observer = {
        start(_runbook, live) {
          held.state = live
          samples.push({ steps: 0, heapUsed: heap() })
        },
        event(event) {
          if (event.type !== 'step-applied') return
          applied++
          if (marks.includes(applied)) samples.push({ steps: applied, heapUsed: heap() })
        },
        finish: async () => {},
      }
      const run = await timed(() => engine(runbook, observer))
      // With the run over, the engine holds nothing: what dropping the state frees is the state's.
      // Several turns of GC and the event loop, so that weak references and timers settle first.
      const settled = async () => {
        for (let i = 0; i < 5; i++) {
          heap()
          await new Promise((resolve) => setImmediate(resolve))
        }
        return heap()
      }
      const holding = await settled()
      held.state = undefined
      const stateBytesPerStep = (holding - (await settled())) / n
      const points = samples.filter((s) => s.steps > 0)
      const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length
      const mx = mean(points.map((p) => p.steps))
      const my = mean(points.map((p) => p.heapUsed))
      const slope =
        points.reduce((sum, p) => sum + (p.steps - mx) * (p.heapUsed - my), 0) /
        points.reduce((sum, p) => sum + (p.steps - mx) ** 2, 0)
      return {
        mode: 'memory',
        n,
        gc: gc !== undefined,
        samples,
        bytesPerStep: slope,
        stateBytesPerStep,
        engineMs: run.ms,
      }
    }

    if (mode === 'exec') {
      await engine(load(execRunbook(10)))
      const run = await timed(() => engine(load(execRunbook(n))))
      const spawnTrue = () =>
        new Promise<void>((resolve, reject) => {
          const proc = spawn('/bin/true', [], { stdio: 'ignore' })
          proc.on('error', reject)
          proc.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`/bin/true exited ${code}`))))
        })
      const raw = await timed(async () => {
        for (let i = 0; i < n; i++) await spawnTrue()
      })
      return { mode: 'exec', n, engineMs: run.ms, spawnMs: raw.ms }
    }

    throw new Error(`unknown mode ${mode}: chain, wide, mixed, fsync, memory or exec`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

// ---------------------------------------------------------------------------------------------
// Parent: children, repetitions, medians, the report
// ---------------------------------------------------------------------------------------------

/** Where the children's JavaScript goes (git-ignored). */
const OUT = join(root, 'bench', '.out')
/** BENCH_ENGINE_TSX=1: children run the TypeScript through tsx instead (see compileChildren). */
const UNDER_TSX = process.env.BENCH_ENGINE_TSX === '1'

/**
 * Transpiles src/ and this file to bench/.out, one .js per .ts like `tsc` would (esbuild, no
 * bundling, so a CPU profile still names src files), for children to run on plain `node` as the
 * built CLI does. Under tsx every dynamic `import()` is a round trip to tsx's loader thread: the
 * engine's per-step `definition.load()` then costs ~0.2 ms and yields to the event loop, which lets
 * the journal flush between steps and doubles a chain's fdatasyncs. Native `import()` of a loaded
 * module does neither.
 */
export async function compileChildren(): Promise<void> {
  if (UNDER_TSX) return
  const { build } = await import('esbuild')
  const sources = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts'))
    .map((file) => join(root, 'src', file))
  rmSync(OUT, { recursive: true, force: true })
  await build({
    entryPoints: [...sources, join(root, 'bench', 'engine.ts'), join(root, 'bench', 'stats.ts')],
    outdir: OUT,
    outbase: root,
    format: 'esm',
    platform: 'node',
    target: 'node20.5',
    // For bench/profile.ts: a CPU profile's positions map back to the .ts lines.
    sourcemap: true,
    logLevel: 'warning',
  })
}

/** The node arguments of a child: `bench/.out/bench/engine.js <mode> <n>`, or the .ts under tsx. */
export function childArgs(mode: string, n: number): string[] {
  const script = UNDER_TSX
    ? ['--import', 'tsx', join('bench', 'engine.ts')]
    : [join(OUT, 'bench', 'engine.js')]
  return [...script, mode, String(n)]
}

/** Children inherit nothing that could preload code or crash them on purpose. */
export function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env }
  delete env.NODE_OPTIONS
  delete env.SWITCHYARD_BENCH_RSS_FILE
  delete env.SWITCHYARD_CRASH_AFTER_EVENTS
  return env
}

/** Runs one measurement in a fresh child process and returns the JSON line it prints. */
function measure<R extends Result>(mode: string, n: number, nodeFlags: string[] = []): R {
  const result = spawnSync(process.execPath, [...nodeFlags, ...childArgs(mode, n)], {
    cwd: root,
    env: childEnv(),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  })
  if (result.error) throw result.error
  const last = result.stdout.trim().split('\n').at(-1) ?? ''
  if (result.status !== 0 || !last.startsWith('{'))
    throw new Error(
      `bench/engine.ts ${mode} ${n} exited ${result.status ?? result.signal}:\n${result.stderr}`,
    )
  return JSON.parse(last) as R
}

export interface EngineReport {
  reps: number
  underTsx: boolean
  sizes: number[]
  shapes: Array<{
    shape: Shape
    n: number
    engineMs: number
    baselineMs: number
    engineCpuMs: number
    events: number
    syncs: number
    syncMs: number
  }>
  fsync: FsyncCase[]
  fsyncN: number
  memory: MemoryResult
  exec: ExecResult
}

export interface EngineBenchOptions {
  reps: number
  sizes: number[]
  fsyncEvents: number
  memorySteps: number
  execSteps: number
  progress: (text: string) => void
}

export async function runEngineBenchmark(options: EngineBenchOptions): Promise<EngineReport> {
  await compileChildren()
  const { reps, sizes, progress } = options
  const runs = new Map<string, ShapeResult[]>()
  progress(
    `engine: ${reps} rounds of ${SHAPES.length} shapes x N = ${sizes.join(', ')}, a child process each`,
  )
  // Rounds are interleaved, so that load drift on a shared machine hits every shape alike.
  for (let round = 0; round < reps; round++) {
    for (const n of sizes)
      for (const shape of SHAPES) {
        const result = measure<ShapeResult>(shape, n)
        const key = `${shape}/${n}`
        runs.set(key, [...(runs.get(key) ?? []), result])
        progress(
          `  ${key}: ${(result.engineMs / n).toFixed(3)} ms/step (baseline ${(result.baselineMs / n).toFixed(4)})`,
        )
      }
  }
  const shapes = sizes.flatMap((n) =>
    SHAPES.map((shape) => {
      const results = runs.get(`${shape}/${n}`) ?? []
      const m = (pick: (r: ShapeResult) => number) => median(results.map(pick))
      return {
        shape,
        n,
        engineMs: m((r) => r.engineMs),
        baselineMs: m((r) => r.baselineMs),
        engineCpuMs: m((r) => r.engineCpuMs),
        events: m((r) => r.events),
        syncs: m((r) => r.syncs),
        syncMs: m((r) => r.syncMs),
      }
    }),
  )

  progress(`engine: journal appends, ${options.fsyncEvents} events per case, ${reps} runs`)
  const fsyncRuns = Array.from({ length: reps }, () => measure<FsyncResult>('fsync', options.fsyncEvents))
  const fsync = (fsyncRuns[0]?.cases ?? []).map((c, i) => ({
    label: c.label,
    events: c.events,
    ms: median(fsyncRuns.map((r) => r.cases[i]?.ms ?? Number.NaN)),
    syncs: median(fsyncRuns.map((r) => r.cases[i]?.syncs ?? Number.NaN)),
  }))

  progress(`engine: memory of a ${options.memorySteps}-step chain, ${reps} runs with --expose-gc`)
  const memoryRuns = Array.from({ length: reps }, () =>
    measure<MemoryResult>('memory', options.memorySteps, ['--expose-gc']),
  )
  const memory = [...memoryRuns].sort((a, b) => a.bytesPerStep - b.bytesPerStep)[reps >> 1] as MemoryResult

  progress(`engine: ${options.execSteps} exec steps of /bin/true, ${reps} runs`)
  const execRuns = Array.from({ length: reps }, () => measure<ExecResult>('exec', options.execSteps))
  const exec: ExecResult = {
    mode: 'exec',
    n: options.execSteps,
    engineMs: median(execRuns.map((r) => r.engineMs)),
    spawnMs: median(execRuns.map((r) => r.spawnMs)),
  }
  return { reps, sizes, underTsx: UNDER_TSX, shapes, fsync, fsyncN: options.fsyncEvents, memory, exec }
}

export const OVERHEAD_TARGET_MS = 1
export const EXEC_TARGET_MS = 15

/** The "Engine overhead" section of BENCHMARKS.md, and the same tables for the terminal. */
export function engineMarkdown(report: EngineReport, tree: string): { markdown: string; summary: string } {
  const f = (value: number, digits = 3) => value.toFixed(digits)
  const int = (value: number) => Math.round(value).toLocaleString('en-US')
  const rows = report.shapes.map((s) => {
    const engine = s.engineMs / s.n
    const base = s.baselineMs / s.n
    const overhead = engine - base
    return {
      ...s,
      overhead,
      line: `| ${s.shape} | ${int(s.n)} | ${f(engine)} | ${f(base, 4)} | **${f(overhead)}** | ${f(s.events / s.n, 2)} | ${f(s.events / Math.max(1, s.syncs), 1)} | ${f(s.syncMs / s.n)} | ${f(s.engineCpuMs / s.n)} | ${overhead <= OVERHEAD_TARGET_MS ? 'PASS' : '**FAIL**'} |`,
    }
  })
  const table = [
    '| Shape | N | Engine ms/step | Baseline ms/step | Overhead ms/step | Events/step | Events/fsync | fsync ms/step | CPU ms/step | Target ≤ 1 ms |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | :---: |',
    ...rows.map((r) => r.line),
  ]
  const fsyncTable = [
    '| Appends | Events | fdatasync calls | Events per fdatasync | ms per event |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...report.fsync.map(
      (c) =>
        `| ${c.label} | ${int(c.events)} | ${int(c.syncs)} | ${f(c.events / Math.max(1, c.syncs), 1)} | ${f(c.ms / c.events)} |`,
    ),
  ]
  const one = report.fsync.find((c) => c.label.startsWith('awaited'))
  const raw = report.fsync.find((c) => c.label.startsWith('raw'))
  const all = report.fsync.find((c) => c.label.startsWith('all'))
  const { memory, exec } = report
  const chainRow = report.shapes.filter((r) => r.shape === 'chain').at(-1)
  const memoryRows = [
    '| Steps applied | heapUsed MB |',
    '| ---: | ---: |',
    ...memory.samples.map((s) => `| ${int(s.steps)} | ${f(s.heapUsed / 2 ** 20, 1)} |`),
  ]
  const execPerStep = exec.engineMs / exec.n
  const spawnPerStep = exec.spawnMs / exec.n
  const missed = rows.filter((r) => r.overhead > OVERHEAD_TARGET_MS)
  const verdict = [
    missed.length === 0
      ? `Overhead ≤ ${OVERHEAD_TARGET_MS} ms/step: met for every shape.`
      : `**Overhead ≤ ${OVERHEAD_TARGET_MS} ms/step MISSED for ${missed.length} of ${rows.length}:** ${missed.map((r) => `${r.shape} ${int(r.n)} (${f(r.overhead)} ms)`).join(', ')}.`,
    `exec of /bin/true: ${f(execPerStep, 1)} ms/step, target < ${EXEC_TARGET_MS} ms: ${execPerStep < EXEC_TARGET_MS ? 'PASS' : '**FAIL**'}.`,
    `Memory (target: flat in completed steps): heapUsed grows ${int(memory.bytesPerStep)} bytes per completed step, ${f((memory.bytesPerStep * memory.n) / 2 ** 20, 1)} MB over ${int(memory.n)} steps${memory.gc ? '' : ' (without GC: --expose-gc was unavailable)'}; ${int(memory.stateBytesPerStep)} bytes of it is the run state.`,
  ]

  const runner = report.underTsx
    ? '`node --import tsx bench/engine.ts <shape> <n>`, as BENCH_ENGINE_TSX=1 asked'
    : "`node bench/.out/bench/engine.js <shape> <n>`: src/ and bench/engine.ts transpiled by esbuild, one .js per .ts, so that `import()` is native as in the built CLI; under tsx, each step's `definition.load()` is a round trip to tsx's loader thread that costs ~0.2 ms and lets the journal flush between a chain's steps"
  const markdown = [
    '## Engine overhead',
    '',
    'Per-step cost of the engine itself, running `noop` steps with the journal durable on disk.',
    '',
    '- Command: `npm run bench` (or only this part: `BENCH_ONLY=engine npm run bench`); code in `bench/engine.ts`',
    `- Date: ${new Date().toISOString()}; tree: ${tree}`,
    `- Method: each measurement in a fresh child process (${runner}), ${report.reps} interleaved rounds, medians. In each child the generated runbook is loaded with \`loadRunbook\` (not timed), a 200-step runbook of the same shape is run once to warm up, then the baseline and the engine are timed. Engine: \`startRun\` from src/engine/engine.ts in-process, state dir in a temp folder on the same disk, the real journal, a silent observer, \`--yes\`. Baseline: the same step graph with no engine and no journal: each noop's \`plan\` + \`apply\` (the real implementation, from its definition's \`load()\`) awaited after \`Promise.all\` of its needs, phase by phase. Overhead = (engine − baseline) / N.`,
    `- Shapes: ${SHAPES.map((s) => SHAPE_TEXT[s]).join('; ')}.`,
    "- Events/step: lines in the run's journal / N (run, phase and step events). Events/fsync and fsync ms/step: `fs.fdatasyncSync` is wrapped in the child to count and time the journal's syncs. CPU ms/step: user + system CPU of the process during the engine run / N; wall time above it is waiting, mostly for the disk.",
    '',
    ...table,
    '',
    ...verdict,
    '',
    '### Durability: what an event costs',
    '',
    "`Journal.append` (src/engine/journal.ts) turns the event into one JSON line (with its seq) and queues it; if no flush is pending it schedules one with `setImmediate`. The flush writes every queued line with one `writeSync` and makes them durable with one `fdatasyncSync`, then resolves each event's durability promise. That is group commit: one write + fdatasync per batch, and an event appended after a batch was taken waits for the next one. Lines are written in seq order, so a later event being durable means every earlier one is. The write and the sync are synchronous, so nothing can be appended during a sync itself: a batch is whatever was appended before the scheduled flush ran, and while a sync lasts the event loop (timers, child-process I/O, every other step) stands still. The engine waits for durability before any side effect (a step's apply, the end of a run); how many events share a sync in each shape is in the table above (Events/fsync).",
    '',
    `${int(report.fsyncN)} journal events per case (a noop step's started/planned/applied lines in turn), medians of ${report.reps} runs:`,
    '',
    ...fsyncTable,
    '',
    one && raw && all
      ? `An event awaited on its own costs ${f(one.ms / one.events)} ms (a bare write + fdatasync of the same line: ${f(raw.ms / raw.events)} ms); appended together, ${f(all.ms / all.events, 4)} ms each. ${chainRow ? `In the engine, a chain (one step at a time) paid ${f(chainRow.syncs / chainRow.n, 2)} fsyncs per step at N = ${int(chainRow.n)} (${f(chainRow.syncMs / chainRow.n)} ms of its ${f(chainRow.engineMs / chainRow.n)} ms); steps running side by side share them.` : ''}`
      : '',
    '',
    '### Memory',
    '',
    `heapUsed ${memory.gc ? 'after `gc()` (node --expose-gc)' : '(no GC available)'} sampled from the observer as a ${int(memory.n)}-step noop chain runs (median slope of ${report.reps} runs): **${int(memory.bytesPerStep)} bytes per completed step** (least-squares over the 25–100% samples). Once the run is over, the run state alone (\`RunState\`, the fold of the journal the engine keeps live: one \`StepState\` per step, with its timestamps, changes and outputs) holds ${int(memory.stateBytesPerStep)} bytes per step.`,
    '',
    ...memoryRows,
    '',
    '### exec',
    '',
    `A chain of ${int(exec.n)} \`exec\` steps of \`/bin/true\` (medians of ${report.reps} runs): **${f(execPerStep, 2)} ms per step** (target < ${EXEC_TARGET_MS} ms: ${execPerStep < EXEC_TARGET_MS ? 'PASS' : '**FAIL**'}); spawning /bin/true with \`child_process.spawn\` and awaiting its exit, ${int(exec.n)} times in a row, costs ${f(spawnPerStep, 2)} ms each on this machine.`,
    '',
  ].join('\n')

  const summary = [...table, '', ...fsyncTable, '', ...memoryRows, '', ...verdict].join('\n')
  return { markdown, summary }
}

// ---------------------------------------------------------------------------------------------
// Main (as a child)
// ---------------------------------------------------------------------------------------------

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [mode = '', count = ''] = process.argv.slice(2)
  const n = Number(count)
  if (!mode || !Number.isInteger(n) || n < 1) {
    console.error('usage: node --import tsx bench/engine.ts chain|wide|mixed|fsync|memory|exec <n>')
    process.exit(2)
  }
  console.log(JSON.stringify(await child(mode, n)))
}
