// The drill matrix as a benchmark: `BENCH_ONLY=drill npm run bench` (part of `npm run bench`).
//
// Runs every drill of test/helpers/drill-matrix.ts through the built CLI, one after the other (each
// starts the demo platform on its fixed ports), and writes the table: whether each passed, detection
// time, RTO, data lost, the world diff and how long the drill took.
import os from 'node:os'
import { tempDir } from '../test/helpers/cli.ts'
import { MATRIX, type MatrixRow, matrixTable, runMatrixDrill } from '../test/helpers/drill-matrix.ts'

export async function runDrillBenchmark(log: (text: string) => void): Promise<MatrixRow[]> {
  const scratch = tempDir('bench-drill')
  const rows: MatrixRow[] = []
  try {
    for (const injection of MATRIX) {
      const row = await runMatrixDrill(scratch.dir, injection)
      log(
        `  ${injection}: ${row.report?.passed ? 'passed' : `FAILED (exit ${row.code})`} in ${row.seconds.toFixed(1)} s`,
      )
      rows.push(row)
    }
  } finally {
    scratch.cleanup()
  }
  return rows
}

export function drillMarkdown(rows: MatrixRow[], tree: string): string {
  const total = rows.reduce((sum, r) => sum + r.seconds, 0)
  return [
    '## Drill matrix',
    '',
    `Every fault at the flagship's riskiest steps, each drill a \`switchyard drill\` of`,
    '`runbooks/giftcard-cutover.yaml` with its sandbox params and bakes and polls scaled down',
    '(`bake=200ms gate_poll=100ms sql_poll=200ms health_interval=100ms`, AWS retries from 20 ms).',
    'Detection: the fault to the first step failing; RTO: the fault to all traffic on-prem as the',
    "sandbox's Route 53 answers; both on the wall clock. A killed CLI is resumed, not noticed: no",
    'detection time; its RTO spans the resumed run and the rollback.',
    '',
    matrixTable(rows),
    '',
    `${rows.length} drills in ${total.toFixed(0)} s. Command: \`BENCH_ONLY=drill npm run bench\`; machine:`,
    `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, load average ${os.loadavg()[0]?.toFixed(1)}`,
    `at the start of the last drill, Node ${process.version}; commit ${tree}.`,
  ].join('\n')
}
