// Where the engine's time goes: `node --import tsx bench/profile.ts [shape n]...` (default: wide
// 10000 and chain 10000).
//
// Runs `node --cpu-prof --cpu-prof-interval=100 bench/.out/bench/engine.js <shape> <n>` (one child
// per shape, exactly as the benchmark runs it, after the same esbuild transpile; files in bench/.out
// are named by their source: src/engine/phase.ts) and reads the .cpuprofile it writes. Only the
// samples taken while `startRun` was running count: the child reports that window in µs of the
// monotonic clock, which is the profile's time base; loading the runbook, the warm-up and the
// baseline are left out. Prints self time per function (file:function), the top ones overall and
// the top ones in src/engine and src/runbook, and self time per file. BENCH_PROFILE_KEEP=1 keeps
// the .cpuprofile files (open them in Chrome DevTools or speedscope).
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { SourceMap } from 'node:module'
import os from 'node:os'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { childArgs, childEnv, compileChildren, type ShapeResult } from './engine.ts'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const INTERVAL_US = 100
const TOP = 15

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  children?: number[]
}

interface CpuProfile {
  nodes: ProfileNode[]
  startTime: number
  endTime: number
  samples: number[]
  timeDeltas: number[]
}

const sourceMaps = new Map<string, SourceMap | undefined>()

/** The .ts line (1-based) of a position in a file of bench/.out, from esbuild's source map. */
function sourceLine(path: string, line: number, column: number): number | undefined {
  if (!sourceMaps.has(path)) {
    const map = `${path}.map`
    sourceMaps.set(path, existsSync(map) ? new SourceMap(JSON.parse(readFileSync(map, 'utf8'))) : undefined)
  }
  const entry = sourceMaps.get(path)?.findEntry(line, column) as { originalLine?: number } | undefined
  return entry?.originalLine === undefined ? undefined : entry.originalLine + 1
}

/**
 * `src/engine/phase.ts:finished:65` (function and line of the .ts source), `node:fs:fdatasyncSync`,
 * `node_modules/p-retry:pRetry`, `(garbage collector)`.
 */
function place(frame: ProfileNode['callFrame']): { file: string; key: string } {
  let name = frame.functionName || '(anonymous)'
  if (!frame.url) return { file: name, key: name }
  let file = frame.url
  if (file.startsWith('file://')) {
    const path = fileURLToPath(file)
    file = relative(root, path)
    if (file.startsWith('bench/.out/')) {
      file = file.slice('bench/.out/'.length).replace(/\.js$/, '.ts')
      name = `${name}:${sourceLine(path, frame.lineNumber, frame.columnNumber) ?? '?'}`
    }
    const modules = file.match(/node_modules\/((?:@[^/]+\/)?[^/]+)/)
    if (modules) file = `node_modules/${modules[1]}`
  }
  return { file, key: `${file}:${name}` }
}

function analyse(shape: string, n: number): void {
  const dir = mkdtempSync(join(os.tmpdir(), 'switchyard-profile-'))
  const args = [
    '--cpu-prof',
    `--cpu-prof-dir=${dir}`,
    `--cpu-prof-interval=${INTERVAL_US}`,
    ...childArgs(shape, n),
  ]
  console.log(`\n$ node ${args.join(' ').replaceAll(`${root}/`, '').replace(dir, '<tmp>')}`)
  const child = spawnSync(process.execPath, args, { cwd: root, env: childEnv(), encoding: 'utf8' })
  if (child.status !== 0) throw new Error(`profiled child exited ${child.status}:\n${child.stderr}`)
  const result = JSON.parse(child.stdout.trim().split('\n').at(-1) ?? '') as ShapeResult
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'))
  if (!file) throw new Error(`no .cpuprofile in ${dir}`)
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile
  if (process.env.BENCH_PROFILE_KEEP) console.log(`kept ${join(dir, file)}`)
  else rmSync(dir, { recursive: true, force: true })

  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const [from, to] = result.engineWindowUs
  const self = new Map<string, number>()
  const perFile = new Map<string, number>()
  let t = profile.startTime
  let total = 0
  for (let i = 0; i < profile.samples.length; i++) {
    t += profile.timeDeltas[i] ?? 0
    // A sample stands for the time until the next one.
    const next = profile.timeDeltas[i + 1] ?? 0
    if (t < from || t > to) continue
    const node = byId.get(profile.samples[i] as number)
    if (!node) continue
    const { file: where, key } = place(node.callFrame)
    self.set(key, (self.get(key) ?? 0) + next)
    perFile.set(where, (perFile.get(where) ?? 0) + next)
    total += next
  }
  const ms = (us: number) => (us / 1000).toFixed(1).padStart(8)
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`
  const top = (entries: Map<string, number>, keep: (key: string) => boolean, count: number) =>
    [...entries]
      .filter(([key]) => keep(key))
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([key, us]) => `  ${ms(us)} ms ${pct(us)}  ${key}`)

  console.log(
    `${shape} ${n}: engine ${result.engineMs.toFixed(0)} ms (${(result.engineMs / n).toFixed(3)} ms/step), ` +
      `${result.syncs} fdatasync = ${result.syncMs.toFixed(0)} ms, CPU ${result.engineCpuMs.toFixed(0)} ms; ` +
      `${(total / 1000).toFixed(0)} ms of samples in the engine window`,
  )
  console.log(`self time, top ${TOP} in src/engine and src/runbook:`)
  console.log(
    top(self, (key) => key.startsWith('src/engine/') || key.startsWith('src/runbook/'), TOP).join('\n'),
  )
  console.log(`self time, top ${TOP} overall:`)
  console.log(top(self, () => true, TOP).join('\n'))
  console.log('self time per file:')
  console.log(top(perFile, () => true, TOP).join('\n'))
}

const args = process.argv.slice(2)
const runs: Array<[string, number]> =
  args.length === 0
    ? [
        ['wide', 10_000],
        ['chain', 10_000],
      ]
    : Array.from({ length: args.length >> 1 }, (_, i) => [args[2 * i] as string, Number(args[2 * i + 1])])
await compileChildren()
for (const [shape, n] of runs) analyse(shape, n)
