import { type SpawnSyncReturns, spawn, spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export const root = join(import.meta.dirname, '..', '..')
export const bin = join(root, 'bin', 'run.js')

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

/** Starts the CLI without waiting: for locks and Ctrl-C. */
export function startSwitchyard(cwd: string, args: string[], env: Record<string, string> = {}) {
  const child = spawn(process.execPath, [bin, ...args], {
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

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `switchyard-${prefix}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
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

/** Waits for something to happen (a file, a line of output), looking every 20 ms; fails after a minute. */
export async function waitUntil(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/** Runs the real CLI without blocking this process (so its children are reaped), and waits for it. */
export function switchyardAsync(cwd: string, args: string[], env: Record<string, string> = {}) {
  return startSwitchyard(cwd, args, env).done
}
