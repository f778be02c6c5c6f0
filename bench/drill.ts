// The drill matrix as a benchmark: `BENCH_ONLY=drill npm run bench` (part of `npm run bench`).
//
// Runs test/helpers/drill-matrix.ts's matrix through the built CLI (`drill --each`: one drill per fault
// on one demo platform) and writes the table: whether each passed, detection time, RTO, data lost, the
// world diff and how long each drill took.
import os from 'node:os'
import { tempDir } from '../test/helpers/cli.ts'
import { MATRIX, type MatrixRun, matrixTable, runMatrix } from '../test/helpers/drill-matrix.ts'

export async function runDrillBenchmark(log: (text: string) => void): Promise<MatrixRun> {
  const scratch = tempDir('bench-drill')
  try {
    const run = await runMatrix(scratch.dir)
    // A matrix that could not start (the sandbox's fixed ports taken) is no measurement: say why, write nothing.
    if (run.drills.length === 0)
      throw new Error(`the drill matrix did not run (exit ${run.code}): ${run.stderr.slice(-2000)}`)
    const passed = run.drills.filter((d) => d.passed).length
    log(`  ${passed} of ${MATRIX.length} drills passed in ${run.seconds.toFixed(1)} s`)
    return run
  } finally {
    scratch.cleanup()
  }
}

export function drillMarkdown(run: MatrixRun, tree: string): string {
  return [
    '## Drill matrix',
    '',
    "Every fault at the flagship's riskiest steps, one drill each, of `runbooks/giftcard-cutover.yaml`",
    'with its sandbox params and bakes and polls scaled down (`bake=200ms gate_poll=100ms sql_poll=200ms',
    'health_interval=100ms seed_stall_after=3s`, AWS retries backing off from 20 ms). Detection: the fault to the first step',
    "failing; RTO: the fault to all traffic on-prem as the sandbox's Route 53 answers; both on the wall",
    'clock. A killed CLI is resumed, not noticed: no detection time; its RTO spans the resumed run to the',
    'end and the rollback. A stalled seed is noticed after `seed_stall_after`, hence its detection time.',
    '',
    matrixTable(run),
    '',
    `${run.drills.length} drills in ${run.seconds.toFixed(0)} s, one \`switchyard drill --each\` (sandbox start-up`,
    'included). Command: `BENCH_ONLY=drill npm run bench`; machine:',
    `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, load average ${os.loadavg()[0]?.toFixed(1)}`,
    `at the end, Node ${process.version}; commit ${tree}.`,
  ].join('\n')
}
