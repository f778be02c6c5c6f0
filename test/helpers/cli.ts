import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const root = join(import.meta.dirname, '..', '..')
export const bin = join(root, 'bin', 'run.js')
/** How hints name the CLI the helpers start: by its path, since tests run it from other folders. */
export const invokedAs = bin
/** `invokedAs` for a RegExp. */
export const invokedPattern = bin.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

export interface CliResult {
  code: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

const settle = (r: SpawnSyncReturns<string>): CliResult => ({
  code: r.status,
  signal: r.signal,
  stdout: r.stdout,
  stderr: r.stderr,
})

/** Runs the real CLI in `cwd`, non-interactively, with CI set (line renderer). */
export function switchyard(cwd: string, args: string[], env: Record<string, string> = {}): CliResult {
  return settle(
    spawnSync(process.execPath, [bin, ...args], {
      cwd,
      encoding: 'utf8',
      env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env },
      timeout: 120_000,
    }),
  )
}

/**
 * Starts the CLI without waiting: for locks and Ctrl-C. `node` is how Node is started: another command may
 * wrap it (e.g. `ip netns exec NS node`).
 */
export function startSwitchyard(
  cwd: string,
  args: string[],
  env: Record<string, string> = {},
  node: [string, ...string[]] = [process.execPath],
) {
  const child = spawn(node[0], [...node.slice(1), bin, ...args], {
    cwd,
    env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env },
  })
  let stdout = ''
  let stderr = ''
  child.stdout.on('data', (d) => {
    stdout += d
  })
  child.stderr.on('data', (d) => {
    stderr += d
  })
  const done = new Promise<CliResult>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  )
  return { child, done, output: () => stdout + stderr }
}

/**
 * Waits until `holds()` (a file appears, the CLI prints a line, a server sees a request), looking every
 * 20 ms. The deadline is no race with the machine's speed: it only turns a hang into a failure that
 * names what never happened.
 */
export async function waitUntil(holds: () => boolean, what = 'the awaited event'): Promise<void> {
  const deadline = Date.now() + 180_000
  while (!holds()) {
    if (Date.now() > deadline) throw new Error(`gave up after 3 minutes waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `switchyard-${prefix}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** A temporary folder holding one fresh workspace per test, removed with `cleanup` (call it in after()). */
export function scratchSpace(prefix: string): { workspace: () => string; cleanup: () => void } {
  const scratch = tempDir(prefix)
  let n = 0
  return {
    workspace: () => {
      const dir = join(scratch.dir, `w${++n}`)
      mkdirSync(dir)
      return dir
    },
    cleanup: scratch.cleanup,
  }
}

export function writeRunbook(dir: string, text: string, name = 'runbook.yaml'): string {
  writeFileSync(join(dir, name), text)
  return name
}

export function lines(file: string): string[] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter(Boolean)
  } catch {
    return []
  }
}

/** Every byte under a folder, for "the secret never appears anywhere" checks. */
export function allBytes(dir: string): string {
  let text = ''
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    text += readFileSync(join(entry.parentPath, entry.name), 'utf8')
  }
  return text
}

export function journalEvents(dir: string): Array<Record<string, unknown> & { type: string }> {
  const runs = join(dir, '.switchyard', 'runs')
  const [run] = readdirSync(runs)
  return lines(join(runs, run as string, 'journal.ndjson')).map((l) => JSON.parse(l))
}

/** Runs the real CLI without blocking this process (so its children are reaped), and waits for it. */
export function switchyardAsync(cwd: string, args: string[], env: Record<string, string> = {}) {
  return startSwitchyard(cwd, args, env).done
}
