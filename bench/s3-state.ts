// The S3 state benchmark: `BENCH_ONLY=s3state npm run bench` (part of `npm run bench`).
//
// Runs the built CLI on a runbook of STEPS noop steps (one lane, and four at once) three ways: with
// the local journal, with --state-dir s3:// against the sandbox in this process (loopback, so it
// shows switchyard's own cost), and the same with every S3 write held S3_WRITE_MS (about what a
// PutObject takes in a region), which shows what group commit saves. From the journal's own
// timestamps: events per second and the time per step; from the sandbox's request log: S3 requests
// and journal writes per step, against the target of at most one write per group commit.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import { join } from 'node:path'
import { type AwsSandbox, sandboxEnv, startAwsSandbox } from '../src/sandbox/aws/index.ts'
import { runCli } from './fanout.ts'
import { median } from './stats.ts'

const STEPS = 100
const S3_WRITE_MS = 20

type Backend = 'local' | 's3' | 's3-slow'

export interface S3StateRun {
  backend: Backend
  concurrency: number
  /** From the first journal event to the last. */
  runMs: number
  events: number
  s3Requests: number
  journalWrites: number
}

const runbook = (concurrency: number) =>
  [
    'version: 1',
    'name: bench-state',
    'phases:',
    '  - id: work',
    `    concurrency: ${concurrency}`,
    '    steps:',
    ...Array.from({ length: STEPS }, (_, i) => `      - { id: s${i}, uses: noop }`),
    '',
  ].join('\n')

/** The journal's events: from the local folder, or from the S3 segments in the sandbox. */
function journalOf(dir: string, sandbox: AwsSandbox, prefix: string | undefined): Array<{ at: string }> {
  const lines = prefix
    ? sandbox.world.s3
        .list('bench-state', `${prefix}/runs/`)
        .filter((o) => o.key.includes('/journal/'))
        .map((o) => o.body)
        .join('')
    : (() => {
        const runs = join(dir, '.switchyard', 'runs')
        return readFileSync(join(runs, readdirSync(runs)[0] as string, 'journal.ndjson'), 'utf8')
      })()
  return lines
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l))
}

async function once(
  sandbox: AwsSandbox,
  backend: Backend,
  concurrency: number,
  n: number,
): Promise<S3StateRun> {
  const dir = mkdtempSync(join(os.tmpdir(), 'switchyard-bench-s3-'))
  try {
    writeFileSync(join(dir, 'runbook.yaml'), runbook(concurrency))
    const prefix = backend === 'local' ? undefined : `run-${n}`
    sandbox.log.clear()
    sandbox.faults.clear()
    if (backend === 's3-slow')
      sandbox.faults.add({
        service: 's3',
        operation: 'PutObject',
        kind: 'slow',
        delayMs: S3_WRITE_MS,
        times: 1e9,
      })
    const state = prefix ? ['--state-dir', `s3://bench-state/${prefix}`] : []
    const env = {
      ...process.env,
      ...sandboxEnv(sandbox.url),
      AWS_REGION: 'us-east-1',
      CI: 'true',
      XDG_CACHE_HOME: join(dir, 'cache'),
    }
    const { code, output } = await runCli(dir, env, ['run', 'runbook.yaml', ...state])
    if (code !== 0) throw new Error(`the ${backend} run exited ${code}:\n${output}`)
    const events = journalOf(dir, sandbox, prefix)
    const s3 = sandbox.log.of('s3')
    return {
      backend,
      concurrency,
      runMs: Date.parse(events.at(-1)?.at ?? '') - Date.parse(events[0]?.at ?? ''),
      events: events.length,
      s3Requests: s3.length,
      journalWrites: s3.filter(
        (c) => c.operation === 'PutObject' && /\/journal\//.test(JSON.stringify(c.params)),
      ).length,
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

export async function runS3StateBenchmark(
  reps: number,
  progress: (text: string) => void,
): Promise<S3StateRun[]> {
  const sandbox = await startAwsSandbox()
  sandbox.world.s3.createBucket('bench-state', { versioning: true })
  const runs: S3StateRun[] = []
  try {
    let n = 0
    for (let rep = 0; rep < reps; rep++)
      for (const concurrency of [1, 4])
        for (const backend of ['local', 's3', 's3-slow'] as const) {
          const run = await once(sandbox, backend, concurrency, ++n)
          progress(
            `  ${backend} concurrency ${concurrency}: ${run.runMs} ms, ${run.events} events, ${run.journalWrites} journal writes`,
          )
          runs.push(run)
        }
  } finally {
    await sandbox.close()
  }
  return runs
}

export function s3StateMarkdown(runs: S3StateRun[], tree: string): string {
  const rows: string[] = []
  for (const concurrency of [1, 4]) {
    const local = median(
      runs.filter((r) => r.backend === 'local' && r.concurrency === concurrency).map((r) => r.runMs),
    )
    for (const backend of ['local', 's3', 's3-slow'] as const) {
      const of = runs.filter((r) => r.backend === backend && r.concurrency === concurrency)
      const ms = median(of.map((r) => r.runMs))
      const events = median(of.map((r) => r.events))
      const writes = median(of.map((r) => r.journalWrites))
      const requests = median(of.map((r) => r.s3Requests))
      const label = {
        local: 'local journal',
        s3: 'S3 (sandbox, loopback)',
        's3-slow': `S3, ${S3_WRITE_MS} ms per write`,
      }[backend]
      rows.push(
        `| ${label} | ${concurrency} | ${Math.round((events / ms) * 1000)} | ${(ms / STEPS).toFixed(2)} | ${backend === 'local' ? '–' : ((ms - local) / STEPS).toFixed(2)} | ${backend === 'local' ? '–' : (requests / STEPS).toFixed(2)} | ${backend === 'local' ? '–' : `${writes} / ${events}`} |`,
      )
    }
  }
  return [
    '## State in S3',
    '',
    `Measured on ${tree}: \`BENCH_ONLY=s3state npm run bench\`. The built CLI runs ${STEPS} noop steps in one phase, one at a time and four at once, with the journal in the local folder, in the sandbox's S3 over loopback, and in the sandbox's S3 with every write held ${S3_WRITE_MS} ms; medians of ${runs.length / 6} runs. Times are from the journal's first event to its last.`,
    '',
    '| state | concurrency | events/s | ms per step | added ms per step | S3 requests per step | journal writes / events |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Each journal write is one group commit (one PutObject of a new segment): events that arrive while a write is in flight go together in the next, so the slower S3 answers, the more events share a write.',
  ].join('\n')
}
