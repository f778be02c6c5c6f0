// The drill matrix through the built CLI: every fault at the flagship's riskiest steps, one drill each,
// one after the other on one demo platform (`drill --each`); each drill must pass — the world after its
// rollback as before it — with its fault noticed (a kill is resumed instead) and traffic back on-prem.
// The table is printed for the CI log.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { tempDir } from './helpers/cli.ts'
import { MATRIX, type MatrixRun, matrixTable, runMatrix } from './helpers/drill-matrix.ts'

const scratch = tempDir('drill-matrix')
let run: MatrixRun

before(async () => {
  run = await runMatrix(scratch.dir)
  console.log(`\n${matrixTable(run)}\n\n${MATRIX.length} drills in ${run.seconds.toFixed(1)} s\n`)
})
after(() => scratch.cleanup())

describe('the drill matrix on the flagship', () => {
  test('every drill ran and passed: exit 0', () => {
    assert.equal(run.code, 0, run.stderr.slice(-4000))
    assert.equal(run.passed, true)
    assert.equal(run.drills.length, MATRIX.length)
  })

  for (const [n, injection] of MATRIX.entries())
    test(`${injection}: the world after rollback is as before, no SQL log lost, traffic back on-prem`, () => {
      const drill = run.drills[n]
      assert.ok(drill, `not run: an earlier drill failed\n${run.stderr.slice(-3000)}`)
      assert.deepEqual(
        drill.faults.map((f) => `${f.name}@${f.step}`),
        [injection],
      )
      assert.equal(drill.passed, true, JSON.stringify(drill.reasons))
      assert.deepEqual(drill.world_diff, [])
      assert.equal(drill.rpo.lost_bytes, 0)
      assert.notEqual(drill.rto_ms, null)
      assert.ok((drill.total_requests ?? 0) > 0, 'customers sent requests throughout')
      if (injection.startsWith('cli-killed'))
        assert.equal(drill.runOutcome, 'completed', 'resumed to the end')
      else assert.ok((drill.detection_ms ?? -1) > 0, `noticed: ${drill.detection_ms}`)
    })
})
